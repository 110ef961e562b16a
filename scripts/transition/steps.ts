/**
 * The two operator steps between a transition's updates, on the running brokers (topology/choreography.ts):
 * - `handover`: puts every cursor the target needs where nothing is skipped, before anything reads with it;
 * - `drainCheck`: whether every drain the settle update needs is complete.
 * Shared by `npm run handover`, `npm run drain-check` and the drill.
 */
import { cursorKey, type CursorRef, type DrainCheck, type Handover } from "../../topology";
import { kopTopicName } from "../smoke/probes";
import type { KafkaCursors, Offsets, PulsarCursors } from "./cursors";

/**
 * How far before the first unread message a cursor moved by time starts: more than the skew between two brokers'
 * clocks (both copies of a dual-published message are stamped by their own broker or client) and the client's linger.
 * Every message in that window is read again: bounded duplicates, no loss.
 */
export const SKEW_MARGIN_MS = 5_000;

export interface Brokers {
    /** Kafka itself. */
    kafka?: KafkaCursors;
    /** Pulsar through KoP. */
    kop?: KafkaCursors;
    /** Pulsar's admin API (native subscriptions). */
    pulsar?: PulsarCursors;
    /** KoP's default namespace (its short topic names), `tenant/namespace`. */
    kopNamespace: string;
}

export interface StepRow {
    cursor: string;
    ok: boolean;
    detail: string;
}

/** The Kafka-protocol cluster and topic name a Kafka-protocol cursor uses. */
function kafkaSide(c: CursorRef, b: Brokers): { cluster: KafkaCursors; topic: string; label: string } {
    const onKafka = c.log.broker === "kafka";
    const cluster = onKafka ? b.kafka : b.kop;
    if (!cluster) {
        throw new Error(`${cursorKey(c)}: no ${onKafka ? "Kafka" : "KoP"} endpoint in the stack outputs`);
    }
    return { cluster, topic: onKafka ? c.log.topic : kopTopicName(c.log.topic, b.kopNamespace), label: onKafka ? "Kafka" : "KoP" };
}

function pulsarOf(c: CursorRef, b: Brokers): PulsarCursors {
    if (!b.pulsar) {
        throw new Error(`${cursorKey(c)}: no Pulsar admin endpoint in the stack outputs`);
    }
    return b.pulsar;
}

const describe = (o: Offsets) => [...o].sort(([p], [q]) => p - q).map(([p, x]) => `${p}:${x}`).join(" ");

/** A group's first unread position on a topic: its committed offsets (the log's start where it never committed). */
async function groupFirstUnread(cluster: KafkaCursors, group: string, topic: string): Promise<Offsets> {
    const [committed, starts] = await Promise.all([cluster.committed(group, topic), cluster.starts(topic)]);
    return new Map([...starts].map(([p, low]) => [p, Math.max(low, committed.get(p) ?? low)]));
}

/**
 * The publish time of a group's first unread message on a topic: the earliest over its partitions; undefined when
 * it has read everything. Exported for the drill's subscription stand-in.
 */
export async function groupFirstUnreadTime(cluster: KafkaCursors, group: string, topic: string): Promise<number | undefined> {
    const times = await cluster.timestamps(topic, await groupFirstUnread(cluster, group, topic));
    return times.size > 0 ? Math.min(...times.values()) : undefined;
}

async function firstUnreadOffsets(c: CursorRef, b: Brokers): Promise<Offsets> {
    const { cluster, topic } = kafkaSide(c, b);
    return await groupFirstUnread(cluster, c.owner, topic);
}

/** The publish time of a cursor's first unread message; undefined when it has read everything. */
async function firstUnreadTime(c: CursorRef, b: Brokers): Promise<number | undefined> {
    if (c.protocol === "pulsar") {
        return await pulsarOf(c, b).firstUnread(c.log.topic, c.owner);
    }
    const { cluster, topic } = kafkaSide(c, b);
    return await groupFirstUnreadTime(cluster, c.owner, topic);
}

