/**
 * Edge sites (seed 004): the site's config contract, its plan (a lossless buffer, one-way replication over mutual TLS
 * once central accepts it) and central's side of the pairing.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
    AUTHENTICATION_TLS_PLUGIN,
    ConfigError,
    EDGE_INGEST_STREAM,
    edgeIngestGap,
    edgeRawConfig,
    engineConfigFromStackFile,
    planEdgeSite,
    readCentralView,
    validateConfig,
    validateEdgeConfig,
    type CentralView,
    type EdgeConfig,
    type StreamRoute,
} from "../../topology";
import { editRaw, planStack } from "../support/stacks";

const EDGE_FILE = resolve(__dirname, "../../edge/Pulumi.paranal.yaml");

function edgeValues(edit: (v: Record<string, any>) => void = () => undefined): { values: Record<string, any>; secretKeys: Set<string> } {
    const raw = edgeRawConfig(engineConfigFromStackFile(readFileSync(EDGE_FILE, "utf8"), "edge/Pulumi.paranal.yaml"));
    const values = structuredClone(raw.values) as Record<string, any>;
    edit(values);
    return { values, secretKeys: raw.secretKeys };
}
const edgeConfig = (edit?: (v: Record<string, any>) => void): EdgeConfig => {
    const r = edgeValues(edit);
    return validateEdgeConfig(r.values, r.secretKeys);
};
const problems = (edit: (v: Record<string, any>) => void): { key: string; allowed: string }[] => {
    try {
        edgeConfig(edit);
    } catch (err) {
        if (err instanceof ConfigError) {
            return err.problems;
        }
        throw err;
    }
    return [];
};

/** What the central prod stack exports, once it lists paranal (as components/edge-sites.ts builds it). */
const centralView = (accepted = ["paranal"]): CentralView => ({
    ...planStack("prod", { phase: 2 }).edgePairing!.view,
    acceptedSites: accepted,
    caCertificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
});

describe("an edge site's config", () => {
    it("the committed site (edge/Pulumi.paranal.yaml) is valid", () => {
        const c = edgeConfig();
        expect(c.site).toBe("paranal");
        expect(c.pulsar.brokers).toBe(1);
    });

    it("refuses a site without TLS, in every environment: replication is mutual TLS only", () => {
        expect(problems((v) => (v.pulsar.tls.enabled = false)).map((p) => p.key)).toEqual(["pulsar.tls.enabled"]);
    });

    it("refuses a prod site without token auth, a pinned image, a kube context or its own seed, naming each key", () => {
        const keys = problems((v) => {
            v.environment = "prod";
            delete v.kubernetes.context;
        }).map((p) => p.key);
        expect(keys).toEqual(["pulsar.auth.token", "pulsar.imageDigest", "kubernetes.context"]);
        const withToken = problems((v) => {
            v.environment = "prod";
            v.pulsar.auth = { token: true };
            v.pulsar.imageDigest = `sha256:${"a".repeat(64)}`;
        }).map((p) => p.key);
        expect(withToken).toEqual(["pulsar.auth.tokenEpoch", "credentialSeed"]);
    });

    it("refuses a bad site name, an unknown key and a central that is not a stack name", () => {
        expect(problems((v) => (v.site = "Paranal!")).map((p) => p.key)).toEqual(["site"]);
        expect(problems((v) => (v.phase = 2)).map((p) => p.key)).toEqual(["phase"]);
        expect(problems((v) => (v.central = { stack: "prod" })).map((p) => p.key)).toEqual(["central.stack"]);
    });
});

