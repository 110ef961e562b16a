/**
 * The stack config contract: its schema, its defaults (here and nowhere else) and its validation.
 *
 * `validateConfig(raw)` takes the project's config keys (without the `messaging-platform:` prefix) plus
 * the set of keys stored as secrets, and returns a fully-resolved `PlatformConfig` or throws one
 * `ConfigError` that lists every problem at once. Each problem names the key, the value it had and what
 * is allowed. Nothing here imports Pulumi: index.ts calls it before any resource is registered, and
 * `npm run plan` calls it on a stack file.
 */
import { z } from "zod";
import { CRITICALITIES, GATE_NAMES, OVERRIDABLE_STREAM_FIELDS, SERVICES, SERVICE_NAMES, STREAMS, STREAM_NAMES, type StreamSpec } from "./catalog";
import { KOP_DISTRIBUTIONS, defaultNarUrl, kopPairingProblem } from "./kop";
import { MAX_PHASE, PHASE_CAPABILITIES, PHASES, type PhaseId } from "./phases";

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

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);
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

const pulsarSchema = z.strictObject({
    /** Apache Pulsar version (the image tag). @default "4.0.12" (Pulsar chart 4.7.0's default) */
    version: z.string().default("4.0.12"),
    /** Broker image repository. @default "apachepulsar/pulsar-all" */
    imageRepository: nonEmpty.default("apachepulsar/pulsar-all"),
    /** Pulsar Helm chart version (dev/prod). @default "4.7.0" */
    chartVersion: nonEmpty.default("4.7.0"),
    kop: z
        .strictObject({
            /** @default "starlight" */
            distribution: z.enum(KOP_DISTRIBUTIONS).default("starlight"),
            /** @default "4.0.3.3" */
            version: z.string().default("4.0.3.3"),
            /** Where the init container downloads the NAR from. @default the release asset of `version` */
            narUrl: z.url({ protocol: /^https?$/ }).optional(),
            /** Image of the init container that fetches the NAR. @default "curlimages/curl:8.11.1" */
            fetchImage: nonEmpty.default("curlimages/curl:8.11.1"),
        })
        .prefault({}),
    /** @default 3 in prod, 2 in dev, 1 local (standalone) */
    brokers: z.number().int().min(1).max(50).optional(),
    /** @default 4 in prod, 3 in dev, 1 local (standalone) */
    bookies: z.number().int().min(1).max(50).optional(),
    tls: z
        .strictObject({
            /** @default false (required true in prod) */
            enabled: z.boolean().default(false),
            /** cert-manager issuer the chart's certificates come from. @default "pulsar-ca-issuer" */
            certManagerIssuer: nonEmpty.default("pulsar-ca-issuer"),
        })
        .prefault({}),
    auth: z
        .strictObject({
            /** JWT token authentication and authorization. @default false (required true in prod) */
            token: z.boolean().default(false),
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
        /** User the provider authenticates as; its password is the secret key `rabbitmqPassword`. */
        username: nonEmpty,
        /** @default "control" */
        vhost: name.default("control"),
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
            /** Package of the mcp-matcher Pulsar Function (Function Mesh `python.py`). */
            matcherPackage: nonEmpty.default("function://public/default/mcp-matcher@1.0.0"),
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
        })
        .prefault({}),
    /**
     * Let this update move the phase by more than one step (a first deployment may start at any phase).
     * Unset it after the update. @default false
     */
    allowPhaseSkip: z.boolean().default(false),
    rabbitmqPassword: z.string().min(1).optional(),
    kafkaSaslPassword: z.string().min(1).optional(),
    credentialSeed: z.string().min(1).optional(),
});

