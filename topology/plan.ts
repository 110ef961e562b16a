/**
 * The planner: `plan(config) -> Topology`, plain data that says everything the phase changes.
 *
 * Every decision that depends on the migration phase is taken here, once; components realise the
 * returned Topology and never look at the phase number. Pure: no Pulumi imports, no I/O.
 */
import {
    MATCHER_SERVICE,
    SERVICES,
    type Criticality,
    type GateName,
    type ServiceClient,
    type StreamSpec,
} from "./catalog";
import { ConfigError, type Cloud, type Environment, type PlatformConfig } from "./config";
import {
    AUDIT_BRIDGE_SERVICE,
    AUDIT_QUEUE,
    CONTROL_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DELIVERY_LIMIT,
    WORK_QUEUES,
} from "./control-plane";
import {
    CREDENTIAL_KEYS,
    CredentialBook,
    credentialSecretName,
    type CredentialSecretPlan,
    type PulsarAuthPlan,
    type SecretKeyRef,
} from "./credentials";
import { PHASE_CAPABILITIES, phaseName, type PhaseCapabilities, type PhaseId, type PhaseName } from "./phases";
import { offloadRetained, retainedStorageProblems, type DeployedState } from "./transition";

// ---------------------------------------------------------------------------------------------
// The Topology.

export type Broker = "kafka" | "pulsar";
export type Protocol = "kafka" | "pulsar";

/**
 * Where a stream lives in this phase.
 * - `kafka`: only on Kafka.
 * - `kop`: on Pulsar, reached with the Kafka protocol through KoP; the Kafka topic is the rollback path.
 * - `shadow`: producers write to both; consumers read Kafka (source of truth).
 * - `pulsar`: on Pulsar; Kafka-only consumers are fed by a Pulsar->Kafka sink.
 */
export type StreamState = "kafka" | "kop" | "shadow" | "pulsar";

export interface Endpoint {
    broker: Broker;
    protocol: Protocol;
    /** Kafka topic name, or the full Pulsar topic (`persistent://tenant/namespace/topic`). */
    topic: string;
}

export interface ConsumerRoute extends Endpoint {
    service: string;
}

export interface StreamRoute {
    stream: string;
    criticality: Criticality;
    state: StreamState;
    /** The gate a critical stream waits for, and whether config approves it. */
    gate?: { name: GateName; approved: boolean };
    /** The services that produce the stream. */
    producers: string[];
    /** Where producers write (one entry per broker; two while dual-publishing). */
    produce: Endpoint[];
    consume: ConsumerRoute[];
    /** The Pulsar->Kafka sink that keeps Kafka-only consumers fed, if any. */
    sink?: string;
}

export interface KafkaTopicPlan {
    name: string;
    stream: string;
    partitions: number;
    replicationFactor: number;
    config: Record<string, string>;
}

export type KafkaAclOperation = "Read" | "Write" | "Describe";

export interface KafkaAclPlan {
    principal: string;
    resourceType: "Topic" | "Group";
    resourceName: string;
    patternType: "Literal";
    operation: KafkaAclOperation;
    permissionType: "Allow";
    host: "*";
}

/**
 * A grant the admin principal gives itself before anything else, on a cluster that enforces ACLs and has no super
 * users (MSK). Wildcard by design, so kept apart from the per-service `acls`, which never use a wildcard.
 */
export interface KafkaAdminAclPlan {
    principal: string;
    resourceType: "Cluster" | "Topic" | "Group";
    /** `kafka-cluster` for the Cluster resource, `*` (every topic / group) otherwise. */
    resourceName: string;
    patternType: "Literal";
    operation: "All";
    permissionType: "Allow";
    host: "*";
}

export interface KafkaAdminPlan {
    /**
     * The user the program manages topics and ACLs as: the MSK SCRAM admin, the Confluent service account that
     * holds CloudClusterAdmin, or an external cluster's `kafka.sasl.username`. Undefined where the client
     * authenticates without a username (MSK IAM, an external cluster without SASL).
     */
    username?: string;
    /** The admin's own grants (MSK with SCRAM only: it has no super users). Empty elsewhere. */
    acls: KafkaAdminAclPlan[];
}

/** How Kafka clients (orchestrator services, Pulsar->Kafka sinks) connect to this cluster. */
export interface KafkaClientSecurity {
    /** Kafka `security.protocol`. */
    protocol: "PLAINTEXT" | "SSL" | "SASL_SSL";
    /** Kafka `sasl.mechanism`, when the protocol is SASL_*. */
    saslMechanism?: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512" | "AWS_MSK_IAM";
}

export interface KafkaPlan {
    provider: PlatformConfig["kafka"]["provider"];
    settings: PlatformConfig["kafka"];
    clientSecurity: KafkaClientSecurity;
    /** Known bootstrap servers (external), or undefined when the cluster provides them (MSK, Confluent). */
    bootstrapServers?: string[];
    topics: KafkaTopicPlan[];
    acls: KafkaAclPlan[];
    /**
     * How `acls` are enforced: Kafka ACLs, or (MSK with IAM auth, where the brokers ignore ACLs for IAM clients) one
     * IAM policy per principal with the equivalent `kafka-cluster:*` actions, assumed through IRSA.
     */
    accessControl: "acl" | "iam";
    /** Services (and sinks) that need Kafka credentials: SCRAM users, Confluent service accounts. */
    principals: string[];
    /** Whether the cluster and topics survive removal from the program (always, until decommission). */
    retainOnDelete: boolean;
    /** The principal the program itself uses against the cluster. */
    admin: KafkaAdminPlan;
}

export interface PulsarEndpoints {
    serviceUrl: string;
    httpUrl: string;
    kopBootstrap: string;
    /** Kubernetes Service names this program (or the chart) creates. */
    brokerService: string;
    kafkaService: string;
    kafkaPort: number;
    kafkaListenerProtocol: "PLAINTEXT" | "SASL_PLAINTEXT" | "SASL_SSL";
}

export interface PulsarTenantPlan {
    name: string;
    adminRoles: string[];
}

