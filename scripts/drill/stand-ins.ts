/**
 * What the drill stands in for, because it cannot run here, each as close to the real thing's contract as the
 * Kafka protocol allows:
 * - Pulsar's logs live on a second Kafka-protocol broker (kfake), reached as KoP reaches them (the KoP topic names);
 * - a Pulsar subscription of a relay (pulsar-io's Kafka sink reading a Pulsar topic natively) is a consumer group of
 *   the same name on that broker: created at an end or a time, backlog = end - committed.
 * Native Pulsar consumers of the services are not stood in: their streams are reported as not run (the model covers
 * them).
 */
import { AssignerProtocol, type Assigner, type GroupMember, type GroupMemberAssignment, type GroupState } from "kafkajs";
import { kopTopicName } from "../smoke/probes";
import type { KafkaCursors } from "../transition/cursors";
import type { PulsarCursors } from "../transition/cursors";
import { groupFirstUnreadTime } from "../transition/steps";

/** Pulsar subscriptions as consumer groups on the KoP stand-in. */
export class GroupBackedSubscriptions implements PulsarCursors {
    constructor(
        private readonly kop: KafkaCursors,
        private readonly kopNamespace: string,
    ) {}

    private topic(t: string): string {
        return kopTopicName(t, this.kopNamespace);
    }

    async atEnd(topic: string, subscription: string): Promise<void> {
        await this.kop.set(subscription, this.topic(topic), await this.kop.ends(this.topic(topic)));
    }

    async atTime(topic: string, subscription: string, ms: number): Promise<void> {
        await this.kop.set(subscription, this.topic(topic), await this.kop.offsetsAt(this.topic(topic), ms));
    }

    async firstUnread(topic: string, subscription: string): Promise<number | undefined> {
        return await groupFirstUnreadTime(this.kop, subscription, this.topic(topic));
    }

    async backlog(topic: string, subscription: string): Promise<number | undefined> {
        const t = this.topic(topic);
        const [ends, committed] = await Promise.all([this.kop.ends(t), this.kop.committed(subscription, t)]);
        if (committed.size === 0) {
            return undefined;
        }
        return [...ends].reduce((sum, [p, end]) => sum + Math.max(0, end - (committed.get(p) ?? 0)), 0);
    }
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
