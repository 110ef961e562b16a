/**
 * An edge site's plan (seed 004: "Pulsar: edge/ingest and geo-buffering at remote telescope sites"; "Built-in
 * geo-replication ... to central clusters"; "Enforce TLS/mTLS for cross-site replication"), and what the central stack
 * plans for the sites it accepts. Pure.
 *
 * The site is a small Pulsar cluster of its own (its cluster name `edge-<site>`) with the telescope ingest namespace,
 * replicated one way to central: the site's namespace lists both clusters, central's only itself ("1-way replication",
 * pulsar.apache.org administration-geo). The Pulsar resources operator does it: a PulsarConnection to central and a
 * PulsarGeoReplication from the site's connection to it register central as a cluster on the site, and the namespace's
 * `geoReplicationRefs` make the operator set its replication clusters (pulsar-resources-operator
 * reconcile_geo_replication.go, reconcile_namespace.go). The replicator presents a client certificate (CN = its role at
 * central) through the cluster entry's auth plugin (`clusterParamsOverride.authentication`, AuthenticationTls): the
 * operator itself copies only token auth into the entry.
 *
 * What makes the buffer lossless while the link is down: the replicator is a durable cursor, so unreplicated messages
 * are backlog, which retention does not touch; a backlog quota with producer_request_hold holds the telescopes'
 * producers when the buffer is full rather than evicting (consumer_backlog_eviction would skip the replicator's
 * cursor: BacklogQuotaManager), and the namespace has no message TTL (expiry applies to replicator cursors too:
 * PersistentTopic.checkMessageExpiry).
 */
import { z } from "zod";
import { STREAMS, type StreamSpec } from "./catalog";
import { CredentialBook } from "./credentials";
import { edgePulsarInput, type EdgeConfig } from "./edge-config";
import { CENTRAL_CLUSTER_NAME, EDGE_INGEST_STREAM, edgeClusterName, replicatorRole } from "./edge-names";
import type { PulsarPlan, StreamRoute, Topology } from "./model";
import { pulsarTopicName } from "./naming";
import { PHASE_CAPABILITIES } from "./phases";
import { backlogQuotaWithin, planPulsar } from "./pulsar-plan";

/** What a central stack exports for its edge sites (its `edgeReplication` output), as an edge reads it. */
export const centralViewSchema = z.object({
    clusterName: z.string().min(1),
    brokerServiceSecureURL: z.string().regex(/^pulsar\+ssl:\/\/[^/\s]+:\d+$/),
    adminServiceSecureURL: z.string().regex(/^https:\/\/[^/\s]+:\d+$/),
    acceptedSites: z.array(z.string()),
    /** The central CA's certificate (PEM): what the site's replicator trusts central's brokers by. */
    caCertificate: z.string().includes("BEGIN CERTIFICATE").optional(),
});
export type CentralView = z.output<typeof centralViewSchema>;

/** The central view of a StackReference output, or why it cannot be used. */
export function readCentralView(output: unknown): { view: CentralView } | { problem: string } {
    if (output === undefined || output === null) {
        return { problem: "the central stack exports no edgeReplication (it lists no edge sites, takes none in its phase, or has not been updated since: `npm run plan -- --stack <central>` says which)" };
    }
    const parsed = centralViewSchema.safeParse(output);
    return parsed.success ? { view: parsed.data } : { problem: `its edgeReplication output is not what this program reads: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}` };
}

export const AUTHENTICATION_TLS_PLUGIN = "org.apache.pulsar.client.impl.auth.AuthenticationTls";

export interface EdgeReplicationPlan {
    /** The replicated namespace and its topic (telescope telemetry). */
    namespace: string;
    topic: string;
    central: Omit<CentralView, "acceptedSites" | "caCertificate"> & { caCertificate: string };
    /** The PulsarConnection to central and the PulsarGeoReplication from the site's connection to it. */
    connection: string;
    geoReplication: string;
    /** The replicator's client certificate (the site's CA issues it; central trusts that CA). */
    client: { certificate: string; secret: string; commonName: string; mountPath: string };
    /** Central's CA, as the site's brokers read it (brokerClientTrustCertsFilePath of the cluster entry). */
    centralCa: { secret: string; key: string; mountPath: string; file: string };
    /** The cluster entry's client auth: AuthenticationTls with the mounted certificate. */
    authPlugin: typeof AUTHENTICATION_TLS_PLUGIN;
    authParameters: string;
}

