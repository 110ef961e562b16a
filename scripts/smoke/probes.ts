/**
 * What the smoke test exercises, derived from the planned topology (pure: no I/O).
 *
 * A stream probe is one path a message takes on a route: produced where the route's producers write, consumed where
 * its consumers read. A route has one probe per place its consumers read (directly, or through the route's
 * Pulsar->Kafka sink), plus one per place producers write that nothing reads in this phase (the Pulsar copy of a
 * dual-published stream), so every endpoint the phase uses carries a message. A control probe is one RabbitMQ path: a command published to the control exchange and consumed from the
 * queue its routing key reaches, or rejected there and consumed from the dead-letter queue.
 */
import { kopDefaultNamespaceOf, kopTopicName } from "../../topology/kop";
import type { Endpoint, RabbitPlan, StreamRoute, StreamState, Topology } from "../../topology";

/** The client and endpoint a probe end uses: Kafka itself, Pulsar through KoP (a Kafka client), native Pulsar. */
export type Transport = "kafka" | "kop" | "pulsar";

export interface ProbeEnd {
    transport: Transport;
    /** The topic as that client names it (a KoP name for `kop`, `persistent://...` for `pulsar`). */
    topic: string;
}

export interface StreamProbe {
    stream: string;
    state: StreamState;
    /**
     * - `direct`: consumers read where producers write;
     * - `shadow copy`: producers write it, nobody reads it in this phase (dual-publishing to Pulsar);
     * - `via sink`: produced on Pulsar, read on Kafka, carried by the route's Pulsar->Kafka sink.
     */
    path: "direct" | "shadow copy" | "via sink";
    produce: ProbeEnd;
    consume: ProbeEnd;
    /** The services that read where this probe consumes (none for a shadow copy). */
    consumers: string[];
}

export { kopTopicName } from "../../topology/kop";

/** KoP's default namespace of a topology (topology/kop.ts kopDefaultNamespaceOf). */
export function kopDefaultNamespace(t: Topology): string {
    return kopDefaultNamespaceOf(t.pulsar?.kop.brokerConfig ?? {});
}

function transportOf(e: Endpoint): Transport {
    return e.broker === "kafka" ? "kafka" : e.protocol === "kafka" ? "kop" : "pulsar";
}

function endOf(e: Endpoint, kopNamespace: string): ProbeEnd {
    const transport = transportOf(e);
    return { transport, topic: transport === "kop" ? kopTopicName(e.topic, kopNamespace) : e.topic };
}

const keyOf = (e: Endpoint) => `${e.broker}|${e.protocol}|${e.topic}`;

export function routeProbes(route: StreamRoute, kopNamespace: string): StreamProbe[] {
    const readers = new Map<string, { endpoint: Endpoint; services: string[] }>();
    for (const c of route.consume) {
        const entry = readers.get(keyOf(c)) ?? { endpoint: c, services: [] };
        entry.services.push(c.service);
        readers.set(keyOf(c), entry);
    }
    const base = { stream: route.stream, state: route.state };
    const probes: StreamProbe[] = [];
    const exercised = new Set<string>();
    for (const [key, { endpoint, services }] of readers) {
        const writer = route.produce.find((p) => keyOf(p) === key);
        // Read where nobody writes: fed from the Pulsar copy by the route's sink.
        const source = writer ?? route.produce.find((p) => p.broker === "pulsar") ?? route.produce[0];
        if (!source) {
            continue;
        }
        exercised.add(keyOf(source));
        probes.push({
            ...base,
            path: writer ? "direct" : "via sink",
            produce: endOf(source, kopNamespace),
            consume: endOf(endpoint, kopNamespace),
            consumers: services,
        });
    }
    for (const p of route.produce.filter((x) => !exercised.has(keyOf(x)))) {
        probes.push({ ...base, path: "shadow copy", produce: endOf(p, kopNamespace), consume: endOf(p, kopNamespace), consumers: [] });
    }
    return probes;
}

