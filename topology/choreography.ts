/**
 * How a transition moves every stream without losing a message: the choreography between the deployed plan and the
 * requested one (a phase bump or rollback, or a gate approved or revoked), derived from the two plans. Pure.
 *
 * A stream's messages sit in logs (a Kafka topic; a Pulsar topic, which KoP and the native client read alike), and
 * each reader has a cursor on a log: a Kafka or KoP consumer group's offsets (the group is the service's name, as the
 * Kafka ACLs grant it), or a Pulsar subscription (the service's name, one per topic). A transition changes where
 * services write and read, and what is in flight must reach every reader's new cursor. It runs as three updates the
 * guard orders (topology/transition.ts), with two operator commands between them:
 *
 * 1. **prepare** (`transition.stage: prepare`): the target side exists (brokers, topics, grants, credentials);
 *    services, sinks and functions run as before.
 * 2. `npm run handover`: every cursor the target needs is put where nothing is skipped (below), before anything reads
 *    with it.
 * 3. **switch** (`transition.stage: switch`): services roll to their new env pod by pod, old and new pods overlapping;
 *    the mirrors of the overlap run; sinks the target needs start, sinks it drops keep running.
 * 4. `npm run drain-check`: every drain below is complete.
 * 5. **settle** (no `transition`): the mirrors and dropped sinks go; services that stayed to drain an abandoned log move.
 *
 * Where a new cursor starts, per consumer:
 * - the same log read with the other protocol (KoP <-> native Pulsar), or a log that received every message the old
 *   one did (dual-published, or fed by a sink that runs until settle): at the old cursor's first unread message,
 *   found by publish time less a clock-skew margin (Kafka ListOffsets by timestamp, Pulsar reset-cursor by time);
 * - a log that did not, when the consumer leaves a log (the bridge moves: Kafka <-> KoP, Pulsar -> Kafka): a mirror
 *   copies the old log into the new one from the earliest first-unread message of the consumers leaving it, for the
 *   whole overlap; the new cursor starts at the new log's end before the mirror writes; the mirror is drained before
 *   settle;
 * - a Pulsar topic nothing writes after the switch (a tenant's namespace on 3 -> 2): the consumer keeps its old env,
 *   reads the topic empty and moves at settle. The tenant router (ingress-gateway) moves at the switch, and the
 *   services downstream answer in the namespace of the request they handle, so once it is drained nothing writes it;
 * - a new log (a tenant's topics on 2 -> 3): at its end before the switch (the prepare update created it empty).
 * A sink that starts gets its subscription at its input's end before the switch. At-least-once: what old pods read
 * during the overlap may be read again by the new ones; the model and the drill count those duplicates.
 */
import { ORCHESTRATOR_SERVICES } from "./catalog";
import type { Broker, Protocol, StreamState, Topology } from "./model";
import { withinOneStep } from "./phases";

export const STAGES = ["prepare", "switch"] as const;
/** The staged updates of a transition; the third, settle, is the target plan itself (no `transition` key). */
export type StageName = (typeof STAGES)[number];

/** A topic on a broker: Kafka's, or Pulsar's (which KoP serves too). */
export interface LogRef {
    broker: Broker;
    topic: string;
}

/** A reader's place on a log: a Kafka/KoP consumer group (`protocol: kafka`) or a Pulsar subscription. */
export interface CursorRef {
    /** The consumer group or subscription name: the service, sink or mirror. */
    owner: string;
    log: LogRef;
    protocol: Protocol;
}

/** Where `npm run handover` puts a new cursor. */
export type StartPosition =
    /** The log's end when the handover runs (a log the prepare update created is still empty then). */
    | { at: "end" }
    /**
     * The earliest message any of these cursors has not committed: by offset where they are groups on the cursor's
     * own log, else by publish time less the skew margin.
     */
    | { at: "first-unread"; of: CursorRef[] };