/**
 * Where a cursor that continues `of` on another log starts, by publish time: their earliest first unread message
 * (now, where all have read everything), less the skew margin.
 */
async function continuationTime(of: CursorRef[], b: Brokers, now: () => number): Promise<number> {
    const times = (await Promise.all(of.map((x) => firstUnreadTime(x, b)))).filter((t): t is number => t !== undefined);
    return (times.length > 0 ? Math.min(...times) : now()) - SKEW_MARGIN_MS;
}

/** One handover. */
async function handOver(h: Handover, b: Brokers, now: () => number): Promise<StepRow> {
    const c = h.cursor;
    const key = cursorKey(c);
    const start = h.start;
    if (c.protocol === "pulsar") {
        const admin = pulsarOf(c, b);
        if (start.at === "end") {
            await admin.atEnd(c.log.topic, c.owner);
            return { cursor: key, ok: true, detail: "subscription at the end" };
        }
        const at = await continuationTime(start.of, b, now);
        await admin.atTime(c.log.topic, c.owner, at);
        return { cursor: key, ok: true, detail: `subscription reset to ${new Date(at).toISOString()} (first unread of ${start.of.map(cursorKey).join(", ")} less ${SKEW_MARGIN_MS} ms)` };
    }
    const { cluster, topic, label } = kafkaSide(c, b);
    let target: Offsets;
    let why: string;
    if (start.at === "end") {
        target = await cluster.ends(topic);
        why = "the end";
    } else if (start.of.every((x) => x.protocol === "kafka" && x.log.broker === c.log.broker && x.log.topic === c.log.topic)) {
        // The same Kafka-protocol log: the earliest committed offset per partition of the cursors it continues.
        const each = await Promise.all(start.of.map((x) => firstUnreadOffsets(x, b)));
        target = new Map([...(each[0] ?? new Map<number, number>()).keys()].map((p) => [p, Math.min(...each.map((o) => o.get(p) ?? 0))]));
        why = `the first unread offsets of ${start.of.map(cursorKey).join(", ")}`;
    } else {
        const at = await continuationTime(start.of, b, now);
        target = await cluster.offsetsAt(topic, at);
        why = `the first message at or after ${new Date(at).toISOString()} (first unread of ${start.of.map(cursorKey).join(", ")} less ${SKEW_MARGIN_MS} ms)`;
    }
    if (await cluster.active(c.owner)) {
        // Kafka sets a group's offsets only while it has no members. A group in use for another stream keeps the
        // offsets it has on this topic if none is past the target; otherwise the handover cannot be made safe now.
        const has = await cluster.committed(c.owner, topic);
        const ahead = [...target].filter(([p, o]) => (has.get(p) ?? Number.POSITIVE_INFINITY) > o);
        if (ahead.length === 0) {
            return { cursor: key, ok: true, detail: `${label} group in use (${(h.groupInUse ?? []).join(", ") || "members connected"}); its offsets ${describe(has)} are not past ${why}: kept` };
        }
        return {
            cursor: key,
            ok: false,
            detail: `${label} group ${c.owner} has members, and its offsets on ${topic} (${describe(has) || "none"}) are past ${why} (${describe(target)}): stop its consumers or wait until they leave, then run the handover again`,
        };
    }
    await cluster.set(c.owner, topic, target);
    return { cursor: key, ok: true, detail: `${label} group offsets on ${topic} set to ${describe(target)} (${why})` };
}

/**
 * Runs every handover; a failed one does not stop the others (each row says what happened). The cursors of one
 * consumer group on one cluster (or one subscription) are set one after the other, different ones concurrently:
 * setting a group's offsets joins the group, which takes seconds.
 */