export interface EdgeSitePlan {
    site: string;
    clusterName: string;
    centralStack: string;
    /** The site's own Pulsar, in the shape the Pulsar components realise (no Kafka, RabbitMQ or orchestrator). */
    topology: Topology;
    replication: EdgeReplicationPlan | null;
    /** Why nothing replicates yet (the site buffers until central accepts it). */
    replicationOff?: string;
}

const REPLICATOR_MOUNT = "/pulsar/certs/replicator";
const CENTRAL_CA_MOUNT = "/pulsar/certs/central-ca";

/** The stream an edge site ingests and replicates, and its Pulsar topic (topology/catalog.ts). */
export function edgeIngestStream(): { stream: StreamSpec; topic: string } {
    const stream = STREAMS.find((s) => s.name === EDGE_INGEST_STREAM) as StreamSpec;
    return { stream, topic: pulsarTopicName(stream.pulsarTopic.tenant, stream.pulsarTopic.namespace, stream.pulsarTopic.topic) };
}

/** The telemetry stream as the site has it: produced there by telescope-gateway, read at central. */
function ingestRoute(s: StreamSpec, topic: string): StreamRoute {
    return { stream: s.name, criticality: s.criticality, state: "pulsar", producers: [...s.producers], produce: [{ broker: "pulsar", protocol: "pulsar", topic }], consume: [] };
}

