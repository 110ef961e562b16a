/**
 * The audit bridge against real brokers: this machine's RabbitMQ (the control plane the plan declares, in a vhost of
 * this run) and kfake (a Kafka-protocol broker). What it proves: a control event published to the `control` exchange
 * arrives on audit-trail; the bridge's RabbitMQ user has exactly the plan's permissions and they suffice; a connection
 * killed by the broker mid-stream loses nothing (the next bridge gets what was not acknowledged); a destination that
 * is unavailable holds events in the queue rather than dead-lettering them; a record the destination refuses goes to
 * control.dead-letter.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { connect } from "amqplib";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AuditBridge } from "../../bridge/audit-bridge";
import { readSettings, type BridgeSettings } from "../../bridge/settings";
import { kfakeBinary, startKfake, type Kfake } from "../../scripts/kfake";
import { AUDIT_QUEUE, CONTROL_EXCHANGE, DEAD_LETTER_QUEUE, type Topology } from "../../topology";
import { RABBIT, declareControlPlane, ensureRabbitMQ, management, managementOk } from "../support/rabbitmq";
import { planStack } from "../support/stacks";

const RUN = `${process.pid}-${Date.now().toString(36)}`;
const VHOST = `audit-bridge-${RUN}`;
const BRIDGE_USER = `audit-bridge-${RUN}`;
const BRIDGE_PASSWORD = randomUUID();
const TOPIC = "audit-trail";

let kfake: Kfake;
let topology: Topology;
const silent = () => undefined;

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
        if (Date.now() > deadline) {
            throw new Error(`timed out waiting for ${what}`);
        }
        await new Promise((r) => setTimeout(r, 100));
    }
}

/** Messages ready in a queue, as the broker answers a passive declare (the management API's counts lag by seconds). */
async function queueDepth(queue: string): Promise<number> {
    const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: VHOST });
    try {
        const ch = await conn.createChannel();
        const { messageCount } = await ch.checkQueue(queue);
        await ch.close();
        return messageCount;
    } finally {
        await conn.close();
    }
}

/** The bridge's environment, as its Deployment would give it, against this run's vhost and kfake. */
function bridgeEnv(topic = TOPIC, prefetch = 100): Record<string, string> {
    return {
        AUDIT_BRIDGE_AMQP_URL: RABBIT.amqp,
        AUDIT_BRIDGE_VHOST: VHOST,
        AUDIT_BRIDGE_QUEUE: AUDIT_QUEUE,
        RABBITMQ_USERNAME: BRIDGE_USER,
        RABBITMQ_PASSWORD: BRIDGE_PASSWORD,
        AUDIT_BRIDGE_DESTINATIONS: JSON.stringify([{ name: "kafka", brokersEnv: "AUDIT_KAFKA_BROKERS", topic }]),
        AUDIT_KAFKA_BROKERS: kfake.bootstrap,
        AUDIT_BRIDGE_HEALTH_PORT: "0",
        AUDIT_BRIDGE_PREFETCH: String(prefetch),
    };
}

function settings(topic = TOPIC, prefetch = 100): BridgeSettings {
    return readSettings(bridgeEnv(topic, prefetch));
}

/** Publishes control events the way the control plane's publishers do: persistent, with a message id, confirmed. */
async function publish(ids: string[], body = (id: string) => Buffer.from(JSON.stringify({ id, kind: "governance.command" }))): Promise<void> {
    const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: VHOST });
    try {
        const ch = await conn.createConfirmChannel();
        for (const id of ids) {
            ch.publish(CONTROL_EXCHANGE, "governance.command.restart", body(id), { persistent: true, messageId: id, timestamp: Math.floor(Date.now() / 1000) });
        }
        await ch.waitForConfirms();
        await ch.close();
    } finally {
        await conn.close();
    }
}

