/**
 * Deliberately bad prod fixtures: the real program's declaration (goodStack) with one thing broken each, so the
 * whole pack with the prod config produces exactly that policy's violation (and any listed in alsoFires), mandatory.
 */
import type { CapturedResource } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import type { MigrationFacts } from "../../policies/rules/migration";
import { gcsBucket, goodStack } from "./fixtures";
import { clone, res } from "./harness";

/** The KoP init container as the design review found it: curlimages/curl (USER curl_user), no runAsUser, no checksum. */
export const UNPINNED_FETCH = {
    name: "fetch-kop-nar",
    image: "curlimages/curl:8.11.1",
    command: ["sh", "-c", 'curl -fsSL -o "/protocols/pulsar-protocol-handler-kafka-4.0.3.3.nar" "$KOP_NAR_URL"'],
    env: [{ name: "KOP_NAR_URL", value: "https://github.com/datastax/starlight-for-kafka/releases/download/v4.0.3.3/pulsar-protocol-handler-kafka-4.0.3.3.nar" }],
    volumeMounts: [{ name: "kop-protocols", mountPath: "/protocols" }],
    securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false },
};

/** The same, checked against its sha256 and run as the fetch image's numeric user (`pulsar.kop.source: download`). */
export const PINNED_FETCH = {
    ...UNPINNED_FETCH,
    image: `curlimages/curl:8.11.1@sha256:${"c".repeat(64)}`,
    command: ["sh", "-c", 'curl -fsSL -o /protocols/.k.part "$KOP_NAR_URL" && echo "$KOP_NAR_SHA256  /protocols/.k.part" | sha256sum -c - && mv /protocols/.k.part /protocols/pulsar-protocol-handler-kafka-4.0.3.3.nar'],
    securityContext: { runAsNonRoot: true, runAsUser: 100, runAsGroup: 101 },
};

export interface BadFixture {
    name: string;
    policy: string;
    fragment: string;
    phase?: number;
    /**
     * Policies that must fire too, because the edit breaks their rule as well (a `latest` image in prod is also not
     * pinned by digest), as many times as listed.
     */
    alsoFires?: string[];
    facts?: Partial<MigrationFacts>;
    edit: (resources: CapturedResource[]) => CapturedResource[];
}

const byName = (name: string, mutate: (p: Record<string, any>) => void) => (resources: CapturedResource[]) =>
    resources.map((r) => {
        if (r.name !== name) {
            return r;
        }
        const c = clone(r);
        mutate(c.inputs as Record<string, any>);
        if (c.outputs !== c.inputs) {
            mutate(c.outputs as Record<string, any>);
        }
        return c;
    });
const container = (p: Record<string, any>) => p.spec.template.spec.containers[0];
const without = (pick: (r: CapturedResource) => boolean) => (resources: CapturedResource[]) => resources.filter((r) => !pick(r));