export interface PulsarNamespacePlan {
    /** `tenant/namespace` */
    name: string;
    tenant: string;
    retentionTime: string;
    retentionSize: string;
    messageTTL: string;
    backlogQuotaLimitSize: string;
    backlogQuotaRetentionPolicy: "producer_request_hold" | "producer_exception";
    deduplication: boolean;
    schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE";
    offloadThresholdSize?: string;
    offloadThresholdTime?: string;
}

export interface PulsarTopicPlan {
    /** `persistent://tenant/namespace/topic` */
    name: string;
    namespace: string;
    stream: string;
    partitions: number;
    /** Schema file (under schemas/) to register, when schemas are registered in this phase. */
    schema?: string;
}

export interface PulsarPermissionPlan {
    resourceType: "topic";
    resourceName: string;
    role: string;
    actions: ("produce" | "consume")[];
}

export interface PulsarPlan {
    /** `standalone`: one StatefulSet (local); `helm`: the Apache Pulsar chart. */
    mode: "standalone" | "helm";
    version: string;
    image: string;
    chartVersion: string;
    brokers: number;
    bookies: number;
    tls: PlatformConfig["pulsar"]["tls"];
    tokenAuth: boolean;
    /** JWT signing key and super-user tokens the program provisions (token auth only). */
    auth: PulsarAuthPlan | null;
    kop: PlatformConfig["pulsar"]["kop"] & {
        /** broker.conf entries for the handler (Helm `broker.configData`; KoP-only keys carry PULSAR_PREFIX_). */
        brokerConfig: Record<string, string>;
        allowedNamespaces: string[];
        /** The SASL_SSL listener's keystore (TLS only). */
        tls: KopTlsPlan | null;
    };
    endpoints: PulsarEndpoints;
    tenants: PulsarTenantPlan[];
    namespaces: PulsarNamespacePlan[];
    topics: PulsarTopicPlan[];
    permissions: PulsarPermissionPlan[];
}

/**
 * KoP's TLS listener: a cert-manager Certificate from the chart's CA issuer with a PKCS#12 keystore and truststore
 * (cert-manager `keystores.pkcs12`), mounted into the brokers; the store passwords reach broker.conf as
 * PULSAR_PREFIX_ env vars from a Secret, so they are never in the chart values.
 */
export interface KopTlsPlan {
    certificate: string;
    /** The Secret cert-manager writes (`keystore.p12`, `truststore.p12`). */
    secret: string;
    issuer: string;
    dnsNames: string[];
    mountPath: string;
    password: SecretKeyRef;
    /** broker.conf keys (PULSAR_PREFIX_) that take the password. */
    passwordKeys: string[];
}

export type EnvVarPlan =
    | { name: string; value: string }
    | { name: string; secretRef: { name: string; key: string } }
    /** Filled by the component from a provisioned cluster's output (e.g. MSK bootstrap brokers). */
    | { name: string; fromOutput: "kafkaBootstrap" };

/** Keys of a credential Secret mounted as files (one file per key), e.g. the per-tenant Pulsar tokens. */
export interface SecretVolumePlan {
    name: string;
    secret: string;
    mountPath: string;
    items: { key: string; path: string }[];
}

export interface DeploymentPlan {
    service: string;
    image: string;
    replicas: number;
    port: number;
    env: EnvVarPlan[];
    secretVolumes: SecretVolumePlan[];
}

export interface PulsarFunctionPlan {
    name: string;
    tenant: string;
    namespace: string;
    service: string;
    inputs: string[];
    output: string;
    packageUrl: string;
    role: string;
    /** Function Mesh `pulsar.authSecret` (token auth only). */
    authSecret?: string;
}

export interface SinkPlan {
    name: string;
    stream: string;
    input: string;
    kafkaTopic: string;
    className: "org.apache.pulsar.io.kafka.KafkaBytesSink";
    /** The Kafka principal the sink writes with (has its own ACLs). */
    principal: string;
    role: string;
    /** Function Mesh `pulsar.authSecret` (token auth only). */
    authSecret?: string;
    /** The sink's `saslJaasConfig` secret (Kafka SASL only). */
    jaas?: SecretKeyRef;
}

export interface RabbitQueuePlan {
    name: string;
    type: "quorum";
    durable: true;
    /** Dead-letter exchange (every work queue has one; the dead-letter queue itself does not). */
    deadLetterExchange?: string;
}

export interface RabbitUserPlan {
    name: string;
    /** Regular expressions, as RabbitMQ permissions take them. */
    configure: string;
    write: string;
    read: string;
}

export interface RabbitPlan {
    vhost: string;
    exchanges: { name: string; type: "topic" | "fanout"; durable: true }[];
    queues: RabbitQueuePlan[];
    bindings: { exchange: string; queue: string; routingKey: string }[];
    policies: { name: string; pattern: string; applyTo: "queues"; priority: number; definition: Record<string, string | number> }[];
    users: RabbitUserPlan[];
    /**
     * The existing user the program manages the control plane as (`rabbitmq.username`): not created here, but
     * granted full permissions on the vhost, which it needs to declare exchanges, queues and bindings in it.
     */
    admin: RabbitUserPlan;
}

export interface OffloadPlan {
    driver: "aws-s3" | "google-cloud-storage";
    bucket: string;
    prefix: string;
    region: string;
    thresholdBytes: number;
    thresholdSeconds: number;
    noncurrentVersionDays: number;
    /**
     * Kubernetes ServiceAccount of the brokers that gets the bucket's workload identity (GKE WI / EKS IRSA):
     * the Pulsar chart's own name for it (`<fullname>-broker-acct`, release `pulsar`).
     */
    brokerServiceAccount: string;
}

export interface Topology {
    phase: PhaseId;
    phaseName: PhaseName;
    environment: Environment;
    cloud: Cloud;
    capabilities: PhaseCapabilities;
    /** `protect` on everything that holds data (prod). retainOnDelete is on everywhere regardless. */
    protectData: boolean;
    kafka: KafkaPlan | null;
    pulsar: PulsarPlan | null;
    routes: StreamRoute[];
    deployments: DeploymentPlan[];
    functions: PulsarFunctionPlan[];
    sinks: SinkPlan[];
    rabbitmq: RabbitPlan;
    offload: OffloadPlan | null;
    /** Credential Secrets and what each key holds; exactly the keys something in this plan references. */
    credentials: CredentialSecretPlan[];
    kubernetes: { namespace: string; renderYamlTo?: string };
    observability: { enabled: boolean };
}

