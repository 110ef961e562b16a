/**
 * The stack config contract's schema: every key, its type and its default (here and nowhere else). Validation
 * (topology/config.ts) parses config against it; the rules that span several keys are in topology/config-rules.ts.
 */
import { z } from "zod";
import { CRITICALITIES, GATE_NAMES, SERVICE_NAMES, type StreamSpec } from "./catalog";
import { KOP_DISTRIBUTIONS } from "./kop";
import { STAGES } from "./choreography";
import { MAX_PHASE, type PhaseId } from "./phases";
import type { PulsarSizing } from "./sizing";

export const ENVIRONMENTS = ["local", "dev", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const CLOUDS = ["aws", "gcp", "none"] as const;
export type Cloud = (typeof CLOUDS)[number];

/** The project's config namespace: `pulumi config set phase 2` writes `messaging-platform:phase`. */
export const CONFIG_NAMESPACE = "messaging-platform";

/**
 * Keys that must be secret config (`pulumi config set --secret KEY ...`) and when each is required.
 * A plain value under one of these keys is refused.
 */
export const SECRET_KEYS = {
    rabbitmqPassword: "always: the password of the RabbitMQ user the program manages the control plane with",
    kafkaSaslPassword: "when kafka.provider is external and kafka.sasl is set: the SASL password of kafka.sasl.username",
    credentialSeed:
        "always: the seed every per-service RabbitMQ and Kafka password is derived from (HMAC); rotating it rotates them all",
} as const;
export type SecretKey = keyof typeof SECRET_KEYS;

const GiB = 1024 ** 3;
const DAY_S = 24 * 60 * 60;

/** Defaults that depend on the environment, resolved once in `resolve()`. */
export const ENVIRONMENT_DEFAULTS: Record<
    Environment,
    { kafkaReplication: number; minInsyncReplicas: number; brokers: number; bookies: number; orchestratorReplicas: number }
> = {
    local: { kafkaReplication: 1, minInsyncReplicas: 1, brokers: 1, bookies: 1, orchestratorReplicas: 1 },
    dev: { kafkaReplication: 3, minInsyncReplicas: 2, brokers: 2, bookies: 3, orchestratorReplicas: 1 },
    prod: { kafkaReplication: 3, minInsyncReplicas: 2, brokers: 3, bookies: 4, orchestratorReplicas: 2 },
};

export const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);
const name = dnsLabel;
const hostPort = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/);
const nonEmpty = z.string().min(1);

const kafkaCommon = {
    /** Replication factor of every Kafka topic. @default 3 (local: 1) */
    replicationFactor: z.number().int().min(1).max(5).optional(),
    /** min.insync.replicas of every Kafka topic. @default 2 (local: 1) */
    minInsyncReplicas: z.number().int().min(1).max(5).optional(),
    /** Take Kafka out of the topology. Only at phase 3 with every stream cut over. @default false */
    decommission: z.boolean().default(false),
    /**
     * Second, explicit statement that the Kafka cluster and its topics may be deleted. Must be set with
     * `decommission`; nothing that holds data is deleted without it. @default false
     */
    decommissionConfirmed: z.boolean().default(false),
};

const kafkaSchema = z.discriminatedUnion("provider", [
    z.strictObject({
        provider: z.literal("msk"),
        /** Private subnets, one per AZ; brokerCount must be a multiple of their count. */
        subnetIds: z.array(nonEmpty).min(2),
        securityGroupIds: z.array(nonEmpty).min(1),
        /** @default "kafka.m7g.large" */
        instanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/).default("kafka.m7g.large"),
        /** @default 3 */
        brokerCount: z.number().int().min(2).max(30).default(3),
        /** @default "3.8.x" */
        kafkaVersion: nonEmpty.default("3.8.x"),
        /** Client authentication; unauthenticated access is never enabled. @default "scram" */
        auth: z.enum(["scram", "iam"]).default("scram"),
        /** EBS volume per broker, GiB. @default 100 */
        volumeSizeGb: z.number().int().min(1).max(16384).default(100),
        ...kafkaCommon,
    }),
    z.strictObject({
        provider: z.literal("confluent"),
        /** Display name of the Confluent Cloud environment. */
        environment: nonEmpty,
        /** @default "standard" */
        clusterType: z.enum(["basic", "standard", "enterprise", "dedicated"]).default("standard"),
        /** Cloud the Confluent cluster runs in. @default "GCP" */
        cloud: z.enum(["AWS", "GCP", "AZURE"]).default("GCP"),
        region: nonEmpty,
        /** @default "MULTI_ZONE" */
        availability: z.enum(["SINGLE_ZONE", "MULTI_ZONE"]).default("MULTI_ZONE"),
        ...kafkaCommon,
    }),
    z.strictObject({
        provider: z.literal("external"),
        bootstrapServers: z.array(hostPort).min(1),
        /**
         * The bootstrap servers as the pods reach them, when that differs from what the program (on the deploy host)
         * uses: a host-side 127.0.0.1 is the pod's own loopback. @default bootstrapServers
         */
        clientBootstrapServers: z.array(hostPort).min(1).optional(),
        /** @default false */
        tls: z.boolean().default(false),
        /** SASL credentials; the password is the secret config key `kafkaSaslPassword`. */
        sasl: z
            .strictObject({
                mechanism: z.enum(["plain", "scram-sha256", "scram-sha512"]),
                username: nonEmpty,
            })
            .optional(),
        ...kafkaCommon,
    }),
]);

