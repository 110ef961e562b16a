/**
 * What the drill stands in for, because it cannot run here:
 * - **KoP** (no Kafka protocol handler for Apache Pulsar 4.0 is served by this machine's registry: README, "Pulsar
 *   in the tests"). A service that reads a Pulsar log through KoP reads it natively, with a subscription named after
 *   its consumer group, and writes go natively to the topic KoP resolves the project's name to (the full name, as
 *   topology/kop.ts kopTopicName and KoP's KopTopic.expandToFullName agree: test/topology/kop-names.test.ts). So the
 *   1 <-> 2 rows move a service between two subscriptions of one name on one log rather than from a KoP group to a
 *   subscription; the handover and the drain check then take the Pulsar path on real partitioned topics.
 * - **pulsar-io-kafka in the Functions worker**: the sinks and mirrors run in this process (scripts/drill/world.ts
 *   RelayRunner: consume, produce, acknowledge after the ack). The connector itself, with the configs the components
 *   declare, runs on the real worker in test/pulsar/connectors.test.ts.
 */
import { AssignerProtocol, type Assigner, type GroupMember, type GroupMemberAssignment, type GroupState } from "kafkajs";
import type { CursorRef } from "../../topology";

/** A Kafka-protocol cursor on a Pulsar log (a KoP consumer group) as the native subscription of the same name. */
export function kopAsNative(c: CursorRef): CursorRef {
    return c.log.broker === "pulsar" && c.protocol === "kafka" ? { ...c, protocol: "pulsar" } : c;
}

/**
 * Round-robin over the members subscribed to each topic. kafkajs' own round-robin gives every member partitions of
 * every topic any member subscribed to, which is wrong while a rolling update runs pods with different
 * subscriptions in one group (Kafka's own assigners respect each member's subscription).
 */
export const SubscriptionAwareRoundRobin: (config: { cluster: unknown }) => Assigner = ({ cluster }) => ({
    name: "SubscriptionAwareRoundRobin",
    version: 0,
    async assign({ members, topics }: { members: GroupMember[]; topics: string[] }): Promise<GroupMemberAssignment[]> {
        const subscribed = new Map(members.map((m) => [m.memberId, new Set(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? [])]));
        const plan = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
        const c = cluster as { findTopicPartitionMetadata(topic: string): { partitionId: number }[] };
        for (const topic of [...topics].sort()) {
            const takers = members.map((m) => m.memberId).filter((id) => subscribed.get(id)?.has(topic)).sort();
            if (takers.length === 0) {
                continue;
            }
            const partitions = c.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
            partitions.forEach((p, i) => {
                const owner = plan.get(takers[i % takers.length] as string) as Record<string, number[]>;
                (owner[topic] ??= []).push(p);
            });
        }
        return members.map((m) => ({
            memberId: m.memberId,
            memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: plan.get(m.memberId) ?? {}, userData: Buffer.alloc(0) }),
        }));
    },
    protocol({ topics }: { topics: string[] }): GroupState {
        return { name: "SubscriptionAwareRoundRobin", metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
    },
});