describe("an edge site's plan", () => {
    it("its ingest namespace is a lossless buffer: no TTL, producers held (never evicted) when full, short retention", () => {
        const t = planEdgeSite(edgeConfig(), centralView()).topology;
        const ns = t.pulsar!.namespaces.find((n) => n.name === "public/observatories")!;
        // TTL expires messages on the replicator's cursor too (PersistentTopic.checkMessageExpiry): off.
        expect(ns.messageTTL).toBe("0s");
        // consumer_backlog_eviction would skip the replicator's cursor (BacklogQuotaManager): hold producers instead.
        expect(ns.backlogQuotaRetentionPolicy).toBe("producer_request_hold");
        expect(ns.retentionTime).toBe("24h");
        expect(ns.retentionSize).toBe("20480Mi");
        // Strictly below the retention, as Pulsar requires (topology/pulsar-plan.ts backlogQuotaWithin).
        expect(ns.backlogQuotaLimitSize).toBe("18432Mi");
        expect(t.pulsar!.topics.map((x) => x.name)).toEqual(["persistent://public/observatories/telescope-telemetry"]);
        // The site's telescopes produce there (telescope-gateway), nothing else is granted.
        expect(t.pulsar!.permissions.map((p) => `${p.role} ${p.actions.join("+")} ${p.resourceName}`)).toEqual([
            "public.telescope-gateway produce persistent://public/observatories/telescope-telemetry",
        ]);
        expect(t.kafka).toBeNull();
        expect(t.deployments).toEqual([]);
        // Pulsar only: no protocol handler is loaded (no messagingProtocols), so no KoP listener, keystore or its
        // seed-derived password (a dev site without a credentialSeed deploys).
        expect(t.pulsar!.kop.brokerConfig).toEqual({});
        expect(t.pulsar!.kop.tls).toBeNull();
        expect(t.credentials).toEqual([]);
    });

    it("replicates one way to central over mutual TLS once central accepts it, under its own cluster name", () => {
        const p = planEdgeSite(edgeConfig(), centralView());
        expect(p.clusterName).toBe("edge-paranal");
        expect(p.topology.pulsar!.clusterName).toBe("edge-paranal");
        const r = p.replication!;
        expect(r.central.clusterName).toBe("pulsar");
        expect(r.central.brokerServiceSecureURL).toBe("pulsar+ssl://pulsar.cosmic-ai.example:6651");
        expect(r.authPlugin).toBe(AUTHENTICATION_TLS_PLUGIN);
        expect(r.authParameters).toBe(`tlsCertFile:${r.client.mountPath}/tls.crt,tlsKeyFile:${r.client.mountPath}/tls.key`);
        // The certificate's CN is the role central grants (planStack("prod").edgePairing).
        expect(r.client.commonName).toBe(planStack("prod", { phase: 2 }).edgePairing!.sites[0]!.replicatorRole);
        const ns = p.topology.pulsar!.namespaces.find((n) => n.name === r.namespace)!;
        expect(ns.geoReplicationRefs).toEqual([r.geoReplication]);
        expect(p.topology.pulsar!.tenants.find((t) => t.name === "public")!.allowedClusters).toEqual(["edge-paranal", "pulsar"]);
        // The brokers (where the replicator runs) mount its certificate and central's CA.
        expect(p.topology.pulsar!.brokerSecretMounts!.map((m) => m.secret)).toEqual([r.client.secret, r.centralCa.secret]);
    });

    it("buffers, and says why, while central has not accepted it (or exports nothing yet)", () => {
        const notListed = planEdgeSite(edgeConfig(), centralView(["la-silla"]));
        expect(notListed.replication).toBeNull();
        expect(notListed.replicationOff).toMatch(/does not list paranal in its edgeSites\.sites \(it accepts: la-silla\)/);
        expect(notListed.topology.pulsar!.namespaces.find((n) => n.name === "public/observatories")!.geoReplicationRefs).toBeUndefined();
        expect(planEdgeSite(edgeConfig(), undefined).replicationOff).toMatch(/exports no edgeReplication yet/);
        expect(planEdgeSite(edgeConfig(), { ...centralView(), caCertificate: undefined }).replicationOff).toMatch(/no CA certificate yet/);
    });

    it("reads central's output defensively: absent or of another shape is a reason, not a crash", () => {
        expect(readCentralView(undefined)).toEqual({ problem: expect.stringMatching(/exports no edgeReplication/) });
        expect(readCentralView({ clusterName: "pulsar" })).toEqual({ problem: expect.stringMatching(/brokerServiceSecureURL/) });
        expect(readCentralView(centralView())).toEqual({ view: centralView() });
    });
});

