/**
 * Native Pulsar ends. pulsar-client cannot be installed on this machine (its C++ library does not build), so:
 * the real load is asserted to report it missing, and the transport's logic runs against an in-memory stand-in of
 * the package's API. That stand-in proves the wiring only; no row of a real run passes without the real client.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exercise, Inbox, topicKey, type SmokeContext } from "../../scripts/smoke/messages";
import { existsSync, readFileSync } from "node:fs";
import { loadPulsarClient, pulsarAdmin, PulsarTransport } from "../../scripts/smoke/pulsar";
import { pulsarStandIn } from "./fixture/pulsar-stand-in";

describe("loading pulsar-client", () => {
    it("on this machine reports it missing instead of throwing", () => {
        const loaded = loadPulsarClient();
        expect(loaded).toEqual({ missing: expect.stringContaining("pulsar-client") });
    });

    it("reports a native library that fails to load as missing", () => {
        const loaded = loadPulsarClient(() => {
            throw new Error("libpulsar.so.3: cannot open shared object file: No such file or directory\nRequire stack: ...");
        });
        expect(loaded).toEqual({ missing: "libpulsar.so.3: cannot open shared object file: No such file or directory" });
    });
});

const fakePulsar = (log: string[]) => pulsarStandIn({ log });

describe("the native Pulsar transport (against a stand-in of pulsar-client)", () => {
    const ctx: SmokeContext = { runId: "smoke-test", messages: 3, timeoutMs: 1000 };
    const topic = "persistent://public/cosmic-ai/job-completed";

    it("subscribes from the end, carries tagged messages, and unsubscribes on close", async () => {
        const log: string[] = [];
        const inbox = new Inbox();
        const t = new PulsarTransport({ serviceUrl: "pulsar://fake:6650", login: {}, pulsar: fakePulsar(log), admin: { topicExists: async () => true }, ctx, inbox });
        expect(await t.open([topic], [topic])).toEqual(new Map());
        const done = await exercise(ctx, "notifications", inbox, (m) => t.send(topic, m), (m) => [topicKey(m.tag, "Pulsar", topic)]);
        await t.close();
        expect(done).toMatchObject({ sent: 4, received: 4 });
        expect(done.latenciesMs).toHaveLength(3);
        expect(log).toEqual([
            `client {"serviceUrl":"pulsar://fake:6650","operationTimeoutSeconds":1,"connectionTimeoutMs":1000}`,
            `subscribe pulsar://fake:6650 ${topic} smoke-test`,
            `produce pulsar://fake:6650 ${topic}`,
            `close producer pulsar://fake:6650 ${topic}`,
            `unsubscribe pulsar://fake:6650 ${topic} smoke-test`,
            "close client pulsar://fake:6650",
        ]);
    });

    it("reports a topic the admin API does not list, and does not subscribe to it", async () => {
        const log: string[] = [];
        const t = new PulsarTransport({ serviceUrl: "pulsar://fake:6650", login: {}, pulsar: fakePulsar(log), admin: { topicExists: async () => false }, ctx, inbox: new Inbox() });
        expect(await t.open([topic], [])).toEqual(new Map([[topic, `topic ${topic} does not exist on Pulsar at pulsar://fake:6650`]]));
        await t.close();
        expect(log.slice(1)).toEqual(["close client pulsar://fake:6650"]);
    });
});

describe("the native Pulsar client's login", () => {
    const ctx: SmokeContext = { runId: "smoke-test", messages: 1, timeoutMs: 2000 };
    const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    it("presents the token with AuthenticationToken, trusts the CA from a file and verifies host names over TLS", async () => {
        const t = new PulsarTransport({ serviceUrl: "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651", login: { token: "jwt", caPem: CA }, pulsar: fakePulsar([]), admin: { topicExists: async () => true }, ctx, inbox: new Inbox() });
        const config = t.clientConfig();
        expect(config).toMatchObject({ serviceUrl: "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651", authentication: { params: { token: "jwt" } }, tlsValidateHostname: true });
        const file = config.tlsTrustCertsFilePath as string;
        expect(readFileSync(file, "utf8")).toBe(CA);
        await t.close();
        expect(existsSync(file)).toBe(false);
    });

    it("sends neither on a plain cluster without token auth", () => {
        const config = new PulsarTransport({ serviceUrl: "pulsar://pulsar:6650", login: {}, pulsar: fakePulsar([]), admin: { topicExists: async () => true }, ctx, inbox: new Inbox() }).clientConfig();
        expect(config).toEqual({ serviceUrl: "pulsar://pulsar:6650", operationTimeoutSeconds: 2, connectionTimeoutMs: 2000 });
    });
});

describe("subscriptions interrupted smoke runs left on a topic", () => {
    const topic = "persistent://public/observatories/telescope-telemetry";
    const path = "/admin/v2/persistent/public/observatories/telescope-telemetry";
    let server: Server;
    let url: string;
    const calls: string[] = [];
    beforeAll(async () => {
        server = createServer((req, res) => {
            calls.push(`${req.method} ${req.url}`);
            if (req.method === "GET" && req.url === "/admin/v2/persistent/public/observatories/partitioned") {
                res.writeHead(200).end(JSON.stringify([topic]));
            } else if (req.method === "GET" && req.url === `${path}/subscriptions`) {
                res.writeHead(200).end(JSON.stringify(["smoke-mi1x2y3-a1b2c3", "smoke-run-000000", "etl-pipeline", "smoke-mi1x2y4-0f0f0f"]));
            } else if (req.method === "DELETE" && req.url === `${path}/subscription/smoke-mi1x2y4-0f0f0f`) {
                // Pulsar refuses to delete a subscription with consumers unless forced: a run in progress.
                res.writeHead(409).end();
            } else if (req.method === "DELETE") {
                res.writeHead(204).end();
            } else {
                res.writeHead(404).end();
            }
        });
        await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((ok) => server.close(ok)));

    it("are deleted before subscribing: only idle ones named like a smoke run, never this run's or a service's", async () => {
        calls.length = 0;
        const notes: string[] = [];
        const ctx: SmokeContext = { runId: "smoke-run-000000", messages: 1, timeoutMs: 1000 };
        const t = new PulsarTransport({ serviceUrl: "pulsar://fake:6650", login: {}, pulsar: fakePulsar([]), admin: pulsarAdmin(url, {}, 1000), ctx, inbox: new Inbox(), notes });
        await t.open([topic], []);
        await t.close();
        expect(calls.filter((c) => c.startsWith("DELETE"))).toEqual([`DELETE ${path}/subscription/smoke-mi1x2y3-a1b2c3`, `DELETE ${path}/subscription/smoke-mi1x2y4-0f0f0f`]);
        expect(notes).toEqual([`deleted 1 subscription(s) interrupted smoke runs left on ${topic} at pulsar://fake:6650: smoke-mi1x2y3-a1b2c3`]);
    });
});
