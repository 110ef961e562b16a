/**
 * The Topology: plain data that says everything the phase changes, as the planner (topology/plan.ts) returns it and
 * the components realise it. Types only.
 */
import type { Criticality, GateName } from "./catalog";
import type { Cloud, Environment, PlatformConfig } from "./config";
import type { CredentialSecretPlan, PulsarAuthPlan, SecretKeyRef } from "./credentials";
import type { PhaseCapabilities, PhaseId, PhaseName } from "./phases";
import type { ArchivePlan } from "./archive-plan";
import type { AuditBridgePlan } from "./audit-plan";
import type { EdgePairingPlan } from "./edge-plan";
import type { ObservabilityPlan } from "./observability-plan";
import type { PulsarSizing } from "./sizing";

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
    /**
     * Literal everywhere except where a managed connector names its own resources at creation (Confluent Cloud's
     * `dlq-lcc-<id>` topic and `connect-lcc-<id>` group): a Prefixed grant on that fixed prefix, never an empty one.
     */
    patternType: "Literal" | "Prefixed";
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
    /** Known bootstrap servers (external), as the program reaches them; undefined when the cluster provides them. */
    bootstrapServers?: string[];
    /** The same servers as pods reach them (external: `kafka.clientBootstrapServers`, else `bootstrapServers`). */
    clientBootstrapServers?: string[];
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
    /**
     * The headless Service the broker pods' DNS names live under (chart >= 4.6: `<fullname>-broker-headless`, the
     * StatefulSet's serviceName; templates/broker-statefulset.yaml), or the standalone's own Service.
     */
    brokerPodService: string;
    kafkaService: string;
    kafkaPort: number;
    kafkaListenerProtocol: "PLAINTEXT" | "SASL_PLAINTEXT" | "SASL_SSL";
    /**
     * The address each broker advertises to Pulsar and Kafka clients (broker.conf advertisedAddress), as the broker
     * container's env gives it: `$(POD_NAME)` is the pod's own name. Set explicitly, so the certificate's names and the
     * advertised names are the same by construction.
     */
    advertisedAddress: string;
    /** Every concrete host a client may be sent to (each broker's advertised address, the bootstrap and service hosts). */
    clientHosts: string[];
}

/**
 * TLS of the cluster: one CA for everything, as a cert-manager ClusterIssuer this program creates (a self-signed root
 * whose Secret lives in cert-manager's namespace), so the CA certificate can be issued into every namespace whose
 * clients must trust it (cert-manager writes `ca.crt` next to every certificate it issues from a CA issuer).
 */
export interface PulsarTlsPlan {
    /** The ClusterIssuer of the CA. */
    issuer: string;
    /** cert-manager's namespace (a ClusterIssuer's CA Secret must be there). */
    certManagerNamespace: string;
    /** The CA as clients read it: the Secret (in each of `namespaces`), its key, where pods mount it. */
    trust: { secret: string; key: string; mountPath: string; file: string; namespaces: string[] };
    /**
     * SANs added to the chart's broker and proxy certificates (`tls.broker.dnsNames`, `tls.proxy.dnsNames`): the
     * chart's template adds only wildcards under the Services and the bare short names (templates/_certs.tpl), not
     * the Service FQDN clients connect to.
     */
    brokerDnsNames: string[];
    proxyDnsNames: string[];
}

/** How the brokers get the Kafka protocol handler. */
export type KopHandlerPlan =
    | { source: "image" }
    | {
          source: "download";
          narUrl: string;
          sha256: string;
          /** Image of the init container that fetches it. */
          fetchImage: string;
          /** File name in the protocols directory. */
          file: string;
          /** The fetch image's user as a number (the kubelet cannot check a named USER against runAsNonRoot). */
          runAsUser: number;
          runAsGroup: number;
      };

export interface PulsarTenantPlan {
    name: string;
    adminRoles: string[];
    /** The clusters the tenant's namespaces may live on (an edge site's replicated tenant: the site and central). */
    allowedClusters?: string[];
}

export interface PulsarNamespacePlan {
    /** `tenant/namespace` */
    name: string;
    tenant: string;
    retentionTime: string;
    /** `retentionTime` in seconds. */
    retentionSeconds: number;
    retentionSize: string;
    messageTTL: string;
    backlogQuotaLimitSize: string;
    backlogQuotaRetentionPolicy: "producer_request_hold" | "producer_exception";
    deduplication: boolean;
    schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE";
    offloadThresholdSize?: string;
    offloadThresholdTime?: string;
    /** PulsarGeoReplication CRs whose clusters the operator adds to the namespace (an edge site's ingest namespace). */
    geoReplicationRefs?: string[];
    /**
     * A tenant's own namespace creates its topics when a client first uses them, rather than the program declaring each
     * (topology/pulsar-plan.ts says why): partitioned, with this count; `topics` are the catalog's names created there.
     * Producers register their schema on such a topic, so the namespace allows it (`isAllowAutoUpdateSchema`).
     */
    automaticTopics?: { partitions: number; topics: string[] };
}

