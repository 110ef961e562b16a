/**
 * The drill's world: services' pods (on Kafka, kafkajs consumer groups named after the service, committing what they
 * processed; on Pulsar, a subscription named after the service: scripts/drill/pulsar-world.ts; producers writing the
 * logs their env names), the relays a plan runs (sinks, overlap mirrors: consume, produce, commit or acknowledge
 * after the ack, as pulsar-io does), and a ledger of every message.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from "kafkajs";
import { cursorKey, logKey, type CursorRef, type LogRef, type Relay, type StreamSide } from "../../topology";
import type { PulsarReader, PulsarSide } from "./pulsar-world";
import { SubscriptionAwareRoundRobin } from "./stand-ins";

/** One message of the drill's load. */
export interface DrillMessage {
    stream: string;
    id: number;
    sentAt: number;
    /** The transition it was produced in (its row). */
    transition: number;
}

/** Every message produced and every delivery, per transition and stream. */
export class Ledger {
    readonly produced = new Map<string, Set<number>>();
    /** `${transition}|${stream}|${consumer}` -> id -> deliveries. */
    readonly deliveries = new Map<string, Map<number, number>>();
    readonly worst = new Map<string, number>();
    lastDelivery = Date.now();

    static key(transition: number, stream: string): string {
        return `${transition}|${stream}`;
    }

    produce(m: DrillMessage): void {
        const k = Ledger.key(m.transition, m.stream);
        const set = this.produced.get(k) ?? new Set<number>();
        set.add(m.id);
        this.produced.set(k, set);
    }

    deliver(consumer: string, m: DrillMessage, at = Date.now()): void {
        const k = `${Ledger.key(m.transition, m.stream)}|${consumer}`;
        const seen = this.deliveries.get(k) ?? new Map<number, number>();
        seen.set(m.id, (seen.get(m.id) ?? 0) + 1);
        this.deliveries.set(k, seen);
        const wk = Ledger.key(m.transition, m.stream);
        this.worst.set(wk, Math.max(this.worst.get(wk) ?? 0, at - m.sentAt));
        this.lastDelivery = at;
    }

    /** Per consumer: ids never delivered, deliveries beyond the first. */
    account(transition: number, stream: string, consumers: string[]): { produced: number; lost: number; duplicated: number; consumed: number; missing: Record<string, number> } {
        const produced = this.produced.get(Ledger.key(transition, stream)) ?? new Set<number>();
        let lost = 0;
        let duplicated = 0;
        let consumed = 0;
        const missing: Record<string, number> = {};
        for (const c of consumers) {
            const seen = this.deliveries.get(`${Ledger.key(transition, stream)}|${c}`) ?? new Map<number, number>();
            const miss = [...produced].filter((id) => !seen.has(id)).length;
            if (miss > 0) {
                missing[c] = miss;
            }
            lost += miss;
            for (const n of seen.values()) {
                consumed += n;
                duplicated += n - 1;
            }
        }
        return { produced: produced.size, lost, duplicated, consumed, missing };
    }
}

/** Kafka (a Kafka-protocol broker) and a real Pulsar broker. */
export class Clusters {
    readonly kafka: Kafka;
    private producer?: Promise<Producer>;

    constructor(
        kafkaBootstrap: string,
        readonly pulsar: PulsarSide,
    ) {
        this.kafka = new Kafka({ clientId: "drill-kafka", brokers: kafkaBootstrap.split(","), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 } });
    }

    private kafkaProducer(): Promise<Producer> {
        if (!this.producer) {
            const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
            this.producer = producer.connect().then(() => producer);
        }
        return this.producer;
    }

    /** Pulsar logs are written natively under the plan's full name (what KoP resolves the project's name to). */
    async send(l: LogRef, value: string): Promise<void> {
        if (l.broker === "pulsar") {
            await this.pulsar.send(l.topic, value);
            return;
        }
        await (await this.kafkaProducer()).send({ topic: l.topic, acks: -1, messages: [{ value }] });
    }

    async close(): Promise<void> {
        await Promise.all([this.producer?.then((p) => p.disconnect()).catch(() => undefined), this.pulsar.close()]);
    }
}

/**
 * A reader of some cursors: a pod's consumer group on Kafka and its subscriptions on Pulsar (a Kafka-protocol cursor
 * on a Pulsar log included: scripts/drill/stand-ins.ts kopAsNative), committing what its handler finished.
 */
