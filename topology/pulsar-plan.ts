/** The Pulsar side of a topology: the cluster, KoP, tenants, namespaces, topics and per-role permissions. */
import type { StreamSpec } from "./catalog";
import type { PlatformConfig } from "./config";
import { tokenValidity, type CredentialBook } from "./credentials";
import type {
    KopHandlerPlan,
    KopTlsPlan,
    PulsarEndpoints,
    PulsarNamespacePlan,
    PulsarPermissionPlan,
    PulsarPlan,
    PulsarTenantPlan,
    PulsarTlsPlan,
    PulsarTopicPlan,
    StreamRoute,
} from "./model";
import {
    CA_MOUNT_PATH,
    CHART_SUPER_USERS,
    KAFKA_SINK_SERVICE,
    LAG_EXPORTER_SERVICE,
    PLATFORM_ADMIN_ROLE,
    PULSAR_CA_TRUST_SECRET,
    PULSAR_RELEASE,
    TENANT_ORCHESTRATOR_NAMESPACE,
    pulsarRole,
    pulsarTopicName,
} from "./naming";
import type { PhaseCapabilities } from "./phases";

/** The Service of the standalone broker (local). */
const STANDALONE_SERVICE = "pulsar";

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

/** What planPulsar reads of a stack's config: a central stack's, or an edge site's (topology/edge-plan.ts). */
export type PulsarPlanInput = Pick<PlatformConfig, "pulsar" | "kubernetes" | "environment" | "tenants" | "observability">;