/**
 * How a Pulsar topic comes to exist: `declared`, a PulsarTopic the program creates; `automatic`, by its namespace's
 * automatic topic creation on first use (PulsarNamespacePlan.automaticTopics).
 */
export type PulsarTopicCreation = "declared" | "automatic";

export interface PulsarTopicPlan {
    /** `persistent://tenant/namespace/topic` */
    name: string;
    namespace: string;
    stream: string;
    partitions: number;
    creation: PulsarTopicCreation;
    /** Schema file (under schemas/) to register, when schemas are registered in this phase (declared topics only). */
    schema?: string;
}

export interface PulsarPermissionPlan {
    /** `namespace` only in a tenant's own namespace (topology/pulsar-plan.ts says why); `topic` everywhere else. */
    resourceType: "topic" | "namespace";
    resourceName: string;
    role: string;
    actions: ("produce" | "consume")[];
}

export interface PulsarPlan {
    /** `standalone`: one StatefulSet (local); `helm`: the Apache Pulsar chart. */
    mode: "standalone" | "helm";
    /**
     * The chart's `clusterName`, where it must differ from the release fullname (an edge site's `edge-<site>`); unset
     * on central, whose cluster keeps the chart's default name (topology/edge-names.ts).
     */
    clusterName?: string;
    /**
     * Client-certificate authentication besides tokens (central, for its edge sites' replicators): the brokers and the
     * proxy also accept AuthenticationProviderTls and trust these CAs (the sites') on top of the platform's own.
     */
    clientCertAuth?: { trust: { name: string; secret: string; key: string }[] };
    /** Secrets mounted into the brokers (an edge site's replicator certificate and central's CA). */
    brokerSecretMounts?: { name: string; secret: string; mountPath: string }[];
    /** broker.conf entries of the cluster's role beyond KoP's (an edge site's replication start; Helm `broker.configData`). */
    brokerConfig?: Record<string, string>;
    version: string;
    /** `repository:tag`, with `@sha256:...` when pinned by digest. */
    image: string;
    chartVersion: string;
    brokers: number;
    bookies: number;
    /** TLS everywhere (null: plaintext, local only). */
    tls: PulsarTlsPlan | null;
    tokenAuth: boolean;
    /** JWT signing key and super-user tokens the program provisions (token auth only). */
    auth: PulsarAuthPlan | null;
    kop: {
        distribution: PlatformConfig["pulsar"]["kop"]["distribution"];
        version: string;
        handler: KopHandlerPlan;
        /** broker.conf entries for the handler (Helm `broker.configData`; KoP-only keys carry PULSAR_PREFIX_). */
        brokerConfig: Record<string, string>;
        allowedNamespaces: string[];
        /** The SASL_SSL listener's keystore (TLS only). */
        tls: KopTlsPlan | null;
    };
    /** JVM, disk and quorum sizing of every component. */
    sizing: PulsarSizing;
    /** Storage class of the bookie and ZooKeeper volumes (undefined: the cluster's default). */
    storageClassName?: string;
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
    /** The ClusterIssuer (PulsarTlsPlan.issuer). */
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
    /** ConfigMaps mounted as directories (the tenant list): updated in place, so a change restarts no pod. */
    configVolumes: ConfigVolumePlan[];
}

/**
 * A ConfigMap mounted as a directory. Not through `subPath`: the kubelet refreshes a mounted ConfigMap's files when
 * the ConfigMap changes, except for subPath mounts (kubernetes.io, "ConfigMaps": "Mounted ConfigMaps are updated
 * automatically"), and the pod template does not change, so nothing restarts.
 */
export interface ConfigVolumePlan {
    name: string;
    configMap: string;
    mountPath: string;
}

/**
 * The tenant list the services read (seed 000 phase III: ingress routes each tenant to `<tenant>/orchestrator`): one
 * ConfigMap key, one tenant name per line, mounted into every orchestrator pod and re-read by the services, so adding
 * or removing a tenant changes only this ConfigMap and that tenant's Pulsar resources.
 */
export interface TenantDirectoryPlan {
    configMap: string;
    key: string;
    mountPath: string;
    /** `mountPath/key`: what PULSAR_TENANTS_FILE names. */
    file: string;
    tenants: string[];
}

