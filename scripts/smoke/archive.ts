/**
 * Seed 004's last hop: Kafka -> the archive bucket, checked through the archiver's consumer group.
 *
 * A Kafka Connect sink's committed offset is the proof that what came before it is in the bucket: Connect commits a
 * sink task's offsets only after the task's `preCommit`, whose default calls `flush` (Apache Kafka, SinkTask.preCommit),
 * and Aiven's S3 and GCS sinks write their files in `flush` (S3SinkTask / GcsSinkTask flush -> flushFile). So once the
 * group has committed past a smoke message's offset, the object that holds it has been written, without listing the
 * bucket (which would need the cloud's credentials on the machine running the smoke test). Connect commits every
 * `offset.flush.interval.ms` (60 s by default), which is why the hop has a timeout of its own.
 *
 * Pure planning here (archiveHops); the check itself (archiveCommitted) takes a kafkajs Admin.
 */
import type { Admin } from "kafkajs";
import type { ArchivePlan, Topology } from "../../topology";

/** Kafka Connect's default `offset.flush.interval.ms` (WorkerConfig): how often a sink's offsets are committed. */
export const CONNECT_OFFSET_FLUSH_MS = 60_000;
/** How long the hop waits for the archiver by default (`--archive-timeout-ms`): two of Connect's offset commits. */
export const DEFAULT_ARCHIVE_TIMEOUT_MS = 2 * CONNECT_OFFSET_FLUSH_MS;
/** Confluent's managed connectors consume as `connect-lcc-<connector id>`, an id the program does not know. */
export const CONFLUENT_GROUP_PREFIX = "connect-lcc-";

export interface ArchiveHop {
    /** The archived Kafka topic. */
    topic: string;
    stream: string;
    /** The sink's group, or on Confluent the prefix of its group. */
    group: { exact: string } | { prefix: string };
    /** The object store and where in it the archive writes (`bucket/prefix`). */
    store: ArchivePlan["bucket"]["store"];
    bucket: string;
}

/** One hop per archived topic of the plan (none without an archive). */
export function archiveHops(t: Topology): ArchiveHop[] {
    const a = t.archive;
    if (!a) {
        return [];
    }
    const group = a.runtime === "confluent-managed" ? { prefix: CONFLUENT_GROUP_PREFIX } : { exact: a.consumerGroup };
    return a.topics.map((topic, i) => ({ topic, stream: a.streams[i] ?? topic, group, store: a.bucket.store, bucket: `${a.bucket.name}/${a.bucket.prefix}` }));
}

/** Where a delivered smoke message sits on Kafka. */
export interface KafkaPosition {
    topic: string;
    partition: number;
    /** The message's own offset. */
    offset: string;
}

/**
 * The group's committed offset on the message's partition ("-1": none there), or undefined when the cluster knows no
 * such group: Kafka answers an unknown group's offset fetch with -1 offsets, kfake (and some versions) with
 * GROUP_ID_NOT_FOUND.
 */
async function committedOffset(admin: Admin, groupId: string, position: KafkaPosition): Promise<string | undefined> {
    try {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [position.topic] });
        return offsets?.partitions.find((p) => p.partition === position.partition)?.offset ?? "-1";
    } catch (err) {
        if ((err as { type?: string }).type === "GROUP_ID_NOT_FOUND") {
            return undefined;
        }
        throw err;
    }
}

/**
 * Resolves with the group that committed past `position` (an offset greater than the message's: Kafka commits the next
 * offset to read), polling until `timeoutMs`; rejects saying what it saw when none did.
 */
export async function archiveCommitted(admin: Admin, hop: ArchiveHop, position: KafkaPosition, timeoutMs: number, pollMs = 1000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const wanted = BigInt(position.offset);
    for (;;) {
        const groups = "exact" in hop.group ? [hop.group.exact] : (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith((hop.group as { prefix: string }).prefix));
        const committed: string[] = [];
        for (const groupId of groups) {
            const at = await committedOffset(admin, groupId, position);
            if (at === undefined) {
                committed.push(`no group ${groupId} on the cluster`);
                continue;
            }
            if (BigInt(at) > wanted) {
                return groupId;
            }
            committed.push(`${groupId} at ${at === "-1" ? "no committed offset" : `offset ${at}`}`);
        }
        const seen = committed.length > 0 ? committed.join(", ") : `no group ${"exact" in hop.group ? hop.group.exact : `${hop.group.prefix}*`}`;
        if (Date.now() >= deadline) {
            throw new Error(
                `the archiver has not committed past ${position.topic}[${position.partition}] offset ${position.offset} within ${timeoutMs} ms (${seen}): ` +
                    "it has not written that message to the bucket (is the connector running? see its status and the archive lag alert)",
            );
        }
        await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
    }
}