const digest = z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: "an image digest: sha256: and 64 hex digits" });
const jvmSizing = z.strictObject({
    heapMiB: z.number().int().min(64),
    directMiB: z.number().int().min(64),
    memoryMiB: z.number().int().min(128),
    cpu: nonEmpty,
});

/** KoP: where its protocol handler comes from. */
export const KOP_SOURCES = ["image", "download"] as const;

export const pulsarSchema = z.strictObject({
    /** Apache Pulsar version (of the image). @default "4.0.12" (Pulsar chart 4.7.0's default) */
    version: z.string().default("4.0.12"),
    /**
     * Broker image repository. With `kop.source: image` (the default) it must carry the Kafka protocol handler in
     * /pulsar/protocols: the stock Apache images do not (images/pulsar-kop/Dockerfile builds one). @default "apachepulsar/pulsar-all"
     */
    imageRepository: nonEmpty.default("apachepulsar/pulsar-all"),
    /** Broker image tag. @default `version` */
    imageTag: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/).optional(),
    /** Broker image digest; required in prod (the image is pinned by content). @default undefined */
    imageDigest: digest.optional(),
    /** Pulsar Helm chart version (dev/prod). @default "4.7.0" */
    chartVersion: nonEmpty.default("4.7.0"),
    kop: z
        .strictObject({
            /** @default "starlight" */
            distribution: z.enum(KOP_DISTRIBUTIONS).default("starlight"),
            /** The handler's version (x.y.z.m); checked against `pulsar.version`. @default "4.0.3.3" */
            version: z.string().default("4.0.3.3"),
            /**
             * `image`: the broker image carries the handler (nothing is fetched when a broker starts; the prod path).
             * `download`: an init container fetches `narUrl` at every broker start and checks it against `sha256`.
             * @default "image"
             */
            source: z.enum(KOP_SOURCES).default("image"),
            /** Where the init container downloads the NAR from (`source: download` only, required there). */
            narUrl: z.url({ protocol: /^https?$/ }).optional(),
            /** The NAR's sha256 (`source: download`, required there: no upstream publishes one, compute it once). */
            sha256: z.string().regex(/^[0-9a-f]{64}$/, { message: "64 lowercase hex digits (sha256sum of the NAR)" }).optional(),
            /** Image of the init container that fetches the NAR (`source: download`). @default "curlimages/curl:8.11.1" */
            fetchImage: nonEmpty.default("curlimages/curl:8.11.1"),
        })
        .prefault({}),
    /** @default 3 in prod, 2 in dev, 1 local (standalone) */
    brokers: z.number().int().min(1).max(50).optional(),
    /** @default 4 in prod, 3 in dev, 1 local (standalone) */
    bookies: z.number().int().min(1).max(50).optional(),
    /** JVM, disk and quorum sizing, by component. @default SIZING_DEFAULTS[environment] (topology/sizing.ts) */
    sizing: z
        .strictObject({
            broker: jvmSizing.optional(),
            bookie: jvmSizing.extend({ journalGi: z.number().int().min(1), ledgersGi: z.number().int().min(1) }).optional(),
            zookeeper: jvmSizing.extend({ dataGi: z.number().int().min(1) }).optional(),
            proxy: jvmSizing.optional(),
            autorecovery: jvmSizing.optional(),
            toolset: jvmSizing.optional(),
            standalone: jvmSizing.extend({ dataGi: z.number().int().min(1) }).optional(),
            ensemble: z.number().int().min(1).max(10).optional(),
            writeQuorum: z.number().int().min(1).max(10).optional(),
            ackQuorum: z.number().int().min(1).max(10).optional(),
            topicRetentionGi: z.number().min(0.1).optional(),
            zoneSpread: z.boolean().optional(),
        })
        .prefault({}),
    /** Storage class of the bookie and ZooKeeper volumes. @default undefined (the cluster's default class) */
    storageClassName: name.optional(),
    tls: z
        .strictObject({
            /** @default false (required true in prod) */
            enabled: z.boolean().default(false),
            /** The cert-manager ClusterIssuer of the platform's CA (created by this program). @default "pulsar-ca-issuer" */
            certManagerIssuer: nonEmpty.default("pulsar-ca-issuer"),
            /** Namespace of cert-manager (where a ClusterIssuer's CA Secret lives). @default "cert-manager" */
            certManagerNamespace: name.default("cert-manager"),
            /**
             * Other namespaces that get the CA certificate (a Secret `pulsar-ca-trust` with `ca.crt`), e.g. the Pulsar
             * resources operator's, which must mount it at /etc/pulsar-ca. @default []
             */
            trustNamespaces: z.array(name).default([]),
        })
        .prefault({}),
    auth: z
        .strictObject({
            /** JWT token authentication and authorization. @default false (required true in prod) */
            token: z.boolean().default(false),
            /**
             * The month the tokens were issued (YYYY-MM): every token carries iat = its first day and expires
             * `tokenLifetimeDays` later; rotating is setting this to the current month (docs/runbooks.md). Required with
             * token auth.
             */
            tokenEpoch: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, { message: "a month, YYYY-MM" }).optional(),
            /** @default 400 */
            tokenLifetimeDays: z.number().int().min(1).max(800).default(400),
        })
        .prefault({}),
});