export interface Handover {
    cursor: CursorRef;
    start: StartPosition;
    /**
     * The consumer group is in use on that cluster during the switch (the service reads another stream there with
     * it), and Kafka sets a group's offsets only while it has no members: the handover then keeps the offsets the
     * group has on the topic when they are not past `start`, and refuses otherwise.
     */
    groupInUse?: string[];
}

/** A copy of one log into another: a sink that keeps Kafka-only readers fed, or an overlap mirror. */
export interface Relay {
    name: string;
    kind: "sink" | "mirror";
    stream: string;
    from: CursorRef;
    to: LogRef;
}

/** A cursor whose backlog must be read before settle: everything written before the switch completed. */
export interface DrainCheck {
    cursor: CursorRef;
    why: string;
    /** The log is abandoned: nothing may write it any more (its end stays put between two checks). */
    quiescent?: boolean;
}

/** Who writes and who reads one stream in a plan. */
export interface StreamSide {
    state: StreamState;
    /** Per producing service, the logs it writes (a message goes to each Kafka log and to one of the Pulsar logs). */
    writes: Record<string, LogRef[]>;
    /** Per consuming service, its cursors. */
    reads: Record<string, CursorRef[]>;
    sinks: Relay[];
}

export interface StreamChoreography {
    stream: string;
    from: StreamSide;
    to: StreamSide;
    /** Mirrors that run from the switch until settle. */
    mirrors: Relay[];
    /** The target's sinks the source has not: started at the switch. */
    sinksStarted: Relay[];
    /** The source's sinks the target has not: kept until settle, drained. */
    sinksStopped: Relay[];
    handovers: Handover[];
    drains: DrainCheck[];
    /** Consumers that keep their source env through the switch, draining an abandoned log, and move at settle. */
    movesAtSettle: string[];
}

export interface Choreography {
    from: number;
    to: number;
    streams: StreamChoreography[];
    /** When each deployed service's workload takes its target env: at the switch, or at settle (after draining). */
    services: Record<string, "switch" | "settle">;
    /** Nothing moves: the transition is one update (no handover, mirror, sink change or drain). */
    trivial: boolean;
}

export const sameLog = (a: LogRef, b: LogRef) => a.broker === b.broker && a.topic === b.topic;
export const sameCursor = (a: CursorRef, b: CursorRef) => a.owner === b.owner && a.protocol === b.protocol && sameLog(a.log, b.log);
export const logKey = (l: LogRef) => `${l.broker}:${l.topic}`;
export const cursorKey = (c: CursorRef) => `${c.owner}@${c.protocol}:${logKey(c.log)}`;

/** The tenant copies of a stream's Pulsar topic (every planned topic of the stream but the route's own). */
function tenantLogs(t: Topology, stream: string, main: string | undefined): LogRef[] {
    if (!t.pulsar || main === undefined) {
        return [];
    }
    return t.pulsar.topics.filter((p) => p.stream === stream && p.name !== main).map((p) => ({ broker: "pulsar" as const, topic: p.name }));
}

/** One stream's writers, readers and sinks in a plan. Pure; exported for the model and the drill. */
export function streamSide(t: Topology, stream: string): StreamSide {
    const route = t.routes.find((r) => r.stream === stream);
    if (!route) {
        throw new Error(`streamSide: no route for stream ${stream}`);
    }
    const pulsarTopic = route.produce.find((e) => e.broker === "pulsar")?.topic ?? route.consume.find((c) => c.broker === "pulsar")?.topic;
    const tenants = tenantLogs(t, stream, pulsarTopic);
    const writes: Record<string, LogRef[]> = {};
    for (const p of route.producers) {
        const own = route.produce.map((e) => ({ broker: e.broker, topic: e.topic }));
        writes[p] = [...own, ...(own.some((l) => l.broker === "pulsar") ? tenants : [])];
    }
    const reads: Record<string, CursorRef[]> = {};
    for (const c of route.consume) {
        const cursor: CursorRef = { owner: c.service, log: { broker: c.broker, topic: c.topic }, protocol: c.protocol };
        const extra = c.broker === "pulsar" ? tenants.map((log) => ({ owner: c.service, log, protocol: c.protocol })) : [];
        reads[c.service] = [...(reads[c.service] ?? []), cursor, ...extra];
    }
    const sinks: Relay[] = t.sinks
        .filter((s) => s.stream === stream)
        .map((s) => ({ name: s.name, kind: "sink", stream, from: { owner: s.name, log: { broker: "pulsar", topic: s.input }, protocol: "pulsar" }, to: { broker: "kafka", topic: s.kafkaTopic } }));
    return { state: route.state, writes, reads, sinks };
}

