/**
 * Seed 004's edge -> central smoke hop (scripts/smoke/edge.ts). No Pulsar runs here, so the two clusters are an
 * in-memory stand-in of pulsar-client's API in which only a replication link carries a site's messages to central;
 * their admin APIs are real HTTP servers. This proves the hop's logic (what it produces where, what it waits for,
 * what it says when the link, the site or central is not there), not replication itself.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { edgeHops, runEdgeHop, type CentralEdgeEndpoint, type EdgeEnd, type EdgeHop } from "../../scripts/smoke/edge";
import { Inbox, topicKey, type SmokeContext } from "../../scripts/smoke/messages";
import { streamProbes } from "../../scripts/smoke/probes";
import { PulsarTransport } from "../../scripts/smoke/pulsar";
import { edgeKafkaLeg, type Opened } from "../../scripts/smoke/run";
import type { StreamTransport } from "../../scripts/smoke/transport";
import { edgeRawConfig, engineConfigFromStackFile, planEdgeSite, validateEdgeConfig } from "../../topology";
import { planStack } from "../support/stacks";
import { pulsarStandIn } from "./fixture/pulsar-stand-in";

const TOPIC = "persistent://public/observatories/telescope-telemetry";
const EDGE_URL = "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651";
const CENTRAL_URL = "pulsar+ssl://pulsar.cosmic-ai.example:6651";
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

/**
 * Two clusters by service URL; a message produced at the edge reaches central's subscribers only while `link.up`,
 * and, while `link.sink`, the queue SINK_URL stands for: the run's Kafka consumer of the sink's topic.
 */
const SINK_URL = "kafka://telescope-telemetry";
const twoClusters = (link: { up: boolean; sink?: boolean }, log: string[]) =>
    pulsarStandIn({
        log,
        delayMs: 5,
        deliver: (url, topic) => (url === EDGE_URL && link.up ? [`${CENTRAL_URL} ${topic}`, ...(link.sink ? [`${SINK_URL} ${topic}`] : [])] : []),
    });

