/**
 * Native Pulsar ends. pulsar-client cannot be installed on this machine (its C++ library does not build), so:
 * the real load is asserted to report it missing, and the transport's logic runs against an in-memory stand-in of
 * the package's API. That stand-in proves the wiring only; no row of a real run passes without the real client.
 */
import { describe, expect, it } from "vitest";
import { exercise, Inbox, type SmokeContext } from "../../scripts/smoke/messages";
import { loadPulsarClient, PulsarTransport, type PulsarModule } from "../../scripts/smoke/pulsar";

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

/** A one-process stand-in for pulsar-client: topics are queues, subscriptions see messages sent after they start. */
function fakePulsar(log: string[]): PulsarModule {
    const subscribers = new Map<string, { properties: Record<string, string> }[][]>();
    class Client {
        constructor(readonly c: { serviceUrl: string }) {}
        async createProducer({ topic }: { topic: string }) {
            return {
                send: async (m: { data: Buffer; properties?: Record<string, string> }) => {
                    for (const q of subscribers.get(topic) ?? []) {
                        q.push({ properties: m.properties ?? {} });
                    }
                },
                close: async () => log.push(`close producer ${topic}`),
            };
        }
        async subscribe({ topic, subscription }: { topic: string; subscription: string }) {
            const queue: { properties: Record<string, string> }[] = [];
            subscribers.set(topic, [...(subscribers.get(topic) ?? []), queue]);
            log.push(`subscribe ${topic} ${subscription}`);
            return {
                receive: async (timeoutMs = 0) => {
                    const deadline = Date.now() + timeoutMs;
                    while (queue.length === 0) {
                        if (Date.now() > deadline) {
                            throw new Error("Failed to receive message: TimeOut");
                        }
                        await new Promise((r) => setTimeout(r, 5));
                    }
                    const m = queue.shift() as { properties: Record<string, string> };
                    return { getProperties: () => m.properties };
                },
                acknowledge: async () => null,
                unsubscribe: async () => log.push(`unsubscribe ${topic} ${subscription}`),
                close: async () => null,
            };
        }
        async close() {
            log.push("close client");
        }
    }
    return { Client } as unknown as PulsarModule;
}

describe("the native Pulsar transport (against a stand-in of pulsar-client)", () => {
    const ctx: SmokeContext = { runId: "smoke-test", messages: 3, timeoutMs: 1000 };
    const topic = "persistent://public/cosmic-ai/job-completed";

    it("subscribes from the end, carries tagged messages, and unsubscribes on close", async () => {
        const log: string[] = [];
        const inbox = new Inbox();
        const t = new PulsarTransport("pulsar://fake:6650", fakePulsar(log), async () => true, ctx, inbox);
        expect(await t.open([topic], [topic])).toEqual(new Map());
        const done = await exercise(ctx, "notifications", inbox, (m) => t.send(topic, m));
        await t.close();
        expect(done).toMatchObject({ sent: 4, received: 4 });
        expect(done.latenciesMs).toHaveLength(3);
        expect(log).toEqual([`subscribe ${topic} smoke-test`, `close producer ${topic}`, `unsubscribe ${topic} smoke-test`, "close client"]);
    });

    it("reports a topic the admin API does not list, and does not subscribe to it", async () => {
        const log: string[] = [];
        const t = new PulsarTransport("pulsar://fake:6650", fakePulsar(log), async () => false, ctx, new Inbox());
        expect(await t.open([topic], [])).toEqual(new Map([[topic, `topic ${topic} does not exist on Pulsar at pulsar://fake:6650`]]));
        await t.close();
        expect(log).toEqual(["close client"]);
    });
});