// ---------------------------------------------------------------------------------------------
// Naming rules, in one place.

/** One stream's entry of the `streamRoutes` stack output. */
export interface StreamRouteOutput {
    state: StreamState;
    /** `<broker>:<topic>` per place producers write. */
    produce: string[];
    /** `<service>@<broker>:<topic>` per consumer. */
    consume: string[];
    gate?: StreamRoute["gate"];
    sink?: string;
}

/** The `streamRoutes` stack output (components/platform.ts), also read back by `npm run smoke`. Pure. */
export function streamRouteOutputs(routes: StreamRoute[]): Record<string, StreamRouteOutput> {
    return Object.fromEntries(
        routes.map((r) => [
            r.stream,
            {
                state: r.state,
                produce: r.produce.map((e) => `${e.broker}:${e.topic}`),
                consume: r.consume.map((c) => `${c.service}@${c.broker}:${c.topic}`),
                ...(r.gate ? { gate: r.gate } : {}),
                ...(r.sink ? { sink: r.sink } : {}),
            },
        ]),
    );
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const k = key(item);
        const group = groups.get(k);
        if (group) {
            group.push(item);
        } else {
            groups.set(k, [item]);
        }
    }
    return groups;
}

/** The Pulsar role of a service within a tenant: `<tenant>.<service>`, so isolation is checkable by prefix. */
export function pulsarRole(tenant: string, service: string): string {
    return `${tenant}.${service}`;
}

export function kafkaPrincipal(service: string): string {
    return `User:${service}`;
}

export function pulsarTopicName(tenant: string, namespace: string, topic: string): string {
    return `persistent://${tenant}/${namespace}/${topic}`;
}

/** The Pulsar chart's Helm release name; the chart names its Secrets and ServiceAccounts after it. */
export const PULSAR_RELEASE = "pulsar";
/** The chart's default super users besides the client one (`auth.superUsers` in charts/pulsar/values.yaml). */
const CHART_SUPER_USERS = ["broker-admin", "proxy-admin"] as const;

export const PLATFORM_ADMIN_ROLE = "platform-admin";
/** The Kafka user the program manages MSK (SCRAM) and Confluent Cloud (service account) clusters as. */
export const KAFKA_ADMIN_USER = PLATFORM_ADMIN_ROLE;
/** The Pulsar chart's broker ServiceAccount (`pulsar.broker.serviceAccount` with release name `pulsar`). */
export const PULSAR_BROKER_SERVICE_ACCOUNT = "pulsar-broker-acct";
export const KAFKA_SINK_SERVICE = "kafka-sink";
const TENANT_ORCHESTRATOR_NAMESPACE = "orchestrator";

/** Namespace storage limits by environment (retention size and backlog quota). */
const NAMESPACE_STORAGE: Record<Environment, string> = { local: "1Gi", dev: "20Gi", prod: "200Gi" };

// ---------------------------------------------------------------------------------------------
// Stream states.

export function streamState(stream: StreamSpec, phase: PhaseId, gates: PlatformConfig["gates"]): StreamState {
    if (stream.bridge === "kop") {
        // KoP-bridged streams move with the orchestrator as a whole (one KAFKA_BROKERS switch).
        const transport = PHASE_CAPABILITIES[phase].orchestratorTransport;
        return transport === "kafka" ? "kafka" : transport === "kop" ? "kop" : "pulsar";
    }
    const gateApproved = stream.gate === undefined || gates[stream.gate];
    if (phase >= stream.cutoverAt && gateApproved) {
        return "pulsar";
    }
    return phase >= stream.pulsarFrom ? "shadow" : "kafka";
}

const clientOf = new Map<string, ServiceClient>(SERVICES.map((s) => [s.name, s.client]));

function routeOf(
    s: StreamSpec,
    state: StreamState,
    kafkaPresent: boolean,
    pulsarTopic: string,
    gates: PlatformConfig["gates"],
): StreamRoute {
    const kafka = { broker: "kafka" as const, protocol: "kafka" as const, topic: s.kafkaTopic };
    const pulsarNative = { broker: "pulsar" as const, protocol: "pulsar" as const, topic: pulsarTopic };
    const viaKop = { broker: "pulsar" as const, protocol: "kafka" as const, topic: pulsarTopic };
    const route: StreamRoute = {
        stream: s.name,
        criticality: s.criticality,
        state,
        producers: [...s.producers],
        produce: [],
        consume: [],
        ...(s.gate ? { gate: { name: s.gate, approved: gates[s.gate] } } : {}),
    };
    switch (state) {
        case "kafka":
            route.produce = [kafka];
            route.consume = s.consumers.map((service) => ({ service, ...kafka }));
            break;
        case "kop":
            route.produce = [viaKop];
            route.consume = s.consumers.map((service) => ({ service, ...viaKop }));
            break;
        case "shadow":
            route.produce = [kafka, pulsarNative];
            route.consume = s.consumers.map((service) => ({ service, ...kafka }));
            break;
        case "pulsar": {
            route.produce = [pulsarNative];
            route.consume = s.consumers.map((service) =>
                clientOf.get(service) === "kafka-only" ? { service, ...kafka } : { service, ...pulsarNative },
            );
            const kafkaReaders = s.consumers.some((c) => clientOf.get(c) === "kafka-only");
            if (kafkaReaders && kafkaPresent) {
                route.sink = sinkName(s.name);
            }
            break;
        }
    }
    return route;
}

function sinkName(stream: string): string {
    return `${stream}-to-kafka`;
}

// ---------------------------------------------------------------------------------------------
// The planner.

/**
 * Plans the whole platform for a validated config.
 * @param config the output of `validateConfig`
 */
/**
 * The topology of a stack. `deployed` is what its last update left (index.ts reads it from the stack's own outputs):
 * storage that holds data follows a high-water mark rather than the phase (see `offloadRetained`).
 */