export function planEdgeSite(c: EdgeConfig, central: CentralView | undefined): EdgeSitePlan {
    const { stream, topic } = edgeIngestStream();
    const route = ingestRoute(stream, topic);
    const book = new CredentialBook();
    const caps = PHASE_CAPABILITIES[2];
    // The site speaks Pulsar only: its one client, telescope-gateway, is a Pulsar client (topology/catalog.ts).
    const pulsar: PulsarPlan = planPulsar(edgePulsarInput(c), caps, [route], new Map([[stream.name, stream]]), [], book, { kafkaProtocol: false });
    const clusterName = edgeClusterName(c.site);
    const namespace = `${stream.pulsarTopic.tenant}/${stream.pulsarTopic.namespace}`;

    let replication: EdgeReplicationPlan | null = null;
    let replicationOff: string | undefined;
    if (!central) {
        replicationOff = `central (${c.central.stack}) exports no edgeReplication yet`;
    } else if (!central.acceptedSites.includes(c.site)) {
        replicationOff = `central (${c.central.stack}) does not list ${c.site} in its edgeSites.sites (it accepts: ${central.acceptedSites.join(", ") || "none"})`;
    } else if (central.clusterName === clusterName) {
        replicationOff = `central's cluster name is ${central.clusterName}, the same as this site's`;
    } else if (!central.caCertificate) {
        replicationOff = `central (${c.central.stack}) exports no CA certificate yet (its next update does)`;
    } else {
        replication = {
            namespace,
            topic,
            central: {
                clusterName: central.clusterName,
                brokerServiceSecureURL: central.brokerServiceSecureURL,
                adminServiceSecureURL: central.adminServiceSecureURL,
                caCertificate: central.caCertificate,
            },
            connection: "central",
            geoReplication: "to-central",
            client: { certificate: "edge-replicator", secret: "edge-replicator-tls", commonName: replicatorRole(c.site), mountPath: REPLICATOR_MOUNT },
            centralCa: { secret: "central-ca", key: "ca.crt", mountPath: CENTRAL_CA_MOUNT, file: `${CENTRAL_CA_MOUNT}/ca.crt` },
            authPlugin: AUTHENTICATION_TLS_PLUGIN,
            authParameters: `tlsCertFile:${REPLICATOR_MOUNT}/tls.crt,tlsKeyFile:${REPLICATOR_MOUNT}/tls.key`,
        };
    }

    // The ingest namespace as a buffer: short retention for local replay, no TTL, producers held (never evicted) when
    // the buffer is full, replicated to central once it accepts the site.
    const bufferMi = `${Math.round(c.ingest.bufferGi * 1024)}Mi`;
    pulsar.clusterName = clusterName;
    pulsar.namespaces = pulsar.namespaces.map((n) =>
        n.name === namespace
            ? {
                  ...n,
                  retentionTime: `${c.ingest.retentionHours}h`,
                  retentionSeconds: c.ingest.retentionHours * 3600,
                  retentionSize: bufferMi,
                  messageTTL: "0s",
                  backlogQuotaLimitSize: backlogQuotaWithin(bufferMi),
                  backlogQuotaRetentionPolicy: "producer_request_hold",
                  ...(replication ? { geoReplicationRefs: [replication.geoReplication] } : {}),
              }
            : n,
    );
    pulsar.tenants = pulsar.tenants.map((t) =>
        t.name === stream.pulsarTopic.tenant && replication ? { ...t, allowedClusters: [clusterName, replication.central.clusterName] } : t,
    );
    // A replicator starts where its cursor is created, by default at the topic's end (broker `replicationStartAt`,
    // "latest"; apache/pulsar PIP-356). The site ingests before central pairs with it (central pairs from phase 2,
    // edgeIngestGap), so its replicator starts at the earliest message retention kept: what came in while unpaired
    // is replicated too, as far back as `ingest.retentionHours`. A replicator created again (after an unpairing)
    // resends what is retained: duplicates at central rather than a gap. The key is set with the chart's
    // PULSAR_PREFIX_, which writes it whether or not the image's broker.conf lists it.
    pulsar.brokerConfig = { ...pulsar.brokerConfig, PULSAR_PREFIX_replicationStartAt: "earliest" };
    if (replication) {
        // The replicator runs in the brokers: its certificate and central's CA are files there.
        pulsar.brokerSecretMounts = [
            { name: "edge-replicator-tls", secret: replication.client.secret, mountPath: replication.client.mountPath },
            { name: "central-ca", secret: replication.centralCa.secret, mountPath: replication.centralCa.mountPath },
        ];
    }

    // An edge site has no migration phase: its Pulsar is planned with phase 2's capabilities (native Pulsar, schemas),
    // which is what `phase` records here; nothing on the site reads it.
    const topology: Topology = {
        phase: 2,
        phaseName: "native",
        environment: c.environment,
        cloud: c.cloud,
        capabilities: caps,
        protectData: c.environment === "prod",
        kafka: null,
        pulsar,
        routes: [route],
        deployments: [],
        tenantDirectory: null,
        functions: [],
        sinks: [],
        mirrors: [],
        rabbitmq: { vhost: "", exchanges: [], queues: [], bindings: [], policies: [], users: [], admin: { name: "", configure: "^$", write: "^$", read: "^$" } },
        auditBridge: null,
        edgePairing: null,
        archive: null,
        offload: null,
        credentials: book.list(),
        kubernetes: { namespace: c.kubernetes.namespace, ...(c.kubernetes.context ? { context: c.kubernetes.context } : {}) },
        observability: { enabled: false, exporterImage: "", lagExporters: [], rabbitmqMetrics: null },
    };
    return { site: c.site, clusterName, centralStack: c.central.stack, topology, replication, ...(replicationOff ? { replicationOff } : {}) };
}

/** The central side of the edge sites a central stack accepts (its `edgeSites` config). */
export interface EdgePairingPlan {
    /** The DNS name edges reach central's Pulsar proxy at (in its certificate's names). */
    endpoint: string;
    /** What the central stack exports as `edgeReplication` (the CA certificate is added by the component). */
    view: Omit<CentralView, "caCertificate">;
    sites: { name: string; stack: string; clusterName: string; replicatorRole: string }[];
}

