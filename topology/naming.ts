/** Naming rules and the fixed names other systems give things (the chart's release, roles, principals), in one place. */
import type { PlatformConfig } from "./config-schema";

/** An image of the orchestrator registry: `<registry>/<name>:<tag>`, with `@<digest>` when the stack pins one. */
export function orchestratorImage(config: Pick<PlatformConfig, "orchestrator">, name: string): string {
    const o = config.orchestrator;
    const digest = o.digests[name];
    return `${o.registry}/${name}:${o.tag}${digest ? `@${digest}` : ""}`;
}

/** The Pulsar role of a service within a tenant: `<tenant>.<service>`, so isolation is checkable by prefix. */
export function pulsarRole(tenant: string, service: string): string {
    return `${tenant}.${service}`;
}

export function kafkaPrincipal(service: string): string {
    return `User:${service}`;
}

export function pulsarTopicName(tenant: string, namespace: string, topic: string): string {
    return `persistent://${tenant}/${namespace}/${topic}`;
}

/** The parts of a persistent topic's full name (`persistent://tenant/ns/topic`); throws on anything else. */
export function pulsarTopicParts(topic: string): { tenant: string; namespace: string; local: string } {
    const m = /^persistent:\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
    if (!m) {
        throw new Error(`not a persistent Pulsar topic name: ${topic}`);
    }
    return { tenant: m[1] as string, namespace: `${m[1]}/${m[2]}`, local: m[3] as string };
}

/** The Pulsar admin REST API's path of a persistent topic (`persistent://t/ns/topic` -> `/admin/v2/persistent/t/ns/topic`). */
export function pulsarAdminTopicPath(topic: string): string {
    const { namespace, local } = pulsarTopicParts(topic);
    return `/admin/v2/persistent/${namespace}/${encodeURIComponent(local)}`;
}

/** The Pulsar chart's Helm release name; the chart names its Secrets and ServiceAccounts after it. */
export const PULSAR_RELEASE = "pulsar";
/** The chart's default super users besides the client one (`auth.superUsers` in charts/pulsar/values.yaml). */
export const CHART_SUPER_USERS = ["broker-admin", "proxy-admin"] as const;

export const PLATFORM_ADMIN_ROLE = "platform-admin";
/** The Kafka user the program manages MSK (SCRAM) and Confluent Cloud (service account) clusters as. */
export const KAFKA_ADMIN_USER = PLATFORM_ADMIN_ROLE;
/** The Pulsar chart's broker ServiceAccount (`pulsar.broker.serviceAccount` with release name `pulsar`). */
export const PULSAR_BROKER_SERVICE_ACCOUNT = "pulsar-broker-acct";
export const KAFKA_SINK_SERVICE = "kafka-sink";
/** The consumer-lag exporter's principal and Deployment (observability). */
export const LAG_EXPORTER_SERVICE = "kafka-exporter";
export const TENANT_ORCHESTRATOR_NAMESPACE = "orchestrator";
/**
 * The Pulsar namespace property that lists the catalog's topics a namespace creates on first use
 * (PulsarNamespacePlan.automaticTopics): the policies count them, and an operator sees them with
 * `pulsar-admin namespaces get-properties`.
 */
export const AUTOMATIC_TOPICS_PROPERTY = "messaging-platform/automatic-topics";

/** The CA certificate clients trust, as a Secret (key `ca.crt`) cert-manager issues into each namespace that needs it. */
export const PULSAR_CA_TRUST_SECRET = "pulsar-ca-trust";
/** Where pods mount that Secret (and where the resources operator is expected to). */
export const CA_MOUNT_PATH = "/etc/pulsar-ca";
