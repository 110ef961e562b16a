/**
 * Smoke messages: uniquely tagged (run id + probe + sequence number), sent one at a time, each awaited on the consuming
 * side within the timeout, so a latency is the time from handing a message to the producer to its delivery.
 */
import { performance } from "node:perf_hooks";

/** Header (Kafka), property (Pulsar) or AMQP header that carries a smoke message's tag. */
export const TAG_HEADER = "smoke-tag";
/** Header that carries the run id, so consumers of a real stack can recognise and skip smoke traffic. */
export const RUN_HEADER = "smoke-run";

export interface SmokeMessage {
    tag: string;
    body: Buffer;
    headers: Record<string, string>;
}

export interface SmokeContext {
    /** Unique per run; part of every tag, consumer group and subscription name. */
    runId: string;
    /** Timed messages per probe (one untimed warm-up message goes first). */
    messages: number;
    /** How long one message may take to arrive, and any single client operation. */
    timeoutMs: number;
}

export function newRunId(now = Date.now()): string {
    return `smoke-${now.toString(36)}-${Math.random().toString(16).slice(2, 8)}`;
}

export function smokeMessage(ctx: SmokeContext, probeId: string, seq: number, extraHeaders: Record<string, string> = {}): SmokeMessage {
    const tag = `${ctx.runId}/${probeId}/${seq}`;
    const body = Buffer.from(JSON.stringify({ smokeTest: true, runId: ctx.runId, probe: probeId, seq, sentAt: new Date().toISOString() }));
    return { tag, body, headers: { [TAG_HEADER]: tag, [RUN_HEADER]: ctx.runId, ...extraHeaders } };
}

/** Rejects with `timeoutMessage` unless `p` settles within `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, timeoutMessage: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(timeoutMessage)), ms);
    });
    try {
        return await Promise.race([p, timeout]);
    } finally {
        clearTimeout(timer);
    }
}

/** Inbox key of a message's copy in one queue. */
export function queueKey(tag: string, queue: string): string {
    return `${tag}@${queue}`;
}

/**
 * Inbox key of a message read from a topic through one client (`Kafka`, `KoP`, `Pulsar`): a probe waits for its message
 * where it reads it, not wherever a copy of it shows up (a Pulsar consumer of the same topic, a mirror's copy).
 */
export function topicKey(tag: string, client: string, topic: string): string {
    return queueKey(tag, `${client} ${topic}`);
}

/**
 * A smoke message's tag from its body, for a copy that lost its headers on the way: pulsar-io-kafka's sink writes a
 * Pulsar message's value and key into Kafka, not its properties.
 */
export function tagOfBody(body: Buffer | undefined): string | undefined {
    if (!body || body.length > 4096 || body[0] !== 0x7b) {
        return undefined;
    }
    try {
        const b = JSON.parse(body.toString()) as { smokeTest?: unknown; runId?: unknown; probe?: unknown; seq?: unknown };
        return b.smokeTest === true && typeof b.runId === "string" && typeof b.probe === "string" && Number.isInteger(b.seq) ? `${b.runId}/${b.probe}/${String(b.seq)}` : undefined;
    } catch {
        return undefined;
    }
}

const where = (key: string) => {
    const at = key.lastIndexOf("@");
    return at < 0 ? "" : ` from ${key.slice(at + 1)}`;
};

interface Waiter {
    resolve: (at: number) => void;
    reject: (err: Error) => void;
}

/** Where consumers report arrivals (by key: a tag, or tag@queue) and probes wait for them. */
export class Inbox {
    private readonly waiting = new Map<string, Waiter>();
    private readonly early = new Map<string, number | Error>();

    /** Waits for `key` to arrive; resolves with the arrival time (performance.now()). */
    expect(key: string, timeoutMs: number, timeoutMessage: string): Promise<number> {
        const early = this.early.get(key);
        if (early !== undefined) {
            this.early.delete(key);
            return early instanceof Error ? Promise.reject(early) : Promise.resolve(early);
        }
        const arrival = new Promise<number>((resolve, reject) => this.waiting.set(key, { resolve, reject }));
        return withTimeout(arrival, timeoutMs, timeoutMessage).finally(() => this.waiting.delete(key));
    }

    arrive(key: string, at = performance.now()): void {
        this.settle(key, at);
    }

    /** The message arrived wrong (e.g. dead-lettered from the wrong queue), or can no longer arrive. */
    fail(key: string, reason: string): void {
        this.settle(key, new Error(reason));
    }

    private settle(key: string, outcome: number | Error): void {
        const w = this.waiting.get(key);
        if (!w) {
            this.early.set(key, outcome);
            return;
        }
        this.waiting.delete(key);
        if (outcome instanceof Error) {
            w.reject(outcome);
        } else {
            w.resolve(outcome);
        }
    }
}

export interface Exercised {
    /** Latencies of the timed messages that arrived, in ms. */
    latenciesMs: number[];
    /** Messages handed to the producer (warm-up included). */
    sent: number;
    /** Messages that arrived (warm-up included). */
    received: number;
    /** Why the probe stopped early; undefined when every message arrived. */
    error?: string;
    /** The inbox key that did not arrive, when that is why it stopped (undefined: the producer did not confirm). */
    unarrived?: string;
}

/**
 * Sends `ctx.messages + 1` messages one at a time (the first is an untimed warm-up: connections, metadata, fetch
 * sessions) and waits for each before sending the next; stops at the first one that fails or does not arrive.
 * @param send hands one message to the producing client; resolves when the broker has accepted it
 * @param arrivalKeys the inbox keys whose arrival completes a message: the first is timed, the rest (copies) must
 *        arrive too
 */
export async function exercise(
    ctx: SmokeContext,
    probeId: string,
    inbox: Inbox,
    send: (m: SmokeMessage) => Promise<void>,
    arrivalKeys: (m: SmokeMessage) => string[] = (m) => [m.tag],
    headers: Record<string, string> = {},
): Promise<Exercised> {
    const result: Exercised = { latenciesMs: [], sent: 0, received: 0 };
    for (let seq = 0; seq <= ctx.messages; seq++) {
        const m = smokeMessage(ctx, probeId, seq, headers);
        const label = seq === 0 ? "warm-up message" : `message ${seq} of ${ctx.messages}`;
        const [first, ...copies] = arrivalKeys(m).map((key) =>
            inbox.expect(key, ctx.timeoutMs, `${label} was not consumed${where(key)} within ${ctx.timeoutMs} ms`).catch((err: Error) => {
                throw Object.assign(err, { arrivalKey: key });
            }),
        );
        // Every expectation is settled below, or left to time out on its own: mark them handled now.
        [first, ...copies].forEach((p) => p?.catch(() => undefined));
        const start = performance.now();
        try {
            await withTimeout(send(m), ctx.timeoutMs, `${label}: the producer did not confirm it within ${ctx.timeoutMs} ms`);
            result.sent++;
            const at = await (first as Promise<number>);
            await Promise.all(copies);
            result.received++;
            if (seq > 0) {
                result.latenciesMs.push(at - start);
            }
        } catch (err) {
            result.error = (err as Error).message;
            const key = (err as { arrivalKey?: string }).arrivalKey;
            if (key !== undefined) {
                result.unarrived = key;
            }
            return result;
        }
    }
    return result;
}
