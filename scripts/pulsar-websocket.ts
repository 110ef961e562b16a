/**
 * A native Pulsar client for the tools and the tests, over the broker's WebSocket API (v2: `/ws/v2/producer/...` and
 * `/ws/v2/consumer/...`, served by every broker with `webSocketServiceEnabled`, as standalone.conf has it, and by the
 * proxy of a cluster that enables it), with the `ws` package from npm.
 *
 * Why this one: the `pulsar-client` npm addon needs a C++ library its install script downloads from outside the
 * registries, which cannot be had on the machines this project is built and tested on; the Java client would need a
 * JVM per tool run; the WebSocket API is Pulsar's own client (the broker runs a Java client per socket), so partitioned
 * topics, batching, subscription types and positions are the broker's, not a re-implementation. Keys, properties
 * (Pulsar's headers) and publish times cross it as they are. The orchestrator services keep `pulsar-client`.
 *
 * Login: a token goes in `Authorization: Bearer` on the upgrade request; a CA for wss:// in `ca`, host names verified.
 */
import WebSocket from "ws";

export interface PulsarWsLogin {
    token?: string;
    caPem?: string;
}

export interface PulsarMessage {
    messageId: string;
    /** The partition the message is stored in (-1 on a non-partitioned topic), from its message id. */
    partition: number;
    payload: Buffer;
    key?: string;
    properties: Record<string, string>;
    publishTime: number;
    redeliveryCount: number;
}

export interface OutgoingMessage {
    payload: Buffer | string;
    key?: string;
    properties?: Record<string, string>;
}

export type SubscriptionType = "Exclusive" | "Shared" | "Failover" | "Key_Shared";

/**
 * The partition in a WebSocket message id: the id is Pulsar's MessageIdData protobuf, base64-encoded (PulsarApi.proto:
 * ledgerId = 1, entryId = 2, partition = 3, default -1). Only the varint fields before it are read.
 */
export function partitionOf(messageId: string): number {
    const b = Buffer.from(messageId, "base64");
    let i = 0;
    const varint = (): bigint => {
        let v = 0n;
        for (let shift = 0n; i < b.length; shift += 7n) {
            const byte = b[i++] as number;
            v |= BigInt(byte & 0x7f) << shift;
            if ((byte & 0x80) === 0) {
                break;
            }
        }
        return v;
    };
    while (i < b.length) {
        const key = Number(varint());
        const [field, wire] = [key >> 3, key & 7];
        if (wire !== 0) {
            break;
        }
        const value = varint();
        if (field === 3) {
            return Number(BigInt.asIntN(32, value));
        }
    }
    return -1;
}

/** `persistent://t/ns/topic` -> `persistent/t/ns/topic`, each segment encoded. */
function topicPath(topic: string): string {
    const m = /^(persistent|non-persistent):\/\/([^/]+)\/([^/]+)\/(.+)$/.exec(topic);
    if (!m) {
        throw new Error(`not a full Pulsar topic name (persistent://tenant/namespace/topic): ${topic}`);
    }
    return [m[1], m[2], m[3], m[4]].map((s) => encodeURIComponent(s as string)).join("/");
}

function open(url: string, login: PulsarWsLogin, timeoutMs: number): Promise<WebSocket> {
    return new Promise((ok, fail) => {
        const socket = new WebSocket(url, {
            handshakeTimeout: timeoutMs,
            ...(login.token ? { headers: { authorization: `Bearer ${login.token}` } } : {}),
            ...(login.caPem ? { ca: login.caPem } : {}),
        });
        socket.once("open", () => ok(socket));
        socket.once("unexpected-response", (_req, res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => fail(new Error(`${url.replace(/\?.*$/, "")}: HTTP ${res.statusCode} ${body.slice(0, 200)}`)));
        });
        socket.once("error", (err) => fail(new Error(`${url.replace(/\?.*$/, "")}: ${err.message}`)));
    });
}

/** The WebSocket base URL of a cluster's web service: http -> ws, https -> wss. */
export function webSocketBase(webUrl: string): string {
    return webUrl.replace(/^http/, "ws").replace(/\/$/, "");
}

export class PulsarWsProducer {
    private next = 0;
    private readonly pending = new Map<string, { ok: (id: string) => void; fail: (e: Error) => void }>();

    constructor(
        readonly topic: string,
        private readonly socket: WebSocket,
    ) {
        socket.on("message", (data: Buffer) => {
            const r = JSON.parse(data.toString()) as { result: string; messageId?: string; errorMsg?: string; context?: string };
            const waiter = r.context !== undefined ? this.pending.get(r.context) : undefined;
            if (!waiter) {
                return;
            }
            this.pending.delete(r.context as string);
            if (r.result === "ok") {
                waiter.ok(r.messageId ?? "");
            } else {
                waiter.fail(new Error(`${topic}: ${r.result} ${r.errorMsg ?? ""}`.trim()));
            }
        });
        socket.on("close", () => {
            for (const w of this.pending.values()) {
                w.fail(new Error(`${topic}: the producer's socket closed before the broker answered`));
            }
            this.pending.clear();
        });
    }

