/**
 * Native Pulsar ends. pulsar-client cannot be installed on this machine (its C++ library does not build), so:
 * the real load is asserted to report it missing, and the transport's logic runs against an in-memory stand-in of
 * the package's API. That stand-in proves the wiring only; no row of a real run passes without the real client.
 */
import { describe, expect, it } from "vitest";
import { exercise, Inbox, type SmokeContext } from "../../scripts/smoke/messages";
import { existsSync, readFileSync } from "node:fs";
import { loadPulsarClient, PulsarTransport } from "../../scripts/smoke/pulsar";
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
        const t = new PulsarTransport("pulsar://fake:6650", {}, fakePulsar(log), async () => true, ctx, inbox);
        expect(await t.open([topic], [topic])).toEqual(new Map());
        const done = await exercise(ctx, "notifications", inbox, (m) => t.send(topic, m));
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
        const t = new PulsarTransport("pulsar://fake:6650", {}, fakePulsar(log), async () => false, ctx, new Inbox());
        expect(await t.open([topic], [])).toEqual(new Map([[topic, `topic ${topic} does not exist on Pulsar at pulsar://fake:6650`]]));
        await t.close();
        expect(log.slice(1)).toEqual(["close client pulsar://fake:6650"]);
    });
});

describe("the native Pulsar client's login", () => {
    const ctx: SmokeContext = { runId: "smoke-test", messages: 1, timeoutMs: 2000 };
    const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

    it("presents the token with AuthenticationToken, trusts the CA from a file and verifies host names over TLS", async () => {
        const t = new PulsarTransport("pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651", { token: "jwt", caPem: CA }, fakePulsar([]), async () => true, ctx, new Inbox());
        const config = t.clientConfig();
        expect(config).toMatchObject({ serviceUrl: "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651", authentication: { params: { token: "jwt" } }, tlsValidateHostname: true });
        const file = config.tlsTrustCertsFilePath as string;
        expect(readFileSync(file, "utf8")).toBe(CA);
        await t.close();
        expect(existsSync(file)).toBe(false);
    });

    it("sends neither on a plain cluster without token auth", () => {
        const config = new PulsarTransport("pulsar://pulsar:6650", {}, fakePulsar([]), async () => true, ctx, new Inbox()).clientConfig();
        expect(config).toEqual({ serviceUrl: "pulsar://pulsar:6650", operationTimeoutSeconds: 2, connectionTimeoutMs: 2000 });
    });
});
