/**
 * The planned RabbitMQ control plane on this machine's real RabbitMQ (started by scripts/engine/rabbitmq.sh when it
 * is not running): each service user connects with exactly the permissions the plan gives it and does its job, and
 * the broker refuses everything else. Also what the policies make the broker do: RPC through direct reply-to, a full
 * queue refusing publishes, a rejected or endlessly redelivered job dead-lettered.
 *
 * Declared as RabbitControlPlane declares it (test/support/rabbitmq.ts declareControlPlane), in a vhost of its own;
 * the users get names of their own (user names are global to the broker, the permissions' regexes are about
 * exchanges and queues only). Everything is removed afterwards.
 */
import { randomBytes } from "node:crypto";
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_QUEUE, CONTROL_EXCHANGE, DEAD_LETTER_EXCHANGE, DEAD_LETTER_QUEUE, DEFAULT_EXCHANGE, DELIVERY_LIMIT, WORK_QUEUES, type RabbitUserPlan, type Topology } from "../../topology";
import { planStack } from "../support/stacks";
import { declareControlPlane, ensureRabbitMQ, managementOk, RABBIT } from "../support/rabbitmq";

const RUN = `perm-${Date.now().toString(36)}-${randomBytes(2).toString("hex")}`;
const VHOST = `${RUN}-control`;
/** Small, so a test can fill a queue. */
const MAX_LENGTH = 3;

let topology: Topology;
const passwords = new Map<string, string>();
const userName = (service: string) => `${RUN}-${service}`;

beforeAll(async () => {
    await ensureRabbitMQ();
    topology = planStack("local", { phase: 0, rabbitmq: { managementEndpoint: RABBIT.management, amqpEndpoint: RABBIT.amqp, username: RABBIT.username, vhost: VHOST, maxQueueLength: MAX_LENGTH } });
    await declareControlPlane(topology);
    for (const u of topology.rabbitmq.users) {
        const password = randomBytes(12).toString("hex");
        passwords.set(u.name, password);
        await managementOk("PUT", `/api/users/${encodeURIComponent(userName(u.name))}`, { password, tags: "" });
        await managementOk("PUT", `/api/permissions/${encodeURIComponent(VHOST)}/${encodeURIComponent(userName(u.name))}`, { configure: u.configure, write: u.write, read: u.read });
    }
}, 240_000);

afterAll(async () => {
    for (const name of passwords.keys()) {
        await managementOk("DELETE", `/api/users/${encodeURIComponent(userName(name))}`).catch(() => undefined);
    }
    await managementOk("DELETE", `/api/vhosts/${encodeURIComponent(VHOST)}`).catch(() => undefined);
});

/** A connection to the test vhost as a service user (or the admin, guest). */
async function as(service: string | "admin"): Promise<ChannelModel> {
    const username = service === "admin" ? RABBIT.username : userName(service);
    const password = service === "admin" ? RABBIT.password : (passwords.get(service) as string);
    return connect({ hostname: "127.0.0.1", port: 5672, username, password, vhost: VHOST }, { timeout: 5000 });
}

type Outcome = "ok" | "refused";

/**
 * Runs one operation on a fresh channel and reports whether the broker allowed it: a permission failure closes the
 * channel with 403 ACCESS_REFUSED (the connection stays up).
 */
async function attempt(conn: ChannelModel, op: (ch: ConfirmChannel) => Promise<unknown>): Promise<Outcome> {
    const ch = await conn.createConfirmChannel();
    let refused: Error | undefined;
    ch.on("error", (err: Error) => {
        refused = err;
    });
    try {
        await op(ch);
        await ch.waitForConfirms();
    } catch (err) {
        refused ??= err as Error;
    }
    // Give a refusal that arrives after the operation (publishes are asynchronous) the time to close the channel.
    await new Promise((r) => setTimeout(r, 50));
    if (refused) {
        expect(refused.message, "refused for permissions, not another reason").toMatch(/ACCESS_REFUSED|403/);
        return "refused";
    }
    await ch.close().catch(() => undefined);
    return "ok";
}

const matches = (regex: string, name: string) => new RegExp(regex).test(name);
const publishTo = (exchange: string, key: string) => (ch: ConfirmChannel) =>
    new Promise<void>((done, fail) => ch.publish(exchange === DEFAULT_EXCHANGE ? "" : exchange, key, Buffer.from(`${RUN} probe`), { persistent: true }, (err) => (err ? fail(err) : done())));

