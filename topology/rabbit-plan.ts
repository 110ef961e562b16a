/** The RabbitMQ control plane of a topology: the same in every phase (topology/control-plane.ts has the catalog). */
import type { PlatformConfig } from "./config";
import {
    AUDIT_BRIDGE_SERVICE,
    AUDIT_QUEUE,
    CONTROL_EXCHANGE,
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    DEFAULT_EXCHANGE,
    DELIVERY_LIMIT,
    WORK_QUEUES,
} from "./control-plane";
import type { RabbitPlan } from "./model";

export function planRabbit(config: PlatformConfig): RabbitPlan {
    const users = new Map<string, { write: Set<string>; read: Set<string> }>();
    const user = (n: string) => {
        const u = users.get(n) ?? { write: new Set<string>(), read: new Set<string>() };
        users.set(n, u);
        return u;
    };
    for (const q of WORK_QUEUES) {
        q.publishers.forEach((p) => user(p).write.add(CONTROL_EXCHANGE));
        q.consumers.forEach((c) => user(c).read.add(q.name));
        // RPC over direct reply-to: the requester consumes the pseudo-queue amq.rabbitmq.reply-to (no permission is
        // checked for it: rabbit_channel.erl's basic.consume clause for it has no check_read_permitted), and the
        // responder publishes the reply to the default exchange, which is checked as write on `amq.default`
        // (rabbitmq.com/docs/access-control: "maps AMQP 0-9-1's default exchange's blank name to 'amq.default'").
        if (q.rpc) {
            q.consumers.forEach((c) => user(c).write.add(DEFAULT_EXCHANGE));
        }
    }
    user(AUDIT_BRIDGE_SERVICE).read.add(AUDIT_QUEUE);
    const regex = (names: Set<string>) => (names.size === 0 ? "^$" : `^(${[...names].sort().map(escapeRegex).join("|")})$`);
    return {
        vhost: config.rabbitmq.vhost,
        exchanges: [
            { name: CONTROL_EXCHANGE, type: "topic", durable: true },
            { name: DEAD_LETTER_EXCHANGE, type: "fanout", durable: true },
        ],
        queues: [
            ...WORK_QUEUES.map((q) => ({ name: q.name, type: "quorum" as const, durable: true as const, deadLetterExchange: DEAD_LETTER_EXCHANGE })),
            { name: AUDIT_QUEUE, type: "quorum", durable: true, deadLetterExchange: DEAD_LETTER_EXCHANGE },
            { name: DEAD_LETTER_QUEUE, type: "quorum", durable: true },
        ],
        bindings: [
            ...WORK_QUEUES.map((q) => ({ exchange: CONTROL_EXCHANGE, queue: q.name, routingKey: q.routingKey })),
            // Every control event is mirrored to the audit queue; audit-bridge carries it into the audit-trail stream.
            { exchange: CONTROL_EXCHANGE, queue: AUDIT_QUEUE, routingKey: "#" },
            { exchange: DEAD_LETTER_EXCHANGE, queue: DEAD_LETTER_QUEUE, routingKey: "" },
        ],
        // Every queue is bounded: past max-length a publish is refused (nacked to a confirming publisher) instead of the
        // queue growing into the memory or disk alarm that blocks every publisher of the broker (rabbitmq.com/docs/maxlength).
        // Dead-lettering from quorum queues is at-least-once, which needs overflow reject-publish and a dead-letter
        // exchange (rabbitmq.com/docs/quorum-queues, "Dead Lettering"). A queue takes one policy, the highest-priority
        // match: the dead-letter queue has its own.
        policies: [
            {
                name: "control-dead-letter",
                pattern: `^(${[...WORK_QUEUES.map((q) => q.name), AUDIT_QUEUE].map(escapeRegex).join("|")})$`,
                applyTo: "queues",
                priority: 10,
                definition: {
                    "dead-letter-exchange": DEAD_LETTER_EXCHANGE,
                    "dead-letter-strategy": "at-least-once",
                    "delivery-limit": DELIVERY_LIMIT,
                    "max-length": config.rabbitmq.maxQueueLength,
                    overflow: "reject-publish",
                },
            },
            {
                name: "control-dead-letter-bounded",
                pattern: `^${escapeRegex(DEAD_LETTER_QUEUE)}$`,
                applyTo: "queues",
                priority: 10,
                definition: { "max-length": config.rabbitmq.maxQueueLength, overflow: "reject-publish" },
            },
        ],
        users: [...users.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([name, u]) => ({ name, configure: "^$", write: regex(u.write), read: regex(u.read) })),
        admin: { name: config.rabbitmq.username, configure: ".*", write: ".*", read: ".*" },
    };
}

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
