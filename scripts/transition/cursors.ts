/**
 * The cursors of a transition on the running brokers: Kafka-protocol consumer groups (Kafka itself, or Pulsar through
 * KoP) through the Kafka admin API (kafkajs), and Pulsar subscriptions through the Pulsar admin REST API. What
 * `npm run handover` and `npm run drain-check` read and set (topology/choreography.ts says where and why).
 */
import { Kafka, logLevel, type Admin, type SASLOptions } from "kafkajs";
import { randomUUID } from "node:crypto";
import { pulsarAdminTopicPath } from "../../topology";
import { pulsarAdminCall, refusal, type AdminAnswer, type AdminLogin } from "../pulsar-admin-http";

/** Per partition: an offset. */
export type Offsets = Map<number, number>;

/** A Kafka-protocol cluster's view of groups and topics. */
export interface KafkaCursors {
    /** Per partition, the offset the next message will get (the high watermark). */
    ends(topic: string): Promise<Offsets>;
    /** Per partition, the first offset still retained. */
    starts(topic: string): Promise<Offsets>;
    /** Per partition, the group's committed offset; partitions it never committed are absent. */
    committed(group: string, topic: string): Promise<Offsets>;
    /** Per partition, the first offset whose timestamp is at or after `ms` (the end where none is). */
    offsetsAt(topic: string, ms: number): Promise<Offsets>;
    /** Per partition, the timestamp of the message at the offset (absent where there is none). */
    timestamps(topic: string, at: Offsets): Promise<Map<number, number>>;
    /** Whether the group has members (Kafka refuses to set its offsets then). */
    active(group: string): Promise<boolean>;
    set(group: string, topic: string, offsets: Offsets): Promise<void>;
    close(): Promise<void>;
}

const toOffsets = (rows: { partition: number; offset: string }[]): Offsets => new Map(rows.map((r) => [r.partition, Number(r.offset)]));

/** kafkajs against one cluster. */
export class KafkajsCursors implements KafkaCursors {
    private readonly kafka: Kafka;
    private admin?: Admin;

    constructor(
        readonly bootstrap: string,
        private readonly opts: { ssl?: boolean | { ca: string }; timeoutMs?: number; clientId?: string; sasl?: { mechanism: string; username: string; password: string } } = {},
    ) {
        this.kafka = new Kafka({
            ...(opts.sasl ? { sasl: opts.sasl as SASLOptions } : {}),
            clientId: opts.clientId ?? "messaging-platform-transition",
            brokers: bootstrap.split(","),
            ssl: opts.ssl ?? false,
            logLevel: logLevel.NOTHING,
            connectionTimeout: Math.min(opts.timeoutMs ?? 5000, 3000),
            requestTimeout: opts.timeoutMs ?? 5000,
            retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
        });
    }

    private async client(): Promise<Admin> {
        if (!this.admin) {
            this.admin = this.kafka.admin();
            await this.admin.connect();
        }
        return this.admin;
    }

    async ends(topic: string): Promise<Offsets> {
        return new Map((await (await this.client()).fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    }

    async starts(topic: string): Promise<Offsets> {
        return new Map((await (await this.client()).fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.low)]));
    }

    async committed(group: string, topic: string): Promise<Offsets> {
        let rows: Awaited<ReturnType<Admin["fetchOffsets"]>>;
        try {
            rows = await (await this.client()).fetchOffsets({ groupId: group, topics: [topic] });
        } catch (err) {
            // A group that never committed: Kafka answers -1 per partition, some brokers GROUP_ID_NOT_FOUND.
            if ((err as { type?: string }).type === "GROUP_ID_NOT_FOUND") {
                return new Map();
            }
            throw err;
        }
        const [row] = rows;
        return toOffsets((row?.partitions ?? []).filter((p) => Number(p.offset) >= 0));
    }

    async offsetsAt(topic: string, ms: number): Promise<Offsets> {
        const ends = await this.ends(topic);
        const rows = await (await this.client()).fetchTopicOffsetsByTimestamp(topic, ms);
        // ListOffsets answers -1 for a partition with no message at or after the time: its end.
        return new Map(rows.map((r) => [r.partition, Number(r.offset) < 0 ? (ends.get(r.partition) ?? 0) : Number(r.offset)]));
    }