describe("each service user on the real broker: exactly its permissions", () => {
    const users = () => topology.rabbitmq.users;

    it("plans users for every publisher and consumer of the control plane", () => {
        const services = new Set([...WORK_QUEUES.flatMap((q) => [...q.publishers, ...q.consumers]), "audit-bridge"]);
        expect(users().map((u) => u.name).sort()).toEqual([...services].sort());
    });

    it.each(["governance-api", "job-api", "job-worker", "operator-ui", "audit-bridge"])("%s publishes where its write permission says, and nowhere else", async (service) => {
        const u = users().find((x) => x.name === service) as RabbitUserPlan;
        const conn = await as(service);
        try {
            for (const exchange of [CONTROL_EXCHANGE, DEAD_LETTER_EXCHANGE, DEFAULT_EXCHANGE]) {
                // A routing key no queue binds: a permitted publish is confirmed and goes nowhere.
                const outcome = await attempt(conn, publishTo(exchange, `${RUN}.unrouted`));
                expect(outcome, `${service} -> ${exchange}`).toBe(matches(u.write, exchange) ? "ok" : "refused");
            }
        } finally {
            await conn.close();
        }
    });

    it.each(["governance-api", "job-api", "job-worker", "operator-ui", "audit-bridge"])("%s consumes the queues its read permission says, and no other", async (service) => {
        const u = users().find((x) => x.name === service) as RabbitUserPlan;
        const conn = await as(service);
        try {
            for (const q of topology.rabbitmq.queues) {
                const outcome = await attempt(conn, async (ch) => {
                    const { consumerTag } = await ch.consume(q.name, () => undefined);
                    await ch.cancel(consumerTag);
                });
                expect(outcome, `${service} <- ${q.name}`).toBe(matches(u.read, q.name) ? "ok" : "refused");
            }
        } finally {
            await conn.close();
        }
    });

    it.each(["governance-api", "job-api", "job-worker", "operator-ui", "audit-bridge"])("%s can neither declare nor delete anything (configure ^$)", async (service) => {
        const conn = await as(service);
        try {
            expect(await attempt(conn, (ch) => ch.assertQueue(`${RUN}.tmp`, { durable: false }))).toBe("refused");
            expect(await attempt(conn, (ch) => ch.deleteQueue(DEAD_LETTER_QUEUE))).toBe("refused");
            expect(await attempt(conn, (ch) => ch.assertExchange(`${RUN}.x`, "fanout"))).toBe("refused");
        } finally {
            await conn.close();
        }
    });

    it("a wrong password is refused at connect", async () => {
        await expect(connect({ hostname: "127.0.0.1", port: 5672, username: userName("job-api"), password: "wrong", vhost: VHOST }, { timeout: 5000 })).rejects.toThrow(/ACCESS_REFUSED|403/);
    });
});

/** The next message on a queue through a consumer, or undefined after `ms`. */
function nextMessage(ch: Channel, queue: string, ms = 5000, noAck = false): Promise<ConsumeMessage | undefined> {
    return new Promise((done) => {
        let tag: string | undefined;
        const timer = setTimeout(() => {
            if (tag) void ch.cancel(tag).catch(() => undefined);
            done(undefined);
        }, ms);
        void ch.consume(
            queue,
            (m) => {
                if (!m) return;
                clearTimeout(timer);
                if (tag) void ch.cancel(tag).catch(() => undefined);
                done(m);
            },
            { noAck },
        ).then((ok) => {
            tag = ok.consumerTag;
        });
    });
}

async function purge(): Promise<void> {
    const admin = await as("admin");
    try {
        const ch = await admin.createChannel();
        for (const q of topology.rabbitmq.queues) {
            await ch.purgeQueue(q.name);
        }
        await ch.close();
    } finally {
        await admin.close();
    }
}

