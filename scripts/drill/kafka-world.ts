/**
 * The drill's Kafka-protocol half: services' pods (kafkajs consumer groups named after the service, committing what
 * they processed; producers writing the logs their env names), the relays a plan runs (sinks, overlap mirrors:
 * consume, produce with acks=all, commit after the ack, as pulsar-io does), and a ledger of every message.
 */
import { Kafka, logLevel, Partitioners, type Consumer, type Producer } from "kafkajs";
import { cursorKey, logKey, type CursorRef, type LogRef, type Relay, type StreamSide } from "../../topology";
import { kopTopicName } from "../smoke/probes";
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

export type Cluster = "kafka" | "pulsar";

/** The two Kafka-protocol brokers: Kafka, and the KoP stand-in holding Pulsar's logs. */
export class Clusters {
    readonly clients: Record<Cluster, Kafka>;
    private readonly producers = new Map<Cluster, Promise<Producer>>();

    constructor(
        bootstrap: Record<Cluster, string>,
        readonly kopNamespace: string,
    ) {
        const client = (b: string, id: string) => new Kafka({ clientId: `drill-${id}`, brokers: b.split(","), logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 2000 } });
        this.clients = { kafka: client(bootstrap.kafka, "kafka"), pulsar: client(bootstrap.pulsar, "kop") };
    }

    /** The cluster and topic name of a log. */
    where(l: LogRef): { cluster: Cluster; topic: string } {
        return l.broker === "kafka" ? { cluster: "kafka", topic: l.topic } : { cluster: "pulsar", topic: kopTopicName(l.topic, this.kopNamespace) };
    }

    producer(c: Cluster): Promise<Producer> {
        let p = this.producers.get(c);
        if (!p) {
            const producer = this.clients[c].producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
            p = producer.connect().then(() => producer);
            this.producers.set(c, p);
        }
        return p;
    }

    async send(l: LogRef, value: string): Promise<void> {
        const { cluster, topic } = this.where(l);
        await (await this.producer(cluster)).send({ topic, acks: -1, messages: [{ value }] });
    }

    async close(): Promise<void> {
        await Promise.all([...this.producers.values()].map(async (p) => (await p).disconnect().catch(() => undefined)));
    }
}

/** A reader of some cursors: a pod's consumer per cluster, committing what its handler finished. */
class Reader {
    private readonly consumers: { consumer: Consumer; pending: Map<string, number> }[] = [];
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly clusters: Clusters,
        readonly group: string,
        private readonly cursors: CursorRef[],
        private readonly handle: (value: string) => Promise<void>,
    ) {}

    /** Joins the groups; resolves once every consumer has its assignment (the pod is ready). */
    async start(timeoutMs = 30_000): Promise<void> {
        const byCluster = new Map<Cluster, Set<string>>();
        for (const c of this.cursors) {
            const { cluster, topic } = this.clusters.where(c.log);
            byCluster.set(cluster, (byCluster.get(cluster) ?? new Set()).add(topic));
        }
        await Promise.all(
            [...byCluster].map(async ([cluster, topics]) => {
                const consumer = this.clusters.clients[cluster].consumer({
                    groupId: this.group,
                    partitionAssigners: [SubscriptionAwareRoundRobin],
                    sessionTimeout: 10_000,
                    heartbeatInterval: 500,
                    rebalanceTimeout: 10_000,
                    allowAutoTopicCreation: false,
                });
                const pending = new Map<string, number>();
                this.consumers.push({ consumer, pending });
                const joined = new Promise<void>((ok) => consumer.on(consumer.events.GROUP_JOIN, () => ok()));
                await consumer.connect();
                await consumer.subscribe({ topics: [...topics], fromBeginning: false });
                await consumer.run({
                    autoCommit: false,
                    eachMessage: async ({ topic, partition, message }) => {
                        await this.handle(message.value?.toString() ?? "");
                        pending.set(`${topic}|${partition}`, Number(message.offset) + 1);
                    },
                });
                await Promise.race([joined, new Promise((_, fail) => setTimeout(() => fail(new Error(`${this.group} did not join on ${cluster} within ${timeoutMs} ms`)), timeoutMs))]);
            }),
        );
        this.timer = setInterval(() => void this.commit(), 200);
    }

    private async commit(): Promise<void> {
        await Promise.all(
            this.consumers.map(async ({ consumer, pending }) => {
                if (pending.size === 0) {
                    return;
                }
                const offsets = [...pending].map(([k, offset]) => {
                    const [topic, partition] = k.split("|") as [string, string];
                    return { topic, partition: Number(partition), offset: String(offset) };
                });
                pending.clear();
                await consumer.commitOffsets(offsets).catch(() => undefined);
            }),
        );
    }

    /** A pod's end: graceful (commits what it processed, as a SIGTERM handler does) or a crash (commits nothing). */
    async stop(crash = false): Promise<void> {
        clearInterval(this.timer);
        if (!crash) {
            await this.commit();
        }
        await Promise.all(this.consumers.map(({ consumer }) => consumer.disconnect().catch(() => undefined)));
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
        this.reader = new Reader(clusters, this.relay.name, [this.relay.from], async (value) => clusters.send(this.relay.to, value));
        await this.reader.start();
    }

    async stop(): Promise<void> {
        await this.reader?.stop();
    }
}