class Reader {
    private kafka?: { consumer: Consumer; pending: Map<string, number> };
    private readonly pulsar: PulsarReader[] = [];
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly clusters: Clusters,
        readonly group: string,
        private readonly cursors: CursorRef[],
        private readonly handle: (value: string) => Promise<void>,
        /** A relay: on Pulsar, each message acknowledged once written (scripts/drill/pulsar-world.ts subscribe). */
        private readonly relay = false,
    ) {}

    /** Joins the group and the subscriptions; resolves once each has its assignment (the pod is ready). */
    async start(timeoutMs = 30_000): Promise<void> {
        const kafkaTopics = [...new Set(this.cursors.filter((c) => c.log.broker === "kafka").map((c) => c.log.topic))];
        const pulsarTopics = [...new Set(this.cursors.filter((c) => c.log.broker === "pulsar").map((c) => c.log.topic))];
        await Promise.all([
            ...(kafkaTopics.length > 0 ? [this.startKafka(kafkaTopics, timeoutMs)] : []),
            ...pulsarTopics.map(async (t) => this.pulsar.push(await this.clusters.pulsar.subscribe(t, this.group, this.handle, this.relay))),
        ]);
        this.timer = setInterval(() => void this.commit(), 200);
    }

    private async startKafka(topics: string[], timeoutMs: number): Promise<void> {
        const consumer = this.clusters.kafka.consumer({
            groupId: this.group,
            partitionAssigners: [SubscriptionAwareRoundRobin],
            sessionTimeout: 10_000,
            heartbeatInterval: 500,
            rebalanceTimeout: 10_000,
            allowAutoTopicCreation: false,
        });
        const pending = new Map<string, number>();
        this.kafka = { consumer, pending };
        const joined = new Promise<void>((ok) => consumer.on(consumer.events.GROUP_JOIN, () => ok()));
        await consumer.connect();
        await consumer.subscribe({ topics, fromBeginning: false });
        await consumer.run({
            autoCommit: false,
            eachMessage: async ({ topic, partition, message }) => {
                await this.handle(message.value?.toString() ?? "");
                pending.set(`${topic}|${partition}`, Number(message.offset) + 1);
            },
        });
        await Promise.race([joined, new Promise((_, fail) => setTimeout(() => fail(new Error(`${this.group} did not join on Kafka within ${timeoutMs} ms`)), timeoutMs))]);
    }

    private async commit(): Promise<void> {
        for (const r of this.pulsar) {
            r.commit();
        }
        const k = this.kafka;
        if (!k || k.pending.size === 0) {
            return;
        }
        const offsets = [...k.pending].map(([key, offset]) => {
            const [topic, partition] = key.split("|") as [string, string];
            return { topic, partition: Number(partition), offset: String(offset) };
        });
        k.pending.clear();
        await k.consumer.commitOffsets(offsets).catch(() => undefined);
    }

    /** A pod's end: graceful (commits what it processed, as a SIGTERM handler does) or a crash (commits nothing). */
    async stop(crash = false): Promise<void> {
        clearInterval(this.timer);
        if (!crash) {
            await this.commit();
        }
        await Promise.all([this.kafka?.consumer.disconnect().catch(() => undefined), ...this.pulsar.map((r) => r.stop(crash))]);
    }
}

/** A service pod: its env (the stream sides of the plan it runs) and a reader per consumer group. */
export class Pod {
    private reader?: Reader;

    constructor(
        readonly service: string,
        readonly env: Map<string, StreamSide>,
    ) {}

    cursors(): CursorRef[] {
        return [...this.env.values()].flatMap((s) => s.reads[this.service] ?? []);
    }

    writes(stream: string): LogRef[] {
        return this.env.get(stream)?.writes[this.service] ?? [];
    }

    async start(clusters: Clusters, ledger: Ledger): Promise<void> {
        const cursors = this.cursors();
        if (cursors.length === 0) {
            return;
        }
        this.reader = new Reader(clusters, this.service, cursors, async (value) => ledger.deliver(this.service, JSON.parse(value) as DrillMessage));
        await this.reader.start();
    }

    async stop(crash = false): Promise<void> {
        await this.reader?.stop(crash);
    }
}

/** A sink or mirror: reads its cursor, writes each message to its target and commits only after the ack. */
export class RelayRunner {
    private reader?: Reader;

    constructor(readonly relay: Relay) {}

    get key(): string {
        return `${this.relay.name}|${cursorKey(this.relay.from)}>${logKey(this.relay.to)}`;
    }

    async start(clusters: Clusters): Promise<void> {
        this.reader = new Reader(clusters, this.relay.name, [this.relay.from], async (value) => clusters.send(this.relay.to, value), true);
        await this.reader.start();
    }

    async stop(): Promise<void> {
        await this.reader?.stop();
    }
}
