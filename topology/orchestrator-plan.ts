/** The orchestrator Deployments: which services run as Deployments in a phase, and the env each gets (seed 000/001). */
import { MATCHER_SERVICE, SERVICES } from "./catalog";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, credentialSecretName, type CredentialBook, type SecretKeyRef } from "./credentials";
import type { DeploymentPlan, EnvVarPlan, KafkaPlan, PulsarPlan, SecretVolumePlan } from "./model";
import { TENANT_ORCHESTRATOR_NAMESPACE, orchestratorImage, pulsarRole } from "./naming";
import type { PhaseCapabilities } from "./phases";

export function planDeployments(
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
        image: orchestratorImage(config, s.name),
        replicas: config.orchestrator.replicas,
        port: s.port ?? 8080,
        ...orchestratorEnv(s.name, config, caps, pulsar, kafka, tenantNames, book),
    }));
}

/** Kafka client names of the config's SASL mechanisms. */

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
            if (kafka.clientBootstrapServers) {
                set("KAFKA_BROKERS", kafka.clientBootstrapServers.join(","));
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
            if (p.tls) {
                // KoP's TLS listener has a certificate of the platform's CA: the client trusts exactly that CA.
                set("KAFKA_SSL_CA_LOCATION", trustCa(p, secretVolumes));
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
            if (p.tls) {
                set("PULSAR_TLS_TRUST_CERTS_FILE_PATH", trustCa(p, secretVolumes));
                set("PULSAR_TLS_VALIDATE_HOSTNAME", "true");
            }
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

/** Mounts the platform's CA certificate (the trust Secret cert-manager issues into the namespace); returns its file. */
function trustCa(p: PulsarPlan, secretVolumes: SecretVolumePlan[]): string {
    const trust = (p.tls as NonNullable<PulsarPlan["tls"]>).trust;
    secretVolumes.push({ name: "pulsar-ca", secret: trust.secret, mountPath: trust.mountPath, items: [{ key: trust.key, path: trust.key }] });
    return trust.file;
}

