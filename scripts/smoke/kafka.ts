/**
 * Kafka-protocol probe ends (Kafka itself, or Pulsar through KoP) with kafkajs: an admin client checks the topics, one
 * consumer group per run (deleted afterwards) reads every probed topic from its end at the start, one producer sends.
 */
import { AMQP_HEADER_PREFIX } from "../../bridge/audit-bridge";
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type IHeaders, type Producer } from "kafkajs";
import { performance } from "node:perf_hooks";
import type { KafkaPosition } from "./archive";
import { TAG_HEADER, tagOfBody, topicKey, withTimeout, type Inbox, type SmokeContext, type SmokeMessage } from "./messages";
import { closeAll, errorText, type StreamTransport } from "./transport";

export interface KafkaEndpoint {
    /** `host:port[,host:port...]`, from the stack outputs. */
    bootstrap: string;
    /** TLS to the brokers (`SSL` client security). */
    ssl: boolean;
    /** How rows and errors name the endpoint: `Kafka`, `KoP`. */
    label: string;
}

/** The consumer group name of a smoke run (`newRunId()` + endpoint label). */
const SMOKE_GROUP = /^smoke-[0-9a-z]+-[0-9a-f]{6}-[a-z]+$/;

function headerText(h: IHeaders[string]): string | undefined {
    const v = Array.isArray(h) ? h[0] : h;
    return v === undefined ? undefined : v.toString();
}

export class KafkaTransport implements StreamTransport {
    private readonly kafka: Kafka;
    private readonly groupId: string;
    private admin?: Admin;
    private consumer?: Consumer;
    private producer?: Producer;
    /** Where the last smoke message that arrived on each topic sits (the archive hop follows it by offset). */
    private readonly lastArrival = new Map<string, KafkaPosition>();

    constructor(
        private readonly endpoint: KafkaEndpoint,
        private readonly ctx: SmokeContext,
        private readonly inbox: Inbox,
        /** What was cleaned up (consumer groups of interrupted runs), for the report. */
        private readonly notes: string[] = [],
    ) {
        this.groupId = `${ctx.runId}-${endpoint.label.toLowerCase()}`;
        this.kafka = new Kafka({
            clientId: ctx.runId,
            brokers: endpoint.bootstrap.split(","),
            ssl: endpoint.ssl,
            // Errors reach the report through the calls that fail; kafkajs' own log would only repeat them.
            logLevel: logLevel.NOTHING,
            connectionTimeout: Math.min(ctx.timeoutMs, 3000),
            requestTimeout: ctx.timeoutMs,
            retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
        });
    }

    async open(consume: string[], produce: string[]): Promise<Map<string, string>> {
        const { bootstrap, label } = this.endpoint;
        try {
            return await this.connect(consume, produce);
        } catch (err) {
            throw new Error(`cannot use ${label} at ${bootstrap}: ${errorText(err)}`, { cause: err });
        }
    }

    private async connect(consume: string[], produce: string[]): Promise<Map<string, string>> {
        const { bootstrap, label } = this.endpoint;
        const t = this.ctx.timeoutMs;
        const admin = this.kafka.admin();
        this.admin = admin;
        await withTimeout(admin.connect(), t, `the admin client got no answer within ${t} ms`);
        await this.removeLeftoverGroups(admin);
        const existing = new Set(await withTimeout(admin.listTopics(), t, `no topic list within ${t} ms`));
        const missing = new Map<string, string>();
        for (const topic of [...consume, ...produce]) {
            if (!existing.has(topic)) {
                missing.set(topic, `topic ${topic} does not exist on ${label} at ${bootstrap}`);
            }
        }
        const topics = [...new Set(consume.filter((x) => !missing.has(x)))];
        if (topics.length > 0) {
            await this.startConsumer(admin, topics);
        }
        const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
        this.producer = producer;
        await withTimeout(producer.connect(), t, `the producer got no answer within ${t} ms`);
        return missing;
    }