/** An admin API that lists `topics` as the partitioned topics of public/observatories. */
async function adminApi(topics: string[]): Promise<{ url: string; server: Server }> {
    const server = createServer((req, res) => {
        res.writeHead(req.url === "/admin/v2/persistent/public/observatories/partitioned" ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(topics));
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const ctx: SmokeContext = { runId: "smoke-edge", messages: 3, timeoutMs: 500 };
let edgeAdmin: { url: string; server: Server };
let centralAdmin: { url: string; server: Server };
let emptyAdmin: { url: string; server: Server };
beforeAll(async () => {
    [edgeAdmin, centralAdmin, emptyAdmin] = await Promise.all([adminApi([TOPIC]), adminApi([TOPIC]), adminApi([])]);
});
afterAll(() => Promise.all([edgeAdmin, centralAdmin, emptyAdmin].map((a) => new Promise((ok) => a.server.close(ok)))));

const hop = (): EdgeHop => edgeHops(planStack("prod", { phase: 2 }))[0] as EdgeHop;
const site = (over: Partial<Extract<EdgeEnd, { outputs: unknown }>["outputs"]> = {}): EdgeEnd => ({
    outputs: { site: "paranal", clusterName: "edge-paranal", replicating: true, pulsarServiceUrl: EDGE_URL, pulsarAdminUrl: edgeAdmin.url, edgeCaCertificate: CA, ...over },
    login: { token: "site-token", caPem: CA },
});
const central = (adminUrl = centralAdmin.url): CentralEdgeEndpoint => ({ serviceUrl: CENTRAL_URL, adminUrl, login: { token: "central-token", caPem: CA } });

describe("the edge sites a central stack is smoke-tested for", () => {
    it("are the sites it accepts, each with the replicated topic", () => {
        expect(edgeHops(planStack("prod", { phase: 2 }))).toEqual([{ site: "paranal", clusterName: "edge-paranal", stack: "organization/messaging-edge/paranal", topic: TOPIC }]);
        expect(edgeHops(planStack("local", { phase: 2 }))).toEqual([]);
    });
});

describe("the TLS names the smoke client checks", () => {
    const host = (url: string) => new URL(url.replace(/^pulsar\+ssl:/, "https:")).hostname;
    it("every URL it connects to over TLS is named by the certificate serving it (hostname verification is on)", () => {
        for (const phase of [2, 3] as const) {
            const t = planStack("prod", { phase });
            const tls = t.pulsar!.tls!;
            // Central's routes: the outputs' endpoints, served by the brokers.
            expect(tls.brokerDnsNames).toContain(host(t.pulsar!.endpoints.serviceUrl));
            expect(tls.brokerDnsNames).toContain(host(t.pulsar!.endpoints.httpUrl));
            // The edge hop's central end: where the sites replicate to, served by the proxy.
            expect(tls.proxyDnsNames).toContain(host(t.edgePairing!.view.brokerServiceSecureURL));
            expect(tls.proxyDnsNames).toContain(host(t.edgePairing!.view.adminServiceSecureURL));
        }
        const raw = edgeRawConfig(engineConfigFromStackFile(readFileSync(resolve(__dirname, "../../edge/Pulumi.paranal.yaml"), "utf8"), "edge/Pulumi.paranal.yaml"));
        const edge = planEdgeSite(validateEdgeConfig(raw.values, raw.secretKeys), undefined).topology.pulsar!;
        expect(edge.tls!.brokerDnsNames).toContain(host(edge.endpoints.serviceUrl));
        expect(edge.tls!.brokerDnsNames).toContain(host(edge.endpoints.httpUrl));
    });
});

describe("the edge -> central hop", () => {
    it("passes when what the site produces arrives at central, each cluster logged in with its own token", async () => {
        const log: string[] = [];
        const r = await runEdgeHop(hop(), site(), central(), twoClusters({ up: true }, log), ctx, new Inbox());
        expect(r).toMatchObject({ route: "edge-paranal -> central", path: "geo-replication", status: "passed", sent: 4, received: 4, untimed: true, detail: "3/3 produced at edge-paranal arrived at central" });
        expect(r.latenciesMs).toHaveLength(3);
        const clients = log.filter((l) => l.startsWith("client ")).map((l) => JSON.parse(l.slice("client ".length)) as Record<string, unknown>);
        expect(clients).toMatchObject([
            { serviceUrl: CENTRAL_URL, authentication: { token: "central-token" }, tlsValidateHostname: true },
            { serviceUrl: EDGE_URL, authentication: { token: "site-token" }, tlsValidateHostname: true },
        ]);
        expect(log.filter((l) => !l.startsWith("client ") && !l.startsWith("close"))).toEqual([`subscribe ${CENTRAL_URL} ${TOPIC} smoke-edge`, `produce ${EDGE_URL} ${TOPIC}`, `unsubscribe ${CENTRAL_URL} ${TOPIC} smoke-edge`]);
    });

    it("with the stream's sink, each message must also reach Kafka: then it is the message the archive hop follows", async () => {
        const kafka = { sink: "telescope-telemetry-to-kafka", topic: "telescope-telemetry" };
        for (const sink of [true, false]) {
            const module = twoClusters({ up: true, sink }, []);
            const inbox = new Inbox();
            // The run's Kafka consumer, reporting tags as they arrive on the sink's topic (its own transport in a run).
            const consumer = new PulsarTransport({ serviceUrl: SINK_URL, login: {}, pulsar: module, admin: { topicExists: async () => true }, ctx, inbox, arrivalKey: (tag) => topicKey(tag, "Kafka", kafka.topic) });
            await consumer.open([TOPIC], []);
            const r = await runEdgeHop(hop(), site(), central(), module, ctx, inbox, kafka);
            await consumer.close();
            if (sink) {
                expect(r).toMatchObject({ status: "passed", detail: "3/3 produced at edge-paranal arrived at central and on Kafka telescope-telemetry through telescope-telemetry-to-kafka" });
            } else {
                expect(r.status).toBe("failed");
                expect(r.reason).toBe("warm-up message was not consumed from Kafka telescope-telemetry within 500 ms (it reached central: is the sink telescope-telemetry-to-kafka running?)");
            }
        }
    });

    it("fails when nothing arrives, pointing at the replicator's backlog", async () => {
        const r = await runEdgeHop(hop(), site(), central(), twoClusters({ up: false }, []), ctx, new Inbox());
        expect(r.status).toBe("failed");
        expect(r.received).toBe(0);
        expect(r.reason).toMatch(/within 500 ms .*is edge-paranal replicating\? `pulsar-admin topics stats persistent:\/\/public\/observatories\/telescope-telemetry` on the site/);
    });

    it("fails, without sending, when the site says it does not replicate, with its reason and the stack to update", async () => {
        const log: string[] = [];
        const r = await runEdgeHop(hop(), site({ replicating: false, replicationOff: "central exports no CA certificate yet" }), central(), twoClusters({ up: true }, log), ctx, new Inbox());
        expect(r).toMatchObject({ status: "failed", sent: 0 });
        expect(r.reason).toBe('edge-paranal does not replicate: central exports no CA certificate yet; run `pulumi up` on organization/messaging-edge/paranal (docs/runbooks.md, "Add an edge site")');
        expect(log).toEqual([]);
    });

    it("fails when the topic is not on central, or the outputs read are another site's", async () => {
        const absent = await runEdgeHop(hop(), site(), central(emptyAdmin.url), twoClusters({ up: true }, []), ctx, new Inbox());
        expect(absent.reason).toBe(`topic ${TOPIC} does not exist on Pulsar at ${CENTRAL_URL}`);
        const other = await runEdgeHop(hop(), site({ clusterName: "edge-lasilla" }), central(), twoClusters({ up: true }, []), ctx, new Inbox());
        expect(other.reason).toBe("the outputs read for paranal are those of cluster edge-lasilla, not edge-paranal");
    });

    it("reports why central or the site cannot be reached", async () => {
        const m = twoClusters({ up: true }, []);
        expect((await runEdgeHop(hop(), site(), "central's edgeReplication has no caCertificate yet", m, ctx, new Inbox())).reason).toBe("central's edgeReplication has no caCertificate yet");
        expect((await runEdgeHop(hop(), { unreadable: "cannot read the outputs" }, central(), m, ctx, new Inbox())).reason).toBe("cannot read the outputs");
    });
});

describe("when the edge hop goes on to Kafka", () => {
    const kafka = (missing: string[] = []): Opened => ({ transport: {} as StreamTransport, missing: new Map(missing.map((t) => [t, "absent"])) });
    const leg = (phase: 1 | 2 | 3, opened: Opened | undefined) => {
        const t = planStack("prod", { phase });
        return edgeKafkaLeg(t, streamProbes(t), opened);
    };

    it("from phase 2, through the stream's sink, when the run reads the sink's topic on Kafka", () => {
        expect(leg(2, kafka())).toEqual({ sink: "telescope-telemetry-to-kafka", topic: "telescope-telemetry" });
        expect(leg(3, kafka())).toEqual({ sink: "telescope-telemetry-to-kafka", topic: "telescope-telemetry" });
    });

    it("not where there is no sink; where the run cannot read the sink's topic, it says why the leg is unchecked", () => {
        expect(leg(1, kafka())).toBeUndefined();
        expect(leg(2, kafka(["telescope-telemetry"]))).toEqual({ unchecked: "absent" });
        expect(leg(2, { unusable: { status: "not run", reason: "Kafka SCRAM-SHA-512 authentication is not supported by npm run smoke" } })).toEqual({
            unchecked: "Kafka not run: Kafka SCRAM-SHA-512 authentication is not supported by npm run smoke",
        });
        expect(leg(2, undefined)).toEqual({ unchecked: "this run reads no Kafka topic of telescope-telemetry-to-kafka" });
    });

    it("an unchecked leg is said in the row, which passes on central's arrival alone", async () => {
        const r = await runEdgeHop(hop(), site(), central(), twoClusters({ up: true }, []), ctx, new Inbox(), { unchecked: "Kafka not run: SASL" });
        expect(r).toMatchObject({ status: "passed", detail: "3/3 produced at edge-paranal arrived at central; the Kafka leg was not checked: Kafka not run: SASL" });
    });

    it("a message the site refuses is the site's problem, not the replicator's", async () => {
        const module = twoClusters({ up: true }, []);
        const refusing = class extends (module.Client as unknown as new (c: unknown) => { createProducer(c: unknown): Promise<unknown> }) {
            override async createProducer(): Promise<never> {
                throw new Error("Failed to create producer: AuthenticationError");
            }
        };
        const r = await runEdgeHop(hop(), site(), central(), { ...module, Client: refusing as unknown as typeof module.Client }, ctx, new Inbox());
        expect(r.status).toBe("failed");
        expect(r.reason).toBe(`Failed to create producer: AuthenticationError (edge-paranal did not take it: check the site's login and its ${TOPIC})`);
    });
});
