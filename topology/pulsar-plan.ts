/** The Pulsar side of a topology: the cluster, KoP, tenants, namespaces, topics and per-role permissions. */
import type { StreamSpec } from "./catalog";
import type { Environment, PlatformConfig } from "./config";
import type { CredentialBook } from "./credentials";
import type { KopTlsPlan, PulsarEndpoints, PulsarNamespacePlan, PulsarPermissionPlan, PulsarPlan, PulsarTenantPlan, PulsarTopicPlan, StreamRoute } from "./model";
import { CHART_SUPER_USERS, KAFKA_SINK_SERVICE, PLATFORM_ADMIN_ROLE, PULSAR_RELEASE, TENANT_ORCHESTRATOR_NAMESPACE, pulsarRole, pulsarTopicName } from "./naming";
import type { PhaseCapabilities } from "./phases";

/** Namespace storage limits by environment (retention size and backlog quota). */
const NAMESPACE_STORAGE: Record<Environment, string> = { local: "1Gi", dev: "20Gi", prod: "200Gi" };

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
    const groups = new Map<string, T[]>();
    for (const item of items) {
        const k = key(item);
        const group = groups.get(k);
        if (group) {
            group.push(item);
        } else {
            groups.set(k, [item]);
        }
    }
    return groups;
}

