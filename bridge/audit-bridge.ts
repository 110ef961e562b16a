/**
 * The audit bridge (seed 004: "mirror critical control events into Kafka for audit"): consumes the RabbitMQ queue
 * every control event is copied to (`control.audit`, bound to the `control` exchange with `#`) and writes each event to
 * the audit-trail stream, wherever the plan says its producers write (Kafka, Pulsar through KoP, or both while it is
 * dual-published).
 *
 * At least once, by construction: a delivery is acknowledged to RabbitMQ only after every destination acknowledged the
 * record with acks=all, so a crash at any point leaves it in the queue and RabbitMQ redelivers it (a duplicate
 * downstream at worst, never a gap). A record a destination refuses for what it is (too large, invalid) can never be
 * written: it is rejected without requeue, and the queue's dead-letter policy moves it to `control.dead-letter`
 * (topology/rabbit-plan.ts, at-least-once dead-lettering). Anything else (a broker down, a lost leader, a missing
 * grant) is retried with backoff while the delivery stays unacknowledged: the queue grows, and the lag alert
 * (components/observability.ts, AuditBridgeBacklog) fires, instead of events being dropped or dead-lettered during an
 * outage.
 *
 * Why not Kafka Connect: the open-source RabbitMQ source (Apache Camel's) does not tie RabbitMQ's ack to the Kafka
 * write (it hands deliveries over through an in-memory queue; apache/camel-kafka-connector issue #1730), and the
 * Confluent one needs a commercial licence. This is one consumer and one producer from well-kept client libraries
 * (amqplib, kafkajs), and it runs as-is against this machine's RabbitMQ and a Kafka-protocol broker
 * (test/bridge/audit-bridge.test.ts).
 */
import { readFileSync } from "node:fs";
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from "amqplib";
import { Kafka, logLevel, type IHeaders, type Producer, type SASLOptions } from "kafkajs";
import type { BridgeSettings, DestinationSettings } from "./settings";

/** Kafka error types that mean this record can never be written, whatever is retried (kafka.apache.org/protocol, "Error Codes"). */
export const UNWRITABLE_RECORD_ERRORS: ReadonlySet<string> = new Set(["MESSAGE_TOO_LARGE", "INVALID_RECORD", "CORRUPT_MESSAGE", "RECORD_LIST_TOO_LARGE"]);

/** Whether an error from a send means the record itself is refused (dead-letter it) rather than the broker being unavailable. */
export function isUnwritable(err: unknown): boolean {
    const type = (err as { type?: unknown })?.type;
    if (typeof type === "string" && UNWRITABLE_RECORD_ERRORS.has(type)) {
        return true;
    }
    // kafkajs wraps the protocol error of a send that exhausted its retries.
    const cause = (err as { originalError?: unknown; cause?: unknown })?.originalError ?? (err as { cause?: unknown })?.cause;
    return cause !== undefined && cause !== err ? isUnwritable(cause) : false;
}

/** An AMQP message header travels as the record header `amqp.header.<name>` (the smoke tool reads its tag there). */
export const AMQP_HEADER_PREFIX = "amqp.header.";

/** The Kafka record of a control event: its body as is, the AMQP envelope as headers. */
export function recordOf(msg: Pick<ConsumeMessage, "content" | "fields" | "properties">): { key: string | null; value: Buffer; headers: IHeaders; timestamp?: string } {
    const headers: IHeaders = {
        "amqp.exchange": msg.fields.exchange,
        "amqp.routing-key": msg.fields.routingKey,
    };
    const p = msg.properties;
    if (p.messageId) {
        headers["amqp.message-id"] = String(p.messageId);
    }
    if (p.correlationId) {
        headers["amqp.correlation-id"] = String(p.correlationId);
    }
    if (p.contentType) {
        headers["content-type"] = String(p.contentType);
    }
    for (const [k, v] of Object.entries(p.headers ?? {})) {
        // x-death and other broker-added headers are kept too: they say where a redelivered event has been.
        headers[`${AMQP_HEADER_PREFIX}${k}`] = typeof v === "string" ? v : JSON.stringify(v);
    }
    const timestamp = typeof p.timestamp === "number" ? String(p.timestamp * 1000) : undefined;
    return { key: p.messageId ? String(p.messageId) : msg.fields.routingKey, value: msg.content, headers, ...(timestamp ? { timestamp } : {}) };
}