    /**
     * Consumer groups of earlier smoke runs that ended without deleting them (interrupted): named like this run's
     * (`smoke-<time>-<random>-<endpoint>`) and without members. A group with members is a run in progress: kept.
     */
    private async removeLeftoverGroups(admin: Admin): Promise<void> {
        const t = this.ctx.timeoutMs;
        const suffix = `-${this.endpoint.label.toLowerCase()}`;
        const { groups } = await withTimeout(admin.listGroups(), t, `no group list within ${t} ms`);
        const candidates = groups.map((g) => g.groupId).filter((g) => SMOKE_GROUP.test(g) && g.endsWith(suffix) && g !== this.groupId);
        if (candidates.length === 0) {
            return;
        }
        const described = await withTimeout(admin.describeGroups(candidates), t, `no group descriptions within ${t} ms`);
        const idle = described.groups.filter((g) => g.members.length === 0 && (g.state === "Empty" || g.state === "Dead")).map((g) => g.groupId);
        if (idle.length > 0) {
            await withTimeout(admin.deleteGroups(idle), t, `could not delete leftover groups within ${t} ms`);
            this.notes.push(`deleted ${idle.length} consumer group(s) interrupted smoke runs left on ${this.endpoint.label}: ${idle.join(", ")}`);
        }
    }

    /** One consumer for every probed topic, positioned at each partition's end as it is before anything is sent. */
    private async startConsumer(admin: Admin, topics: string[]): Promise<void> {
        const t = this.ctx.timeoutMs;
        const ends = await withTimeout(
            Promise.all(topics.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
            t,
            `no partition offsets within ${t} ms`,
        );
        const consumer = this.kafka.consumer({ groupId: this.groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
        this.consumer = consumer;
        await withTimeout(consumer.connect(), t, `the consumer got no answer within ${t} ms`);
        await withTimeout(consumer.subscribe({ topics, fromBeginning: false }), t, `the consumer could not subscribe within ${t} ms`);
        const crashed = new Promise<never>((_, reject) => consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error)));
        crashed.catch(() => undefined);
        // run() resolves once the group is joined (kafkajs Runner.start: join and sync, then fetch).
        await withTimeout(
            Promise.race([
                consumer.run({
                    eachMessage: async ({ topic, partition, message }) => {
                        // A control event the audit bridge carried keeps its AMQP headers under AMQP_HEADER_PREFIX.
                        // A copy a Pulsar -> Kafka sink wrote has no headers: its body says which message it is.
                        const tag = headerText(message.headers?.[TAG_HEADER] ?? message.headers?.[`${AMQP_HEADER_PREFIX}${TAG_HEADER}`]) ?? tagOfBody(message.value ?? undefined);
                        if (tag !== undefined) {
                            this.lastArrival.set(topic, { topic, partition, offset: message.offset });
                            this.inbox.arrive(topicKey(tag, this.endpoint.label, topic), performance.now());
                        }
                    },
                }),
                crashed,
            ]),
            t,
            `consumer group ${this.groupId} did not join within ${t} ms`,
        );
        // Explicit positions rather than "latest when the first fetch happens": nothing sent after this is missed.
        for (const { topic, partitions } of ends) {
            for (const p of partitions) {
                consumer.seek({ topic, partition: p.partition, offset: p.offset });
            }
        }
    }

    /** Where the last smoke message that arrived on `topic` sits; undefined if none did. */
    lastArrivalOn(topic: string): KafkaPosition | undefined {
        return this.lastArrival.get(topic);
    }

    /** The admin client, once open() connected it. */
    adminClient(): Admin | undefined {
        return this.admin;
    }

    async send(topic: string, m: SmokeMessage): Promise<void> {
        if (!this.producer) {
            throw new Error(`no producer on ${this.endpoint.label}: open() failed`);
        }
        await this.producer.send({ topic, acks: -1, messages: [{ key: m.tag, value: m.body, headers: m.headers }] });
    }

    async close(): Promise<void> {
        const t = this.ctx.timeoutMs;
        await closeAll([
            () => this.producer && withTimeout(this.producer.disconnect(), t, "producer disconnect"),
            () => this.consumer && withTimeout(this.consumer.disconnect(), t, "consumer disconnect"),
            () => this.consumer && this.admin && withTimeout(this.admin.deleteGroups([this.groupId]), t, "delete group"),
            () => this.admin && withTimeout(this.admin.disconnect(), t, "admin disconnect"),
        ]);
    }
}
