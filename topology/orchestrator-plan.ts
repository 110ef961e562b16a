/** The orchestrator Deployments: which services run as Deployments in a phase, and the env each gets (seed 000/001). */
import { MATCHER_SERVICE, SERVICES } from "./catalog";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, type CredentialBook, type SecretKeyRef } from "./credentials";
import type { ConfigVolumePlan, DeploymentPlan, EnvVarPlan, KafkaPlan, PulsarPlan, SecretVolumePlan, TenantDirectoryPlan } from "./model";
import { TENANT_ORCHESTRATOR_NAMESPACE, orchestratorImage, pulsarRole } from "./naming";
import type { PhaseCapabilities } from "./phases";

/** The ConfigMap with the tenant list and where the services find it. */
export const TENANT_DIRECTORY = { configMap: "orchestrator-tenants", key: "tenants", mountPath: "/etc/messaging-platform/tenants" } as const;

/** The tenant list of a plan with tenant isolation; null before phase 3. */
export function planTenantDirectory(caps: PhaseCapabilities, tenantNames: string[]): TenantDirectoryPlan | null {
    if (!caps.tenantIsolation) {
        return null;
    }
    return { ...TENANT_DIRECTORY, file: `${TENANT_DIRECTORY.mountPath}/${TENANT_DIRECTORY.key}`, tenants: [...tenantNames].sort() };
}

export function planDeployments(
    config: PlatformConfig,
    caps: PhaseCapabilities,
    pulsar: PulsarPlan | null,
    kafka: KafkaPlan | null,
    tenants: TenantDirectoryPlan | null,
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
        ...orchestratorEnv(s.name, config, caps, pulsar, kafka, tenants, book),
    }));
}

/** Kafka client names of the config's SASL mechanisms. */

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
    tenants: TenantDirectoryPlan | null,
    book: CredentialBook,
): { env: EnvVarPlan[]; secretVolumes: SecretVolumePlan[]; configVolumes: ConfigVolumePlan[] } {
    const env: EnvVarPlan[] = [];
    const secretVolumes: SecretVolumePlan[] = [];
    const configVolumes: ConfigVolumePlan[] = [];
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
            if (tenants) {
                // Seed 000 phase III: ingress routes each tenant to `<tenant>/orchestrator`; public/default stays the
                // fallback. The tenant list is a mounted file the services re-read, not env: a tenant added or removed
                // changes the ConfigMap only, and no pod restarts. The service's one token (its role) is granted on
                // every tenant's namespace (topology/pulsar-plan.ts): a pod that serves every tenant holds every
                // tenant's access anyway, so per-tenant tokens in the same pod added Secrets, not isolation.
                set("PULSAR_NAMESPACE_ROUTING", "tenant");
                set("PULSAR_TENANT_NAMESPACE_PATTERN", `{tenant}/${TENANT_ORCHESTRATOR_NAMESPACE}`);
                set("PULSAR_TENANTS_FILE", tenants.file);
                configVolumes.push({ name: "tenants", configMap: tenants.configMap, mountPath: tenants.mountPath });
            }
            break;
        }
    }
    return { env, secretVolumes, configVolumes };
}

/** Mounts the platform's CA certificate (the trust Secret cert-manager issues into the namespace); returns its file. */
export function trustCa(p: PulsarPlan, secretVolumes: SecretVolumePlan[]): string {
    const trust = (p.tls as NonNullable<PulsarPlan["tls"]>).trust;
    secretVolumes.push({ name: "pulsar-ca", secret: trust.secret, mountPath: trust.mountPath, items: [{ key: trust.key, path: trust.key }] });
    return trust.file;
}