/** Every message id on a topic, with how often each occurs. */
async function idsOn(topic: string): Promise<Map<string, number>> {
    const kafka = new Kafka({ brokers: kfake.bootstrap.split(","), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = ends.reduce((sum, p) => sum + Number(p.high), 0);
    const seen = new Map<string, number>();
    if (total === 0) {
        return seen;
    }
    const consumer = kafka.consumer({ groupId: `reader-${randomUUID()}` });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let read = 0;
    await new Promise<void>((done) => {
        void consumer.run({
            eachMessage: async ({ message }) => {
                const id = message.headers?.["amqp.message-id"]?.toString() ?? "";
                seen.set(id, (seen.get(id) ?? 0) + 1);
                if (++read >= total) {
                    done();
                }
            },
        });
    });
    await consumer.disconnect();
    return seen;
}

/** The ids not on a topic once they all arrived or `timeoutMs` passed (the list, so a failure names them). */
async function missingFrom(topic: string, ids: string[], timeoutMs: number): Promise<string[]> {
    let missing = ids;
    await until(`every event on ${topic}`, async () => {
        const seen = await idsOn(topic);
        missing = ids.filter((id) => !seen.has(id));
        return missing.length === 0;
    }, timeoutMs).catch(() => undefined);
    return missing;
}

async function createTopic(topic: string, configEntries: { name: string; value: string }[] = []): Promise<void> {
    const admin = new Kafka({ brokers: kfake.bootstrap.split(","), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3, configEntries }], waitForLeaders: true });
    await admin.disconnect();
}

beforeAll(async () => {
    await ensureRabbitMQ();
    kfake = await startKfake(kfakeBinary());
    const local = planStack("local");
    topology = { ...local, rabbitmq: { ...local.rabbitmq, vhost: VHOST, admin: { ...local.rabbitmq.admin, name: RABBIT.username } } };
    await declareControlPlane(topology);
    // The bridge's user with exactly the plan's permissions (topology/rabbit-plan.ts), nothing more.
    const planned = topology.rabbitmq.users.find((u) => u.name === "audit-bridge");
    if (!planned) {
        throw new Error("the plan has no audit-bridge RabbitMQ user");
    }
    await managementOk("PUT", `/api/users/${encodeURIComponent(BRIDGE_USER)}`, { password: BRIDGE_PASSWORD, tags: "" });
    await managementOk("PUT", `/api/permissions/${encodeURIComponent(VHOST)}/${encodeURIComponent(BRIDGE_USER)}`, {
        configure: planned.configure,
        write: planned.write,
        read: planned.read,
    });
    await createTopic(TOPIC);
}, 120_000);

afterAll(async () => {
    await management("DELETE", `/api/vhosts/${encodeURIComponent(VHOST)}`).catch(() => undefined);
    await management("DELETE", `/api/users/${encodeURIComponent(BRIDGE_USER)}`).catch(() => undefined);
    await kfake?.stop();
});

/** Each case starts from an empty audit queue (what an earlier case left must not count in this one). */
async function purgeAuditQueue(): Promise<void> {
    const conn = await connect({ hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost: VHOST });
    try {
        const ch = await conn.createChannel();
        await ch.purgeQueue(AUDIT_QUEUE);
        await ch.close();
    } finally {
        await conn.close();
    }
}

