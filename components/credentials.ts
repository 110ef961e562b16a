/**
 * ServiceCredentials: the Kubernetes Secrets the plan's workloads read (`topology.credentials`) and, with Pulsar
 * token auth, the chart's JWT material (`topology.pulsar.auth`).
 *
 * The program owns the Pulsar signing key instead of the chart's `jwt-secret-init` hook, because the hook mints
 * tokens only for the chart's super users, while every service, function and sink here needs a token for its own
 * role (`<tenant>.<service>`). The key is an HMAC of the stack's secret seed, so it is stable across updates
 * without state of its own; the chart skips its hook when the signing-key Secret exists
 * (apache/pulsar-helm-chart templates/jwt-secret-init.yaml), and PulsarCluster turns the hook off.
 */
import { createHash } from "node:crypto";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { derivedPassword, rabbitmqUserPassword } from "./derived-password";
import { pulsarSigningKey, pulsarToken } from "./pulsar-token";
import type { CredentialSecretPlan, CredentialValue, Topology } from "../topology";
import type { KafkaCredential } from "./kafka";

export interface ServiceCredentialsArgs {
    /** The planned topology: `credentials` and `pulsar.auth` say what to create. */
    topology: Topology;
    /**
     * Secret seed the Pulsar signing key is derived from (`credentialSeed`). Required with Pulsar token auth.
     * @default undefined
     */
    seed?: pulumi.Input<string>;
    /**
     * Per-principal Kafka credentials of a provisioned cluster (`KafkaPlatform.credentials`: MSK SCRAM users,
     * Confluent API keys). Required for every principal a credential Secret names, unless `externalKafkaLogin` is set.
     * @default {}
     */
    kafkaCredentials?: Record<string, KafkaCredential>;
    /**
     * The one SASL login of an external cluster (`kafka.sasl.username` and the secret `kafkaSaslPassword`), shared by
     * every principal: an external cluster's users are managed outside this program.
     * @default undefined
     */
    externalKafkaLogin?: { username: string; password: pulumi.Input<string> };
}

/** sha256 of a Secret's content, unwrapped from secrecy (a digest of random material discloses none of it). */
export function contentChecksum(stringData: Record<string, pulumi.Input<string>>, data?: Record<string, pulumi.Input<string>>): pulumi.Output<string> {
    return pulumi.unsecret(
        pulumi.all([pulumi.all(stringData), pulumi.all(data ?? {})]).apply(([a, b]) =>
            createHash("sha256").update(JSON.stringify([Object.entries(a).sort(), Object.entries(b).sort()])).digest("hex"),
        ),
    );
}

/** One checksum for the Secrets a workload reads (those the map has), in a stable order. */
export function workloadChecksum(checksums: Record<string, pulumi.Input<string>>, secretNames: string[]): pulumi.Output<string> | undefined {
    const read = [...new Set(secretNames)].filter((n) => checksums[n] !== undefined).sort();
    if (read.length === 0) {
        return undefined;
    }
    return pulumi.all(read.map((n) => checksums[n] as pulumi.Input<string>)).apply((sums) => createHash("sha256").update(sums.join(",")).digest("hex"));
}

/** The pod annotation that carries the checksum of the Secrets a workload reads at start. */
export const SECRETS_CHECKSUM_ANNOTATION = "messaging-platform/secrets-checksum";

/** A Kafka client `sasl.jaas.config` line. Pure. */
export function jaasConfig(mechanism: "PLAIN" | "SCRAM-SHA-256" | "SCRAM-SHA-512", username: string, password: string): string {
    const module = mechanism === "PLAIN" ? "org.apache.kafka.common.security.plain.PlainLoginModule" : "org.apache.kafka.common.security.scram.ScramLoginModule";
    const quote = (v: string) => JSON.stringify(v);
    return `${module} required username=${quote(username)} password=${quote(password)};`;
}

export class ServiceCredentials extends pulumi.ComponentResource {
    /** Names of the credential Secrets. */
    readonly secretNames: string[];
    /** Everything the credential Secrets consist of, for `dependsOn` (workloads must not start without them). */
    readonly resources: pulumi.Resource[];
    /**
     * A sha256 of each Secret's content, by Secret name (not secret: it reveals nothing of the values). Workloads that
     * read a Secret into their environment, or only when they start, put it on their pod template, so a rotation
     * rolls them (an env var from a Secret never changes in a running pod).
     */
    readonly checksums: Record<string, pulumi.Output<string>>;