export async function handover(handovers: Handover[], b: Brokers, now: () => number = Date.now): Promise<StepRow[]> {
    const owner = (h: Handover) => `${h.cursor.protocol}|${h.cursor.protocol === "kafka" ? h.cursor.log.broker : h.cursor.log.topic}|${h.cursor.owner}`;
    const byOwner = new Map<string, Handover[]>();
    for (const h of handovers) {
        byOwner.set(owner(h), [...(byOwner.get(owner(h)) ?? []), h]);
    }
    const results = new Map<Handover, StepRow>();
    await Promise.all(
        [...byOwner.values()].map(async (list) => {
            for (const h of list) {
                try {
                    results.set(h, await handOver(h, b, now));
                } catch (err) {
                    results.set(h, { cursor: cursorKey(h.cursor), ok: false, detail: (err as Error).message });
                }
            }
        }),
    );
    return handovers.map((h) => results.get(h) as StepRow);
}

/** What a drain check remembers between polls: the end each drained log had when the check started. */
export type DrainMarks = Map<string, Offsets>;

/** Takes the marks: everything on a drained log up to now must be read before settle. */
export async function drainMarks(drains: DrainCheck[], b: Brokers): Promise<DrainMarks> {
    const marks: DrainMarks = new Map();
    for (const d of drains) {
        if (d.cursor.protocol === "kafka") {
            const { cluster, topic } = kafkaSide(d.cursor, b);
            marks.set(cursorKey(d.cursor), await cluster.ends(topic));
        } else if (d.quiescent) {
            marks.set(cursorKey(d.cursor), await pulsarOf(d.cursor, b).written(d.cursor.log.topic));
        }
    }
    return marks;
}

/**
 * One poll of every drain: a Kafka-protocol group has committed at least the marks (the lag per partition is
 * reported); a Pulsar subscription has no backlog.
 */
export async function drainCheck(drains: DrainCheck[], b: Brokers, marks: DrainMarks): Promise<StepRow[]> {
    const rows: StepRow[] = [];
    for (const d of drains) {
        const c = d.cursor;
        const key = cursorKey(c);
        try {
            if (c.protocol === "pulsar") {
                const admin = pulsarOf(c, b);
                if (d.quiescent) {
                    // An abandoned log, as on Kafka: read to its end, and that end has not moved since the last poll
                    // (a backlog of 0 alone can be a reader keeping up with a writer that is still at it).
                    const written = await admin.written(c.log.topic);
                    const mark = marks.get(key);
                    marks.set(key, written);
                    if (!mark || [...written].some(([p, n]) => n !== mark.get(p))) {
                        rows.push({ cursor: key, ok: false, detail: mark ? `still written since the last check (${describe(mark)} -> ${describe(written)})` : "first check: its end is taken; the next one tells whether it still moves" });
                        continue;
                    }
                }
                const backlog = await admin.backlog(c.log.topic, c.owner);
                rows.push({ cursor: key, ok: backlog === 0, detail: backlog === undefined ? "no such subscription" : `backlog ${backlog}` });
                continue;
            }
            const { cluster, topic } = kafkaSide(c, b);
            const committed = await cluster.committed(c.owner, topic);
            const mark = marks.get(key) ?? (await cluster.ends(topic));
            if (d.quiescent) {
                // An abandoned log: the requests in flight at the switch may still write it; it is drained once its end
                // has not moved since the last poll and everything up to it is read.
                const ends = await cluster.ends(topic);
                marks.set(key, ends);
                const moved = [...ends].filter(([p, e]) => e !== mark.get(p));
                if (moved.length > 0) {
                    rows.push({ cursor: key, ok: false, detail: `still written since the last check (${describe(mark)} -> ${describe(ends)})` });
                    continue;
                }
            }
            const lag = [...mark].map(([p, end]) => [p, Math.max(0, end - (committed.get(p) ?? 0))] as const).filter(([, l]) => l > 0);
            rows.push({ cursor: key, ok: lag.length === 0, detail: lag.length === 0 ? `read past the mark (${describe(mark)})` : `lag ${lag.map(([p, l]) => `${p}:${l}`).join(" ")} behind the mark` });
        } catch (err) {
            rows.push({ cursor: key, ok: false, detail: (err as Error).message });
        }
    }
    return rows;
}