describe("central's side of the pairing", () => {
    it("prod accepts paranal from phase 2: the replicator may produce to the telemetry topic only, its CA is trusted, the proxy names the endpoint", () => {
        expect(planStack("prod", { phase: 0 }).edgePairing).toBeNull();
        const t = planStack("prod", { phase: 2 });
        const pairing = t.edgePairing!;
        expect(pairing.sites).toEqual([{ name: "paranal", stack: "organization/messaging-edge/paranal", clusterName: "edge-paranal", replicatorRole: "public.edge-paranal-replicator" }]);
        const grants = t.pulsar!.permissions.filter((p) => p.role === "public.edge-paranal-replicator");
        expect(grants).toEqual([{ resourceType: "topic", resourceName: "persistent://public/observatories/telescope-telemetry", role: "public.edge-paranal-replicator", actions: ["produce"] }]);
        expect(t.pulsar!.clientCertAuth).toEqual({ trust: [{ name: "edge-paranal", secret: "edge-paranal-ca", key: "ca.crt" }] });
        expect(t.pulsar!.tls!.proxyDnsNames).toContain("pulsar.cosmic-ai.example");
        expect(t.pulsar!.tenants.find((x) => x.name === "public")!.allowedClusters).toEqual(["pulsar", "edge-paranal"]);
    });

    // The general rule: what a site replicates lands only on the ingest stream's Pulsar topic at central, so central
    // pairs only where every consumer of that stream gets the topic's messages (it reads Pulsar, or a sink carries
    // them to Kafka). Phase 1 used to pair while the stream was shadowed: its consumers read Kafka, nothing carried
    // Pulsar's copy there, and the sites' telemetry would have expired unread at central.
    it("prod pairs from phase 2 on, where the stream's sink carries its Pulsar topic to its Kafka consumers", () => {
        expect([0, 1, 2, 3].map((phase) => planStack("prod", { phase }).edgePairing !== null)).toEqual([false, false, true, true]);
        expect(planStack("prod", { phase: 2 }).routes.find((r) => r.stream === EDGE_INGEST_STREAM)!.sink).toBe("telescope-telemetry-to-kafka");
    });

    describe("whether a route delivers what the sites replicate (edgeIngestGap)", () => {
        const topic = "persistent://public/observatories/telescope-telemetry";
        const route = (over: Partial<StreamRoute>): StreamRoute => ({
            stream: EDGE_INGEST_STREAM,
            criticality: "standard",
            state: "pulsar",
            producers: ["telescope-gateway"],
            produce: [{ broker: "pulsar", protocol: "pulsar", topic }],
            consume: [],
            ...over,
        });
        const kafkaReader = { service: "etl-pipeline", broker: "kafka" as const, protocol: "kafka" as const, topic: "telescope-telemetry" };
        const pulsarReader = { service: "etl-pipeline", broker: "pulsar" as const, protocol: "pulsar" as const, topic };
        const kopReader = { service: "audit-archiver", broker: "pulsar" as const, protocol: "kafka" as const, topic: "telescope-telemetry" };

        it("does when every consumer reads Pulsar, natively or through KoP, or a sink carries it to Kafka", () => {
            expect(edgeIngestGap([route({ consume: [pulsarReader, kopReader] })])).toBeUndefined();
            expect(edgeIngestGap([route({ consume: [kafkaReader], sink: "telescope-telemetry-to-kafka" })])).toBeUndefined();
        });

        it("does not when a consumer reads Kafka and nothing carries the Pulsar topic there, naming it", () => {
            expect(edgeIngestGap([route({ state: "shadow", consume: [kafkaReader] })])).toMatch(/^telescope-telemetry is shadow here: etl-pipeline read Kafka/);
            expect(edgeIngestGap([route({ consume: [pulsarReader, { ...kafkaReader, service: "audit-archiver" }] })])).toMatch(/audit-archiver read Kafka/);
            expect(edgeIngestGap([])).toBe("no route for telescope-telemetry");
        });
    });

    it("at prod's phase 1 the sites wait, and the plan says why", () => {
        const t = planStack("prod", { phase: 1 });
        expect(t.edgePairing).toBeNull();
        expect(t.edgePairingOff).toBe(
            "telescope-telemetry is shadow here: etl-pipeline, audit-archiver read Kafka and nothing carries its Pulsar topic there, so what the sites replicate would reach no consumer; the sites keep their ingest for their retention until a phase with its Pulsar -> Kafka sink or Pulsar consumers",
        );
        // Nothing of the pairing is planned: no grant for the replicator, no trust of the site's CA.
        expect(t.pulsar!.permissions.filter((p) => p.role === "public.edge-paranal-replicator")).toEqual([]);
        expect(t.pulsar!.clientCertAuth).toBeUndefined();
    });

    it("refuses sites without TLS or an endpoint, and a site listed twice, naming the key", () => {
        const keysOf = (edit: (v: Record<string, any>) => void) => {
            try {
                validateConfig(editRaw("prod", edit));
            } catch (err) {
                return (err as ConfigError).problems.map((p) => p.key);
            }
            return [];
        };
        expect(keysOf((v) => delete v.edgeSites.endpoint)).toEqual(["edgeSites.endpoint"]);
        expect(keysOf((v) => v.edgeSites.sites.push({ ...v.edgeSites.sites[0] }))).toEqual(["edgeSites.sites[1].name", "edgeSites.sites[1].stack"]);
        const noTls = keysOf((v) => {
            v.environment = "dev";
            v.pulsar.tls.enabled = false;
        });
        expect(noTls).toContain("pulsar.tls.enabled");
    });
});