    async timestamps(topic: string, at: Offsets): Promise<Map<number, number>> {
        const ends = await this.ends(topic);
        const wanted = new Map([...at].filter(([p, o]) => o < (ends.get(p) ?? 0)));
        const found = new Map<number, number>();
        if (wanted.size === 0) {
            return found;
        }
        // A throwaway group reads one message per partition at the offsets: the Kafka protocol has no "get message".
        // Unique per call: probes run concurrently, and two sharing a group would split its partitions between them.
        const group = `transition-probe-${process.pid}-${randomUUID()}`;
        const consumer = this.kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1000 });
        await consumer.connect();
        try {
            await consumer.subscribe({ topic, fromBeginning: true });
            const done = new Promise<void>((resolve) => {
                void consumer.run({
                    autoCommit: false,
                    eachMessage: async ({ partition, message }) => {
                        const want = wanted.get(partition);
                        if (want !== undefined && Number(message.offset) >= want && !found.has(partition)) {
                            found.set(partition, Number(message.timestamp));
                            if (found.size === wanted.size) {
                                resolve();
                            }
                        }
                    },
                });
            });
            consumer.on(consumer.events.GROUP_JOIN, () => {
                for (const [partition, offset] of wanted) {
                    consumer.seek({ topic, partition, offset: String(offset) });
                }
            });
            await Promise.race([done, new Promise((r) => setTimeout(r, (this.opts.timeoutMs ?? 5000) * 2))]);
        } finally {
            await consumer.disconnect();
            await (await this.client()).deleteGroups([group]).catch(() => undefined);
        }
        if (found.size < wanted.size) {
            throw new Error(`could not read the messages at ${[...wanted].map(([p, o]) => `${topic}[${p}]@${o}`).join(", ")} on ${this.bootstrap}`);
        }
        return found;
    }

    async active(group: string): Promise<boolean> {
        const { groups } = await (await this.client()).describeGroups([group]);
        return (groups[0]?.members.length ?? 0) > 0;
    }

    /** kafkajs joins the group with a consumer to commit (admin.setOffsets): seconds per call, one group at a time. */
    async set(group: string, topic: string, offsets: Offsets): Promise<void> {
        await (await this.client()).setOffsets({ groupId: group, topic, partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })) });
    }

    async close(): Promise<void> {
        await this.admin?.disconnect();
    }
}

/** A Pulsar cluster's subscriptions, through the admin REST API (v2). */
export interface PulsarCursors {
    /** Creates the subscription at the topic's end (`latest`), or moves an existing one there. */
    atEnd(topic: string, subscription: string): Promise<void>;
    /** Creates the subscription if missing, then resets it to the first message published at or after `ms`. */
    atTime(topic: string, subscription: string, ms: number): Promise<void>;
    /** The publish time of the subscription's next unacknowledged message; undefined when it has none. */
    firstUnread(topic: string, subscription: string): Promise<number | undefined>;
    /** Messages not yet acknowledged (the stats' msgBacklog); undefined when the subscription does not exist. */
    backlog(topic: string, subscription: string): Promise<number | undefined>;
    /**
     * Per partition, a count that grows with every message written (what tells two checks of an abandoned log
     * apart when a writer is still at it); empty when there is no such topic.
     */
    written(topic: string): Promise<Offsets>;
}


/**
 * The REST calls (Pulsar admin API v2, https://pulsar.apache.org/admin-rest-api/): create subscription `PUT
 * .../subscription/{sub}` with a MessageId body, reset by time `POST .../subscription/{sub}/resetcursor/{ms}`, both
 * accepted on a partitioned topic's base name (the broker applies them to every partition); the partition count
 * `GET .../partitions`; peek `GET .../subscription/{sub}/position/1` (publish time in the `X-Pulsar-publish-time`
 * header) and stats `GET .../stats`, which exist only per partition (`<topic>-partition-<i>`): on a partitioned
 * topic's base name the broker refuses the peek (405, "Peek messages on a partitioned topic is not allowed",
 * PersistentTopicsBase.internalPeekNthMessage) and has no stats (404; its sum is `GET .../partitioned-stats`).
 * Checked against Apache Pulsar 4.0 itself in test/pulsar/transition.test.ts.
 */
export class RestPulsarCursors implements PulsarCursors {
    /** @param opts the admin login (a token; the CA of a TLS web service) and each call's timeout */
    constructor(
        private readonly adminUrl: string,
        private readonly opts: AdminLogin & { timeoutMs?: number } = {},
    ) {}

    private async ok(method: string, path: string, body?: unknown, accept: number[] = []): Promise<AdminAnswer> {
        const r = await pulsarAdminCall(method, this.adminUrl, path, { ...this.opts, body, timeoutMs: this.opts.timeoutMs ?? 5000 });
        if ((r.status < 200 || r.status >= 300) && !accept.includes(r.status)) {
            throw new Error(`${method} ${path} on ${this.adminUrl}: HTTP ${r.status}${refusal(r.status)} ${r.text.slice(0, 200)}`.trim());
        }
        return r;
    }