export function planPulsar(
    config: PulsarPlanInput,
    caps: PhaseCapabilities,
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    tenantNames: string[],
    book: CredentialBook,
    /** `kafkaProtocol: false`: no KoP (an edge site, whose one client is a Pulsar client). @default true */
    options: { kafkaProtocol?: boolean } = {},
): PulsarPlan {
    const kafkaProtocol = options.kafkaProtocol ?? true;
    const p = config.pulsar;
    const ns = config.kubernetes.namespace;
    const mode = config.environment === "local" ? "standalone" : "helm";
    const standalone = mode === "standalone";
    const brokers = standalone ? 1 : p.brokers;
    const domain = `${ns}.svc.cluster.local`;
    const brokerService = standalone ? STANDALONE_SERVICE : `${PULSAR_RELEASE}-broker`;
    const brokerPodService = standalone ? STANDALONE_SERVICE : `${PULSAR_RELEASE}-broker-headless`;
    const host = `${brokerService}.${domain}`;
    const kafkaService = "pulsar-kafka";
    const tls = p.tls.enabled;
    const kafkaListenerProtocol = tls ? "SASL_SSL" : p.auth.token ? "SASL_PLAINTEXT" : "PLAINTEXT";
    const kafkaPort = tls ? 9093 : 9092;
    // Standalone: the pod's own name does not resolve, so it advertises its Service. Under the chart each broker
    // advertises its pod FQDN under the headless Service (the chart sets no advertisedAddress; the JVM's canonical
    // host name would be the same, but not by contract).
    const brokerHosts = standalone ? [host] : Array.from({ length: brokers }, (_, i) => `${PULSAR_RELEASE}-broker-${i}.${brokerPodService}.${domain}`);
    const endpoints: PulsarEndpoints = {
        serviceUrl: tls ? `pulsar+ssl://${host}:6651` : `pulsar://${host}:6650`,
        httpUrl: tls ? `https://${host}:8443` : `http://${host}:8080`,
        kopBootstrap: `${kafkaService}.${domain}:${kafkaPort}`,
        brokerService,
        brokerPodService,
        kafkaService,
        kafkaPort,
        kafkaListenerProtocol,
        advertisedAddress: standalone ? host : `$(POD_NAME).${brokerPodService}.${domain}`,
        clientHosts: [...new Set([host, ...brokerHosts, `${kafkaService}.${domain}`])],
    };
    const tlsPlan: PulsarTlsPlan | null = tls
        ? {
              issuer: p.tls.certManagerIssuer,
              certManagerNamespace: p.tls.certManagerNamespace,
              trust: { secret: PULSAR_CA_TRUST_SECRET, key: "ca.crt", mountPath: CA_MOUNT_PATH, file: `${CA_MOUNT_PATH}/ca.crt`, namespaces: [ns, ...p.tls.trustNamespaces] },
              brokerDnsNames: [host],
              proxyDnsNames: [`${PULSAR_RELEASE}-proxy.${domain}`],
          }
        : null;

    // Topics: every stream that has reached Pulsar, declared; plus per-tenant copies of the orchestrator streams, which
    // each tenant's namespace creates on first use. Declaring them would cost a resource per stream and tenant, and the
    // tenant list is the part of the platform that grows (issue 15: a constant, small cost per tenant). Automatic
    // creation has one partition count per namespace (topicAutoCreationConfig): the largest of the copied streams', so
    // no copy has fewer partitions (less parallelism) than the catalog gives it. It registers no schema: the first
    // producer that carries one registers it, and the namespace's compatibility strategy holds every later version to
    // it; Pulsar refuses even that first schema where auto update is off ("Schema not found and schema auto updating is
    // disabled", PersistentTopic.addSchema), so the namespace allows it (tenancySpecs).
    const topics: PulsarTopicPlan[] = [];
    const tenantCopies: StreamSpec[] = [];
    for (const r of routes.filter((x) => x.state !== "kafka")) {
        const s = streams.get(r.stream) as StreamSpec;
        const schema = caps.schemas && s.schema ? { schema: s.schema } : {};
        const { tenant, namespace, topic } = s.pulsarTopic;
        topics.push({ name: pulsarTopicName(tenant, namespace, topic), namespace: `${tenant}/${namespace}`, stream: s.name, partitions: s.partitions, creation: "declared", ...schema });
        if (s.bridge === "kop" && tenantNames.length > 0) {
            tenantCopies.push(s);
        }
    }
    const tenantPartitions = Math.max(0, ...tenantCopies.map((s) => s.partitions));
    for (const t of tenantNames) {
        const namespace = `${t}/${TENANT_ORCHESTRATOR_NAMESPACE}`;
        for (const s of tenantCopies) {
            topics.push({ name: pulsarTopicName(t, TENANT_ORCHESTRATOR_NAMESPACE, s.pulsarTopic.topic), namespace, stream: s.name, partitions: tenantPartitions, creation: "automatic" });
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
    // Each topic partition's retention (its backlog quota just below it: backlogQuotaWithin), in MiB (a Kubernetes quantity): a partition is a managed
    // ledger of its own, and retention applies to each.
    const storage = `${Math.round(p.sizing.topicRetentionGi * 1024)}Mi`;
    // Grouped once: a filter per namespace (and per route below) made plan() quadratic in the tenant count.
    const topicsByNamespace = groupBy(topics, (t) => t.namespace);
    const topicsByStream = groupBy(topics, (t) => t.stream);
    const namespaces: PulsarNamespacePlan[] = [...namespaceNames].sort().map((name) => {
        const inNs = (topicsByNamespace.get(name) ?? []).map((t) => streams.get(t.stream) as StreamSpec);
        const automatic = (topicsByNamespace.get(name) ?? []).filter((t) => t.creation === "automatic").map((t) => t.name.split("/").pop() as string);
        const critical = inNs.some((s) => s.criticality === "critical");
        const retentionMs = Math.max(7 * 24 * 3600 * 1000, ...inNs.map((s) => s.retentionMs));
        const retentionHours = Math.ceil(retentionMs / 3_600_000);
        const retention = `${retentionHours}h`;
        return {
            name,
            tenant: name.split("/")[0] as string,
            // KoP does not move a durable cursor, so its namespaces need both retention and a TTL (KoP docs).
            retentionTime: retention,
            retentionSeconds: retentionHours * 3600,
            retentionSize: storage,
            messageTTL: retention,
            backlogQuotaLimitSize: backlogQuotaWithin(storage),
            // Never evict unread messages: hold producers where the stream is critical, fail them elsewhere.
            backlogQuotaRetentionPolicy: critical ? "producer_request_hold" : "producer_exception",
            deduplication: critical,
            schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE",
            ...(automatic.length > 0 ? { automaticTopics: { partitions: tenantPartitions, topics: automatic } } : {}),
        };
    });

    // Permissions: exactly the actions the routes use in this phase, per topic and role; in a tenant's own namespace,
    // per namespace and role. The tenant boundary is the isolation boundary: every topic of a tenant's namespace is
    // that tenant's, so a grant on the namespace reaches nothing a grant on each of its topics would not (topics
    // created there later, by the services of the catalog, are the tenant's too), and the cost per tenant stays
    // constant. Shared namespaces (public's) stay per topic.
    const tenantNamespaces = new Set(tenantNames.map((t) => `${t}/${TENANT_ORCHESTRATOR_NAMESPACE}`));
    const perms = new Map<string, PulsarPermissionPlan>();
    const allow = (topic: PulsarTopicPlan, role: string, action: "produce" | "consume") => {
        const onNamespace = tenantNamespaces.has(topic.namespace);
        const resourceName = onNamespace ? topic.namespace : topic.name;
        const key = `${resourceName}|${role}`;
        const existing = perms.get(key);
        if (existing) {
            if (!existing.actions.includes(action)) {
                existing.actions.push(action);
                existing.actions.sort();
            }
        } else {
            perms.set(key, { resourceType: onNamespace ? "namespace" : "topic", resourceName, role, actions: [action] });
        }
    };
    // Who acts in a tenant's namespace: the shared services (the Deployments and the one matcher Function) serve every
    // tenant from the same pods with one token each, their role in `public` (the platform's own tenant), granted in
    // each tenant's namespace. A tenant's own roles (its admins) never reach another tenant.
    const sharedRole = (svc: string) => pulsarRole("public", svc);
    for (const r of routes) {
        const s = streams.get(r.stream) as StreamSpec;
        const homes = topicsByStream.get(s.name) ?? [];
        for (const t of homes) {
            const tenant = t.namespace.split("/")[0] as string;
            if (r.produce.some((e) => e.broker === "pulsar")) {
                s.producers.forEach((svc) => allow(t, sharedRole(svc), "produce"));
            }
            r.consume
                .filter((c) => c.broker === "pulsar")
                .forEach((c) => allow(t, sharedRole(c.service), "consume"));
            if (r.sink && tenant === s.pulsarTopic.tenant && t.namespace === `${s.pulsarTopic.tenant}/${s.pulsarTopic.namespace}`) {
                allow(t, pulsarRole(tenant, KAFKA_SINK_SERVICE), "consume");
            }
            // The KoP lag exporter reads the groups' committed offsets and the log ends of these topics; KoP authorizes
            // both against the topic's consume permission (its Kafka-to-Pulsar ACL mapping has no describe-only action).
            if (config.observability.enabled && r.state === "kop" && tenant === "public") {
                allow(t, pulsarRole(tenant, LAG_EXPORTER_SERVICE), "consume");
            }
        }
    }
    const permissions = [...perms.values()].sort((a, b) => `${a.resourceName}|${a.role}`.localeCompare(`${b.resourceName}|${b.role}`));

    const allowedNamespaces = kafkaProtocol ? namespaces.map((n) => n.name) : [];
    const kopTls: KopTlsPlan | null = tlsPlan && kafkaProtocol
        ? {
              certificate: "pulsar-kop",
              secret: "pulsar-kop-tls",
              issuer: tlsPlan.issuer,
              // The bootstrap Service, and every broker's advertised name (one label under the headless Service).
              dnsNames: [`${kafkaService}.${domain}`, `*.${brokerPodService}.${domain}`],
              mountPath: "/pulsar/certs/kop",
              password: book.ref("pulsar-kop-keystore", "password", { from: "derived-password", label: "kop-keystore" }),
              passwordKeys: ["PULSAR_PREFIX_kopSslKeystorePassword", "PULSAR_PREFIX_kopSslKeyPassword", "PULSAR_PREFIX_kopSslTruststorePassword"],
          }
        : null;
    const handler: KopHandlerPlan =
        p.kop.source === "image"
            ? { source: "image" }
            : {
                  source: "download",
                  narUrl: p.kop.narUrl as string,
                  sha256: p.kop.sha256 as string,
                  fetchImage: p.kop.fetchImage,
                  file: narFileName(p.kop.narUrl as string),
                  runAsUser: FETCH_UID,
                  runAsGroup: FETCH_GID,
              };
    return {
        mode,
        version: p.version,
        image: `${p.imageRepository}:${p.imageTag}${p.imageDigest ? `@${p.imageDigest}` : ""}`,
        chartVersion: p.chartVersion,
        brokers,
        bookies: standalone ? 1 : p.bookies,
        tls: tlsPlan,
        tokenAuth: p.auth.token,
        auth: p.auth.token
            ? {
                  validity: tokenValidity(p.auth.tokenEpoch as string, p.auth.tokenLifetimeDays),
                  signingKey: { name: `${PULSAR_RELEASE}-token-symmetric-key`, key: "SECRETKEY" },
                  superUserTokens: [...CHART_SUPER_USERS, PLATFORM_ADMIN_ROLE].map((role) => ({ secret: `${PULSAR_RELEASE}-token-${role}`, role })),
              }
            : null,
        kop: {
            distribution: p.kop.distribution,
            version: p.kop.version,
            handler,
            // Without it no messagingProtocols: the brokers load no protocol handler, whatever the image carries.
            brokerConfig: kafkaProtocol ? kopBrokerConfig(endpoints, allowedNamespaces, p.auth.token, kopTls) : {},
            allowedNamespaces,
            tls: kopTls,
        },
        sizing: p.sizing,
        ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}),
        // The brokers serve Pulsar's WebSocket API on their web port (endpoints.httpUrl; broker.conf has it off): the
        // native client of the project's tools (npm run smoke, the drill) where pulsar-client cannot be installed
        // (scripts/pulsar-websocket.ts). It authenticates and authorizes as the binary protocol does.
        brokerConfig: { webSocketServiceEnabled: "true" },
        endpoints,
        tenants,
        namespaces,
        topics,
        permissions,
    };
}

