/**
 * The stack config contract: `validateConfig(raw)` takes the project's config keys (without the
 * `messaging-platform:` prefix) plus the set of keys stored as secrets, and returns a fully-resolved
 * `PlatformConfig` or throws one `ConfigError` that lists every problem at once. Each problem names the key, the
 * value it had and what is allowed. Nothing here imports Pulumi: index.ts calls it before any resource is registered,
 * and `npm run plan` calls it on a stack file. The schema and defaults are in topology/config-schema.ts.
 */
import type { z } from "zod";
import { OVERRIDABLE_STREAM_FIELDS, STREAMS, STREAM_NAMES, type StreamSpec } from "./catalog";
import { crossFieldProblems } from "./config-rules";
import { kopImageTag } from "./kop";
import {
    CONFIG_NAMESPACE,
    ENVIRONMENT_DEFAULTS,
    SECRET_KEYS,
    configSchema,
    type ConfigProblem,
    type ParsedConfig,
    type PlatformConfig,
    type SecretKey,
} from "./config-schema";
import { SIZING_DEFAULTS, type PulsarSizing } from "./sizing";
import { PHASES, type PhaseId } from "./phases";

export * from "./config-schema";
export { crossFieldProblems } from "./config-rules";

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

export function problemsFromZod(error: z.ZodError): ConfigProblem[] {
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
        pulsar: resolvePulsar(c.pulsar, c.environment, d),
        orchestrator: { ...c.orchestrator, replicas: c.orchestrator.replicas ?? d.orchestratorReplicas },
        streams,
    };
    problems.push(...crossFieldProblems(config));
    return { config, problems };
}

/** The Pulsar settings with their defaults: the cluster's size by environment (central's or an edge site's), tag, sizing. */
export function resolvePulsar(
    p: ParsedConfig["pulsar"],
    environment: ParsedConfig["environment"],
    size: { brokers: number; bookies: number },
): PlatformConfig["pulsar"] {
    return {
        ...p,
        brokers: p.brokers ?? size.brokers,
        bookies: p.bookies ?? size.bookies,
        imageTag: p.imageTag ?? defaultPulsarImageTag(p),
        sizing: resolveSizing(environment, p.sizing),
    };
}

/**
 * The broker image's tag unless the stack sets one: the Pulsar version, and for an image that carries the KoP handler
 * also the handler it carries (`4.0.12-starlight-4.0.3.3`, images/pulsar-kop/Dockerfile), which is how the policy pack
 * tells the pairing from the release alone.
 */
export function defaultPulsarImageTag(p: Pick<ParsedConfig["pulsar"], "version" | "kop">): string {
    return p.kop.source === "image" ? kopImageTag(p.version, p.kop.distribution, p.kop.version) : p.version;
}

/** The environment's sizing with the stack's overrides, component by component. */
export function resolveSizing(environment: ParsedConfig["environment"], o: ParsedConfig["pulsar"]["sizing"]): PulsarSizing {
    const d = SIZING_DEFAULTS[environment];
    const defined = <T extends object>(x: T) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
    return {
        ...d,
        ...defined(o),
        broker: { ...d.broker, ...o.broker },
        bookie: { ...d.bookie, ...o.bookie },
        zookeeper: { ...d.zookeeper, ...o.zookeeper },
        proxy: { ...d.proxy, ...o.proxy },
        autorecovery: { ...d.autorecovery, ...o.autorecovery },
        toolset: { ...d.toolset, ...o.toolset },
        standalone: { ...d.standalone, ...o.standalone },
    };
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