export function streamProbes(t: Topology): StreamProbe[] {
    const kopNamespace = kopDefaultNamespace(t);
    return t.routes.flatMap((r) => routeProbes(r, kopNamespace));
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ control plane.

export interface ControlProbe {
    /** `route`: published and consumed from `queue`; `dead-letter`: rejected in `rejectIn`, consumed from `queue`. */
    kind: "route" | "dead-letter";
    exchange: string;
    routingKey: string;
    /** Where the message is consumed and its latency measured. */
    queue: string;
    /** The queue whose consumer rejects the message (nack, requeue=false), for `dead-letter`. */
    rejectIn?: string;
    /** Every queue the routing key reaches from the exchange (copies there are consumed and acknowledged). */
    reaches: string[];
}

/** A routing key a topic-exchange binding pattern matches: each `*` or `#` word becomes `smoke`. */
export function routingKeyFor(pattern: string): string {
    return pattern
        .split(".")
        .map((w) => (w === "#" || w === "*" ? "smoke" : w))
        .join(".");
}

/** AMQP 0-9-1 topic matching: `*` is exactly one word, `#` zero or more. */
export function topicMatches(pattern: string, key: string): boolean {
    const match = (p: string[], k: string[]): boolean => {
        if (p.length === 0) {
            return k.length === 0;
        }
        const [head, ...rest] = p;
        if (head === "#") {
            return match(rest, k) || (k.length > 0 && match(p, k.slice(1)));
        }
        return k.length > 0 && (head === "*" || head === k[0]) && match(rest, k.slice(1));
    };
    return match(pattern.split("."), key === "" ? [] : key.split("."));
}

/**
 * @param consumedByWorkload queues a deployed workload consumes (the audit bridge's control.audit): the smoke test does
 * not compete with it for their messages; the hop through it is probed at its far end instead (auditProbes).
 */
export function controlProbes(r: RabbitPlan, exchange: string, consumedByWorkload: readonly string[] = []): ControlProbe[] {
    const bound = r.bindings.filter((b) => b.exchange === exchange && !consumedByWorkload.includes(b.queue));
    const reaches = (key: string) => [...new Set(bound.filter((b) => topicMatches(b.routingKey, key)).map((b) => b.queue))].sort();
    const routes: ControlProbe[] = bound.map((b) => {
        const routingKey = routingKeyFor(b.routingKey);
        return { kind: "route", exchange, routingKey, queue: b.queue, reaches: reaches(routingKey) };
    });
    const deadLetters: ControlProbe[] = [];
    for (const q of r.queues.filter((x) => !consumedByWorkload.includes(x.name))) {
        const into = bound.find((b) => b.queue === q.name);
        const dlq = r.bindings.find((b) => b.exchange === q.deadLetterExchange);
        if (q.deadLetterExchange && into && dlq) {
            const routingKey = routingKeyFor(into.routingKey);
            deadLetters.push({ kind: "dead-letter", exchange, routingKey, queue: dlq.queue, rejectIn: q.name, reaches: reaches(routingKey) });
        }
    }
    return [...routes, ...deadLetters];
}

/**
 * The control-event mirror's hop (seed 004): a control event published to the control exchange must come out of
 * audit-trail where the audit bridge writes it (topology/audit-plan.ts), one probe per destination. Its routing key
 * reaches no work queue, only the audit queue every event is copied to.
 */
export interface AuditProbe {
    exchange: string;
    routingKey: string;
    /** The queue the bridge consumes. */
    queue: string;
    consume: ProbeEnd;
    destination: "kafka" | "pulsar";
}

export const AUDIT_PROBE_ROUTING_KEY = "smoke.audit-mirror";

export function auditProbes(t: Topology, exchange: string): AuditProbe[] {
    const b = t.auditBridge;
    if (!b) {
        return [];
    }
    return b.destinations.map((d) => ({
        exchange,
        routingKey: AUDIT_PROBE_ROUTING_KEY,
        queue: b.queue,
        // The bridge writes a Pulsar destination through KoP, under its KoP name: the probe reads it there too.
        consume: { transport: d.name === "kafka" ? ("kafka" as const) : ("kop" as const), topic: d.topic },
        destination: d.name,
    }));
}