export interface BridgeStats {
    /** Deliveries written to every destination and acknowledged. */
    forwarded: number;
    /** Deliveries rejected to the dead-letter exchange (unwritable records). */
    deadLettered: number;
    /** Sends retried after a retriable failure. */
    retries: number;
}

export interface BridgeOptions {
    /** Backoff of a retried send: first and longest wait, ms. @default { initialMs: 200, maxMs: 30_000 } */
    backoff?: { initialMs: number; maxMs: number };
    log?: (line: string) => void;
    /**
     * What a lost RabbitMQ connection does. @default end the process with status 1 (crash-only: Kubernetes restarts
     * the pod, RabbitMQ redelivers what was not acknowledged)
     */
    onConnectionLost?: () => void;
}

function saslOf(d: BridgeSettings["destinations"][number]): SASLOptions | undefined {
    if (d.awsIam) {
        const region = d.awsRegion as string;
        return {
            mechanism: "oauthbearer",
            oauthBearerProvider: async () => {
                // Loaded only here: AWS's signer (and the SDK under it) is needed on MSK IAM only.
                const { generateAuthToken } = await import("aws-msk-iam-sasl-signer-js");
                const { token } = await generateAuthToken({ region });
                return { value: token };
            },
        };
    }
    if (!d.sasl || !d.credentials) {
        return undefined;
    }
    const { username, password } = d.credentials;
    return { mechanism: d.sasl.mechanism, username, password } as SASLOptions;
}

function tlsOf(d: DestinationSettings): boolean | { ca: string[] } {
    if (!d.tls) {
        return false;
    }
    return d.caFile ? { ca: [readFileSync(d.caFile, "utf8")] } : true;
}

/**
 * Acknowledges (or rejects) a delivery; false when its channel is already gone, in which case RabbitMQ has requeued it
 * and redelivers it (the record already written becomes a duplicate, never a gap).
 */
function settle(op: () => void): boolean {
    try {
        op();
        return true;
    } catch {
        return false;
    }
}

export class AuditBridge {
    readonly stats: BridgeStats = { forwarded: 0, deadLettered: 0, retries: 0 };
    private connection?: ChannelModel;
    private channel?: Channel;
    private consumerTag?: string;
    private producers: { d: DestinationSettings; producer: Producer }[] = [];
    private inFlight = new Set<Promise<void>>();
    private stopping = false;
    private readonly backoff: { initialMs: number; maxMs: number };
    private readonly log: (line: string) => void;
    private readonly onConnectionLost: () => void;

    constructor(
        private readonly settings: BridgeSettings,
        options: BridgeOptions = {},
    ) {
        this.backoff = options.backoff ?? { initialMs: 200, maxMs: 30_000 };
        this.log = options.log ?? ((line) => console.log(line));
        this.onConnectionLost =
            options.onConnectionLost ??
            (() => {
                process.exitCode = 1;
                void this.stop();
            });
    }

    /** Connected to RabbitMQ and every destination, and consuming. */
    healthy(): boolean {
        return this.consumerTag !== undefined && !this.stopping;
    }