const tieredStorageSchema = z.strictObject({
    /** @default false */
    enabled: z.boolean().default(false),
    /** Bucket name; the bucket is created by this program. Required when enabled. */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/).optional(),
    /** Object prefix inside the bucket. @default "pulsar-offload/" */
    prefix: z.string().default("pulsar-offload/"),
    /** Offload once a topic holds this many bytes. @default 1 GiB */
    thresholdBytes: z.number().int().min(0).default(GiB),
    /** Offload ledgers older than this many seconds. @default 7 days */
    thresholdSeconds: z.number().int().min(0).default(7 * DAY_S),
    /** Bucket region; required when enabled. */
    region: nonEmpty.optional(),
    /** Object versions kept this many days after they become noncurrent. @default 30 */
    noncurrentVersionDays: z.number().int().min(1).default(30),
    /**
     * Once a stack has offloaded, the bucket and the brokers' offload driver stay at every phase (offloaded ledgers
     * are only readable through them), even after a rollback below phase 3 or `enabled: false`. `retire: true` drops
     * them from the program; the bucket itself is retained (retainOnDelete), its objects unread. @default false
     */
    retire: z.boolean().default(false),
});

const archiveSchema = z.strictObject({
    /**
     * The archive bucket (S3 on aws, GCS on gcp), created by this program, hardened and retained like the offload
     * bucket. Required in prod (audit continuity, seed 002); without it (and on cloud none) nothing is archived.
     */
    bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/).optional(),
    /** The bucket's region; required with a bucket. */
    region: nonEmpty.optional(),
    /** Object prefix of the archive's files. @default "archive/" */
    prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, { message: "segments of letters, digits, . _ -, each ending in /" }).default("archive/"),
    /** Overwritten or deleted files stay recoverable this many days. @default 365 */
    noncurrentVersionDays: z.number().int().min(1).default(365),
    /** Files move to the cold storage class after this many days. @default 30 */
    coldAfterDays: z.number().int().min(1).default(30),
    /**
     * Kafka Connect on Kubernetes (MSK with SCRAM, an existing cluster): the image Strimzi builds the workers into, with
     * the sink plugin from Maven Central (`spec.build.output.image`, `repository:tag`). Required there.
     */
    connectImage: z.string().regex(/^[a-z0-9][a-z0-9./_-]*(:\d+)?(\/[a-z0-9._-]+)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, { message: "repository:tag" }).optional(),
    /** A kubernetes.io/dockerconfigjson Secret that may push connectImage (Strimzi `build.output.pushSecret`). @default none */
    connectImagePushSecret: name.optional(),
    /**
     * MSK Connect (MSK with IAM auth): the sink plugin's ZIP in S3 (Aiven's S3 sink release, uploaded once; MSK Connect
     * copies it when the plugin is created). Required there.
     */
    mskConnectPlugin: z.strictObject({ bucketArn: z.string().regex(/^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$/), fileKey: nonEmpty }).optional(),
});