export function plan(config: PlatformConfig, deployed: DeployedState = {}): Topology {
    const storageProblems = retainedStorageProblems(config, deployed);
    if (storageProblems.length > 0) {
        throw new ConfigError(storageProblems);
    }
    const caps = PHASE_CAPABILITIES[config.phase];
    const kafkaPresent = !config.kafka.decommission;
    const tenantNames = caps.tenantIsolation ? config.tenants.map((t) => t.name) : [];

    const routes = config.streams.map((s) =>
        routeOf(s, streamState(s, config.phase, config.gates), kafkaPresent,
            pulsarTopicName(s.pulsarTopic.tenant, s.pulsarTopic.namespace, s.pulsarTopic.topic), config.gates),
    );
    const streamsByName = new Map(config.streams.map((s) => [s.name, s]));

    const book = new CredentialBook();
    const pulsar = caps.pulsar ? planPulsar(config, caps, routes, streamsByName, tenantNames, book) : null;
    const kafkaSecurity = kafkaPresent ? kafkaClientSecurity(config.kafka) : null;
    const sinks = pulsar ? planSinks(routes, streamsByName, pulsar, kafkaSecurity, book) : [];
    const kafka = kafkaPresent ? planKafka(config, routes, streamsByName, sinks) : null;
    const deployments = planDeployments(config, caps, pulsar, kafka, tenantNames, book);
    const functions = pulsar && caps.matcher === "function" ? planFunctions(config, tenantNames, pulsar, book) : [];
    const offloadWanted = caps.offload && config.tieredStorage.enabled && config.cloud !== "none";
    const offload =
        offloadWanted || offloadRetained(config, deployed)
            ? {
                  driver: config.cloud === "aws" ? ("aws-s3" as const) : ("google-cloud-storage" as const),
                  bucket: config.tieredStorage.bucket as string,
                  prefix: config.tieredStorage.prefix,
                  region: config.tieredStorage.region as string,
                  thresholdBytes: config.tieredStorage.thresholdBytes,
                  thresholdSeconds: config.tieredStorage.thresholdSeconds,
                  noncurrentVersionDays: config.tieredStorage.noncurrentVersionDays,
                  brokerServiceAccount: PULSAR_BROKER_SERVICE_ACCOUNT,
              }
            : null;
    if (pulsar && offload) {
        for (const ns of pulsar.namespaces) {
            ns.offloadThresholdSize = String(offload.thresholdBytes);
            ns.offloadThresholdTime = `${offload.thresholdSeconds}s`;
        }
    }

    return {
        phase: config.phase,
        phaseName: phaseName(config.phase),
        environment: config.environment,
        cloud: config.cloud,
        capabilities: caps,
        protectData: config.environment === "prod",
        kafka,
        pulsar,
        routes,
        deployments,
        functions,
        sinks,
        rabbitmq: planRabbit(config),
        offload,
        credentials: book.list(),
        kubernetes: { namespace: config.kubernetes.namespace, ...(config.kubernetes.renderYamlTo ? { renderYamlTo: config.kubernetes.renderYamlTo } : {}) },
        observability: { enabled: config.observability.enabled },
    };
}

function planKafka(
    config: PlatformConfig,
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    sinks: SinkPlan[],
): KafkaPlan {
    const k = config.kafka;
    const topics: KafkaTopicPlan[] = config.streams.map((s) => ({
        name: s.kafkaTopic,
        stream: s.name,
        partitions: s.partitions,
        replicationFactor: k.replicationFactor,
        config: {
            "cleanup.policy": "delete",
            "retention.ms": String(s.retentionMs),
            "min.insync.replicas": String(k.minInsyncReplicas),
        },
    }));

    // Least privilege, as kafka-gitops and JulieOps derive it: Write+Describe per produced topic, Read+Describe
    // per consumed topic, Read on the consumer group named after the service; only for Kafka traffic of this phase.
    const acls = new Map<string, KafkaAclPlan>();
    const grant = (service: string, resourceType: "Topic" | "Group", resourceName: string, operation: KafkaAclOperation) => {
        const acl: KafkaAclPlan = {
            principal: kafkaPrincipal(service),
            resourceType,
            resourceName,
            patternType: "Literal",
            operation,
            permissionType: "Allow",
            host: "*",
        };
        acls.set(`${acl.principal}|${resourceType}|${resourceName}|${operation}`, acl);
    };
    for (const r of routes) {
        const s = streams.get(r.stream) as StreamSpec;
        if (r.produce.some((e) => e.broker === "kafka")) {
            for (const p of s.producers) {
                grant(p, "Topic", s.kafkaTopic, "Write");
                grant(p, "Topic", s.kafkaTopic, "Describe");
            }
        }
        for (const c of r.consume.filter((e) => e.broker === "kafka")) {
            grant(c.service, "Topic", s.kafkaTopic, "Read");
            grant(c.service, "Topic", s.kafkaTopic, "Describe");
            grant(c.service, "Group", c.service, "Read");
        }
    }
    for (const sink of sinks) {
        grant(KAFKA_SINK_SERVICE, "Topic", sink.kafkaTopic, "Write");
        grant(KAFKA_SINK_SERVICE, "Topic", sink.kafkaTopic, "Describe");
    }
    const sorted = [...acls.values()].sort((a, b) =>
        `${a.principal}|${a.resourceType}|${a.resourceName}|${a.operation}`.localeCompare(
            `${b.principal}|${b.resourceType}|${b.resourceName}|${b.operation}`,
        ),
    );
    return {
        provider: k.provider,
        settings: k,
        clientSecurity: kafkaClientSecurity(k),
        ...(k.provider === "external" ? { bootstrapServers: k.bootstrapServers } : {}),
        topics,
        acls: sorted,
        accessControl: k.provider === "msk" && k.auth === "iam" ? "iam" : "acl",
        principals: [...new Set(sorted.map((a) => a.principal.slice("User:".length)))].sort(),
        retainOnDelete: true,
        admin: kafkaAdmin(k),
    };
}