    /** The topic's partition count: 0 for a non-partitioned topic, undefined when there is no such topic. */
    private async partitions(topic: string): Promise<number | undefined> {
        const r = await this.ok("GET", `${pulsarAdminTopicPath(topic)}/partitions`, undefined, [404]);
        return r.status === 404 ? undefined : (JSON.parse(r.text) as { partitions: number }).partitions;
    }

    async atEnd(topic: string, subscription: string): Promise<void> {
        const sub = `${pulsarAdminTopicPath(topic)}/subscription/${encodeURIComponent(subscription)}`;
        // No body: the subscription starts at `latest`. 409: it exists; it is then moved to the end (a reset to now is
        // past every message published so far).
        const r = await this.ok("PUT", sub, undefined, [409]);
        if (r.status === 409) {
            await this.ok("POST", `${sub}/resetcursor/${Date.now()}`);
        }
    }

    async atTime(topic: string, subscription: string, ms: number): Promise<void> {
        const sub = `${pulsarAdminTopicPath(topic)}/subscription/${encodeURIComponent(subscription)}`;
        await this.ok("PUT", sub, { ledgerId: -1, entryId: -1, partitionIndex: -1 }, [409]);
        await this.ok("POST", `${sub}/resetcursor/${Math.max(0, Math.floor(ms))}`);
    }

    /** The earliest of the partitions' next unread messages (each partition peeked on its own). */
    async firstUnread(topic: string, subscription: string): Promise<number | undefined> {
        const n = await this.partitions(topic);
        if (n === undefined) {
            return undefined;
        }
        const times = await Promise.all(partitionNames(topic, n).map((p) => this.peekTime(p, subscription)));
        const found = times.filter((t): t is number => t !== undefined);
        return found.length > 0 ? Math.min(...found) : undefined;
    }

    /** A 404 means no message to read on that partition (or no such subscription there). */
    private async peekTime(topic: string, subscription: string): Promise<number | undefined> {
        const r = await this.ok("GET", `${pulsarAdminTopicPath(topic)}/subscription/${encodeURIComponent(subscription)}/position/1`, undefined, [404]);
        if (r.status === 404) {
            return undefined;
        }
        const header = String(r.headers["x-pulsar-publish-time"] ?? "");
        const t = Number(header);
        if (header !== "" && Number.isFinite(t)) {
            return t;
        }
        const parsed = Date.parse(header);
        return Number.isFinite(parsed) ? parsed : undefined;
    }

    async backlog(topic: string, subscription: string): Promise<number | undefined> {
        const n = await this.partitions(topic);
        if (n === undefined) {
            return undefined;
        }
        const r = await this.ok("GET", `${pulsarAdminTopicPath(topic)}/${n > 0 ? "partitioned-stats" : "stats"}`);
        // partitioned-stats sums each subscription's backlog over the partitions.
        const stats = JSON.parse(r.text) as { subscriptions?: Record<string, { msgBacklog?: number }> };
        return stats.subscriptions?.[subscription]?.msgBacklog;
    }

    /**
     * Each partition's `msgInCounter` (messages published since the broker loaded it: `partitioned-stats?perPartition=true`,
     * or `stats`). A partition unloaded between two checks restarts its count: the check then sees a change and waits
     * one more poll, never the reverse.
     */
    async written(topic: string): Promise<Offsets> {
        const n = await this.partitions(topic);
        if (n === undefined) {
            return new Map();
        }
        if (n === 0) {
            const stats = JSON.parse((await this.ok("GET", `${pulsarAdminTopicPath(topic)}/stats`)).text) as { msgInCounter?: number };
            return new Map([[-1, stats.msgInCounter ?? 0]]);
        }
        const r = await this.ok("GET", `${pulsarAdminTopicPath(topic)}/partitioned-stats?perPartition=true`);
        const stats = JSON.parse(r.text) as { partitions?: Record<string, { msgInCounter?: number }> };
        return new Map(partitionNames(topic, n).map((name, i) => [i, stats.partitions?.[name]?.msgInCounter ?? 0]));
    }
}

/** The topics that hold a topic's messages: its partitions (`<topic>-partition-<i>`), or itself when not partitioned. */
export function partitionNames(topic: string, partitions: number): string[] {
    return partitions > 0 ? Array.from({ length: partitions }, (_, i) => `${topic}-partition-${i}`) : [topic];
}
