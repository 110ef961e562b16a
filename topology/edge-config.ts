/**
 * The config contract of an edge site (seed 004: "edge/ingest and geo-buffering at remote telescope sites"): a stack
 * of the edge project (edge/Pulumi.yaml), validated like a central stack's (one ConfigError listing every problem,
 * each naming the key, its value and what is allowed) before anything is registered.
 *
 * Why its own project rather than a stack of messaging-platform: the central project's Pulumi.yaml declares keys every
 * stack of it must set (phase, rabbitmqPassword, credentialSeed: "a declared key without a default is required for
 * every stack", pulumi/pulumi pkg/v3 workspace/config.go), and an edge site has no phase, no Kafka and no RabbitMQ;
 * one schema with half its keys optional per role would check neither side properly.
 */
import { z } from "zod";
import { ConfigError, problemsFromZod, resolvePulsar } from "./config";
import { dnsLabel, pulsarSchema, type ConfigProblem, type Environment, type PlatformConfig } from "./config-schema";
import { CENTRAL_CLUSTER_NAME, edgeClusterName } from "./edge-names";
import type { EngineConfig } from "./stack-file";

/** Edge sites are small: defaults per environment (brokers, bookies), overridable in `pulsar`. */
export const EDGE_DEFAULTS: Record<"dev" | "prod", { brokers: number; bookies: number }> = {
    dev: { brokers: 1, bookies: 2 },
    prod: { brokers: 2, bookies: 3 },
};

/** `organization/project/stack`, as a StackReference names a stack. */
const stackName = z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, { message: "organization/project/stack" });

export const edgeConfigSchema = z.strictObject({
    /** The site's name: its cluster is `edge-<site>` (a DNS label). */
    site: dnsLabel.refine((s) => edgeClusterName(s) !== CENTRAL_CLUSTER_NAME, { message: "reserved" }),
    environment: z.enum(["dev", "prod"]),
    cloud: z.enum(["aws", "gcp", "none"]),
    /** The central stack this site replicates to; it must list the site in its `edgeSites`. */
    central: z.strictObject({ stack: stackName }),
    pulsar: pulsarSchema.prefault({}),
    /** The ingest buffer: how long and how much the site keeps while its link is down. */
    ingest: z
        .strictObject({
            /** Messages replicated and read are kept this long, for local replay. @default 24 */
            retentionHours: z.number().int().min(1).max(24 * 14).default(24),
            /**
             * What the site may hold unreplicated, per topic partition, before producers are held (backlog quota with
             * producer_request_hold: never evicted). Size the bookies' ledger disks for it. @default 20
             */
            bufferGi: z.number().min(1).max(10_000).default(20),
        })
        .prefault({}),
    kubernetes: z
        .strictObject({
            /** @default "messaging" */
            namespace: dnsLabel.default("messaging"),
            /** The site cluster's kubeconfig context; required in prod. */
            context: z.string().min(1).optional(),
        })
        .prefault({}),
    credentialSeed: z.string().min(1).optional(),
});

export type EdgeParsedConfig = z.output<typeof edgeConfigSchema>;

export interface EdgeConfig extends Omit<EdgeParsedConfig, "pulsar"> {
    pulsar: PlatformConfig["pulsar"];
}

/** What planPulsar reads, for this site (topology/pulsar-plan.ts PulsarPlanInput): no tenants, no lag exporters. */
export function edgePulsarInput(c: EdgeConfig): Pick<PlatformConfig, "pulsar" | "kubernetes" | "environment" | "tenants" | "observability"> {
    return {
        pulsar: c.pulsar,
        kubernetes: { namespace: c.kubernetes.namespace, ...(c.kubernetes.context ? { context: c.kubernetes.context } : {}) },
        environment: c.environment as Environment,
        tenants: [],
        observability: { enabled: false, kafkaExporterImage: "" },
    };
}

/** Validates an edge site's config (keys without the `messaging-edge:` prefix) and resolves its defaults. */
export function validateEdgeConfig(values: Record<string, unknown>, secretKeys: ReadonlySet<string>): EdgeConfig {
    const problems: ConfigProblem[] = [];
    if (values.credentialSeed !== undefined && !secretKeys.has("credentialSeed")) {
        problems.push({ key: "credentialSeed", value: "<plain text, not shown>", allowed: "a secret: run `pulumi config set --secret credentialSeed <value>`" });
    }
    const parsed = edgeConfigSchema.safeParse(values, { reportInput: true });
    if (!parsed.success) {
        throw new ConfigError([...problems, ...problemsFromZod(parsed.error)]);
    }
    const c = parsed.data;
    const d = EDGE_DEFAULTS[c.environment];
    const config: EdgeConfig = { ...c, pulsar: resolvePulsar(c.pulsar, c.environment, d) };
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key, value, allowed });
    // Seed 004: "Enforce TLS/mTLS for cross-site replication". The replicator logs in to central with a client
    // certificate, which needs TLS on both ends, in every environment.
    if (!config.pulsar.tls.enabled) {
        add("pulsar.tls.enabled", false, "true: an edge site replicates to central over mutual TLS only (seed 004)");
    }
    if (config.environment === "prod") {
        if (!config.pulsar.auth.token) {
            add("pulsar.auth.token", false, "true in prod: the site's own clients (telescope-gateway) authenticate with tokens");
        }
        if (!config.pulsar.imageDigest) {
            add("pulsar.imageDigest", undefined, "the broker image's digest (sha256:<64 hex>), required in prod");
        }
        if (!config.kubernetes.context) {
            add("kubernetes.context", undefined, "the site cluster's kubeconfig context, required in prod (an update never lands on whatever cluster is current)");
        }
    }
    if (config.pulsar.auth.token && config.pulsar.auth.tokenEpoch === undefined) {
        add("pulsar.auth.tokenEpoch", undefined, "the month the site's Pulsar tokens are issued (YYYY-MM), required with token auth");
    }
    if (config.pulsar.auth.token && config.credentialSeed === undefined) {
        add("credentialSeed", undefined, "a secret seed, required with token auth: the site's signing key is derived from it");
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return config;
}

/** The edge project's config namespace: `pulumi config set site paranal` writes `messaging-edge:site`. */
export const EDGE_CONFIG_NAMESPACE = "messaging-edge";

/**
 * The edge project's keys as the engine hands them over (every value a string; objects as JSON), for
 * validateEdgeConfig. Other namespaces (kubernetes:, pulumi:) are not ours to validate.
 */
export function edgeRawConfig(engine: EngineConfig): { values: Record<string, unknown>; secretKeys: Set<string> } {
    const prefix = `${EDGE_CONFIG_NAMESPACE}:`;
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [full, text] of Object.entries(engine.values)) {
        if (!full.startsWith(prefix)) {
            continue;
        }
        const key = full.slice(prefix.length);
        if (engine.secretKeys.has(full)) {
            secretKeys.add(key);
            values[key] = text;
            continue;
        }
        let value: unknown = text;
        if (/^\s*[[{]/.test(text)) {
            try {
                value = JSON.parse(text);
            } catch {
                // left as text: validation names it
            }
        }
        values[key] = value;
    }
    return { values, secretKeys };
}
