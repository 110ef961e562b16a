/**
 * RabbitMQ control-plane probes with amqplib: commands published to the control exchange (confirmed, mandatory) and
 * consumed from every queue their routing key reaches; a command marked for rejection is nacked (requeue=false) in its
 * queue and must come out of the dead-letter queue with `x-first-death-queue` naming that queue.
 *
 * The smoke test only ever takes messages it published: a queue that already holds messages is left alone (its
 * probes are not run), and a foreign message that arrives while it consumes is returned (nack, requeue) at once. The
 * one exception: messages an interrupted earlier run left (their `smoke-run` header names a run the journal lists as
 * interrupted) are taken off the head of the queue first.
 */
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from "amqplib";
import { performance } from "node:perf_hooks";
import { exercise, queueKey, RUN_HEADER, TAG_HEADER, withTimeout, Inbox, type SmokeContext, type SmokeMessage } from "./messages";
import type { ControlProbe } from "./probes";
import type { ProbeResult } from "./report";
import { closeAll, errorText } from "./transport";

/** The header that marks a smoke command for rejection in the named queue. */
const REJECT_HEADER = "smoke-reject-in";

export interface RabbitEndpoint {
    /** `amqp://host:port` from the stack outputs. */
    amqpUrl: string;
    /** The control-plane vhost (`rabbitmq.vhost` of the stack config). */
    vhost: string;
    /** The user the program manages the control plane as (`rabbitmq.username`): it may read and write every queue. */
    username: string;
    /** That user's password (the stack's secret `rabbitmqPassword`). */
    password: string;
}

export function controlRow(p: ControlProbe): Pick<ProbeResult, "route" | "path" | "protocol" | "broker" | "target"> {
    return {
        route: p.kind === "route" ? `${p.exchange} -> ${p.queue}` : `${p.rejectIn} -> ${p.queue}`,
        path: p.kind === "route" ? `routing key ${p.routingKey}` : "rejected (nack, requeue=false)",
        protocol: "amqp",
        broker: "rabbitmq",
        target: p.queue,
    };
}

const probeId = (p: ControlProbe) => (p.kind === "route" ? `route:${p.queue}` : `dead-letter:${p.rejectIn}`);

const header = (m: Pick<ConsumeMessage, "properties">, name: string): string | undefined => {
    const v: unknown = m.properties.headers?.[name];
    return v === undefined ? undefined : String(v);
};

interface QueueState {
    messages: number;
    consumers: number;
}

/** What an interrupted earlier run left behind may be taken back (scripts/smoke/journal.ts). */
export interface Leftovers {
    /** Run ids of interrupted runs: messages with one of these in their `smoke-run` header are removed. */
    runIds: ReadonlySet<string>;
    /** What was removed, for the report. */
    notes: string[];
}

/**
 * Takes an interrupted run's messages off the head of a queue: each message is read, acked when it is one of those
 * runs', and the first one that is not is returned (requeued) and ends the sweep, so nothing else is consumed.
 * Returns how many were removed.
 */
async function sweepQueue(ch: Channel, queue: string, count: number, runIds: ReadonlySet<string>, step: <T>(p: Promise<T>, what: string) => Promise<T>): Promise<number> {
    let removed = 0;
    for (let i = 0; i < count; i++) {
        const m = await step(ch.get(queue, { noAck: false }), `get from ${queue}`);
        if (m === false) {
            break;
        }
        const run = header(m, RUN_HEADER);
        if (run === undefined || !runIds.has(run)) {
            ch.nack(m, false, true);
            break;
        }
        ch.ack(m);
        removed++;
    }
    return removed;
}