export interface PulsarFunctionPlan {
    name: string;
    tenant: string;
    namespace: string;
    service: string;
    inputs: string[];
    output: string;
    /**
     * Where a result goes: the topic of the request's own tenant and namespace (`{tenant}`, `{namespace}` of the input
     * topic), so one Function serves every tenant. The function reads it from its user config (funcConfig).
     */
    outputTopicPattern: string;
    /**
     * The code: an image that carries it (Function Mesh `image`) and the file in it (`python.py`, an absolute path).
     * Nothing is downloaded: a `function://` package would need package management on the brokers, an upload step and a
     * `packages` grant (function-mesh controllers/spec/common.go `GetDownloadCommandWithEnv`).
     */
    image: string;
    py: string;
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
    /**
     * The sink's Kafka login (Kafka SASL only), as a properties file with `sasl.jaas.config`, mounted into the sink pod
     * and read through Kafka's FileConfigProvider: KafkaSinkConfig marks only sslTruststorePassword `sensitive`, and
     * IOConfigUtils.loadWithSecrets reads only sensitive fields from the instance's secrets, so a `secretsMap` entry
     * for saslJaasConfig is never read (apache/pulsar pulsar-io/kafka KafkaSinkConfig, pulsar-io/common IOConfigUtils).
     */
    jaasFile?: { secret: SecretKeyRef; mountPath: string; file: string };
}

/**
 * A copy of one stream's log into its next home while a transition's old and new pods overlap (topology/choreography.ts):
 * Kafka -> Pulsar (pulsar-io's Kafka source: a Function Mesh Source) or Pulsar -> Kafka (its Kafka sink: a Sink). It
 * reads with a cursor named after itself (the Kafka consumer group, or the Pulsar subscription) that `npm run handover`
 * positions before the switch, and exists only in the switch stage.
 */
export interface MirrorPlan {
    name: string;
    stream: string;
    direction: "kafka-to-pulsar" | "pulsar-to-kafka";
    kafkaTopic: string;
    /** `persistent://tenant/namespace/topic` */
    pulsarTopic: string;
    className: "org.apache.pulsar.io.kafka.KafkaBytesSource" | "org.apache.pulsar.io.kafka.KafkaBytesSink";
    /** The Kafka principal it reads or writes Kafka with (the connectors' own, with its own ACLs). */
    principal: string;
    /** Its Pulsar role (produce on the topic for a source, consume for a sink). */
    role: string;
    /** Function Mesh `pulsar.authSecret` (token auth only). */
    authSecret?: string;
    /** Its Kafka login file (Kafka SASL only), as for the sinks. */
    jaasFile?: SinkPlan["jaasFile"];
}

/** The stage a staged transition's update is at (topology/stage-plan.ts), recorded in the stack outputs. */
export interface TransitionStagePlan {
    stage: "prepare" | "switch";
    /** Where the transition started: the deployed phase and gates before it. */
    from: { phase: PhaseId; gates: Record<GateName, boolean> };
    /** Services still on their source env in this stage (draining an abandoned log until settle). */
    settleMovers: string[];
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
    /** How the brokers authenticate to the bucket (topology/offload-plan.ts). */
    credentials: { kind: "workload-identity" } | { kind: "key-file"; secret: string; file: string };
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
    /** The tenant list the orchestrator services mount (phase 3); null before. */
    tenantDirectory: TenantDirectoryPlan | null;
    functions: PulsarFunctionPlan[];
    sinks: SinkPlan[];
    /** The overlap mirrors of a transition's switch stage; empty otherwise. */
    mirrors: MirrorPlan[];
    /** Set in a staged transition's prepare and switch updates. */
    transition?: TransitionStagePlan;
    rabbitmq: RabbitPlan;
    /** The control-event mirror control.audit -> audit-trail (topology/audit-plan.ts); null where nothing writes audit-trail. */
    auditBridge: AuditBridgePlan | null;
    /** The edge sites this (central) stack accepts (topology/edge-plan.ts); null without any, or in a phase that cannot take them. */
    edgePairing: EdgePairingPlan | null;
    /** Why sites in the config are not paired in this phase (topology/edge-plan.ts edgeIngestGap); they buffer meanwhile. */
    edgePairingOff?: string;
    /** The audit and telemetry archive (topology/archive-plan.ts); null without an object store or Kafka. */
    archive: ArchivePlan | null;
    offload: OffloadPlan | null;
    /** Credential Secrets and what each key holds; exactly the keys something in this plan references. */
    credentials: CredentialSecretPlan[];
    kubernetes: { namespace: string; renderYamlTo?: string; context?: string };
    observability: ObservabilityPlan;
}