type ParsedConfig = z.output<typeof configSchema>;

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
    pulsar: Omit<ParsedConfig["pulsar"], "kop"> & {
        brokers: number;
        bookies: number;
        kop: ParsedConfig["pulsar"]["kop"] & { narUrl: string };
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

export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((p) => `  - ${CONFIG_NAMESPACE}:${p.key} = ${show(p.value)}: ${p.allowed}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

function show(value: unknown): string {
    if (value === undefined) {
        return "(not set)";
    }
    const text = JSON.stringify(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Better "allowed" texts for keys whose generic zod message would not say enough. */
const ALLOWED_TEXT: Record<string, string> = {
    phase: `an integer ${PHASES.map((p) => `${p.id} (${p.name})`).join(", ")}`,
    "kafka.provider": "msk | confluent | external",
    "kafka.bootstrapServers": "a non-empty list of host:port",
    "kafka.subnetIds": "at least two subnet ids (one per availability zone)",
    "tieredStorage.bucket": "a bucket name: 3-63 lowercase letters, digits, dots and dashes",
    "orchestrator.tag": "a pinned image tag (not `latest`)",
};

function keyOf(path: readonly PropertyKey[]): string {
    return path
        .map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`))
        .join("");
}

function problemsFromZod(error: z.ZodError): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const issue of error.issues) {
        const key = keyOf(issue.path);
        const input = (issue as { input?: unknown }).input;
        if (issue.code === "unrecognized_keys") {
            for (const k of issue.keys) {
                const full = key ? `${key}.${k}` : k;
                const value = (input as Record<string, unknown> | undefined)?.[k];
                problems.push({ key: full, value, allowed: `unknown key: remove it (${issue.message})` });
            }
            continue;
        }
        const generic = key.replace(/\[\d+\]/g, "");
        const allowedText = ALLOWED_TEXT[generic] ?? ALLOWED_TEXT[key];
        if (issue.code === "invalid_union" && "discriminator" in issue) {
            problems.push({ key, value: input, allowed: ALLOWED_TEXT[key] ?? issue.message });
            continue;
        }
        problems.push({
            key,
            value: isSecretKey(key) ? "<secret>" : input,
            allowed: allowedText ? `allowed: ${allowedText} (${issue.message})` : issue.message,
        });
    }
    return problems;
}

function isSecretKey(key: string): key is SecretKey {
    return key in SECRET_KEYS;
}

/** Stack config as Pulumi (or a stack file) hands it over. */
export interface RawConfig {
    /** Config values by key, without the `messaging-platform:` prefix, already JSON-parsed. */
    values: Record<string, unknown>;
    /** Keys stored as secrets (`secure:` in the stack file). */
    secretKeys: ReadonlySet<string>;
}

/**
 * Validates stack config and resolves every default. Throws one ConfigError listing all problems.
 * @param raw config values and which keys are secret
 */