describe("what the planned policies make the real broker do", () => {
    it("RPC: operator-ui asks on rpc.#, governance-api answers through direct reply-to", async () => {
        await purge();
        const ui = await as("operator-ui");
        const gov = await as("governance-api");
        try {
            const uiCh = await ui.createChannel();
            // Consuming the direct reply-to pseudo-queue needs no permission; it must be consumed before publishing.
            const reply = nextMessage(uiCh, "amq.rabbitmq.reply-to", 5000, true);
            await new Promise((r) => setTimeout(r, 100));
            uiCh.publish(CONTROL_EXCHANGE, "rpc.ping", Buffer.from("ping"), { replyTo: "amq.rabbitmq.reply-to", correlationId: RUN });
            const govCh = await gov.createConfirmChannel();
            const request = await nextMessage(govCh, "rpc.requests");
            expect(request?.properties.replyTo).toMatch(/^amq\.rabbitmq\.reply-to\./);
            // The answer goes through the default exchange: write on amq.default.
            await new Promise<void>((done, fail) =>
                govCh.sendToQueue(request!.properties.replyTo, Buffer.from("pong"), { correlationId: request!.properties.correlationId }, (err) => (err ? fail(err) : done())),
            );
            govCh.ack(request!);
            const answer = await reply;
            expect(answer?.content.toString()).toBe("pong");
            expect(answer?.properties.correlationId).toBe(RUN);
        } finally {
            await ui.close();
            await gov.close();
        }
    });

    it(`a full queue refuses publishes (overflow reject-publish, max-length ${MAX_LENGTH}) instead of dropping the oldest`, async () => {
        await purge();
        const api = await as("job-api");
        try {
            const ch = await api.createConfirmChannel();
            const publish = (i: number) =>
                new Promise<"ack" | "nack">((done) => ch.publish(CONTROL_EXCHANGE, "job.dispatch.test", Buffer.from(`job ${i}`), { persistent: true }, (err) => done(err ? "nack" : "ack")));
            const outcomes: string[] = [];
            for (let i = 0; i < MAX_LENGTH + 2; i++) {
                outcomes.push(await publish(i));
            }
            // Measured on RabbitMQ 3.10.8: a quorum queue counts as over its limit once its length exceeds max-length, so
            // it takes one message past the bound and refuses (nacks) every publish after that.
            expect(outcomes).toEqual([...Array(MAX_LENGTH + 1).fill("ack"), "nack"]);
            await ch.close();
        } finally {
            await api.close();
        }
        // The first messages are kept: nothing was dropped from the head.
        const admin = await as("admin");
        try {
            const ch = await admin.createChannel();
            const first = await ch.get("jobs.dispatch", { noAck: true });
            expect(first && first.content.toString()).toBe("job 0");
            await ch.close();
        } finally {
            await admin.close();
        }
    });

    it("a job the worker rejects is dead-lettered to control.dead-letter, and so is one redelivered past the delivery limit", async () => {
        await purge();
        const api = await as("job-api");
        const worker = await as("job-worker");
        const admin = await as("admin");
        try {
            const pub = await api.createConfirmChannel();
            for (const body of ["rejected", "poison"]) {
                await new Promise<void>((done, fail) => pub.publish(CONTROL_EXCHANGE, "job.dispatch.dlx", Buffer.from(body), { persistent: true }, (err) => (err ? fail(err) : done())));
            }
            // basic.get, one message at a time: what the worker holds is exactly what it was given.
            const ch = await worker.createChannel();
            const get = async () => {
                for (let i = 0; i < 20; i++) {
                    const m = await ch.get("jobs.dispatch", { noAck: false });
                    if (m) return m;
                    await new Promise((r) => setTimeout(r, 100));
                }
                return undefined;
            };
            const first = await get();
            expect(first?.content.toString()).toBe("rejected");
            ch.nack(first!, false, false);
            // The poison message: requeued on every failure until the quorum queue's delivery-limit dead-letters it.
            let deliveries = 0;
            for (;;) {
                const m = await get();
                if (!m) break;
                expect(m.content.toString()).toBe("poison");
                deliveries++;
                ch.nack(m, false, true);
                expect(deliveries, "dead-lettered once past the delivery limit").toBeLessThanOrEqual(DELIVERY_LIMIT + 1);
            }
            expect(deliveries).toBe(DELIVERY_LIMIT + 1);
            const dl = await admin.createChannel();
            const dead: string[] = [];
            for (let i = 0; i < 20 && dead.length < 2; i++) {
                const m = await dl.get(DEAD_LETTER_QUEUE, { noAck: true });
                if (m) {
                    dead.push(`${m.content.toString()}:${String(m.properties.headers?.["x-first-death-reason"])}`);
                } else {
                    await new Promise((r) => setTimeout(r, 100));
                }
            }
            expect(dead.sort()).toEqual(["poison:delivery_limit", "rejected:rejected"]);
        } finally {
            await api.close();
            await worker.close();
            await admin.close();
        }
    });

    it("every control event is also in the audit queue, for audit-bridge to carry into the audit-trail stream", async () => {
        await purge();
        const api = await as("job-api");
        const bridge = await as("audit-bridge");
        try {
            const pub = await api.createConfirmChannel();
            await new Promise<void>((done, fail) => pub.publish(CONTROL_EXCHANGE, "job.dispatch.audit", Buffer.from("audited"), { persistent: true }, (err) => (err ? fail(err) : done())));
            const ch = await bridge.createChannel();
            const m = await nextMessage(ch, AUDIT_QUEUE);
            expect(m?.content.toString()).toBe("audited");
            ch.ack(m!);
        } finally {
            await api.close();
            await bridge.close();
        }
    });

    it("the broker applies the planned policy to each queue (the effective definition)", async () => {
        for (const q of topology.rabbitmq.queues) {
            // Queue details carry the policy once the broker has emitted the queue's statistics (every 5 s by default).
            let info: { policy?: string; effective_policy_definition?: Record<string, unknown>; type?: string } = {};
            for (let i = 0; i < 40 && info.effective_policy_definition === undefined; i++) {
                const res = await fetch(`${RABBIT.management}/api/queues/${encodeURIComponent(VHOST)}/${encodeURIComponent(q.name)}`, {
                    headers: { authorization: `Basic ${Buffer.from(`${RABBIT.username}:${RABBIT.password}`).toString("base64")}` },
                });
                info = (await res.json()) as typeof info;
                if (info.effective_policy_definition === undefined) await new Promise((r) => setTimeout(r, 250));
            }
            expect(info.type, q.name).toBe("quorum");
            expect(info.effective_policy_definition, q.name).toMatchObject({ "max-length": MAX_LENGTH, overflow: "reject-publish" });
            if (q.deadLetterExchange) {
                expect(info.effective_policy_definition, q.name).toMatchObject({ "dead-letter-exchange": DEAD_LETTER_EXCHANGE, "dead-letter-strategy": "at-least-once" });
            }
        }
    }, 60_000);
});