describe("audit bridge against RabbitMQ and a Kafka-protocol broker", () => {
    beforeEach(purgeAuditQueue);

    it("carries control events from the control exchange to audit-trail, with the plan's permissions only", async () => {
        const bridge = new AuditBridge(settings(), { log: silent });
        await bridge.start();
        try {
            const ids = Array.from({ length: 200 }, (_, i) => `first-${i}`);
            await publish(ids);
            await until("200 forwarded", async () => bridge.stats.forwarded >= ids.length);
            const seen = await idsOn(TOPIC);
            expect(ids.filter((id) => !seen.has(id))).toEqual([]);
            await until("the audit queue empty", async () => (await queueDepth(AUDIT_QUEUE)) === 0);
        } finally {
            await bridge.stop();
        }
    }, 60_000);

    it("loses nothing when the broker kills its connection mid-stream: the next bridge gets every unacknowledged event", async () => {
        const ids = Array.from({ length: 3000 }, (_, i) => `killed-${i}`);
        await publish(ids);
        let lost = false;
        // One delivery at a time, so it is still mid-stream when the management API lists its connection.
        const first = new AuditBridge(settings(TOPIC, 1), { log: silent, onConnectionLost: () => (lost = true) });
        await first.start();
        await until("some forwarded", async () => first.stats.forwarded >= 200);
        // Kill it from the broker side, as a node failure or a network cut would.
        // The management API lists a connection once its first statistics are in (a few seconds).
        let mine: { name: string; user: string }[] = [];
        await until("the bridge's connection listed", async () => {
            const conns = (await (await management("GET", "/api/connections")).json()) as { name: string; user: string }[];
            mine = conns.filter((c) => c.user === BRIDGE_USER);
            return mine.length > 0;
        });
        for (const c of mine) {
            await management("DELETE", `/api/connections/${encodeURIComponent(c.name)}`);
        }
        await until("the connection loss noticed", async () => lost);
        await first.stop();
        expect(first.stats.forwarded).toBeLessThan(ids.length);

        const second = new AuditBridge(settings(), { log: silent });
        await second.start();
        try {
            expect(await missingFrom(TOPIC, ids, 60_000)).toEqual([]);
            expect(await queueDepth(AUDIT_QUEUE)).toBe(0);
        } finally {
            await second.stop();
        }
    }, 120_000);

    it("loses nothing when its process is killed (SIGKILL) while events wait on their write: they were never acknowledged", async () => {
        // The destination does not exist yet, so every delivery the process holds is waiting on its write: a bridge that
        // acknowledged on receipt would lose all of them with the process.
        const topic = `audit-trail-kill-${RUN}`;
        const ids = Array.from({ length: 300 }, (_, i) => `sigkill-${i}`);
        await publish(ids);
        const env = { ...process.env, ...bridgeEnv(topic) };
        // One process (node with tsx's loader), not the tsx CLI: that one runs the program in a child of its own, which
        // a SIGKILL of the CLI would leave running.
        const main = resolve(__dirname, "../../bridge/main.ts");
        const run = (): { child: ChildProcess; out: () => string } => {
            const child = spawn(process.execPath, ["--import", "tsx", main], { env, stdio: ["ignore", "pipe", "pipe"] });
            let out = "";
            child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
            return { child, out: () => out };
        };
        const first = run();
        try {
            await until("the first process retrying its sends", async () => /retrying in/.test(first.out()), 60_000);
        } finally {
            first.child.kill("SIGKILL");
            await new Promise((r) => first.child.once("exit", r));
        }
        // Every event is back in the queue: none was acknowledged before its write.
        await until("all 300 back in the queue", async () => (await queueDepth(AUDIT_QUEUE)) === ids.length);
        await createTopic(topic);
        const second = run();
        try {
            expect(await missingFrom(topic, ids, 90_000)).toEqual([]);
            await until("the queue drained", async () => (await queueDepth(AUDIT_QUEUE)) === 0, 60_000);
        } finally {
            second.child.kill("SIGTERM");
            await new Promise((r) => second.child.once("exit", r));
        }
    }, 180_000);

    it("holds events in the queue while the destination is unavailable, and delivers them when it is back (no dead-lettering)", async () => {
        const topic = `audit-trail-late-${RUN}`;
        const ids = Array.from({ length: 50 }, (_, i) => `late-${i}`);
        const waiting = new AuditBridge(settings(topic), { log: silent, backoff: { initialMs: 50, maxMs: 200 } });
        await waiting.start();
        try {
            await publish(ids);
            await until("retries", async () => waiting.stats.retries >= 50);
            expect(waiting.stats.forwarded).toBe(0);
            expect(waiting.stats.deadLettered).toBe(0);
        } finally {
            await waiting.stop();
        }
        // Stopped during the outage: every event is back in the queue, none dead-lettered.
        await until("all 50 back in the queue", async () => (await queueDepth(AUDIT_QUEUE)) === ids.length);
        expect(await queueDepth(DEAD_LETTER_QUEUE)).toBe(0);
        await createTopic(topic);
        const bridge = new AuditBridge(settings(topic), { log: silent });
        await bridge.start();
        try {
            await until("all forwarded", async () => bridge.stats.forwarded >= ids.length);
            const seen = await idsOn(topic);
            expect(ids.filter((id) => !seen.has(id))).toEqual([]);
        } finally {
            await bridge.stop();
        }
    }, 60_000);

    it("dead-letters an event the destination refuses for what it is (too large) to control.dead-letter", async () => {
        const topic = `audit-trail-small-${RUN}`;
        await createTopic(topic, [{ name: "max.message.bytes", value: "2048" }]);
        const logged: string[] = [];
        const bridge = new AuditBridge(settings(topic), { log: (l) => logged.push(l), backoff: { initialMs: 50, maxMs: 200 } });
        await bridge.start();
        try {
            const before = await queueDepth(DEAD_LETTER_QUEUE);
            await publish(["huge-1"], () => Buffer.alloc(64 * 1024, 0x61));
            await publish(["small-1"]);
            await until("one dead-lettered", async () => bridge.stats.deadLettered >= 1).catch((err: Error) => {
                throw new Error(`${err.message}; bridge log: ${logged.slice(0, 3).join(" | ")}`);
            });
            await until("the small one forwarded", async () => bridge.stats.forwarded >= 1);
            await until("the dead-letter queue holds it", async () => (await queueDepth(DEAD_LETTER_QUEUE)) === before + 1);
            expect(await queueDepth(AUDIT_QUEUE)).toBe(0);
            expect([...(await idsOn(topic)).keys()]).toEqual(["small-1"]);
        } finally {
            await bridge.stop();
        }
    }, 60_000);

    it("refuses settings that name no destination or miss a credential, naming the variable", () => {
        const base = {
            AUDIT_BRIDGE_AMQP_URL: "amqp://127.0.0.1:5672",
            AUDIT_BRIDGE_VHOST: "control",
            AUDIT_BRIDGE_QUEUE: AUDIT_QUEUE,
            RABBITMQ_USERNAME: "audit-bridge",
            RABBITMQ_PASSWORD: "x",
        };
        expect(() => readSettings({ ...base, AUDIT_BRIDGE_DESTINATIONS: "[]" })).toThrow(/AUDIT_BRIDGE_DESTINATIONS/);
        expect(() =>
            readSettings({
                ...base,
                AUDIT_KAFKA_BROKERS: "b:9096",
                AUDIT_BRIDGE_DESTINATIONS: JSON.stringify([{ name: "kafka", brokersEnv: "AUDIT_KAFKA_BROKERS", topic: TOPIC, sasl: { mechanism: "scram-sha-512", usernameEnv: "KAFKA_SASL_USERNAME", passwordEnv: "KAFKA_SASL_PASSWORD" } }]),
            }),
        ).toThrow(/KAFKA_SASL_USERNAME .*not set/);
        expect(() => readSettings({ ...base, AUDIT_BRIDGE_AMQP_URL: "amqp://user:pw@host:5672", AUDIT_BRIDGE_DESTINATIONS: "[]" })).toThrow(/AUDIT_BRIDGE_AMQP_URL/);
        expect(() =>
            readSettings({ ...base, AUDIT_BRIDGE_DESTINATIONS: JSON.stringify([{ name: "kafka", brokersEnv: "AUDIT_KAFKA_BROKERS", topic: TOPIC }]) }),
        ).toThrow(/AUDIT_KAFKA_BROKERS .*host:port/);
    });
});
