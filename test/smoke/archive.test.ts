/**
 * Seed 004's Kafka -> archive hop, against kfake (a Kafka-protocol broker built from Go modules). The archiver itself
 * (a Kafka Connect worker with Aiven's sink) cannot run here; a kafkajs consumer group under the archiver's group id
 * stands in for it, committing as Connect does after a flush. What this proves: the smoke check reads the committed
 * offset of the right group on the right partition through the real Kafka protocol, passes only once the group is past
 * the message, and says what it saw when it is not.
 */
import { Kafka, logLevel, type Admin } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiveCommitted, archiveHops, CONFLUENT_GROUP_PREFIX, type ArchiveHop, type KafkaPosition } from "../../scripts/smoke/archive";
import { kfakeBinary, startKfake, type Kfake } from "../../scripts/kfake";
import { planStack } from "../support/stacks";

let kfake: Kfake;
let kafka: Kafka;
let admin: Admin;
const TOPIC = "audit-trail";

beforeAll(async () => {
    kfake = await startKfake(kfakeBinary());
    kafka = new Kafka({ clientId: "archive-hop-test", brokers: [kfake.bootstrap], logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 1 }] });
}, 60_000);

afterAll(async () => {
    await admin?.disconnect();
    await kfake?.stop();
});

/** Produces one message to `partition` and says where it landed. */
async function produce(partition: number): Promise<KafkaPosition> {
    const producer = kafka.producer();
    await producer.connect();
    const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: "smoke", partition }] });
    await producer.disconnect();
    return { topic: TOPIC, partition, offset: String(meta?.baseOffset) };
}

/** What a Connect sink does after a flush: commits the next offset to read on the partition. */
async function commitAs(groupId: string, position: KafkaPosition, next: bigint): Promise<void> {
    await admin.setOffsets({ groupId, topic: position.topic, partitions: [{ partition: position.partition, offset: String(next) }] });
}

const hop = (group: ArchiveHop["group"]): ArchiveHop => ({ topic: TOPIC, stream: TOPIC, group, store: "s3", bucket: "bucket/archive/" });

describe("the archive hop's plan", () => {
    it("follows every archived topic of the plan, by the archiver's group, or on Confluent by its group prefix", () => {
        const prod = planStack("prod", { phase: 3 });
        expect(archiveHops(prod).map((h) => `${h.stream} ${h.topic} ${JSON.stringify(h.group)}`)).toEqual(
            prod.archive!.streams.map((s, i) => `${s} ${prod.archive!.topics[i]} {"exact":"connect-audit-archiver"}`),
        );
        expect(archiveHops(prod).length).toBeGreaterThan(0);
        expect(archiveHops(planStack("local"))).toEqual([]);
    });
});

describe("the archive hop against kfake", () => {
    it("passes once the archiver's group has committed past the message, and names the group", async () => {
        const at = await produce(1);
        await commitAs("connect-audit-archiver", at, BigInt(at.offset) + 1n);
        await expect(archiveCommitted(admin, hop({ exact: "connect-audit-archiver" }), at, 2000, 100)).resolves.toBe("connect-audit-archiver");
    });

    it("fails when the group stands at the message (Kafka commits the next offset to read: the message is not flushed yet), saying where it stands", async () => {
        const at = await produce(2);
        await commitAs("connect-audit-archiver-2", at, BigInt(at.offset));
        await expect(archiveCommitted(admin, hop({ exact: "connect-audit-archiver-2" }), at, 600, 100)).rejects.toThrow(
            `the archiver has not committed past audit-trail[2] offset ${at.offset} within 600 ms (connect-audit-archiver-2 at offset ${at.offset})`,
        );
    });

    it("fails when a commit is on another partition only", async () => {
        const at = await produce(0);
        await commitAs("connect-audit-archiver-3", { ...at, partition: 1 }, BigInt(at.offset) + 100n);
        await expect(archiveCommitted(admin, hop({ exact: "connect-audit-archiver-3" }), at, 600, 100)).rejects.toThrow("(connect-audit-archiver-3 at no committed offset)");
    });

    it("on Confluent, finds the managed connector's group by its prefix", async () => {
        const at = await produce(1);
        const group = `${CONFLUENT_GROUP_PREFIX}abc123`;
        // A group must exist on the broker for listGroups to show it: a member joins and commits, as the sink does.
        const consumer = kafka.consumer({ groupId: group });
        await consumer.connect();
        await consumer.subscribe({ topics: [TOPIC], fromBeginning: true });
        await consumer.run({ autoCommit: false, eachMessage: async () => undefined });
        await consumer.commitOffsets([{ topic: TOPIC, partition: at.partition, offset: String(BigInt(at.offset) + 1n) }]);
        try {
            await expect(archiveCommitted(admin, hop({ prefix: CONFLUENT_GROUP_PREFIX }), at, 5000, 100)).resolves.toBe(group);
        } finally {
            await consumer.disconnect();
        }
    }, 30_000);
});