export function planPulsar(
    config: PlatformConfig,
    caps: PhaseCapabilities,
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    tenantNames: string[],
    book: CredentialBook,
): PulsarPlan {
    const p = config.pulsar;
    const ns = config.kubernetes.namespace;
    const mode = config.environment === "local" ? "standalone" : "helm";
    const brokerService = mode === "standalone" ? "pulsar" : "pulsar-broker";
    const host = `${brokerService}.${ns}.svc.cluster.local`;
    const kafkaService = "pulsar-kafka";
    const tls = p.tls.enabled;
    const kafkaListenerProtocol = tls ? "SASL_SSL" : p.auth.token ? "SASL_PLAINTEXT" : "PLAINTEXT";
    const kafkaPort = tls ? 9093 : 9092;
    const endpoints: PulsarEndpoints = {
        serviceUrl: tls ? `pulsar+ssl://${host}:6651` : `pulsar://${host}:6650`,
        httpUrl: tls ? `https://${host}:8443` : `http://${host}:8080`,
        kopBootstrap: `${kafkaService}.${ns}.svc.cluster.local:${kafkaPort}`,
        brokerService,
        kafkaService,
        kafkaPort,
        kafkaListenerProtocol,
    };

    // Topics: every stream that has reached Pulsar, plus per-tenant copies of the orchestrator streams.
    const topics: PulsarTopicPlan[] = [];
    for (const r of routes.filter((x) => x.state !== "kafka")) {
        const s = streams.get(r.stream) as StreamSpec;
        const schema = caps.schemas && s.schema ? { schema: s.schema } : {};
        const { tenant, namespace, topic } = s.pulsarTopic;
        topics.push({ name: pulsarTopicName(tenant, namespace, topic), namespace: `${tenant}/${namespace}`, stream: s.name, partitions: s.partitions, ...schema });
        if (s.bridge === "kop") {
            for (const t of tenantNames) {
                topics.push({
                    name: pulsarTopicName(t, TENANT_ORCHESTRATOR_NAMESPACE, topic),
                    namespace: `${t}/${TENANT_ORCHESTRATOR_NAMESPACE}`,
                    stream: s.name,
                    partitions: s.partitions,
                    ...schema,
                });
            }
        }
    }

    const tenants: PulsarTenantPlan[] = [
        { name: "public", adminRoles: [PLATFORM_ADMIN_ROLE] },
        ...(caps.tenantIsolation ? config.tenants.map((t) => ({ name: t.name, adminRoles: [...t.adminRoles] })) : []),
    ];

    const namespaceNames = new Set(topics.map((t) => t.namespace));
    if (caps.tenantIsolation) {
        for (const t of config.tenants) {
            namespaceNames.add(`${t.name}/${TENANT_ORCHESTRATOR_NAMESPACE}`);
            t.namespaces.forEach((n) => namespaceNames.add(`${t.name}/${n}`));
        }
    }
    const storage = NAMESPACE_STORAGE[config.environment];
    // Grouped once: a filter per namespace (and per route below) made plan() quadratic in the tenant count.
    const topicsByNamespace = groupBy(topics, (t) => t.namespace);
    const topicsByStream = groupBy(topics, (t) => t.stream);
    const namespaces: PulsarNamespacePlan[] = [...namespaceNames].sort().map((name) => {
        const inNs = (topicsByNamespace.get(name) ?? []).map((t) => streams.get(t.stream) as StreamSpec);
        const critical = inNs.some((s) => s.criticality === "critical");
        const retentionMs = Math.max(7 * 24 * 3600 * 1000, ...inNs.map((s) => s.retentionMs));
        const retention = `${Math.ceil(retentionMs / 3_600_000)}h`;
        return {
            name,
            tenant: name.split("/")[0] as string,
            // KoP does not move a durable cursor, so its namespaces need both retention and a TTL (KoP docs).
            retentionTime: retention,
            retentionSize: storage,
            messageTTL: retention,
            backlogQuotaLimitSize: storage,
            // Never evict unread messages: hold producers where the stream is critical, fail them elsewhere.
            backlogQuotaRetentionPolicy: critical ? "producer_request_hold" : "producer_exception",
            deduplication: critical,
            schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE",
        };
    });

    // Permissions: per topic and role, exactly the actions the route uses in this phase.
    const perms = new Map<string, PulsarPermissionPlan>();
    const allow = (resourceName: string, role: string, action: "produce" | "consume") => {
        const key = `${resourceName}|${role}`;
        const existing = perms.get(key);
        if (existing) {
            if (!existing.actions.includes(action)) {
                existing.actions.push(action);
                existing.actions.sort();
            }
        } else {
            perms.set(key, { resourceType: "topic", resourceName, role, actions: [action] });
        }
    };
    for (const r of routes) {
        const s = streams.get(r.stream) as StreamSpec;
        const homes = topicsByStream.get(s.name) ?? [];
        for (const t of homes) {
            const tenant = t.namespace.split("/")[0] as string;
            if (r.produce.some((e) => e.broker === "pulsar")) {
                s.producers.forEach((svc) => allow(t.name, pulsarRole(tenant, svc), "produce"));
            }
            r.consume
                .filter((c) => c.broker === "pulsar")
                .forEach((c) => allow(t.name, pulsarRole(tenant, c.service), "consume"));
            if (r.sink && tenant === s.pulsarTopic.tenant && t.namespace === `${s.pulsarTopic.tenant}/${s.pulsarTopic.namespace}`) {
                allow(t.name, pulsarRole(tenant, KAFKA_SINK_SERVICE), "consume");
            }
        }
    }
    const permissions = [...perms.values()].sort((a, b) => `${a.resourceName}|${a.role}`.localeCompare(`${b.resourceName}|${b.role}`));

    const allowedNamespaces = namespaces.map((n) => n.name);
    const kopTls: KopTlsPlan | null = tls
        ? {
              certificate: "pulsar-kop",
              secret: "pulsar-kop-tls",
              issuer: p.tls.certManagerIssuer,
              // The bootstrap Service and every broker's own name (the advertised listener of each broker).
              dnsNames: [`${kafkaService}.${ns}.svc.cluster.local`, `*.${brokerService}.${ns}.svc.cluster.local`],
              mountPath: "/pulsar/certs/kop",
              password: book.ref("pulsar-kop-keystore", "password", { from: "derived-password", label: "kop-keystore" }),
              passwordKeys: ["PULSAR_PREFIX_kopSslKeystorePassword", "PULSAR_PREFIX_kopSslKeyPassword", "PULSAR_PREFIX_kopSslTruststorePassword"],
          }
        : null;
    return {
        mode,
        version: p.version,
        image: `${p.imageRepository}:${p.version}`,
        chartVersion: p.chartVersion,
        brokers: mode === "standalone" ? 1 : p.brokers,
        bookies: mode === "standalone" ? 1 : p.bookies,
        tls: p.tls,
        tokenAuth: p.auth.token,
        auth: p.auth.token
            ? {
                  signingKey: { name: `${PULSAR_RELEASE}-token-symmetric-key`, key: "SECRETKEY" },
                  superUserTokens: [...CHART_SUPER_USERS, PLATFORM_ADMIN_ROLE].map((role) => ({ secret: `${PULSAR_RELEASE}-token-${role}`, role })),
              }
            : null,
        kop: { ...p.kop, brokerConfig: kopBrokerConfig(endpoints, allowedNamespaces, p.auth.token, kopTls), allowedNamespaces, tls: kopTls },
        endpoints,
        tenants,
        namespaces,
        topics,
        permissions,
    };
}