/** The logs a side writes: every service's writes and its sinks' outputs. */
function writtenLogs(side: StreamSide): LogRef[] {
    const all = [...Object.values(side.writes).flat(), ...side.sinks.map((s) => s.to)];
    return [...new Map(all.map((l) => [logKey(l), l])).values()];
}

/**
 * Whether `to` receives every message `from` does while the source's writers still run: each writer of `from` writes
 * `to` as well (dual-publishing), or a sink of the source copies `from` into `to` (kept until it is drained).
 */
function fedBy(side: StreamSide, from: LogRef, to: LogRef): boolean {
    if (side.sinks.some((s) => sameLog(s.from.log, from) && sameLog(s.to, to))) {
        return true;
    }
    const writers = Object.values(side.writes).filter((ls) => ls.some((l) => sameLog(l, from)));
    return writers.length > 0 && writers.every((ls) => ls.some((l) => sameLog(l, to)));
}

/** The services that pick a request's tenant namespace (seed 000 phase III): they stop writing a tenant's topics at once. */
export const TENANT_ROUTERS: ReadonlySet<string> = new Set(["ingress-gateway"]);

export const MIRROR_SUFFIX = { kafka: "mirror-to-kafka", pulsar: "mirror-to-pulsar" } as const;

/** A mirror's name: the stream and the broker it copies into. */
export function mirrorName(stream: string, to: Broker): string {
    return `${stream}-${MIRROR_SUFFIX[to]}`;
}

/** The choreography of one stream between two plans. Pure. */
export function streamChoreography(a: Topology, b: Topology, stream: string): StreamChoreography {
    const from = streamSide(a, stream);
    const to = streamSide(b, stream);
    const writtenAfter = writtenLogs(to);
    const mirrors = new Map<string, Relay>();
    const handovers: Handover[] = [];
    const drains: DrainCheck[] = [];
    const movesAtSettle = new Set<string>();
    const consumers = [...new Set([...Object.keys(from.reads), ...Object.keys(to.reads)])].sort();

    for (const c of consumers) {
        const before = from.reads[c] ?? [];
        const after = to.reads[c] ?? [];
        const dropped = before.filter((x) => !after.some((y) => sameCursor(x, y)));
        const added = after.filter((y) => !before.some((x) => sameCursor(x, y)));
        const continued = new Set<string>();
        for (const cursor of added) {
            // The same messages under another cursor: the same log, or a log fed with everything the old one got.
            const predecessor = dropped.find((x) => sameLog(x.log, cursor.log)) ?? dropped.find((x) => fedBy(from, x.log, cursor.log));
            if (predecessor) {
                continued.add(cursorKey(predecessor));
                handovers.push({ cursor, start: { at: "first-unread", of: [predecessor] } });
                continue;
            }
            handovers.push({ cursor, start: { at: "end" } });
        }
        for (const old of dropped.filter((x) => !continued.has(cursorKey(x)))) {
            // A cursor nothing continues: either the log is abandoned (drain it in place), or the consumer moves to a
            // log that lacks the old one's messages (mirror them over).
            const replacement = added.find((y) => !before.some((x) => sameLog(x.log, y.log)) && handovers.some((h) => sameCursor(h.cursor, y) && h.start.at === "end"));
            const stillWritten = writtenAfter.some((l) => sameLog(l, old.log));
            if (!replacement) {
                if (stillWritten) {
                    throw new Error(`choreography: ${c} stops reading ${logKey(old.log)} of ${stream}, which is still written after the switch, without a new cursor`);
                }
                movesAtSettle.add(c);
                drains.push({ cursor: old, quiescent: true, why: `${c} leaves ${old.log.topic}, which nothing writes after the switch: it keeps reading it and moves at settle, once its backlog there is read` });
                continue;
            }
            const name = mirrorName(stream, replacement.log.broker);
            const key = `${logKey(old.log)}>${logKey(replacement.log)}`;
            const mirrorCursor: CursorRef = { owner: name, log: old.log, protocol: old.log.broker === "kafka" ? "kafka" : "pulsar" };
            const existing = mirrors.get(key);
            if (!existing) {
                mirrors.set(key, { name, kind: "mirror", stream, from: mirrorCursor, to: replacement.log });
                drains.push({ cursor: mirrorCursor, why: `the mirror ${name} copies what is left on ${logKey(old.log)} into ${logKey(replacement.log)}; it goes at settle, once it has copied everything written before the switch completed` });
                handovers.push({ cursor: mirrorCursor, start: { at: "first-unread", of: [old] } });
            } else {
                const h = handovers.find((x) => sameCursor(x.cursor, mirrorCursor));
                if (h && h.start.at === "first-unread") {
                    h.start.of.push(old);
                }
            }
        }
    }

    const sinksStarted = to.sinks.filter((s) => !from.sinks.some((x) => x.name === s.name));
    for (const s of sinksStarted) {
        // Positioned before any producer stops writing Kafka: everything published to Pulsar from then on is copied.
        handovers.push({ cursor: s.from, start: { at: "end" } });
    }
    const sinksStopped = from.sinks.filter((s) => !to.sinks.some((x) => x.name === s.name));
    for (const s of sinksStopped) {
        drains.push({ cursor: s.from, why: `the sink ${s.name} stops: it goes at settle, once it has copied everything published before the switch completed` });
    }
    for (const p of TENANT_ROUTERS) {
        movesAtSettle.delete(p);
    }
    return { stream, from, to, mirrors: [...mirrors.values()], sinksStarted, sinksStopped, handovers, drains, movesAtSettle: [...movesAtSettle].sort() };
}