/**
 * The uid and gid the KoP fetch container runs as. curlimages/curl's USER is the name `curl_user`, created by
 * `adduser -S` without a uid (curl/curl-container create_base_image.sh), which the kubelet cannot check against
 * runAsNonRoot ("container has runAsNonRoot and image has non-numeric user", curl/curl-docker#62, open); in the image
 * it is uid 100, gid 101. Any non-zero uid passes the check and can write the emptyDir (created 0777).
 */
export const FETCH_UID = 100;
export const FETCH_GID = 101;

/** The NAR's file name in the protocols directory. */
export function narFileName(narUrl: string): string {
    const last = narUrl.split("?")[0]?.split("/").pop() ?? "";
    return last.endsWith(".nar") ? last : "pulsar-protocol-handler-kafka.nar";
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
        // Messages stored as Pulsar entries, so native consumers (the matcher Function from phase 2, the sinks and
        // mirrors of a transition) read what Kafka clients wrote through KoP, and the other way round. `pulsar` is
        // KoP's default; written out because the transitions depend on it (streamnative/kop docs/configuration.md
        // `entryFormat`; docs.streamnative.io "Interoperability between Kafka and Pulsar").
        PULSAR_PREFIX_entryFormat: "pulsar",
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

/**
 * The backlog quota that goes with a retention size: 90% of it, in MiB. Pulsar refuses a backlog quota that is not
 * strictly below the namespace's retention size (HTTP 412 "Backlog Quota exceeds configured retention quota",
 * NamespacesBase checkQuotas), so a quota equal to the retention is never applied; below it, producers are held or
 * failed while the unread messages still fit in what the partition retains. Checked against Apache Pulsar itself in
 * test/pulsar/tenancy.test.ts.
 */
export function backlogQuotaWithin(retentionSize: string): string {
    const m = /^(\d+)Mi$/.exec(retentionSize);
    if (!m) {
        throw new Error(`a retention size in Mi is expected, not ${retentionSize}`);
    }
    return `${Math.floor(Number(m[1]) * 0.9)}Mi`;
}