/**
 * Why central cannot take its sites' replication with these routes, or undefined when it can. A site's messages reach
 * central only on the ingest stream's Pulsar topic (the replicator writes nowhere else), so every consumer of the
 * stream must get that topic's messages: by reading Pulsar (natively or through KoP), or through a Pulsar -> Kafka
 * sink. In a phase where the stream's consumers read Kafka and nothing carries Pulsar's copy there (phase 1's shadow
 * state: producers write both, consumers read Kafka), replicated messages would reach no consumer and expire with
 * retention, so central does not pair. Until it does, a site keeps its ingest for its retention only (no replicator
 * cursor holds a backlog yet) and replicates what it kept once paired (`replicationStartAt`, planEdgeSite).
 */
export function edgeIngestGap(routes: readonly StreamRoute[]): string | undefined {
    const { stream } = edgeIngestStream();
    const route = routes.find((r) => r.stream === stream.name);
    if (!route) {
        return `no route for ${stream.name}`;
    }
    const onKafka = route.consume.filter((c) => c.broker !== "pulsar");
    if (onKafka.length === 0 || route.sink !== undefined) {
        return undefined;
    }
    return (
        `${stream.name} is ${route.state} here: ${onKafka.map((c) => c.service).join(", ")} read Kafka and nothing carries its Pulsar topic there, ` +
        "so what the sites replicate would reach no consumer; the sites keep their ingest for their retention until a phase with its Pulsar -> Kafka sink or Pulsar consumers"
    );
}

/** Central's side of the sites it accepts; plan() calls it only in a phase without an edgeIngestGap. */
export function planEdgePairing(edgeSites: { endpoint?: string | undefined; sites: { name: string; stack: string }[] }): EdgePairingPlan | null {
    if (edgeSites.sites.length === 0 || !edgeSites.endpoint) {
        return null;
    }
    const sites = edgeSites.sites.map((s) => ({ name: s.name, stack: s.stack, clusterName: edgeClusterName(s.name), replicatorRole: replicatorRole(s.name) }));
    return {
        endpoint: edgeSites.endpoint,
        view: {
            clusterName: CENTRAL_CLUSTER_NAME,
            brokerServiceSecureURL: `pulsar+ssl://${edgeSites.endpoint}:6651`,
            adminServiceSecureURL: `https://${edgeSites.endpoint}:8443`,
            acceptedSites: sites.map((s) => s.name),
        },
        sites,
    };
}

/**
 * Central's Pulsar plan for the sites it accepts: the replicated tenant may hold the sites' clusters, each site's
 * replicator role may produce to the telemetry topic (a topic grant: the namespace is shared), and the proxy's
 * certificate names the endpoint the sites connect to (TLS hostname verification on the replicator's side).
 */
export function acceptEdgeSites(pulsar: PulsarPlan, pairing: EdgePairingPlan): void {
    const { stream, topic } = edgeIngestStream();
    pulsar.tenants = pulsar.tenants.map((t) =>
        t.name === stream.pulsarTopic.tenant ? { ...t, allowedClusters: [CENTRAL_CLUSTER_NAME, ...pairing.sites.map((s) => s.clusterName)] } : t,
    );
    for (const s of pairing.sites) {
        pulsar.permissions.push({ resourceType: "topic", resourceName: topic, role: s.replicatorRole, actions: ["produce"] });
    }
    // Each site's CA (read from its stack, components/edge-sites.ts) joins the trust of the brokers and the proxy.
    pulsar.clientCertAuth = { trust: pairing.sites.map((s) => ({ name: s.clusterName, secret: edgeCaSecret(s.name), key: "ca.crt" })) };
    pulsar.permissions.sort((a, b) => `${a.resourceName}|${a.role}`.localeCompare(`${b.resourceName}|${b.role}`));
    if (pulsar.tls && !pulsar.tls.proxyDnsNames.includes(pairing.endpoint)) {
        pulsar.tls.proxyDnsNames = [...pulsar.tls.proxyDnsNames, pairing.endpoint];
    }
}

/** The Secret (in central's namespace) with an edge site's CA certificate, from the site's stack output. */
export function edgeCaSecret(site: string): string {
    return `${edgeClusterName(site)}-ca`;
}