/**
 * broker.conf entries that enable KoP (streamnative/kop docs/kop.md, "Set configuration for KoP"; the same keys
 * for Starlight for Kafka). Keys that stock broker.conf does not have go through the chart's PULSAR_PREFIX_
 * convention ("Use PULSAR_PREFIX_ to add keys to broker.conf", charts/pulsar/values.yaml).
 */
function kopBrokerConfig(e: PulsarEndpoints, allowedNamespaces: string[], tokenAuth: boolean, tls: KopTlsPlan | null): Record<string, string> {
    const listenerName = "kafka_internal";
    const cfg: Record<string, string> = {
        messagingProtocols: "kafka",
        protocolHandlerDirectory: "./protocols",
        brokerEntryMetadataInterceptors: "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor",
        // KoP keeps offsets in managed ledgers: inactive-topic deletion would drop them ("very important in KoP").
        brokerDeleteInactiveTopicsEnabled: "false",
        allowAutoTopicCreationType: "partitioned",
        // Kafka clients >= 3.2 default to idempotent producers (KIP-679): KoP needs its transaction coordinator
        // and broker deduplication for them.
        brokerDeduplicationEnabled: "true",
        PULSAR_PREFIX_kafkaTransactionCoordinatorEnabled: "true",
        PULSAR_PREFIX_kafkaListeners: `${listenerName}://0.0.0.0:${e.kafkaPort}`,
        PULSAR_PREFIX_kafkaProtocolMap: `${listenerName}:${e.kafkaListenerProtocol}`,
        // Each broker advertises itself: KoP replaces the literal host `advertisedAddress` with the broker's
        // advertisedAddress (its pod FQDN under the chart, the Service standalone), so clients reach the partition
        // leader rather than whichever broker the bootstrap Service picked (streamnative/kop
        // KafkaServiceConfigurationTest.testKafkaListenersWithAdvertisedListener).
        PULSAR_PREFIX_kafkaAdvertisedListeners: `${listenerName}://advertisedAddress:${e.kafkaPort}`,
        PULSAR_PREFIX_kopAllowedNamespaces: allowedNamespaces.join(","),
        PULSAR_PREFIX_kafkaTenant: "public",
        PULSAR_PREFIX_kafkaNamespace: "default",
    };
    if (tokenAuth) {
        cfg.PULSAR_PREFIX_saslAllowedMechanisms = "PLAIN";
    }
    if (tls) {
        // KoP's kopSsl* keys map onto Kafka's ssl.* configs (streamnative/kop SSLUtils.CONFIG_NAME_MAP).
        Object.assign(cfg, {
            PULSAR_PREFIX_kopSslKeystoreType: "PKCS12",
            PULSAR_PREFIX_kopSslKeystoreLocation: `${tls.mountPath}/keystore.p12`,
            PULSAR_PREFIX_kopSslTruststoreType: "PKCS12",
            PULSAR_PREFIX_kopSslTruststoreLocation: `${tls.mountPath}/truststore.p12`,
        });
    }
    return cfg;
}