const edgeSitesSchema = z.strictObject({
    /**
     * The DNS name edge sites reach this stack's Pulsar proxy at (a load balancer or ingress in front of the chart's
     * proxy Service, which the program does not create); added to the proxy certificate's names. Required with sites.
     */
    endpoint: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: "a DNS name" }).optional(),
    /** The edge sites (edge/ project stacks) this stack accepts replication from. @default [] */
    sites: z
        .array(
            z.strictObject({
                name: name,
                /** The site's stack, `organization/messaging-edge/<site>`. */
                stack: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: "organization/project/stack" }),
            }),
        )
        .default([]),
});

const tenantSchema = z.strictObject({
    /** Pulsar tenant name; also used in Kubernetes resource names (DNS-1123 label). */
    name: name.refine((n) => n !== "public" && n !== "pulsar", { message: "reserved tenant name" }),
    /** Roles that administer this tenant; no wildcards. */
    adminRoles: z
        .array(z.string().regex(/^[A-Za-z0-9._:@-]+$/, { message: "a concrete role (letters, digits, . _ : @ -), not a wildcard" }))
        .min(1),
    /** Namespaces in the tenant besides `orchestrator`. @default [] */
    namespaces: z.array(name).default([]),
});

const streamOverrideSchema = z.strictObject({
    partitions: z.number().int().min(1).max(1000).optional(),
    retentionMs: z.number().int().min(-1).optional(),
    criticality: z.enum(CRITICALITIES).optional(),
    gate: z.enum(GATE_NAMES).optional(),
    pulsarFrom: z.number().int().min(1).max(MAX_PHASE).optional(),
    cutoverAt: z.number().int().min(1).max(MAX_PHASE).optional(),
    producers: z.array(z.enum(SERVICE_NAMES)).optional(),
    consumers: z.array(z.enum(SERVICE_NAMES)).optional(),
});

export const configSchema = z.strictObject({
    /** Migration phase: 0 kafka, 1 bridge, 2 native, 3 isolated. */
    phase: z.number().int().min(0).max(MAX_PHASE),
    environment: z.enum(ENVIRONMENTS),
    cloud: z.enum(CLOUDS),
    kafka: kafkaSchema,
    pulsar: pulsarSchema.prefault({}),
    tieredStorage: tieredStorageSchema.prefault({}),
    /** Edge sites that replicate their telescope ingest here (topology/edge-plan.ts). */
    edgeSites: edgeSitesSchema.prefault({}),
    /** The audit and telemetry archive (topology/archive-plan.ts). */
    archive: archiveSchema.prefault({}),
    /** Per-tenant isolation from phase 3. @default [] */
    tenants: z.array(tenantSchema).default([]),
    /** Seed 002's go/no-go inputs; a critical stream cuts over only when its gate is true. */
    gates: z
        .strictObject(Object.fromEntries(GATE_NAMES.map((g) => [g, z.boolean().default(false)])) as Record<
            (typeof GATE_NAMES)[number],
            z.ZodDefault<z.ZodBoolean>
        >)
        .prefault({}),
    rabbitmq: z.strictObject({
        /** Management API the provider talks to, e.g. http://127.0.0.1:15672. */
        managementEndpoint: z.url({ protocol: /^https?$/, message: "an http(s) URL, e.g. http://127.0.0.1:15672" }),
        /** AMQP endpoint the services connect to, e.g. amqp://127.0.0.1:5672. */
        amqpEndpoint: z.string().regex(/^amqps?:\/\/[^/\s]+$/),
        /**
         * The same endpoint as pods reach it (the audit bridge), when that differs from amqpEndpoint: a host-side
         * 127.0.0.1 is the pod's own loopback. @default amqpEndpoint
         */
        clientAmqpEndpoint: z.string().regex(/^amqps?:\/\/[^/\s@]+$/).optional(),
        /** User the provider authenticates as; its password is the secret key `rabbitmqPassword`. */
        username: nonEmpty,
        /** @default "control" */
        vhost: name.default("control"),
        /**
         * Ready messages a control queue may hold before publishers are refused (policy max-length with overflow
         * reject-publish), so a stalled consumer never grows a queue into the memory or disk alarm that blocks every
         * publisher. @default 100000
         */
        maxQueueLength: z.number().int().min(1).default(100_000),
    }),
    orchestrator: z
        .strictObject({
            /** @default "ghcr.io/cosmic-ai" */
            registry: nonEmpty.default("ghcr.io/cosmic-ai"),
            /** Image tag; `latest` and empty tags are refused. @default "1.0.0" */
            tag: z
                .string()
                .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/)
                .refine((t) => t !== "latest", { message: "latest is not a pinned tag" })
                .default("1.0.0"),
            /** @default 2 in prod, 1 elsewhere */
            replicas: z.number().int().min(1).max(50).optional(),
            /**
             * Image digest per image name (`ingress-gateway`, ..., `mcp-matcher-function`): the images run by digest.
             * Required in prod for every image a phase runs. @default {}
             */
            digests: z.record(z.string(), digest).default({}),
        })
        .prefault({}),
    /** Overrides of the built-in stream catalog, by stream name. */
    streams: z.record(z.string(), streamOverrideSchema).default({}),
    kubernetes: z
        .strictObject({
            /** Namespace of everything this program puts on Kubernetes. @default "messaging" */
            namespace: name.default("messaging"),
            /** Write manifests to this folder instead of applying them to a cluster. */
            renderYamlTo: nonEmpty.optional(),
            /**
             * The kubeconfig context of the stack's cluster, so an update never lands on whatever cluster is current.
             * Required in dev and prod (unless rendering to a folder).
             */
            context: nonEmpty.optional(),
            /** EKS IAM OIDC provider ARN, for the brokers' IRSA role (cloud aws with tiered storage). */
            oidcProviderArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/).optional(),
            /** EKS OIDC issuer without https:// (e.g. oidc.eks.<region>.amazonaws.com/id/<id>). */
            oidcProviderUrl: z.string().regex(/^[a-z0-9.-]+\/id\/[A-Za-z0-9]+$/).optional(),
        })
        .prefault({}),
    observability: z
        .strictObject({
            /** ServiceMonitors and PrometheusRules (needs the Prometheus operator CRDs). @default false */
            enabled: z.boolean().default(false),
            /** Image of the consumer-lag exporter (danielqsj/kafka_exporter). @default "danielqsj/kafka-exporter:v1.9.0" */
            kafkaExporterImage: nonEmpty.default("danielqsj/kafka-exporter:v1.9.0"),
        })
        .prefault({}),
    /**
     * Let this update move the phase by more than one step (a first deployment may start at any phase).
     * Unset it after the update. @default false
     */
    allowPhaseSkip: z.boolean().default(false),
    /**
     * The stage of a transition that moves streams (topology/choreography.ts): `prepare` (the target side exists,
     * services unchanged), then `switch` (services roll, overlap mirrors run); unset it for the last update (settle).
     * The guard (topology/transition.ts) says when each is due.
     */
    transitionStage: z.enum(STAGES).optional(),
    rabbitmqPassword: z.string().min(1).optional(),
    kafkaSaslPassword: z.string().min(1).optional(),
    credentialSeed: z.string().min(1).optional(),
});