export const BAD: BadFixture[] = [
    { name: "public bucket policies allowed", policy: "s3-bucket-public-access-blocked", fragment: "blockPublicPolicy", edit: byName("platform-offload-public-access-block", (p) => (p.blockPublicPolicy = false)) },
    { name: "no bucket encryption", policy: "s3-bucket-encrypted", fragment: "no server-side encryption", edit: without((r) => r.type === TYPES.s3Encryption && r.name === "platform-offload-encryption") },
    { name: "versioning suspended", policy: "s3-bucket-versioned", fragment: "Suspended", edit: byName("platform-offload-versioning", (p) => (p.versioningConfiguration.status = "Suspended")) },
    { name: "no TLS-only bucket policy", policy: "s3-bucket-tls-only", fragment: "without TLS", edit: without((r) => r.type === TYPES.s3Policy && r.name === "platform-offload-tls-only") },
    { name: "MSK plaintext listener", policy: "msk-tls-in-transit", fragment: "TLS_PLAINTEXT", edit: byName("platform-kafka-cluster", (p) => (p.encryptionInfo.encryptionInTransit.clientBroker = "TLS_PLAINTEXT")) },
    { name: "MSK unauthenticated clients", policy: "msk-authenticated-clients", fragment: "unauthenticated", edit: byName("platform-kafka-cluster", (p) => (p.clientAuthentication.unauthenticated = true)) },
    { name: "MSK AWS-managed key", policy: "msk-encrypted-at-rest", fragment: "encryptionAtRestKmsKeyArn", edit: byName("platform-kafka-cluster", (p) => delete p.encryptionInfo.encryptionAtRestKmsKeyArn) },
    {
        name: "ACL for everyone",
        policy: "kafka-acl-least-privilege",
        fragment: "User:*",
        edit: (rs) => {
            const acl = rs.find((r) => r.type === TYPES.kafkaAcl && (r.inputs as any).aclPrincipal === "User:job-api") as CapturedResource;
            return byName(acl.name, (p) => (p.aclPrincipal = "User:*"))(rs);
        },
    },
    {
        name: "a GCS bucket with per-object ACLs",
        policy: "gcs-bucket-locked-down",
        fragment: "uniformBucketLevelAccess",
        edit: (rs) => [
            ...rs,
            ...gcsBucket()
                .filter((r) => r.type === TYPES.gcsBucket)
                .map((r) => ({ ...r, protect: true, inputs: { ...r.inputs, uniformBucketLevelAccess: false }, outputs: { ...r.outputs, uniformBucketLevelAccess: false } })),
        ],
    },
    { name: "Pulsar proxies without TLS in prod", policy: "pulsar-tls-and-token-auth", fragment: "tls.proxy.enabled", edit: byName("platform-pulsar-release", (p) => (p.values.tls.proxy.enabled = false)) },
    { name: "literal SASL password", policy: "no-literal-secrets", fragment: "KAFKA_SASL_PASSWORD", edit: byName("platform-orchestrator-ingress-gateway", (p) => container(p).env.push({ name: "KAFKA_SASL_PASSWORD", value: "hunter2" })) },
    { name: "exported token", policy: "no-secret-stack-outputs", fragment: "pulsarAdminToken", edit: byName("messaging-platform-prod", (p) => (p.pulsarAdminToken = "x")) },
    { name: "offload role on every bucket", policy: "offload-iam-scoped-to-bucket", fragment: 'on "*"', edit: byName("platform-offload-broker-policy", (p) => (p.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }))) },
    {
        name: "an archive writer that may delete what is archived",
        policy: "archive-append-only",
        fragment: 's3:DeleteObject on the archive bucket "cosmic-ai-prod-archive"',
        edit: byName("platform-archive-connect-policy", (p) => {
            const doc = JSON.parse(p.policy);
            doc.Statement[1].Action.push("s3:DeleteObject");
            p.policy = JSON.stringify(doc);
        }),
    },
    {
        name: "a prod stack whose archive connector no longer reads audit-trail",
        policy: "archive-in-prod",
        fragment: "no archive connector reads audit-trail",
        edit: byName("platform-archive-connector", (p) => (p.spec.config.topics = "telescope-telemetry")),
    },
    {
        name: "central grants an edge replicator but its brokers do not accept client certificates",
        policy: "cross-site-replication-mtls",
        fragment: "broker does not accept client certificates",
        edit: byName("platform-pulsar-release", (p) => (p.values.broker.extraEnvs = p.values.broker.extraEnvs.filter((e: any) => e.name !== "authenticationProviders"))),
    },
    { name: "guest with permissions in prod", policy: "rabbitmq-no-guest-permissions", fragment: "guest", edit: byName("platform-control-plane-admin-permissions", (p) => (p.user = "guest")) },
    { name: "topic with replication 2", policy: "kafka-topic-replicated", fragment: "replicationFactor 2", edit: byName("platform-kafka-topic-audit-trail", (p) => (p.replicationFactor = 2)) },
    { name: "transient exchange", policy: "rabbitmq-durable", fragment: "not durable", edit: byName("platform-control-plane-exchange-control", (p) => (p.settings.durable = false)) },
    { name: "classic queue", policy: "rabbitmq-quorum-queues", fragment: "classic", edit: byName("platform-control-plane-queue-jobs.dispatch", (p) => (p.settings.arguments = {})) },
    {
        name: "a work queue no dead-letter policy covers",
        policy: "rabbitmq-dead-letter",
        fragment: "jobs.extra has no dead-letter path",
        edit: (rs) => [
            ...rs,
            res(TYPES.rabbitQueue, "platform-control-plane-queue-jobs.extra", {
                name: "jobs.extra",
                vhost: "control",
                settings: { durable: true, autoDelete: false, arguments: { "x-queue-type": "quorum", "x-max-length": 1000, "x-overflow": "reject-publish" } },
            }, { protect: true, retainOnDelete: true }),
        ],
    },
    { name: "no limits", policy: "deployment-resources", fragment: "resources.limits", edit: byName("platform-orchestrator-ingress-gateway", (p) => delete container(p).resources.limits) },
    { name: "no readiness probe", policy: "deployment-probes", fragment: "readinessProbe", edit: byName("platform-orchestrator-ingress-gateway", (p) => delete container(p).readinessProbe) },
    { name: "may run as root", policy: "deployment-run-as-non-root", fragment: "root", edit: byName("platform-orchestrator-ingress-gateway", (p) => {
        delete p.spec.template.spec.securityContext;
        delete container(p).securityContext.runAsNonRoot;
    }) },
    { name: "latest image", policy: "deployment-pinned-images", fragment: "latest", alsoFires: ["prod-images-by-digest"], edit: byName("platform-orchestrator-ingress-gateway", (p) => (container(p).image = "ghcr.io/cosmic-ai/ingress-gateway:latest")) },
    { name: "one replica in prod", policy: "deployment-replicas", fragment: "1 replica", edit: byName("platform-orchestrator-ingress-gateway", (p) => (p.spec.replicas = 1)) },
    { name: "KoP on the wrong Pulsar", policy: "kop-matches-pulsar", fragment: "3.3.2", edit: byName("platform-pulsar-release", (p) => (p.values.defaultPulsarImageTag = `3.3.2-starlight-4.0.3.3@sha256:${"a".repeat(64)}`)) },
    {
        name: "cross-tenant permission",
        policy: "pulsar-permission-own-tenant",
        fragment: "team-b.mcp-matcher",
        edit: (rs) => {
            const i = rs.findIndex((r) => r.type === TYPES.pulsarPermission && String((r.inputs as any).spec.resourceName).includes("team-a/"));
            return byName((rs[i] as CapturedResource).name, (p) => (p.spec.roles = ["team-b.mcp-matcher"]))(rs);
        },
    },
    {
        name: "namespace grant in a shared namespace",
        policy: "pulsar-namespace-grants-tenant-only",
        fragment: "the public namespaces are shared",
        edit: (rs) => {
            const i = rs.findIndex((r) => r.type === TYPES.pulsarPermission && (r.inputs as any).spec.resourceType === "topic" && String((r.inputs as any).spec.resourceName).startsWith("persistent://public/default/"));
            return byName((rs[i] as CapturedResource).name, (p) => {
                p.spec.resourceType = "namespace";
                p.spec.resourceName = "public/default";
            })(rs);
        },
    },
    { name: "wildcard tenant admin", policy: "pulsar-tenant-admin-roles", fragment: "wildcard", edit: byName("platform-pulsar-tenancy-tenant-team-a", (p) => (p.spec.adminRoles = ["*"])) },
    { name: "audit topic dropped early", policy: "audit-trail-keeps-kafka-topic", fragment: "audit-trail is missing", edit: without((r) => r.name === "platform-kafka-topic-audit-trail") },
    {
        name: "Pulsar missing at phase 1",
        policy: "kafka-pulsar-coexist",
        fragment: "phase 1 has no Pulsar",
        phase: 1,
        // The Pulsar operator's connection still points at the chart's broker Service, which is gone with the release.
        alsoFires: ["client-endpoints-served", "client-endpoints-served"], edit: without((r) => r.type === TYPES.helmRelease) },
    { name: "matcher twice", policy: "exactly-one-matcher", fragment: "2 mcp-matcher instances", phase: 1, edit: (rs) => [...rs, ...goodStack("prod", 2).filter((r) => r.type === TYPES.pulsarFunction && r.name.endsWith("-mcp-matcher"))] },
    { name: "namespace without offload thresholds", policy: "offload-thresholds-on-namespaces", fragment: "offloadThresholdSize", edit: byName("platform-pulsar-tenancy-namespace-public-default", (p) => delete p.spec.offloadThresholdSize) },
    { name: "unprotected queue in prod", policy: "stateful-resources-protected", fragment: "platform-control-plane-queue-jobs.dispatch", edit: (rs) => rs.map((r) => (r.name === "platform-control-plane-queue-jobs.dispatch" ? { ...r, protect: false } : r)) },
    // The rules of how the real systems behave (policies/rules/workloads.ts, tls.ts, connectivity.ts, pulsar-runtime.ts,
    // observability.ts): the shapes the design review found.
    {
        name: "the KoP fetch on curlimages/curl with no runAsUser",
        policy: "run-as-non-root-numeric-user",
        fragment: "fetch-kop-nar (curlimages/curl:8.11.1) runs under runAsNonRoot with no runAsUser",
        phase: 1,
        // The same container has no checksum, downloads in prod, and runs by tag: three more rules refuse it.
        alsoFires: ["kop-handler-pinned", "kop-handler-pinned", "prod-images-by-digest"],
        edit: byName("platform-pulsar-release", (p) => (p.values.broker.initContainers = [UNPINNED_FETCH])),
    },
    { name: "brokers on the chart's default heap", policy: "jvm-fits-memory-limit", fragment: "chart broker: the JVM (the chart's default PULSAR_MEM", edit: byName("platform-pulsar-release", (p) => { delete p.values.broker.configData.PULSAR_MEM; delete p.values.broker.resources; }) },
    { name: "broker config that no broker rereads", policy: "start-time-config-rolls-pods", fragment: "restartPodsOnConfigMapChange", edit: byName("platform-pulsar-release", (p) => delete p.values.broker.restartPodsOnConfigMapChange) },
    { name: "an orchestrator image by tag in prod", policy: "prod-images-by-digest", fragment: "ingress-gateway:1.4.2 is not pinned", edit: byName("platform-orchestrator-ingress-gateway", (p) => (container(p).image = container(p).image.replace(/@sha256:.*$/, ""))) },
    { name: "a replicated service without a disruption budget", policy: "replicated-deployments-survive-disruption", fragment: "no PodDisruptionBudget", edit: without((r) => r.name === "platform-orchestrator-ingress-gateway-pdb") },
    { name: "a service open to the whole cluster", policy: "deployments-have-network-policy", fragment: "retry-worker: no NetworkPolicy", edit: without((r) => r.name === "platform-orchestrator-retry-worker-ingress") },
    {
        name: "the KoP certificate without the brokers' headless names",
        policy: "tls-names-cover-endpoints",
        fragment: "pulsar-broker-0.pulsar-broker-headless.messaging.svc.cluster.local is not named",
        phase: 1,
        edit: byName("platform-pulsar-kop-certificate", (p) => (p.spec.dnsNames = ["pulsar-kafka.messaging.svc.cluster.local", "*.pulsar-broker.messaging.svc.cluster.local"])),
    },
    { name: "the Pulsar operator trusting no CA", policy: "tls-clients-trust-ca", fragment: "sets no tlsTrustCertsFilePath", edit: byName("platform-pulsar-tenancy-connection", (p) => delete p.spec.tlsTrustCertsFilePath) },
    {
        name: "clients sent to a port the KoP Service does not serve",
        policy: "client-endpoints-served",
        fragment: "serves ports 9093, not 9092",
        phase: 1,
        edit: byName("platform-orchestrator-ingress-gateway", (p) => (container(p).env.find((e: { name: string }) => e.name === "KAFKA_BROKERS").value = "pulsar-kafka.messaging.svc.cluster.local:9092")),
    },
    { name: "a sink given the pod's loopback", policy: "no-loopback-endpoints", fragment: "127.0.0.1:9096 is the pod's own loopback", edit: byName("platform-pulsar-functions-sink-job-metrics-to-kafka", (p) => (p.spec.sinkConfig.bootstrapServers = "127.0.0.1:9096")) },
    { name: "prod on the ambient kubeconfig context", policy: "kubernetes-context-pinned", fragment: "sets no context or kubeconfig", edit: byName("platform-kubernetes", (p) => delete p.context) },
    {
        name: "the matcher as a package nothing serves",
        policy: "function-code-servable",
        fragment: "loads function://public/default/mcp-matcher@1.0.0",
        edit: byName("platform-pulsar-functions-function-mcp-matcher", (p) => (p.spec.python.pyLocation = "function://public/default/mcp-matcher@1.0.0")),
    },
    { name: "the sink's login in secretsMap", policy: "connector-secrets-readable", fragment: "secretsMap.saslJaasConfig is never read", edit: byName("platform-pulsar-functions-sink-job-metrics-to-kafka", (p) => (p.spec.secretsMap = { saslJaasConfig: { path: "job-metrics-to-kafka-credentials", key: "kafka-sasl-jaas-config" } })) },
    { name: "S3 offload with no identity", policy: "offload-credentials-present", fragment: "neither an IRSA role", edit: byName("platform-pulsar-release", (p) => delete p.values.broker.service_account) },
    { name: "a namespace that deletes before it offloads", policy: "offload-before-retention", fragment: "is not below retentionTime 168h", edit: byName("platform-pulsar-tenancy-namespace-public-default", (p) => (p.spec.retentionTime = "168h")) },
    { name: "a JSON Schema document registered as a Pulsar schema", policy: "schemas-parse-as-avro", fragment: "must be an Avro record", edit: byName("platform-pulsar-tenancy-topic-public-default-user-requests", (p) => (p.spec.schemaInfo.schema = JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }))) },
    { name: "a tenant namespace creating non-partitioned topics", policy: "automatic-topic-creation", fragment: "creates topics on first use, but type \"non-partitioned\"", edit: byName("platform-pulsar-tenancy-namespace-team-a-orchestrator", (p) => (p.spec.topicAutoCreationConfig.type = "non-partitioned")) },
    { name: "prod ledgers on two bookies", policy: "pulsar-durability", fragment: "ensemble/write/ack quorum 2/2/2", edit: byName("platform-pulsar-release", (p) => Object.assign(p.values.broker.configData, { managedLedgerDefaultEnsembleSize: "2", managedLedgerDefaultWriteQuorum: "2", managedLedgerDefaultAckQuorum: "2" })) },
    { name: "prod brokers downloading their handler", policy: "kop-handler-pinned", fragment: "fetches the KoP handler at every start", phase: 1, edit: byName("platform-pulsar-release", (p) => (p.values.broker.initContainers = [PINNED_FETCH])) },
    { name: "RabbitMQ scraped without per-queue series", policy: "alerts-have-producers", fragment: "RabbitQueueDepthHigh", alsoFires: ["alerts-have-producers"], edit: (rs) => rs.map((r) => (r.type === "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig" ? { ...r, inputs: { ...r.inputs, spec: { ...(r.inputs.spec as object), metricsPath: "/metrics" } }, outputs: { ...r.outputs, spec: { ...(r.outputs.spec as object), metricsPath: "/metrics" } } } : r)) },
    { name: "a dead-letter queue that drops the oldest", policy: "rabbitmq-queues-bounded", fragment: "overflow drop-head", edit: byName("platform-control-plane-policy-control-dead-letter-bounded", (p) => delete p.policy.definition.overflow) },
];