function kafkaAdmin(k: PlatformConfig["kafka"]): KafkaAdminPlan {
    switch (k.provider) {
        case "msk": {
            if (k.auth === "iam") {
                return { acls: [] };
            }
            // MSK has no super.users: the admin grants itself everything first (while no ACL exists on the cluster,
            // allow.everyone.if.no.acl.found lets it). The wildcards also close that default for everyone else.
            const principal = kafkaPrincipal(KAFKA_ADMIN_USER);
            const all = (resourceType: KafkaAdminAclPlan["resourceType"], resourceName: string): KafkaAdminAclPlan => ({
                principal, resourceType, resourceName, patternType: "Literal", operation: "All", permissionType: "Allow", host: "*",
            });
            return { username: KAFKA_ADMIN_USER, acls: [all("Cluster", "kafka-cluster"), all("Topic", "*"), all("Group", "*")] };
        }
        case "confluent":
            // Confluent Cloud: the admin service account holds CloudClusterAdmin (RBAC), no ACLs needed.
            return { username: KAFKA_ADMIN_USER, acls: [] };
        case "external":
            return k.sasl ? { username: k.sasl.username, acls: [] } : { acls: [] };
    }
}

function planPulsar(
    config: PlatformConfig,
    caps: PhaseCapabilities,
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    tenantNames: string[],
    book: CredentialBook,
): PulsarPlan {
    const p = config.pulsar;
    const ns = config.kubernetes.namespace;
    const mode = config.environment === "local" ? "standalone" : "helm";
    const brokerService = mode === "standalone" ? "pulsar" : "pulsar-broker";
    const host = `${brokerService}.${ns}.svc.cluster.local`;
    const kafkaService = "pulsar-kafka";
    const tls = p.tls.enabled;
    const kafkaListenerProtocol = tls ? "SASL_SSL" : p.auth.token ? "SASL_PLAINTEXT" : "PLAINTEXT";
    const kafkaPort = tls ? 9093 : 9092;
    const endpoints: PulsarEndpoints = {
        serviceUrl: tls ? `pulsar+ssl://${host}:6651` : `pulsar://${host}:6650`,
        httpUrl: tls ? `https://${host}:8443` : `http://${host}:8080`,
        kopBootstrap: `${kafkaService}.${ns}.svc.cluster.local:${kafkaPort}`,
        brokerService,
        kafkaService,
        kafkaPort,
        kafkaListenerProtocol,
    };

    // Topics: every stream that has reached Pulsar, plus per-tenant copies of the orchestrator streams.
    const topics: PulsarTopicPlan[] = [];
    for (const r of routes.filter((x) => x.state !== "kafka")) {
        const s = streams.get(r.stream) as StreamSpec;
        const schema = caps.schemas && s.schema ? { schema: s.schema } : {};
        const { tenant, namespace, topic } = s.pulsarTopic;
        topics.push({ name: pulsarTopicName(tenant, namespace, topic), namespace: `${tenant}/${namespace}`, stream: s.name, partitions: s.partitions, ...schema });
        if (s.bridge === "kop") {
            for (const t of tenantNames) {
                topics.push({
                    name: pulsarTopicName(t, TENANT_ORCHESTRATOR_NAMESPACE, topic),
                    namespace: `${t}/${TENANT_ORCHESTRATOR_NAMESPACE}`,
                    stream: s.name,
                    partitions: s.partitions,
                    ...schema,
                });
            }
        }
    }

    const tenants: PulsarTenantPlan[] = [
        { name: "public", adminRoles: [PLATFORM_ADMIN_ROLE] },
        ...(caps.tenantIsolation ? config.tenants.map((t) => ({ name: t.name, adminRoles: [...t.adminRoles] })) : []),
    ];

    const namespaceNames = new Set(topics.map((t) => t.namespace));
    if (caps.tenantIsolation) {
        for (const t of config.tenants) {
            namespaceNames.add(`${t.name}/${TENANT_ORCHESTRATOR_NAMESPACE}`);
            t.namespaces.forEach((n) => namespaceNames.add(`${t.name}/${n}`));
        }
    }
    const storage = NAMESPACE_STORAGE[config.environment];
    // Grouped once: a filter per namespace (and per route below) made plan() quadratic in the tenant count.
    const topicsByNamespace = groupBy(topics, (t) => t.namespace);
    const topicsByStream = groupBy(topics, (t) => t.stream);
    const namespaces: PulsarNamespacePlan[] = [...namespaceNames].sort().map((name) => {
        const inNs = (topicsByNamespace.get(name) ?? []).map((t) => streams.get(t.stream) as StreamSpec);
        const critical = inNs.some((s) => s.criticality === "critical");
        const retentionMs = Math.max(7 * 24 * 3600 * 1000, ...inNs.map((s) => s.retentionMs));
        const retention = `${Math.ceil(retentionMs / 3_600_000)}h`;
        return {
            name,
            tenant: name.split("/")[0] as string,
            // KoP does not move a durable cursor, so its namespaces need both retention and a TTL (KoP docs).
            retentionTime: retention,
            retentionSize: storage,
            messageTTL: retention,
            backlogQuotaLimitSize: storage,
            // Never evict unread messages: hold producers where the stream is critical, fail them elsewhere.
            backlogQuotaRetentionPolicy: critical ? "producer_request_hold" : "producer_exception",
            deduplication: critical,
            schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE",
        };
    });

    // Permissions: per topic and role, exactly the actions the route uses in this phase.
    const perms = new Map<string, PulsarPermissionPlan>();
    const allow = (resourceName: string, role: string, action: "produce" | "consume") => {
        const key = `${resourceName}|${role}`;
        const existing = perms.get(key);
        if (existing) {
            if (!existing.actions.includes(action)) {
                existing.actions.push(action);
                existing.actions.sort();
            }
        } else {
            perms.set(key, { resourceType: "topic", resourceName, role, actions: [action] });
        }
    };
    for (const r of routes) {
        const s = streams.get(r.stream) as StreamSpec;
        const homes = topicsByStream.get(s.name) ?? [];
        for (const t of homes) {
            const tenant = t.namespace.split("/")[0] as string;
            if (r.produce.some((e) => e.broker === "pulsar")) {
                s.producers.forEach((svc) => allow(t.name, pulsarRole(tenant, svc), "produce"));
            }
            r.consume
                .filter((c) => c.broker === "pulsar")
                .forEach((c) => allow(t.name, pulsarRole(tenant, c.service), "consume"));
            if (r.sink && tenant === s.pulsarTopic.tenant && t.namespace === `${s.pulsarTopic.tenant}/${s.pulsarTopic.namespace}`) {
                allow(t.name, pulsarRole(tenant, KAFKA_SINK_SERVICE), "consume");
            }
        }
    }
    const permissions = [...perms.values()].sort((a, b) => `${a.resourceName}|${a.role}`.localeCompare(`${b.resourceName}|${b.role}`));

    const allowedNamespaces = namespaces.map((n) => n.name);
    const kopTls: KopTlsPlan | null = tls
        ? {
              certificate: "pulsar-kop",
              secret: "pulsar-kop-tls",
              issuer: p.tls.certManagerIssuer,
              // The bootstrap Service and every broker's own name (the advertised listener of each broker).
              dnsNames: [`${kafkaService}.${ns}.svc.cluster.local`, `*.${brokerService}.${ns}.svc.cluster.local`],
              mountPath: "/pulsar/certs/kop",
              password: book.ref("pulsar-kop-keystore", "password", { from: "derived-password", label: "kop-keystore" }),
              passwordKeys: ["PULSAR_PREFIX_kopSslKeystorePassword", "PULSAR_PREFIX_kopSslKeyPassword", "PULSAR_PREFIX_kopSslTruststorePassword"],
          }
        : null;
    return {
        mode,
        version: p.version,
        image: `${p.imageRepository}:${p.version}`,
        chartVersion: p.chartVersion,
        brokers: mode === "standalone" ? 1 : p.brokers,
        bookies: mode === "standalone" ? 1 : p.bookies,
        tls: p.tls,
        tokenAuth: p.auth.token,
        auth: p.auth.token
            ? {
                  signingKey: { name: `${PULSAR_RELEASE}-token-symmetric-key`, key: "SECRETKEY" },
                  superUserTokens: [...CHART_SUPER_USERS, PLATFORM_ADMIN_ROLE].map((role) => ({ secret: `${PULSAR_RELEASE}-token-${role}`, role })),
              }
            : null,
        kop: { ...p.kop, brokerConfig: kopBrokerConfig(endpoints, allowedNamespaces, p.auth.token, kopTls), allowedNamespaces, tls: kopTls },
        endpoints,
        tenants,
        namespaces,
        topics,
        permissions,
    };
}