export type ParsedConfig = z.output<typeof configSchema>;

/** How a key's text from the engine becomes a value (topology/stack-file.ts `rawConfigFromEngine`). */
export type ConfigValueKind = "string" | "number" | "boolean" | "structured";

/**
 * The declared kind of a top-level key, read off `configSchema` (wrappers such as optional/default unwrapped), so the
 * schema stays the one declaration of every key's type. An unknown key is read as JSON where its text is JSON (so its
 * value shows as written in the error that refuses it).
 */
export function configValueKind(key: string): ConfigValueKind {
    let node = (configSchema.shape as Record<string, z.ZodType | undefined>)[key];
    if (node === undefined) {
        return "structured";
    }
    while (node) {
        const def = node._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
        if (def.innerType) {
            node = def.innerType;
        } else if (def.type === "pipe" && def.in) {
            node = def.in;
        } else {
            switch (def.type) {
                case "number":
                    return "number";
                case "boolean":
                    return "boolean";
                case "object":
                case "array":
                case "record":
                case "union":
                case "tuple":
                case "intersection":
                    return "structured";
                default:
                    // string, enum, literal
                    return "string";
            }
        }
    }
    return "string";
}

/** The validated, fully-defaulted config every other module reads. */
export interface PlatformConfig extends Omit<ParsedConfig, "phase" | "kafka" | "pulsar" | "orchestrator" | "streams"> {
    phase: PhaseId;
    kafka: ParsedConfig["kafka"] & { replicationFactor: number; minInsyncReplicas: number };
    pulsar: Omit<ParsedConfig["pulsar"], "sizing" | "imageTag"> & {
        brokers: number;
        bookies: number;
        imageTag: string;
        sizing: PulsarSizing;
    };
    orchestrator: ParsedConfig["orchestrator"] & { replicas: number };
    /** The stream catalog with the stack's overrides applied. */
    streams: StreamSpec[];
}

export interface ConfigProblem {
    /** Config key, e.g. `kafka.provider` (without the project namespace). */
    key: string;
    /** The value it had (`<secret>` for secrets, undefined when missing). */
    value: unknown;
    /** What is allowed instead. */
    allowed: string;
}