    /** Resolves with the message id once the broker has stored the message. */
    send(m: OutgoingMessage): Promise<string> {
        const context = String(this.next++);
        return new Promise((ok, fail) => {
            this.pending.set(context, { ok, fail });
            const payload = Buffer.isBuffer(m.payload) ? m.payload : Buffer.from(m.payload);
            this.socket.send(JSON.stringify({ payload: payload.toString("base64"), context, ...(m.key !== undefined ? { key: m.key } : {}), ...(m.properties ? { properties: m.properties } : {}) }), (err) => {
                if (err) {
                    this.pending.delete(context);
                    fail(err);
                }
            });
        });
    }

    close(): Promise<void> {
        return closeSocket(this.socket);
    }
}

export class PulsarWsConsumer {
    private readonly queue: PulsarMessage[] = [];
    private waiter?: () => void;
    private closed?: string;

    constructor(
        readonly topic: string,
        private readonly socket: WebSocket,
    ) {
        socket.on("message", (data: Buffer) => {
            const m = JSON.parse(data.toString()) as { messageId: string; payload: string; key?: string; properties?: Record<string, string>; publishTime: string; redeliveryCount?: number };
            this.queue.push({
                messageId: m.messageId,
                partition: partitionOf(m.messageId),
                payload: Buffer.from(m.payload, "base64"),
                ...(m.key !== undefined ? { key: m.key } : {}),
                properties: m.properties ?? {},
                publishTime: Date.parse(m.publishTime),
                redeliveryCount: m.redeliveryCount ?? 0,
            });
            this.waiter?.();
        });
        socket.on("close", (code, reason) => {
            this.closed = `closed (${code}${reason.length ? ` ${reason.toString()}` : ""})`;
            this.waiter?.();
        });
    }

    /** The next message, or undefined when none came within `timeoutMs`. */
    async receive(timeoutMs: number): Promise<PulsarMessage | undefined> {
        if (this.queue.length === 0 && !this.closed) {
            await new Promise<void>((ok) => {
                const timer = setTimeout(ok, timeoutMs);
                this.waiter = () => {
                    clearTimeout(timer);
                    ok();
                };
            });
            this.waiter = undefined;
        }
        const m = this.queue.shift();
        if (!m && this.closed) {
            throw new Error(`${this.topic}: the consumer's socket ${this.closed}`);
        }
        return m;
    }

    acknowledge(m: PulsarMessage): void {
        this.socket.send(JSON.stringify({ messageId: m.messageId }));
    }

    /** Deletes the subscription (the API's `unsubscribe` command); the broker then closes the socket. */
    async unsubscribe(): Promise<void> {
        if (this.socket.readyState === WebSocket.OPEN) {
            this.socket.send(JSON.stringify({ type: "unsubscribe" }));
        }
        await closeSocket(this.socket);
    }

    close(): Promise<void> {
        return closeSocket(this.socket);
    }
}

function closeSocket(socket: WebSocket): Promise<void> {
    return new Promise((ok) => {
        if (socket.readyState === WebSocket.CLOSED) {
            return ok();
        }
        const timer = setTimeout(() => {
            socket.terminate();
            ok();
        }, 3000);
        socket.once("close", () => {
            clearTimeout(timer);
            ok();
        });
        socket.close();
    });
}

export class PulsarWebSocket {
    private readonly base: string;

    constructor(
        webUrl: string,
        private readonly login: PulsarWsLogin = {},
        private readonly timeoutMs = 10_000,
    ) {
        this.base = webSocketBase(webUrl);
    }

    async producer(topic: string): Promise<PulsarWsProducer> {
        return new PulsarWsProducer(topic, await open(`${this.base}/ws/v2/producer/${topicPath(topic)}`, this.login, this.timeoutMs));
    }

    async consumer(topic: string, subscription: string, opts: { type?: SubscriptionType; initialPosition?: "Earliest" | "Latest" } = {}): Promise<PulsarWsConsumer> {
        const query = new URLSearchParams({ subscriptionType: opts.type ?? "Exclusive", subscriptionInitialPosition: opts.initialPosition ?? "Earliest" });
        return new PulsarWsConsumer(topic, await open(`${this.base}/ws/v2/consumer/${topicPath(topic)}/${encodeURIComponent(subscription)}?${query}`, this.login, this.timeoutMs));
    }
}

/** Reads until `count` messages came or `timeoutMs` passed with none; acknowledges each. */
export async function drain(consumer: PulsarWsConsumer, count: number, idleMs: number): Promise<PulsarMessage[]> {
    const got: PulsarMessage[] = [];
    while (got.length < count) {
        const m = await consumer.receive(idleMs);
        if (!m) {
            break;
        }
        consumer.acknowledge(m);
        got.push(m);
    }
    return got;
}