    async start(): Promise<void> {
        const s = this.settings;
        for (const d of s.destinations) {
            const kafka = new Kafka({
                clientId: "audit-bridge",
                brokers: d.brokers,
                ssl: tlsOf(d),
                ...(saslOf(d) ? { sasl: saslOf(d) } : {}),
                // The bridge logs every failed send itself, with what it does next; kafkajs' own lines would repeat them.
                logLevel: logLevel.NOTHING,
                // The bridge's own loop retries without end; kafkajs' retries only smooth over a leader change.
                retry: { retries: 3, initialRetryTime: 100 },
            });
            const producer = kafka.producer({ allowAutoTopicCreation: false });
            await producer.connect();
            this.producers.push({ d, producer });
        }
        const url = new URL(s.amqpUrl);
        this.connection = await connect({
            protocol: url.protocol.replace(":", ""),
            hostname: url.hostname,
            port: Number(url.port || (url.protocol === "amqps:" ? 5671 : 5672)),
            username: s.username,
            password: s.password,
            vhost: s.vhost,
        });
        // Crash-only: a lost connection ends the process, Kubernetes restarts it, RabbitMQ redelivers what was not
        // acknowledged. Nothing in flight is lost by exiting.
        this.connection.on("error", (err: Error) => this.log(`audit-bridge: RabbitMQ connection error: ${err.message}`));
        this.connection.on("close", () => {
            if (!this.stopping) {
                this.log("audit-bridge: RabbitMQ connection closed");
                this.consumerTag = undefined;
                this.onConnectionLost();
            }
        });
        const channel = await this.connection.createChannel();
        this.channel = channel;
        await channel.prefetch(s.prefetch);
        // The queue is declared by the program (RabbitControlPlane); checkQueue fails if it is not there rather than
        // declaring one without its dead-letter policy's arguments.
        await channel.checkQueue(s.queue);
        const { consumerTag } = await channel.consume(s.queue, (msg) => {
            if (msg) {
                const work = this.forward(channel, msg).finally(() => this.inFlight.delete(work));
                this.inFlight.add(work);
            }
        }, { noAck: false });
        this.consumerTag = consumerTag;
        this.log(`audit-bridge: consuming ${s.queue} on vhost ${s.vhost} -> ${s.destinations.map((d) => `${d.name}:${d.topic}`).join(", ")}`);
    }

    private async forward(channel: Channel, msg: ConsumeMessage): Promise<void> {
        const record = recordOf(msg);
        const pending = new Set(this.producers);
        let wait = this.backoff.initialMs;
        while (pending.size > 0) {
            if (this.stopping) {
                // Not acknowledged: RabbitMQ redelivers it to the next consumer.
                return;
            }
            for (const p of [...pending]) {
                try {
                    await p.producer.send({ topic: p.d.topic, acks: -1, messages: [record] });
                    pending.delete(p);
                } catch (err) {
                    if (isUnwritable(err)) {
                        this.log(`audit-bridge: ${p.d.name} refuses the event (${(err as Error).message}); dead-lettering it`);
                        if (settle(() => channel.nack(msg, false, false))) {
                            this.stats.deadLettered++;
                        }
                        return;
                    }
                    this.stats.retries++;
                    this.log(`audit-bridge: ${p.d.name} send failed (${(err as Error).message}); retrying in ${wait} ms`);
                }
            }
            if (pending.size > 0) {
                await new Promise((r) => setTimeout(r, wait));
                wait = Math.min(wait * 2, this.backoff.maxMs);
            }
        }
        if (settle(() => channel.ack(msg))) {
            this.stats.forwarded++;
        }
    }

    /** Stops consuming, lets the sends in flight finish (or abandons them unacknowledged), closes everything. */
    async stop(): Promise<void> {
        if (this.stopping) {
            return;
        }
        this.stopping = true;
        try {
            if (this.channel && this.consumerTag) {
                await this.channel.cancel(this.consumerTag).catch(() => undefined);
            }
            await Promise.allSettled([...this.inFlight]);
            await this.connection?.close().catch(() => undefined);
        } finally {
            await Promise.allSettled(this.producers.map((p) => p.producer.disconnect()));
        }
    }
}