/**
 * broker.conf entries that enable KoP (streamnative/kop docs/kop.md, "Set configuration for KoP"; the same keys
 * for Starlight for Kafka). Keys that stock broker.conf does not have go through the chart's PULSAR_PREFIX_
 * convention ("Use PULSAR_PREFIX_ to add keys to broker.conf", charts/pulsar/values.yaml).
 */
function kopBrokerConfig(e: PulsarEndpoints, allowedNamespaces: string[], tokenAuth: boolean, tls: KopTlsPlan | null): Record<string, string> {
    const listenerName = "kafka_internal";
    const cfg: Record<string, string> = {
        messagingProtocols: "kafka",
        protocolHandlerDirectory: "./protocols",
        brokerEntryMetadataInterceptors: "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor",
        // KoP keeps offsets in managed ledgers: inactive-topic deletion would drop them ("very important in KoP").
        brokerDeleteInactiveTopicsEnabled: "false",
        allowAutoTopicCreationType: "partitioned",
        // Kafka clients >= 3.2 default to idempotent producers (KIP-679): KoP needs its transaction coordinator
        // and broker deduplication for them.
        brokerDeduplicationEnabled: "true",
        PULSAR_PREFIX_kafkaTransactionCoordinatorEnabled: "true",
        PULSAR_PREFIX_kafkaListeners: `${listenerName}://0.0.0.0:${e.kafkaPort}`,
        PULSAR_PREFIX_kafkaProtocolMap: `${listenerName}:${e.kafkaListenerProtocol}`,
        // Each broker advertises itself: KoP replaces the literal host `advertisedAddress` with the broker's
        // advertisedAddress (its pod FQDN under the chart, the Service standalone), so clients reach the partition
        // leader rather than whichever broker the bootstrap Service picked (streamnative/kop
        // KafkaServiceConfigurationTest.testKafkaListenersWithAdvertisedListener).
        PULSAR_PREFIX_kafkaAdvertisedListeners: `${listenerName}://advertisedAddress:${e.kafkaPort}`,
        PULSAR_PREFIX_kopAllowedNamespaces: allowedNamespaces.join(","),
        PULSAR_PREFIX_kafkaTenant: "public",
        PULSAR_PREFIX_kafkaNamespace: "default",
    };
    if (tokenAuth) {
        cfg.PULSAR_PREFIX_saslAllowedMechanisms = "PLAIN";
    }
    if (tls) {
        // KoP's kopSsl* keys map onto Kafka's ssl.* configs (streamnative/kop SSLUtils.CONFIG_NAME_MAP).
        Object.assign(cfg, {
            PULSAR_PREFIX_kopSslKeystoreType: "PKCS12",
            PULSAR_PREFIX_kopSslKeystoreLocation: `${tls.mountPath}/keystore.p12`,
            PULSAR_PREFIX_kopSslTruststoreType: "PKCS12",
            PULSAR_PREFIX_kopSslTruststoreLocation: `${tls.mountPath}/truststore.p12`,
        });
    }
    return cfg;
}

function planSinks(
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    pulsar: PulsarPlan,
    kafkaSecurity: KafkaClientSecurity | null,
    book: CredentialBook,
): SinkPlan[] {
    return routes
        .filter((r) => r.sink !== undefined)
        .map((r) => {
            const s = streams.get(r.stream) as StreamSpec;
            const name = r.sink as string;
            const role = pulsarRole(s.pulsarTopic.tenant, KAFKA_SINK_SERVICE);
            const mechanism = kafkaSecurity?.saslMechanism;
            // One Secret per sink: sinks of different tenants authenticate as different Pulsar roles.
            const jaas =
                mechanism === undefined
                    ? undefined
                    : mechanism === "AWS_MSK_IAM"
                      ? book.ref(name, CREDENTIAL_KEYS.sinkJaas, { from: "literal", value: MSK_IAM_JAAS })
                      : book.ref(name, CREDENTIAL_KEYS.sinkJaas, { from: "kafka-jaas", principal: KAFKA_SINK_SERVICE, mechanism });
            return {
                name,
                stream: s.name,
                input: pulsarTopicName(s.pulsarTopic.tenant, s.pulsarTopic.namespace, s.pulsarTopic.topic),
                kafkaTopic: s.kafkaTopic,
                className: "org.apache.pulsar.io.kafka.KafkaBytesSink" as const,
                principal: kafkaPrincipal(KAFKA_SINK_SERVICE),
                role,
                ...(pulsar.tokenAuth ? { authSecret: book.pulsarAuthSecret(name, role) } : {}),
                ...(jaas ? { jaas } : {}),
            };
        });
}