/**
 * Marks the handovers onto Kafka-protocol groups the same service keeps using on that cluster for another stream
 * through the switch (a group spans topics; its offsets can be set only while it has no members).
 */
function markGroupsInUse(streams: StreamChoreography[]): void {
    const clusterOf = (c: CursorRef) => (c.log.broker === "kafka" ? "kafka" : "kop");
    for (const s of streams) {
        for (const h of s.handovers.filter((x) => x.cursor.protocol === "kafka")) {
            const busy = streams
                .filter((o) => o.stream !== s.stream)
                .filter((o) => (o.from.reads[h.cursor.owner] ?? []).some((x) => x.protocol === "kafka" && clusterOf(x) === clusterOf(h.cursor) && (o.to.reads[h.cursor.owner] ?? []).some((y) => sameCursor(x, y))))
                .map((o) => o.stream);
            if (busy.length > 0) {
                h.groupInUse = busy;
            }
        }
    }
}

/**
 * The choreography between the deployed plan `a` and the requested plan `b` (adjacent phases, or the same phase with
 * other gates). Pure.
 */
export function planChoreography(a: Topology, b: Topology): Choreography {
    if (!withinOneStep(a.phase, b.phase)) {
        throw new Error(`planChoreography: phases ${a.phase} and ${b.phase} are not adjacent (a phase moves one step at a time)`);
    }
    const streams = b.routes.map((r) => streamChoreography(a, b, r.stream));
    markGroupsInUse(streams);
    const services: Record<string, "switch" | "settle"> = {};
    for (const s of ORCHESTRATOR_SERVICES) {
        services[s] = streams.some((c) => c.movesAtSettle.includes(s)) ? "settle" : "switch";
    }
    const trivial = streams.every((s) => s.handovers.length === 0 && s.mirrors.length === 0 && s.sinksStarted.length === 0 && s.sinksStopped.length === 0 && s.drains.length === 0);
    return { from: a.phase, to: b.phase, streams, services, trivial };
}
