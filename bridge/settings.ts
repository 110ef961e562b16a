/**
 * The audit bridge's settings, read from its environment (the plan writes them: topology/audit-plan.ts). One JSON
 * variable lists where each control event goes, so the plan can name one destination (Kafka, or Pulsar through KoP)
 * or two (while audit-trail is dual-published); credentials come from further variables it names, so no secret is
 * in the JSON a `kubectl describe` shows.
 */
import { z } from "zod";

const destinationSchema = z.strictObject({
    /** Where it is, for logs and errors: `kafka` or `pulsar`. */
    name: z.string().min(1),
    /** The env variable that holds the bootstrap servers (host:port,...): a provisioned cluster's are known at deploy time only. */
    brokersEnv: z.string().min(1),
    /** The Kafka topic, or the Pulsar topic's KoP name (`persistent://tenant/namespace/topic`). */
    topic: z.string().min(1),
    tls: z.boolean().default(false),
    /** A CA file the client trusts (the platform's CA for KoP over TLS). */
    caFile: z.string().min(1).optional(),
    sasl: z
        .strictObject({
            mechanism: z.enum(["plain", "scram-sha-256", "scram-sha-512"]),
            /** Names of the env variables that hold the user name and password. */
            usernameEnv: z.string().min(1),
            passwordEnv: z.string().min(1),
        })
        .optional(),
    /**
     * MSK with IAM access control: SASL/OAUTHBEARER with a token AWS's signer makes from the pod's own identity (IRSA),
     * in the region AWS_REGION names (docs.aws.amazon.com/msk "IAM access control", aws-msk-iam-sasl-signer-js). No user
     * or password.
     */
    awsIam: z.strictObject({}).optional(),
});
export type DestinationSettings = z.output<typeof destinationSchema>;

const envSchema = z.object({
    /** amqp(s)://host:port, without credentials or vhost. */
    AUDIT_BRIDGE_AMQP_URL: z.string().regex(/^amqps?:\/\/[^/\s@]+$/),
    AUDIT_BRIDGE_VHOST: z.string().min(1),
    AUDIT_BRIDGE_QUEUE: z.string().min(1),
    RABBITMQ_USERNAME: z.string().min(1),
    RABBITMQ_PASSWORD: z.string().min(1),
    /** JSON list of destinations (destinationSchema). */
    AUDIT_BRIDGE_DESTINATIONS: z.string().min(1),
    /** Unacknowledged control events in flight at once. */
    AUDIT_BRIDGE_PREFETCH: z.coerce.number().int().min(1).max(10_000).default(100),
    /** Port of /healthz. 0: no health endpoint. */
    AUDIT_BRIDGE_HEALTH_PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
});

export interface BridgeSettings {
    amqpUrl: string;
    vhost: string;
    queue: string;
    username: string;
    password: string;
    destinations: (DestinationSettings & { brokers: string[]; credentials?: { username: string; password: string }; awsRegion?: string })[];
    prefetch: number;
    healthPort: number;
}

/** A setting that is missing or wrong: names the variable, the value and what is allowed. */
export class SettingsError extends Error {
    override readonly name = "SettingsError";
}

/** Reads and checks the settings; throws one SettingsError that lists every problem. */
export function readSettings(env: Record<string, string | undefined>): BridgeSettings {
    const parsed = envSchema.safeParse(env);
    if (!parsed.success) {
        throw new SettingsError(
            `audit-bridge settings:\n${parsed.error.issues
                .map((i) => `  - ${i.path.join(".")} = ${/PASSWORD/.test(String(i.path[0])) ? "<secret>" : JSON.stringify(env[String(i.path[0])] ?? null)}: ${i.message}`)
                .join("\n")}`,
        );
    }
    const e = parsed.data;
    let raw: unknown;
    try {
        raw = JSON.parse(e.AUDIT_BRIDGE_DESTINATIONS);
    } catch (err) {
        throw new SettingsError(`audit-bridge settings: AUDIT_BRIDGE_DESTINATIONS is not JSON (${(err as Error).message})`);
    }
    const destinations = z.array(destinationSchema).min(1).safeParse(raw);
    if (!destinations.success) {
        throw new SettingsError(
            `audit-bridge settings: AUDIT_BRIDGE_DESTINATIONS: ${destinations.error.issues.map((i) => `[${i.path.join(".")}] ${i.message}`).join("; ")}`,
        );
    }
    const problems: string[] = [];
    const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;
    const resolved = destinations.data.map((d) => {
        const brokers = (env[d.brokersEnv] ?? "").split(",").map((b) => b.trim()).filter((b) => b !== "");
        if (brokers.length === 0 || brokers.some((b) => !hostPort.test(b))) {
            problems.push(`${d.brokersEnv} (the ${d.name} destination's bootstrap servers) = ${JSON.stringify(env[d.brokersEnv] ?? null)}: a comma-separated list of host:port`);
        }
        if (d.awsIam) {
            if (!env.AWS_REGION) {
                problems.push(`AWS_REGION (the ${d.name} destination's MSK region, for its IAM tokens) is not set`);
            }
            return { ...d, brokers, awsRegion: env.AWS_REGION ?? "" };
        }
        if (!d.sasl) {
            return { ...d, brokers };
        }
        const username = env[d.sasl.usernameEnv];
        const password = env[d.sasl.passwordEnv];
        if (!username) {
            problems.push(`${d.sasl.usernameEnv} (the ${d.name} destination's SASL user name) is not set`);
        }
        if (!password) {
            problems.push(`${d.sasl.passwordEnv} (the ${d.name} destination's SASL password) is not set`);
        }
        return { ...d, brokers, credentials: { username: username ?? "", password: password ?? "" } };
    });
    if (problems.length > 0) {
        throw new SettingsError(`audit-bridge settings:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    return {
        amqpUrl: e.AUDIT_BRIDGE_AMQP_URL,
        vhost: e.AUDIT_BRIDGE_VHOST,
        queue: e.AUDIT_BRIDGE_QUEUE,
        username: e.RABBITMQ_USERNAME,
        password: e.RABBITMQ_PASSWORD,
        destinations: resolved,
        prefetch: e.AUDIT_BRIDGE_PREFETCH,
        healthPort: e.AUDIT_BRIDGE_HEALTH_PORT,
    };
}
