/**
 * Which credential Secrets the platform needs and what each key holds. Pure: the planner records a key here at
 * the moment it makes something reference it (an env `secretKeyRef`, a Function Mesh `authSecret`, a sink's
 * `secretsMap`), so every referenced key exists and no Secret holds a key nothing reads. The values are resolved
 * by components/credentials.ts from provisioned outputs and the stack's secret seed.
 */

/** Where one key of a credential Secret gets its value. */
export type CredentialValue =
    /** The Kafka user name of a principal: SCRAM user (MSK), API key id (Confluent), `kafka.sasl.username` (external). */
    | { from: "kafka-username"; principal: string }
    /** The Kafka password of a principal: SCRAM password, API key secret, or the secret `kafkaSaslPassword`. */
    | { from: "kafka-password"; principal: string }
    /**
     * A Kafka client `sasl.jaas.config` for a principal (the login module follows the mechanism): the bare line, or a
     * properties file `sasl.jaas.config=<line>` for Kafka's FileConfigProvider.
     */
    | { from: "kafka-jaas"; principal: string; mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512"; format?: "line" | "properties" }
    /** A Pulsar JWT whose subject is `role`, signed with the cluster's key; `prefix` e.g. `token:` for KoP/Function Mesh. */
    | { from: "pulsar-token"; role: string; prefix?: string }
    /** The password of a RabbitMQ user the program creates (RabbitControlPlane derives it from the seed the same way). */
    | { from: "rabbitmq-password"; user: string }
    /** A password derived from the stack's secret seed under `label` (e.g. the KoP keystore password). */
    | { from: "derived-password"; label: string }
    /** A fixed, non-secret value (e.g. the auth plugin class name Function Mesh reads from the same Secret). */
    | { from: "literal"; value: string };

export interface CredentialSecretPlan {
    /** Kubernetes Secret name. */
    name: string;
    /** Service, function or sink that reads it. */
    owner: string;
    data: Record<string, CredentialValue>;
}

/** A reference to one key of a Secret (env `secretKeyRef`, Function Mesh `secretsMap`). */
export interface SecretKeyRef {
    name: string;
    key: string;
}

/** Name of the Kubernetes Secret holding an owner's credentials. */
export function credentialSecretName(owner: string): string {
    return `${owner}-credentials`;
}

/** Keys of the credential Secrets, in one place. */
export const CREDENTIAL_KEYS = {
    kafkaUsername: "kafka-username",
    kafkaPassword: "kafka-password",
    kopPassword: "kop-password",
    pulsarToken: "pulsar-token",
    rabbitmqPassword: "rabbitmq-password",
    /** The Pulsar->Kafka sinks' Kafka login, a properties file with `sasl.jaas.config` (read by FileConfigProvider). */
    sinkJaas: "kafka-client.properties",
    /** Function Mesh `pulsar.authSecret` keys (function-mesh api/compute/v1alpha1 PulsarMessaging.AuthSecret). */
    authPlugin: "clientAuthenticationPlugin",
    authParameters: "clientAuthenticationParameters",
} as const;

/** The Pulsar Java client's token authentication plugin (the value Function Mesh passes to instances). */
export const PULSAR_TOKEN_AUTH_PLUGIN = "org.apache.pulsar.client.impl.auth.AuthenticationToken";

/**
 * Collects credential keys while the planner builds deployments, functions and sinks. `ref` both records the key
 * and returns the reference to it, so a reference without a key cannot be planned.
 */
export class CredentialBook {
    private readonly secrets = new Map<string, CredentialSecretPlan>();

    ref(owner: string, key: string, value: CredentialValue): SecretKeyRef {
        const name = credentialSecretName(owner);
        const secret = this.secrets.get(name) ?? { name, owner, data: {} };
        const existing = secret.data[key];
        if (existing && JSON.stringify(existing) !== JSON.stringify(value)) {
            throw new Error(`credential ${name}/${key} planned twice with different values`);
        }
        secret.data[key] = value;
        this.secrets.set(name, secret);
        return { name, key };
    }

    /** The Function Mesh auth Secret of an owner: plugin + `token:<jwt>` for `role`. Returns the Secret name. */
    pulsarAuthSecret(owner: string, role: string): string {
        this.ref(owner, CREDENTIAL_KEYS.authPlugin, { from: "literal", value: PULSAR_TOKEN_AUTH_PLUGIN });
        return this.ref(owner, CREDENTIAL_KEYS.authParameters, { from: "pulsar-token", role, prefix: "token:" }).name;
    }

    list(): CredentialSecretPlan[] {
        return [...this.secrets.values()]
            .map((s) => ({ ...s, data: Object.fromEntries(Object.entries(s.data).sort(([a], [b]) => a.localeCompare(b))) }))
            .sort((a, b) => a.name.localeCompare(b.name));
    }
}

/** When the Pulsar tokens are valid, unix seconds: issued on the first day of `pulsar.auth.tokenEpoch`. */
export interface TokenValidity {
    issuedAt: number;
    expiresAt: number;
}

/** The validity of the tokens of an epoch (YYYY-MM). Pure: the same config always signs the same tokens. */
export function tokenValidity(epoch: string, lifetimeDays: number): TokenValidity {
    const [year, month] = epoch.split("-").map(Number) as [number, number];
    const issuedAt = Date.UTC(year, month - 1, 1) / 1000;
    return { issuedAt, expiresAt: issuedAt + lifetimeDays * 86_400 };
}

/**
 * Whether the tokens of a deployment are (nearly) expired at `nowSeconds`: an error once they are, a warning in
 * their last 30 days, with the command that rotates them. Pure.
 */
export function tokenExpiryProblem(v: TokenValidity, nowSeconds: number, stack: string): { level: "error" | "warning"; message: string } | undefined {
    const rotate = `rotate them: pulumi config set --path pulsar.auth.tokenEpoch ${new Date(nowSeconds * 1000).toISOString().slice(0, 7)} --stack ${stack} (docs/runbooks.md, "Rotate credentials")`;
    const expires = new Date(v.expiresAt * 1000).toISOString().slice(0, 10);
    if (nowSeconds >= v.expiresAt) {
        return { level: "error", message: `the Pulsar tokens expired on ${expires}: every client is refused until they are rotated; ${rotate}` };
    }
    if (v.expiresAt - nowSeconds < 30 * 86_400) {
        return { level: "warning", message: `the Pulsar tokens expire on ${expires}; ${rotate}` };
    }
    return undefined;
}

/** The Pulsar chart's JWT material when the program, not the chart's hook, owns it. */
export interface PulsarAuthPlan {
    /** Every token's iat and exp. */
    validity: TokenValidity;
    /**
     * The HS256 signing key Secret the chart mounts when `auth.authentication.jwt.usingSecretKey` is true:
     * `<release>-token-symmetric-key`, key `SECRETKEY` (apache/pulsar-helm-chart templates/jwt-secret-init.yaml).
     */
    signingKey: SecretKeyRef;
    /** Token Secrets of the chart's super users: `<release>-token-<subject>`, key `TOKEN` (same template). */
    superUserTokens: { secret: string; role: string }[];
}