export async function runControlProbes(
    ep: RabbitEndpoint,
    probes: ControlProbe[],
    ctx: SmokeContext,
    leftovers: Leftovers = { runIds: new Set(), notes: [] },
): Promise<ProbeResult[]> {
    const t = ctx.timeoutMs;
    const url = new URL(ep.amqpUrl);
    const where = `${url.protocol}//${url.host} vhost ${ep.vhost}`;
    const row = (p: ControlProbe, r: Partial<ProbeResult>): ProbeResult => ({
        ...controlRow(p),
        status: "failed",
        latenciesMs: [],
        sent: 0,
        received: 0,
        ...r,
    });

    // Every broker call is bounded: a stalled broker fails the rows, it never hangs the run.
    const step = <T>(p: Promise<T>, what: string) => withTimeout(p, t, `${what}: no answer within ${t} ms`);
    let conn: ChannelModel;
    const connecting = connect(
            {
                protocol: url.protocol.replace(/:$/, ""),
                hostname: url.hostname,
                port: url.port ? Number(url.port) : url.protocol === "amqps:" ? 5671 : 5672,
                username: ep.username,
                password: ep.password,
                vhost: ep.vhost,
            },
            // Without TCP_NODELAY a publish (method, header and body frames) waits out the peer's delayed ACK:
            // a flat ~40 ms on every message that measures Nagle's algorithm, not the broker.
            { timeout: t, noDelay: true },
        );
    try {
        conn = await step(connecting, "connect");
    } catch (err) {
        void connecting.then((c) => c.close()).catch(() => undefined); // a connection that opens too late is closed
        const reason = `cannot connect to ${where} as ${ep.username}: ${connectionRefusal(errorText(err), ep.vhost, ep.username)}`;
        return probes.map((p) => row(p, { reason }));
    }
    conn.on("error", () => undefined); // a lost connection fails the probes in flight; no crash on the event

    const channels: Channel[] = [];
    const channel = async <C extends Channel>(make: () => Promise<C>): Promise<C> => {
        const ch = await step(make(), "open a channel");
        ch.on("error", () => undefined); // a 404 closes the channel; the rejected call reports it
        channels.push(ch);
        return ch;
    };
    const inbox = new Inbox();
    try {
        const exchanges = [...new Set(probes.map((p) => p.exchange))];
        const exchangeMissing = new Map<string, string>();
        for (const x of exchanges) {
            const ch = await channel(() => conn.createChannel());
            await step(ch.checkExchange(x), `check exchange ${x}`).catch(() => exchangeMissing.set(x, `exchange ${x} does not exist in ${where}`));
        }
        const queues = [...new Set(probes.flatMap((p) => [p.queue, ...p.reaches, ...(p.rejectIn ? [p.rejectIn] : [])]))].sort();
        const state = new Map<string, QueueState>();
        for (const q of queues) {
            const ch = await channel(() => conn.createChannel());
            let ok = await step(ch.checkQueue(q), `check queue ${q}`).catch(() => undefined);
            if (ok && ok.messageCount > 0 && leftovers.runIds.size > 0) {
                const removed = await sweepQueue(ch, q, ok.messageCount, leftovers.runIds, step);
                if (removed > 0) {
                    leftovers.notes.push(`removed ${removed} message(s) an interrupted smoke run (${[...leftovers.runIds].join(", ")}) left in ${q}`);
                    ok = await step(ch.checkQueue(q), `check queue ${q}`);
                }
            }
            if (ok) {
                state.set(q, { messages: ok.messageCount, consumers: ok.consumerCount });
            }
        }

        const blocked = (p: ControlProbe): Partial<ProbeResult> | undefined => {
            const missingExchange = exchangeMissing.get(p.exchange);
            if (missingExchange) {
                return { reason: missingExchange };
            }
            const absent = [p.queue, ...(p.rejectIn ? [p.rejectIn] : [])].find((q) => !state.has(q));
            if (absent) {
                return { reason: `queue ${absent} does not exist in ${where}` };
            }
            const busy = [...p.reaches, p.queue].find((q) => (state.get(q)?.messages ?? 0) > 0);
            if (busy) {
                const n = state.get(busy)?.messages;
                return { status: "not run", reason: `queue ${busy} holds ${n} message(s) this run did not publish; the smoke test takes only its own, so it left it alone` };
            }
            return undefined;
        };
        const runnable = probes.filter((p) => !blocked(p));

        // Consumers on every queue a runnable probe's messages reach.
        const interrupted = new Map<string, string>();
        const consumed = [...new Set(runnable.flatMap((p) => [p.queue, ...p.reaches].filter((q) => state.has(q))))];
        for (const q of consumed) {
            const ch = await channel(() => conn.createChannel());
            await step(ch.prefetch(100), "set prefetch");
            const { consumerTag } = await step(ch.consume(q, (m) => {
                if (m === null) {
                    return; // cancelled by the broker (the queue was deleted)
                }
                const at = performance.now();
                const tag = header(m, TAG_HEADER);
                if (tag === undefined || header(m, RUN_HEADER) !== ctx.runId) {
                    ch.nack(m, false, true);
                    interrupted.set(q, `a message this run did not publish arrived on ${q}; it was returned and the smoke test stopped consuming ${q}`);
                    void ch.cancel(consumerTag).catch(() => undefined);
                    return;
                }
                const deadFrom = header(m, "x-first-death-queue");
                const rejectIn = header(m, REJECT_HEADER);
                if (deadFrom !== undefined) {
                    ch.ack(m);
                    const reason = header(m, "x-first-death-reason");
                    if (deadFrom === rejectIn && reason === "rejected") {
                        inbox.arrive(queueKey(tag, q), at);
                    } else {
                        inbox.fail(queueKey(tag, q), `dead-lettered from ${deadFrom} (${reason}), expected a rejection in ${rejectIn}`);
                    }
                } else if (rejectIn === q) {
                    ch.nack(m, false, false);
                } else {
                    ch.ack(m);
                    inbox.arrive(queueKey(tag, q), at);
                }
            }), `consume from ${q}`);
        }

        const publisher = await channel<ConfirmChannel>(() => conn.createConfirmChannel());
        publisher.on("return", (m: ConsumeMessage) => {
            const tag = header(m, TAG_HEADER) ?? "";
            const queues = probes.filter((x) => x.routingKey === m.fields.routingKey).flatMap((x) => [x.queue, ...x.reaches]);
            for (const q of new Set(queues)) {
                inbox.fail(queueKey(tag, q), `unroutable: no queue is bound to ${m.fields.exchange} for routing key ${m.fields.routingKey}`);
            }
        });

        const results: ProbeResult[] = [];
        for (const p of probes) {
            const b = blocked(p);
            if (b) {
                results.push(row(p, b));
                continue;
            }
            const send = (m: SmokeMessage) =>
                new Promise<void>((resolve, reject) =>
                    publisher.publish(
                        p.exchange,
                        p.routingKey,
                        m.body,
                        { persistent: true, mandatory: true, messageId: m.tag, type: "smoke-test", contentType: "application/json", headers: m.headers },
                        (err: unknown) => (err ? reject(new Error(`the broker refused the publish: ${String(err)}`)) : resolve()),
                    ),
                );
            // The measured arrival first, then every copy (the audit mirror) that must arrive too.
            const copies = p.reaches.filter((q) => q !== p.queue && q !== p.rejectIn && state.has(q));
            const keys = (m: SmokeMessage) => [p.queue, ...copies].map((q) => queueKey(m.tag, q));
            const extra: Record<string, string> = p.rejectIn ? { [REJECT_HEADER]: p.rejectIn } : {};
            const done = await exercise(ctx, probeId(p), inbox, send, keys, extra);
            const stopped = [p.queue, ...copies].map((q) => interrupted.get(q)).find((x) => x !== undefined);
            // Consumers the queue already had (the services) compete for the command: say so when it went missing.
            const first = p.rejectIn ?? p.queue;
            const competing = state.get(first)?.consumers ?? 0;
            const hint = competing > 0 ? ` (${competing} other consumer(s) on ${first} may have taken it)` : "";
            results.push(
                row(p, {
                    status: done.error ? "failed" : "passed",
                    ...(done.error ? { reason: stopped ?? `${done.error}${hint}` } : {}),
                    latenciesMs: done.latenciesMs,
                    sent: done.sent,
                    received: done.received,
                }),
            );
        }
        return results;
    } catch (err) {
        const reason = `${where}: ${errorText(err)}`;
        return probes.map((p) => row(p, { reason }));
    } finally {
        await closeAll([...channels.map((ch) => () => step(ch.close(), "close a channel")), () => step(conn.close(), "close")]);
    }
}

