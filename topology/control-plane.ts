/**
 * The RabbitMQ control plane (seed 004: "short-lived command messages, job dispatch, and RPC between
 * UI/operators and the Governance API"; "mirror critical control events into Kafka for audit"; DLQs for
 * failed deliveries). It is the same in every phase: RabbitMQ is kept for control traffic.
 */

export const CONTROL_EXCHANGE = "control";
export const DEAD_LETTER_EXCHANGE = "control.dlx";
export const DEAD_LETTER_QUEUE = "control.dead-letter";
export const AUDIT_QUEUE = "control.audit";

/** The default exchange, as RabbitMQ names it in permission checks. */
export const DEFAULT_EXCHANGE = "amq.default";

export interface WorkQueueSpec {
    name: string;
    /** Topic-exchange routing key bound to the control exchange. */
    routingKey: string;
    publishers: string[];
    consumers: string[];
    description: string;
    /** Requests whose consumers reply through direct reply-to (`reply_to: amq.rabbitmq.reply-to`). */
    rpc?: boolean;
}

export const WORK_QUEUES: readonly WorkQueueSpec[] = [
    {
        name: "governance.commands",
        routingKey: "governance.command.#",
        publishers: ["operator-ui"],
        consumers: ["governance-api"],
        description: "operator commands to the Governance API",
    },
    {
        name: "jobs.dispatch",
        routingKey: "job.dispatch.#",
        publishers: ["governance-api", "job-api"],
        consumers: ["job-worker"],
        description: "job dispatch to the workers",
    },
    {
        name: "rpc.requests",
        routingKey: "rpc.#",
        publishers: ["operator-ui"],
        consumers: ["governance-api"],
        description: "RPC requests from the operator UI, answered through direct reply-to",
        rpc: true,
    },
];

/** Messages redelivered more often than this go to the dead-letter exchange (quorum queue delivery-limit). */
export const DELIVERY_LIMIT = 5;

/**
 * The service that carries mirrored control events from the audit queue into the audit-trail stream
 * (a producer of audit-trail in the stream catalog).
 */
export const AUDIT_BRIDGE_SERVICE = "audit-bridge";