/**
 * MSK IAM login for Kafka clients (aws/aws-msk-iam-auth README): no password, the AWS credentials of the pod sign
 * the SASL handshake. The client needs the aws-msk-iam-auth jar on its classpath.
 */
const MSK_IAM_JAAS = "software.amazon.msk.auth.iam.IAMLoginModule required;";

function planFunctions(config: PlatformConfig, tenantNames: string[], pulsar: PulsarPlan, book: CredentialBook): PulsarFunctionPlan[] {
    const consumed = config.streams.filter((s) => s.consumers.includes(MATCHER_SERVICE));
    const produced = config.streams.filter((s) => s.producers.includes(MATCHER_SERVICE));
    // Function Mesh Functions have one output topic (FunctionSpec.output.topic).
    const output = produced[0];
    if (!output) {
        return [];
    }
    const homes = [{ tenant: "public", namespace: "default" }, ...tenantNames.map((t) => ({ tenant: t, namespace: TENANT_ORCHESTRATOR_NAMESPACE }))];
    return homes.map(({ tenant, namespace }) => {
        const name = tenant === "public" ? MATCHER_SERVICE : `${MATCHER_SERVICE}-${tenant}`;
        const role = pulsarRole(tenant, MATCHER_SERVICE);
        return {
            name,
            tenant,
            namespace,
            service: MATCHER_SERVICE,
            inputs: consumed.map((s) => pulsarTopicName(tenant, namespace, s.pulsarTopic.topic)),
            output: pulsarTopicName(tenant, namespace, output.pulsarTopic.topic),
            packageUrl: config.orchestrator.matcherPackage,
            role,
            // One Secret per function instance: each tenant's copy runs as that tenant's role.
            ...(pulsar.tokenAuth ? { authSecret: book.pulsarAuthSecret(name, role) } : {}),
        };
    });
}

function planDeployments(
    config: PlatformConfig,
    caps: PhaseCapabilities,
    pulsar: PulsarPlan | null,
    kafka: KafkaPlan | null,
    tenantNames: string[],
    book: CredentialBook,
): DeploymentPlan[] {
    const services = SERVICES.filter(
        (s) => s.client === "orchestrator" && !(s.name === MATCHER_SERVICE && caps.matcher === "function"),
    );
    return services.map((s) => ({
        service: s.name,
        image: `${config.orchestrator.registry}/${s.name}:${config.orchestrator.tag}`,
        replicas: config.orchestrator.replicas,
        port: s.port ?? 8080,
        ...orchestratorEnv(s.name, config, caps, pulsar, kafka, tenantNames, book),
    }));
}

/** Kafka client names of the config's SASL mechanisms. */
const SASL_MECHANISMS = { plain: "PLAIN", "scram-sha256": "SCRAM-SHA-256", "scram-sha512": "SCRAM-SHA-512" } as const;

/**
 * The Kafka client security of a cluster: SASL over TLS for MSK and Confluent (which offer nothing else) and for an
 * external cluster with SASL credentials; otherwise TLS or plaintext as `kafka.tls` says.
 */
export function kafkaClientSecurity(k: PlatformConfig["kafka"]): KafkaClientSecurity {
    if (k.provider === "confluent") {
        return { protocol: "SASL_SSL", saslMechanism: "PLAIN" };
    }
    if (k.provider === "msk") {
        return { protocol: "SASL_SSL", saslMechanism: k.auth === "iam" ? "AWS_MSK_IAM" : "SCRAM-SHA-512" };
    }
    if (k.sasl) {
        return { protocol: "SASL_SSL", saslMechanism: SASL_MECHANISMS[k.sasl.mechanism] };
    }
    return { protocol: k.tls ? "SSL" : "PLAINTEXT" };
}

/** Where the per-tenant Pulsar tokens are mounted (phase 3 with token auth): one file per tenant, named after it. */
export const TENANT_TOKEN_DIR = "/var/run/secrets/messaging-platform/pulsar-tenant-tokens";

/**
 * Seed 000/001 variable names: ENABLE_KAFKA, KAFKA_BROKERS, USE_PULSAR_KOP, ENABLE_PULSAR, PULSAR_*. Credentials are
 * recorded in `book` as they are referenced, so the Secret a service reads holds exactly these keys.
 */