/**
 * A confirmed publisher to the control exchange, for the probes whose far end is not a queue (the audit mirror: the
 * audit bridge consumes control.audit and writes audit-trail). Connects on first use; every call is bounded.
 */
export class ControlPublisher {
    private conn?: ChannelModel;
    private ch?: ConfirmChannel;

    constructor(
        private readonly ep: RabbitEndpoint,
        private readonly ctx: SmokeContext,
    ) {}

    private async channel(): Promise<ConfirmChannel> {
        if (this.ch) {
            return this.ch;
        }
        const url = new URL(this.ep.amqpUrl);
        const t = this.ctx.timeoutMs;
        this.conn = await withTimeout(
            connect(
                {
                    protocol: url.protocol.replace(/:$/, ""),
                    hostname: url.hostname,
                    port: url.port ? Number(url.port) : url.protocol === "amqps:" ? 5671 : 5672,
                    username: this.ep.username,
                    password: this.ep.password,
                    vhost: this.ep.vhost,
                },
                { timeout: t, noDelay: true },
            ),
            t,
            `connect to ${url.protocol}//${url.host} vhost ${this.ep.vhost}: no answer within ${t} ms`,
        );
        this.conn.on("error", () => undefined);
        this.ch = await withTimeout(this.conn.createConfirmChannel(), t, `open a channel: no answer within ${t} ms`);
        return this.ch;
    }

    async publish(exchange: string, routingKey: string, m: SmokeMessage): Promise<void> {
        const ch = await this.channel();
        await new Promise<void>((resolve, reject) =>
            ch.publish(
                exchange,
                routingKey,
                m.body,
                { persistent: true, messageId: m.tag, type: "smoke-test", contentType: "application/json", headers: m.headers },
                (err: unknown) => (err ? reject(new Error(`the broker refused the publish: ${String(err)}`)) : resolve()),
            ),
        );
    }

    async close(): Promise<void> {
        await closeAll([() => this.ch?.close(), () => this.conn?.close()]);
    }
}

/**
 * What a refused AMQP connection means. RabbitMQ closes the connection while opening a vhost that does not exist or
 * that the user holds no permissions on, and amqplib reports only the frame ("Expected ConnectionOpenOk; got
 * <ConnectionClose channel:0>"), not the broker's reply text. Pure.
 */
export function connectionRefusal(message: string, vhost: string, username: string): string {
    if (!/Expected ConnectionOpenOk; got <ConnectionClose/.test(message)) {
        return message;
    }
    return `the broker closed the connection opening vhost ${vhost}: it does not exist, or ${username} has no permissions on it (rabbitmqctl list_permissions -p ${vhost}; has the stack been deployed?)`;
}