    constructor(name: string, args: ServiceCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:credentials:ServiceCredentials", name, {}, opts);
        const { topology } = args;
        const namespace = topology.kubernetes.namespace;
        const labels = { "app.kubernetes.io/part-of": "messaging-platform", "app.kubernetes.io/managed-by": "pulumi" };
        const auth = topology.pulsar?.auth ?? null;
        const needsKey = auth !== null || topology.credentials.some((s) => Object.values(s.data).some((v) => v.from === "pulsar-token"));
        if (needsKey && args.seed === undefined) {
            throw new Error(`ServiceCredentials "${name}": the plan has Pulsar token auth but no seed: pass the secret config credentialSeed`);
        }
        // Carried as base64: pulumi.output() deep-copies values and would turn a Buffer into a plain object.
        const key = needsKey ? pulumi.secret(pulumi.output(args.seed as pulumi.Input<string>).apply((s) => pulsarSigningKey(s).toString("base64"))) : undefined;
        this.resources = [];
        this.checksums = {};

        const secret = (resourceName: string, secretName: string, stringData: Record<string, pulumi.Input<string>>, data?: Record<string, pulumi.Input<string>>) => {
            const s = new k8s.core.v1.Secret(
                resourceName,
                {
                    metadata: { name: secretName, namespace, labels },
                    type: "Opaque",
                    ...(data ? { data } : {}),
                    stringData,
                },
                // Every value is derived from the seed or a provisioned credential, so deletion loses nothing.
                { parent: this, additionalSecretOutputs: ["data", "stringData"] },
            );
            this.resources.push(s);
            this.checksums[secretName] = contentChecksum(stringData, data);
            return s;
        };

        if (auth && key) {
            // The key file holds the raw bytes (`data`, base64 in the API).
            secret(`${name}-${auth.signingKey.name}`, auth.signingKey.name, {}, { [auth.signingKey.key]: key });
            for (const t of auth.superUserTokens) {
                secret(`${name}-${t.secret}`, t.secret, { TOKEN: pulumi.secret(key.apply((k) => pulsarToken(Buffer.from(k, "base64"), t.role, auth.validity))) });
            }
        }
        for (const s of topology.credentials) {
            const stringData = Object.fromEntries(Object.entries(s.data).map(([k, v]) => [k, this.resolve(s, k, v, args, key)]));
            secret(`${name}-${s.name}`, s.name, stringData);
        }
        this.secretNames = [...(auth ? [auth.signingKey.name, ...auth.superUserTokens.map((t) => t.secret)] : []), ...topology.credentials.map((s) => s.name)];
        this.registerOutputs({ secretNames: this.secretNames });
    }

    private resolve(
        s: CredentialSecretPlan,
        dataKey: string,
        v: CredentialValue,
        args: ServiceCredentialsArgs,
        signingKey: pulumi.Output<string> | undefined,
    ): pulumi.Input<string> {
        const kafkaLogin = (principal: string): KafkaCredential => {
            if (args.externalKafkaLogin) {
                const l = args.externalKafkaLogin;
                return { username: pulumi.output(l.username), password: pulumi.secret(pulumi.output(l.password)) };
            }
            const c = args.kafkaCredentials?.[principal];
            if (!c) {
                throw new Error(
                    `ServiceCredentials: ${s.name}/${dataKey} needs the Kafka credential of "${principal}", which KafkaPlatform did not ` +
                        `provide (it has: ${Object.keys(args.kafkaCredentials ?? {}).sort().join(", ") || "none"})`,
                );
            }
            return c;
        };
        switch (v.from) {
            case "literal":
                return v.value;
            case "derived-password":
                if (args.seed === undefined) {
                    throw new Error(`ServiceCredentials: ${s.name}/${dataKey} is derived from the seed, which is missing: pass credentialSeed`);
                }
                return derivedPassword(args.seed, "secret", v.label);
            case "rabbitmq-password":
                if (args.seed === undefined) {
                    throw new Error(`ServiceCredentials: ${s.name}/${dataKey} is derived from the seed, which is missing: pass credentialSeed`);
                }
                return rabbitmqUserPassword(args.seed, v.user);
            case "kafka-username":
                return kafkaLogin(v.principal).username;
            case "kafka-password":
                return pulumi.secret(kafkaLogin(v.principal).password);
            case "kafka-jaas": {
                const l = kafkaLogin(v.principal);
                // As a properties file (FileConfigProvider) the value's backslashes are escapes: they are doubled.
                return pulumi.secret(
                    pulumi.all([l.username, l.password]).apply(([u, p]) =>
                        v.format === "properties" ? `sasl.jaas.config=${jaasConfig(v.mechanism, u, p).replace(/\\/g, "\\\\")}\n` : jaasConfig(v.mechanism, u, p),
                    ),
                );
            }
            case "pulsar-token": {
                if (!signingKey) {
                    throw new Error(`ServiceCredentials: ${s.name}/${dataKey} is a Pulsar token but the plan has no signing key (pulsar.auth)`);
                }
                const prefix = v.prefix ?? "";
                const validity = args.topology.pulsar?.auth?.validity;
                return pulumi.secret(signingKey.apply(async (k) => `${prefix}${await pulsarToken(Buffer.from(k, "base64"), v.role, validity)}`));
            }
        }
    }
}