export function validateConfig(raw: RawConfig): PlatformConfig {
    const problems: ConfigProblem[] = [];
    for (const key of Object.keys(SECRET_KEYS) as SecretKey[]) {
        if (raw.values[key] !== undefined && !raw.secretKeys.has(key)) {
            problems.push({
                key,
                value: "<plain text, not shown>",
                allowed: `a secret: run \`pulumi config set --secret ${key} <value>\` (${SECRET_KEYS[key]})`,
            });
        }
    }
    const parsed = configSchema.safeParse(raw.values, { reportInput: true });
    if (!parsed.success) {
        throw new ConfigError([...problems, ...problemsFromZod(parsed.error)]);
    }
    const { config, problems: crossFieldProblems } = resolve(parsed.data);
    problems.push(...crossFieldProblems);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

/** Applies environment defaults and stream overrides, then checks the rules that span several keys. */
function resolve(c: ParsedConfig): { config: PlatformConfig; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const d = ENVIRONMENT_DEFAULTS[c.environment];
    const phase = c.phase as PhaseId;

    const streams = applyStreamOverrides(c.streams, problems);
    const config: PlatformConfig = {
        ...c,
        phase,
        kafka: {
            ...c.kafka,
            replicationFactor: c.kafka.replicationFactor ?? d.kafkaReplication,
            minInsyncReplicas: c.kafka.minInsyncReplicas ?? d.minInsyncReplicas,
        },
        pulsar: {
            ...c.pulsar,
            brokers: c.pulsar.brokers ?? d.brokers,
            bookies: c.pulsar.bookies ?? d.bookies,
            kop: { ...c.pulsar.kop, narUrl: c.pulsar.kop.narUrl ?? defaultNarUrl(c.pulsar.kop.distribution, c.pulsar.kop.version) },
        },
        orchestrator: { ...c.orchestrator, replicas: c.orchestrator.replicas ?? d.orchestratorReplicas },
        streams,
    };
    problems.push(...crossFieldProblems(config));
    return { config, problems };
}

function applyStreamOverrides(overrides: ParsedConfig["streams"], problems: ConfigProblem[]): StreamSpec[] {
    for (const streamName of Object.keys(overrides)) {
        if (!STREAM_NAMES.includes(streamName)) {
            problems.push({
                key: `streams.${streamName}`,
                value: overrides[streamName],
                allowed: `a stream of the catalog: ${STREAM_NAMES.join(", ")} (overridable fields: ${OVERRIDABLE_STREAM_FIELDS.join(", ")})`,
            });
        }
    }
    return STREAMS.map((base) => {
        const o = overrides[base.name];
        if (!o) {
            return { ...base, producers: [...base.producers], consumers: [...base.consumers] };
        }
        const merged: StreamSpec = { ...base };
        for (const field of OVERRIDABLE_STREAM_FIELDS) {
            if (o[field] !== undefined) {
                (merged as unknown as Record<string, unknown>)[field] = o[field];
            }
        }
        return merged;
    });
}

/** Rules that span several keys. Exported for testing. */
export function crossFieldProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key, value, allowed });
    const k = c.kafka;

    // Kafka provider vs cloud.
    if (k.provider === "msk" && c.cloud !== "aws") {
        add("kafka.provider", k.provider, `msk exists only on AWS but cloud is "${c.cloud}": use confluent or external, or set cloud: aws`);
    }
    if (k.provider === "msk" && k.brokerCount % k.subnetIds.length !== 0) {
        add("kafka.brokerCount", k.brokerCount, `a multiple of the ${k.subnetIds.length} subnets in kafka.subnetIds`);
    }
    if (k.provider === "msk" && k.replicationFactor > k.brokerCount) {
        add("kafka.replicationFactor", k.replicationFactor, `at most kafka.brokerCount (${k.brokerCount})`);
    }
    if (k.minInsyncReplicas > k.replicationFactor) {
        add("kafka.minInsyncReplicas", k.minInsyncReplicas, `at most kafka.replicationFactor (${k.replicationFactor})`);
    }
    if (k.provider === "external" && k.sasl && c.kafkaSaslPassword === undefined) {
        add("kafkaSaslPassword", undefined, `required when kafka.sasl is set: run \`pulumi config set --secret kafkaSaslPassword <password>\``);
    }
    if (c.rabbitmqPassword === undefined) {
        add("rabbitmqPassword", undefined, "required: run `pulumi config set --secret rabbitmqPassword <password>`");
    }
    if (c.credentialSeed === undefined) {
        add("credentialSeed", undefined, "required: run `pulumi config set --secret credentialSeed \"$(openssl rand -hex 32)\"`");
    }

    // Environment guard rails.
    if (c.environment === "prod") {
        if (!c.pulsar.tls.enabled) {
            add("pulsar.tls.enabled", c.pulsar.tls.enabled, "true in prod: brokers, proxy and KoP listeners must use TLS");
        }
        if (!c.pulsar.auth.token) {
            add("pulsar.auth.token", c.pulsar.auth.token, "true in prod: token authentication and authorization");
        }
        if (k.replicationFactor < 3) {
            add("kafka.replicationFactor", k.replicationFactor, "at least 3 in prod");
        }
        if (k.minInsyncReplicas < 2) {
            add("kafka.minInsyncReplicas", k.minInsyncReplicas, "at least 2 in prod");
        }
        if (c.pulsar.brokers < 3) {
            add("pulsar.brokers", c.pulsar.brokers, "at least 3 in prod");
        }
        if (c.orchestrator.replicas < 2) {
            add("orchestrator.replicas", c.orchestrator.replicas, "at least 2 in prod");
        }
        if (k.provider === "external" && (!k.tls || !k.sasl)) {
            add("kafka.tls", k.tls, "an external Kafka in prod needs tls: true and sasl credentials");
        }
    }
    if (c.environment === "local" && (c.pulsar.tls.enabled || c.pulsar.auth.token)) {
        add(c.pulsar.tls.enabled ? "pulsar.tls.enabled" : "pulsar.auth.token", true,
            "false for the local environment: its standalone broker runs without TLS and token auth");
    }
    if (c.environment === "local" && c.cloud !== "none") {
        add("cloud", c.cloud, `none for the local environment (it runs on a local Kubernetes, nothing in a cloud)`);
    }
    if (c.environment === "prod" && c.kubernetes.renderYamlTo !== undefined) {
        add("kubernetes.renderYamlTo", c.kubernetes.renderYamlTo, "unset in prod: manifests are applied to the cluster, not written to a folder");
    }

    // KoP pairing: refused whatever the phase, so a bump to 1 never discovers it.
    const pairing = kopPairingProblem(c.pulsar.kop.distribution, c.pulsar.kop.version, c.pulsar.version);
    if (pairing) {
        add("pulsar.kop.version", c.pulsar.kop.version, pairing);
    }

    // Tiered storage.
    const ts = c.tieredStorage;
    if (ts.enabled) {
        if (c.cloud === "none") {
            add("tieredStorage.enabled", ts.enabled, `false when cloud is "none": offload needs a GCS (cloud: gcp) or S3 (cloud: aws) bucket`);
        }
        if (ts.bucket === undefined) {
            add("tieredStorage.bucket", ts.bucket, "a bucket name, required when tieredStorage.enabled is true");
        }
        if (ts.region === undefined) {
            add("tieredStorage.region", ts.region, "the bucket's region, required when tieredStorage.enabled is true");
        }
        if (c.cloud === "aws") {
            for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
                if (c.kubernetes[key] === undefined) {
                    add(`kubernetes.${key}`, undefined, "the EKS cluster's IAM OIDC provider, required for S3 offload (the brokers assume their IAM role through it)");
                }
            }
        }
    }

    if (k.provider === "msk" && k.auth === "iam") {
        for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
            if (c.kubernetes[key] === undefined) {
                add(`kubernetes.${key}`, undefined, "the EKS cluster's IAM OIDC provider, required with kafka.auth iam (each service assumes its MSK IAM role through it)");
            }
        }
    }

    // Tenants. Phase 3 routes each tenant to `<tenant>/orchestrator`; without tenants there is nothing to isolate and the
    // services would get an empty tenant list, so the phase needs at least one.
    if (PHASE_CAPABILITIES[c.phase].tenantIsolation && c.tenants.length === 0) {
        add("tenants", c.tenants, `at least one tenant at phase ${c.phase} (per-tenant isolation): e.g. [{ name: team-a, adminRoles: [team-a.admin] }], or stay at phase ${c.phase - 1}`);
    }
    const seen = new Set<string>();
    c.tenants.forEach((t, i) => {
        if (seen.has(t.name)) {
            add(`tenants[${i}].name`, t.name, "a tenant name not used by another entry of tenants");
        }
        seen.add(t.name);
        t.adminRoles.forEach((role, j) => {
            if (role.includes("*")) {
                add(`tenants[${i}].adminRoles[${j}]`, role, "a concrete role, not a wildcard");
            }
        });
        if (new Set(t.namespaces).size !== t.namespaces.length || t.namespaces.includes("orchestrator")) {
            add(`tenants[${i}].namespaces`, t.namespaces, "distinct names other than `orchestrator` (created for every tenant)");
        }
    });

    problems.push(...streamProblems(c));
    return problems;
}

function streamProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key, value, allowed });
    const clientOf = new Map(SERVICES.map((s) => [s.name, s.client]));
    const builtIn = new Map(STREAMS.map((s) => [s.name, s]));
    for (const s of c.streams) {
        const key = `streams.${s.name}`;
        const base = builtIn.get(s.name);
        if (base?.criticality === "critical" && s.criticality !== "critical") {
            add(`${key}.criticality`, s.criticality, `critical: ${s.name} is a critical stream; it cuts over only through gates.${base.gate}`);
        }
        if (s.criticality === "critical" && s.gate === undefined) {
            add(`${key}.gate`, s.gate, `one of ${GATE_NAMES.join(" | ")}: a critical stream cuts over only when its gate is true`);
        }
        if (base?.gate !== undefined && s.gate !== base.gate) {
            add(`${key}.gate`, s.gate, `${base.gate}: the gate of a critical stream cannot be swapped by an override`);
        }
        if (s.bridge === "kop" && base && (s.pulsarFrom !== base.pulsarFrom || s.cutoverAt !== base.cutoverAt)) {
            add(`${key}.${s.pulsarFrom !== base.pulsarFrom ? "pulsarFrom" : "cutoverAt"}`, s.pulsarFrom !== base.pulsarFrom ? s.pulsarFrom : s.cutoverAt,
                `unset: ${s.name} is bridged through KoP and moves with the orchestrator services (phase 1 KoP, phase 2 native)`);
        }
        if (s.cutoverAt < s.pulsarFrom) {
            add(`${key}.cutoverAt`, s.cutoverAt, `at least pulsarFrom (${s.pulsarFrom}): a stream reaches Pulsar before it cuts over`);
        }
        if (s.producers.length === 0) {
            add(`${key}.producers`, s.producers, "at least one producing service");
        }
        const dup = (list: string[]) => list.length !== new Set(list).size;
        if (dup(s.producers) || dup(s.consumers)) {
            add(`${key}.${dup(s.producers) ? "producers" : "consumers"}`, dup(s.producers) ? s.producers : s.consumers, "each service once");
        }
        // A KoP-bridged stream moves with the orchestrator's KAFKA_BROKERS switch, so all of its clients must be
        // orchestrator services, and orchestrator services may only use KoP-bridged streams.
        for (const svc of [...s.producers, ...s.consumers]) {
            const client = clientOf.get(svc);
            if (s.bridge === "kop" && client !== "orchestrator") {
                add(`${key}.${s.producers.includes(svc) ? "producers" : "consumers"}`, svc,
                    `orchestrator services only (${SERVICES.filter((x) => x.client === "orchestrator").map((x) => x.name).join(", ")}): ${s.name} is bridged through KoP with them`);
            }
            if (s.bridge === "dual-publish" && client === "orchestrator") {
                add(`${key}.${s.producers.includes(svc) ? "producers" : "consumers"}`, svc,
                    `a non-orchestrator service: orchestrator services point all their Kafka traffic at KoP in phase 1, so they cannot dual-publish ${s.name}`);
            }
            if (client === "kafka-only" && s.producers.includes(svc)) {
                add(`${key}.producers`, svc, "a service that can write to Pulsar: kafka-only services only consume");
            }
        }
    }

    // Kafka decommission: explicit, gated, and only when nothing still needs Kafka.
    const k = c.kafka;
    if (k.decommission) {
        if (c.phase !== MAX_PHASE) {
            add("kafka.decommission", true, `only at phase ${MAX_PHASE}; the stack is at phase ${c.phase}`);
        }
        const notCutOver = c.streams.filter((s) => c.phase < s.cutoverAt || (s.gate !== undefined && !c.gates[s.gate]));
        if (notCutOver.length > 0) {
            add("kafka.decommission", true,
                `only when every stream is cut over; not yet: ${notCutOver.map((s) => (s.gate && !c.gates[s.gate] ? `${s.name} (gates.${s.gate} is false)` : s.name)).join(", ")}`);
        }
        const kafkaReaders = c.streams.flatMap((s) => s.consumers.filter((svc) => clientOf.get(svc) === "kafka-only").map((svc) => `${svc} on ${s.name}`));
        if (kafkaReaders.length > 0) {
            add("kafka.decommission", true,
                `only when no kafka-only service still reads Kafka: ${kafkaReaders.join(", ")} (move them, or drop them from streams.<name>.consumers)`);
        }
        if (!k.decommissionConfirmed) {
            add("kafka.decommissionConfirmed", k.decommissionConfirmed, "true together with kafka.decommission: it deletes the Kafka cluster and its topics");
        }
    } else if (k.decommissionConfirmed) {
        add("kafka.decommissionConfirmed", true, "false unless kafka.decommission is true");
    }
    return problems;
}