function orchestratorEnv(
    service: string,
    config: PlatformConfig,
    caps: PhaseCapabilities,
    pulsar: PulsarPlan | null,
    kafka: KafkaPlan | null,
    tenantNames: string[],
    book: CredentialBook,
): { env: EnvVarPlan[]; secretVolumes: SecretVolumePlan[] } {
    const env: EnvVarPlan[] = [];
    const secretVolumes: SecretVolumePlan[] = [];
    const set = (name: string, value: string) => env.push({ name, value });
    const secret = (name: string, ref: SecretKeyRef) => env.push({ name, secretRef: ref });
    switch (caps.orchestratorTransport) {
        case "kafka": {
            if (!kafka) {
                throw new Error("orchestrator on Kafka needs a Kafka cluster");
            }
            set("ENABLE_KAFKA", "true");
            if (kafka.bootstrapServers) {
                set("KAFKA_BROKERS", kafka.bootstrapServers.join(","));
            } else {
                env.push({ name: "KAFKA_BROKERS", fromOutput: "kafkaBootstrap" });
            }
            set("USE_PULSAR_KOP", "false");
            set("ENABLE_PULSAR", "false");
            const security = kafka.clientSecurity;
            if (security.saslMechanism) {
                set("KAFKA_SECURITY_PROTOCOL", security.protocol);
                set("KAFKA_SASL_MECHANISM", security.saslMechanism);
                // MSK IAM signs the handshake with the pod's AWS identity: there is no user name or password.
                if (security.saslMechanism !== "AWS_MSK_IAM") {
                    // From the Secret, not a literal: Confluent clients log in with their API key id.
                    secret("KAFKA_SASL_USERNAME", book.ref(service, CREDENTIAL_KEYS.kafkaUsername, { from: "kafka-username", principal: service }));
                    secret("KAFKA_SASL_PASSWORD", book.ref(service, CREDENTIAL_KEYS.kafkaPassword, { from: "kafka-password", principal: service }));
                }
            } else if (security.protocol !== "PLAINTEXT") {
                set("KAFKA_SECURITY_PROTOCOL", security.protocol);
            }
            break;
        }
        case "kop": {
            const p = pulsar as PulsarPlan;
            set("ENABLE_KAFKA", "true");
            set("KAFKA_BROKERS", p.endpoints.kopBootstrap);
            set("USE_PULSAR_KOP", "true");
            set("ENABLE_PULSAR", "false");
            if (p.tokenAuth) {
                // KoP's PLAIN mechanism: username = tenant/namespace, password = "token:<jwt>" (KoP docs, "SASL/PLAIN").
                set("KAFKA_SECURITY_PROTOCOL", p.endpoints.kafkaListenerProtocol);
                set("KAFKA_SASL_MECHANISM", "PLAIN");
                set("KAFKA_SASL_USERNAME", "public/default");
                const role = pulsarRole("public", service);
                secret("KAFKA_SASL_PASSWORD", book.ref(service, CREDENTIAL_KEYS.kopPassword, { from: "pulsar-token", role, prefix: "token:" }));
            } else if (p.endpoints.kafkaListenerProtocol !== "PLAINTEXT") {
                set("KAFKA_SECURITY_PROTOCOL", p.endpoints.kafkaListenerProtocol);
            }
            break;
        }
        case "pulsar": {
            const p = pulsar as PulsarPlan;
            set("ENABLE_KAFKA", "false");
            set("ENABLE_PULSAR", "true");
            set("PULSAR_SERVICE_URL", p.endpoints.serviceUrl);
            set("PULSAR_HTTP_URL", p.endpoints.httpUrl);
            set("PULSAR_NAMESPACE", "public/default");
            if (p.tokenAuth) {
                secret("PULSAR_AUTH_TOKEN", book.ref(service, CREDENTIAL_KEYS.pulsarToken, { from: "pulsar-token", role: pulsarRole("public", service) }));
            }
            if (caps.tenantIsolation) {
                // Seed 000 phase III: ingress routes each tenant to `<tenant>/orchestrator`; public/default stays the fallback.
                set("PULSAR_NAMESPACE_ROUTING", "tenant");
                set("PULSAR_TENANT_NAMESPACE_PATTERN", `{tenant}/${TENANT_ORCHESTRATOR_NAMESPACE}`);
                set("PULSAR_TENANTS", tenantNames.join(","));
                if (p.tokenAuth && tenantNames.length > 0) {
                    // A JWT has one subject, and each tenant's topics admit only `<tenant>.<service>`: one token per
                    // tenant, as files, so the number of tenants does not grow the env.
                    const items = tenantNames.map((t) => {
                        const ref = book.ref(service, CREDENTIAL_KEYS.tenantToken(t), { from: "pulsar-token", role: pulsarRole(t, service) });
                        return { key: ref.key, path: t };
                    });
                    secretVolumes.push({ name: "pulsar-tenant-tokens", secret: credentialSecretName(service), mountPath: TENANT_TOKEN_DIR, items });
                    set("PULSAR_TENANT_TOKEN_DIR", TENANT_TOKEN_DIR);
                }
            }
            break;
        }
    }
    return { env, secretVolumes };
}

function planRabbit(config: PlatformConfig): RabbitPlan {
    const users = new Map<string, { write: Set<string>; read: Set<string> }>();
    const user = (n: string) => {
        const u = users.get(n) ?? { write: new Set<string>(), read: new Set<string>() };
        users.set(n, u);
        return u;
    };
    for (const q of WORK_QUEUES) {
        q.publishers.forEach((p) => user(p).write.add(CONTROL_EXCHANGE));
        q.consumers.forEach((c) => user(c).read.add(q.name));
    }
    user(AUDIT_BRIDGE_SERVICE).read.add(AUDIT_QUEUE);
    const regex = (names: Set<string>) => (names.size === 0 ? "^$" : `^(${[...names].sort().map(escapeRegex).join("|")})$`);
    return {
        vhost: config.rabbitmq.vhost,
        exchanges: [
            { name: CONTROL_EXCHANGE, type: "topic", durable: true },
            { name: DEAD_LETTER_EXCHANGE, type: "fanout", durable: true },
        ],
        queues: [
            ...WORK_QUEUES.map((q) => ({ name: q.name, type: "quorum" as const, durable: true as const, deadLetterExchange: DEAD_LETTER_EXCHANGE })),
            { name: AUDIT_QUEUE, type: "quorum", durable: true, deadLetterExchange: DEAD_LETTER_EXCHANGE },
            { name: DEAD_LETTER_QUEUE, type: "quorum", durable: true },
        ],
        bindings: [
            ...WORK_QUEUES.map((q) => ({ exchange: CONTROL_EXCHANGE, queue: q.name, routingKey: q.routingKey })),
            // Every control event is mirrored to the audit queue; audit-bridge carries it into the audit-trail stream.
            { exchange: CONTROL_EXCHANGE, queue: AUDIT_QUEUE, routingKey: "#" },
            { exchange: DEAD_LETTER_EXCHANGE, queue: DEAD_LETTER_QUEUE, routingKey: "" },
        ],
        policies: [
            {
                name: "control-dead-letter",
                pattern: `^(${[...WORK_QUEUES.map((q) => q.name), AUDIT_QUEUE].map(escapeRegex).join("|")})$`,
                applyTo: "queues",
                priority: 10,
                definition: { "dead-letter-exchange": DEAD_LETTER_EXCHANGE, "delivery-limit": DELIVERY_LIMIT },
            },
        ],
        users: [...users.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, u]) => ({ name, configure: "^$", write: regex(u.write), read: regex(u.read) })),
        admin: { name: config.rabbitmq.username, configure: ".*", write: ".*", read: ".*" },
    };
}

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
