/**
 * A model of a transition, to prove its choreography loses nothing (topology/choreography.ts): per stream, its logs
 * (entries with publish times), the cursors on them, every service's pods, and the relays (sinks, mirrors) each
 * staged plan runs, driven by a seeded random schedule. Pods roll one by one in any order, old and new overlapping;
 * readers restart at random and read again what they had not committed (at-least-once). At the end every consumer
 * must have processed every message of the stream at least once; extra deliveries are counted as duplicates. Pure and
 * deterministic for a given seed.
 *
 * What the model takes from the real systems:
 * - a cursor nothing positioned starts where the client starts a new one: at the end for a service's Kafka/KoP group
 *   (kafkajs `fromBeginning: false`) or Pulsar subscription (the client's SubscriptionInitialPosition.Latest), at the
 *   start for Function Mesh's Functions, sinks and sources (their CRs say `earliest`);
 * - a dual-published message reaches Kafka and Pulsar with publish times a little apart (each broker or client stamps
 *   its own copy), a relayed copy is stamped when it is copied, and the handover positions by publish time less a
 *   margin larger than that skew (Kafka ListOffsets by timestamp, Pulsar reset-cursor by time), or by offset on the
 *   same Kafka log;
 * - a Kafka group's offsets cannot be set while it has members: such a handover keeps an earlier offset the group has.
 * `naive` runs the transition as one update with no handover, mirror or drain: what the platform did before.
 */
import { cursorKey, logKey, sameLog, streamSide, type Choreography, type CursorRef, type LogRef, type Relay, type StartPosition, type StreamChoreography, type StreamSide } from "./choreography";
import type { MirrorPlan, Topology } from "./model";

export interface ModelResult {
    stream: string;
    produced: number;
    /** Per consumer service: messages it never processed. */
    lost: Record<string, number>;
    /** Per consumer service: deliveries beyond the first. */
    duplicates: Record<string, number>;
    /** What went wrong, for a failure's message. */
    notes: string[];
}

export interface ModelOptions {
    seed: number;
    /** Pods per service. @default 2 */
    pods?: number;
    /** Random events between two pod replacements. @default 12 */
    burst?: number;
    /** One update, no handover, mirror or drain (the choreography this one replaced). */
    naive?: boolean;
}

/** The plans a transition deploys, in order: prepare and switch (absent for a one-update transition), then the target. */
export interface TransitionPlans {
    source: Topology;
    prepare?: Topology;
    switch?: Topology;
    target: Topology;
}

/** Publish-time skew between the two copies of a dual-published message, and the handover's margin (> skew). */
const SKEW = 2;
const MARGIN = 5;
const RESTART_CHANCE = 0.15;

/** mulberry32: the same seed gives the same schedule. Exported for the drill. */
export function seededRandom(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

interface Entry {
    id: number;
    ts: number;
}

interface Reader {
    owner: string;
    cursors: CursorRef[];
    /** A relay's target: what it reads is copied there. */
    relayTo?: LogRef;
}

class World {
    readonly logs = new Map<string, Entry[]>();
    readonly committed = new Map<string, number>();
    readonly readAhead = new Map<string, number>();
    readonly processed = new Map<string, Map<number, number>>();
    readonly produced = new Set<number>();
    clock = 0;
    private nextId = 1;

    constructor(private readonly pick: () => number, private readonly startsAtBeginning: (c: CursorRef) => boolean) {}

    log(l: LogRef): Entry[] {
        let entries = this.logs.get(logKey(l));
        if (!entries) {
            entries = [];
            this.logs.set(logKey(l), entries);
        }
        return entries;
    }

    end(l: LogRef): number {
        return this.log(l).length;
    }

    /** One message: a copy to each Kafka log written, and to one of the Pulsar logs (a tenant's, or the shared one). */
    produce(writes: LogRef[]): void {
        const pulsar = writes.filter((l) => l.broker === "pulsar");
        const targets = [...writes.filter((l) => l.broker === "kafka"), ...(pulsar.length > 0 ? [pulsar[Math.floor(this.pick() * pulsar.length)] as LogRef] : [])];
        if (targets.length === 0) {
            return;
        }
        const id = this.nextId++;
        this.produced.add(id);
        for (const t of targets) {
            const skew = targets.length > 1 ? Math.round((this.pick() * 2 - 1) * SKEW) : 0;
            this.log(t).push({ id, ts: this.clock + skew });
        }
    }

    exists(c: CursorRef): boolean {
        return this.committed.has(cursorKey(c));
    }

    /** The next position of a cursor; a cursor nothing created starts where its client starts one. */
    position(c: CursorRef): number {
        const k = cursorKey(c);
        if (!this.committed.has(k)) {
            this.committed.set(k, this.startsAtBeginning(c) ? 0 : this.end(c.log));
        }
        return this.readAhead.get(k) ?? (this.committed.get(k) as number);
    }

    committedOf(c: CursorRef): number {
        return this.committed.get(cursorKey(c)) ?? this.end(c.log);
    }

    set(c: CursorRef, at: number): void {
        this.committed.set(cursorKey(c), at);
        this.readAhead.delete(cursorKey(c));
    }

    /** A reader takes the next message of one of its cursors: processed, or copied; not yet committed. */
    step(r: Reader): void {
        const ready = r.cursors.filter((c) => this.position(c) < this.end(c.log));
        if (ready.length === 0) {
            return;
        }
        const c = ready[Math.floor(this.pick() * ready.length)] as CursorRef;
        const at = this.position(c);
        const entry = this.log(c.log)[at] as Entry;
        this.readAhead.set(cursorKey(c), at + 1);
        if (r.relayTo) {
            this.log(r.relayTo).push({ id: entry.id, ts: this.clock });
            return;
        }
        const seen = this.processed.get(r.owner) ?? new Map<number, number>();
        seen.set(entry.id, (seen.get(entry.id) ?? 0) + 1);
        this.processed.set(r.owner, seen);
    }

    commit(r: Reader): void {
        for (const c of r.cursors) {
            const ahead = this.readAhead.get(cursorKey(c));
            if (ahead !== undefined) {
                this.committed.set(cursorKey(c), ahead);
                this.readAhead.delete(cursorKey(c));
            }
        }
    }

    /** A restart: what was read and not committed is read again. */
    restart(r: Reader): void {
        for (const c of r.cursors) {
            this.readAhead.delete(cursorKey(c));
        }
    }

    backlog(c: CursorRef): number {
        return this.end(c.log) - this.committedOf(c);
    }

    /** Where `npm run handover` puts a cursor. */
    handover(cursor: CursorRef, start: StartPosition, groupInUse: boolean): number {
        let at: number;
        if (start.at === "end") {
            at = this.end(cursor.log);
        } else if (start.of.every((c) => sameLog(c.log, cursor.log) && c.protocol === "kafka" && cursor.protocol === "kafka")) {
            at = Math.min(...start.of.map((c) => this.committedOf(c)));
        } else {
            // By publish time: the earliest first-unread message of the cursors, less the margin.
            const times = start.of.map((c) => this.log(c.log)[this.committedOf(c)]?.ts ?? this.clock);
            const from = Math.min(...times) - MARGIN;
            const i = this.log(cursor.log).findIndex((e) => e.ts >= from);
            at = i === -1 ? this.end(cursor.log) : i;
        }
        if (groupInUse && this.exists(cursor)) {
            // Kafka refuses to set the offsets of a group with members: the tool keeps an earlier offset it has.
            return Math.min(this.committedOf(cursor), at);
        }
        return at;
    }
}

export function mirrorRelay(m: MirrorPlan): Relay {
    return m.direction === "kafka-to-pulsar"
        ? { name: m.name, kind: "mirror", stream: m.stream, from: { owner: m.name, log: { broker: "kafka", topic: m.kafkaTopic }, protocol: "kafka" }, to: { broker: "pulsar", topic: m.pulsarTopic } }
        : { name: m.name, kind: "mirror", stream: m.stream, from: { owner: m.name, log: { broker: "pulsar", topic: m.pulsarTopic }, protocol: "pulsar" }, to: { broker: "kafka", topic: m.kafkaTopic } };
}

/** The relays a plan runs for a stream: its sinks and mirrors. Exported for the drill. */
export function relaysOf(t: Topology, stream: string): Relay[] {
    return [...streamSide(t, stream).sinks, ...t.mirrors.filter((m) => m.stream === stream).map(mirrorRelay)];
}

/** Simulates one stream through the transition. Pure; the same seed gives the same run. */
export function simulateStream(plans: TransitionPlans, c: StreamChoreography, opts: ModelOptions): ModelResult {
    const pick = seededRandom(opts.seed);
    const pods = opts.pods ?? 2;
    const burst = opts.burst ?? 12;
    const naive = opts.naive === true;
    const functionOwners = new Set([...plans.source.functions, ...plans.target.functions, ...(plans.switch?.functions ?? [])].map((f) => f.service));
    const connectors = new Set([...relaysOf(plans.source, c.stream), ...relaysOf(plans.target, c.stream), ...(plans.switch ? relaysOf(plans.switch, c.stream) : [])].map((r) => r.name));
    // A Function's subscription belongs to the env that runs the matcher as a Function.
    const w = new World(pick, (cursor) => connectors.has(cursor.owner) || (cursor.protocol === "pulsar" && functionOwners.has(cursor.owner)));
    const sides: Record<"from" | "to", StreamSide> = { from: c.from, to: c.to };
    const services = [...new Set([...Object.keys(c.from.writes), ...Object.keys(c.from.reads), ...Object.keys(c.to.writes), ...Object.keys(c.to.reads)])].sort();
    const env = new Map<string, ("from" | "to")[]>(services.map((s) => [s, Array.from({ length: pods }, () => "from" as const)]));
    const settleMovers = new Set(naive ? [] : (plans.switch?.transition?.settleMovers ?? []));
    let relays: Relay[] = relaysOf(plans.source, c.stream);
    // Tenant writes of services still on their source env once the tenant router has moved: only what is in flight.
    const inFlight = new Map<string, number>();

    const readersOf = (s: string): Reader[] =>
        [...new Set(env.get(s))].map((e) => ({ owner: s, cursors: sides[e].reads[s] ?? [] })).filter((r) => r.cursors.length > 0);
    const relayReaders = (): Reader[] => relays.map((r) => ({ owner: r.name, cursors: [r.from], relayTo: r.to }));
    const allReaders = () => [...services.flatMap(readersOf), ...relayReaders()];
    let producing = true;

    const event = () => {
        w.clock++;
        const actions: (() => void)[] = [];
        if (producing) {
            for (const s of services) {
                for (const e of env.get(s) ?? []) {
                    const writes = sides[e].writes[s] ?? [];
                    if (writes.length === 0) {
                        continue;
                    }
                    const budget = inFlight.get(s);
                    if (e === "from" && budget !== undefined) {
                        const shared = writes.filter((l) => (c.to.writes[s] ?? []).some((x) => sameLog(x, l)));
                        actions.push(() => {
                            if (budget > 0) {
                                inFlight.set(s, budget - 1);
                                w.produce(writes);
                            } else {
                                w.produce(shared);
                            }
                        });
                        continue;
                    }
                    actions.push(() => w.produce(writes));
                }
            }
        }
        for (const r of allReaders()) {
            actions.push(() => w.step(r), () => w.commit(r));
            if (pick() < RESTART_CHANCE) {
                actions.push(() => w.restart(r));
            }
        }
        if (actions.length > 0) {
            (actions[Math.floor(pick() * actions.length)] as () => void)();
        }
    };
    const run = (n: number) => {
        for (let i = 0; i < n; i++) {
            event();
        }
    };
    /** Traffic goes on; every reader also makes progress each round. */
    const until = (done: () => boolean, limit: number) => {
        for (let i = 0; i < limit && !done(); i++) {
            event();
            for (const r of allReaders()) {
                w.step(r);
                w.commit(r);
            }
        }
        return done();
    };
    const roll = (which: (s: string) => boolean) => {
        const order = services.filter(which).flatMap((s) => Array.from({ length: pods }, (_, i) => [s, i] as const));
        for (let i = order.length - 1; i > 0; i--) {
            const j = Math.floor(pick() * (i + 1));
            [order[i], order[j]] = [order[j] as (typeof order)[number], order[i] as (typeof order)[number]];
        }
        for (const [s, i] of order) {
            run(Math.floor(pick() * burst));
            (env.get(s) as ("from" | "to")[])[i] = "to";
            // The replaced pod's uncommitted reads are delivered again to the group.
            for (const r of readersOf(s)) {
                w.restart(r);
            }
        }
    };
    const notes: string[] = [];

    // The source's steady state: every cursor and relay it has exists from the start; a backlog builds up.
    for (const s of services) {
        for (const cursor of c.from.reads[s] ?? []) {
            w.set(cursor, 0);
        }
    }
    for (const r of relays) {
        w.set(r.from, 0);
    }
    run(burst * 3);

    if (naive) {
        relays = relaysOf(plans.target, c.stream);
        roll(() => true);
    } else {
        if (!plans.prepare || !plans.switch) {
            throw new Error(`simulateStream: the staged run of ${c.stream} needs the prepare and switch plans`);
        }
        // prepare: the source's workloads keep running on the union of both sides.
        relays = relaysOf(plans.prepare, c.stream);
        run(burst * 2);
        // npm run handover
        const usedGroups = new Set(c.handovers.filter((h) => h.groupInUse).map((h) => cursorKey(h.cursor)));
        for (const h of c.handovers) {
            w.set(h.cursor, w.handover(h.cursor, h.start, usedGroups.has(cursorKey(h.cursor))));
        }
        // switch: the mirrors and new sinks start; services roll, except those that drain an abandoned log.
        relays = relaysOf(plans.switch, c.stream);
        roll((s) => !settleMovers.has(s));
        // A settle mover still on its source env writes a tenant's topics only for the requests already in flight.
        for (const s of settleMovers) {
            if ((c.from.writes[s] ?? []).some((l) => !(c.to.writes[s] ?? []).some((x) => sameLog(x, l)))) {
                inFlight.set(s, 3);
            }
        }
        // npm run drain-check: each drain's cursor has read what was written before the switch completed, and
        // nothing writes an abandoned log any more.
        const marks = new Map(c.drains.map((d) => [cursorKey(d.cursor), w.end(d.cursor.log)]));
        const drained = until(
            () => c.drains.every((d) => w.committedOf(d.cursor) >= (marks.get(cursorKey(d.cursor)) as number)) && [...inFlight.values()].every((b) => b <= 0) && c.drains.filter((d) => !connectors.has(d.cursor.owner)).every((d) => w.backlog(d.cursor) === 0),
            2_000,
        );
        if (!drained) {
            notes.push("the drain check never passed");
        }
        // settle
        relays = relaysOf(plans.target, c.stream);
        roll((s) => settleMovers.has(s));
        inFlight.clear();
    }
    run(burst * 2);
    // Traffic stops; everything still readable is read.
    producing = false;
    until(() => allReaders().every((r) => r.cursors.every((x) => w.backlog(x) === 0)), 50_000);

    const lost: Record<string, number> = {};
    const duplicates: Record<string, number> = {};
    for (const s of Object.keys(c.to.reads)) {
        const seen = w.processed.get(s) ?? new Map<number, number>();
        const missing = [...w.produced].filter((id) => !seen.has(id));
        lost[s] = missing.length;
        duplicates[s] = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
        if (missing.length > 0) {
            notes.push(`${s} never processed ${missing.length} of ${w.produced.size} (ids ${missing.slice(0, 5).join(", ")})`);
        }
    }
    return { stream: c.stream, produced: w.produced.size, lost, duplicates, notes };
}

/** Every stream of a transition, one seed. */
export function simulateTransition(plans: TransitionPlans, ch: Choreography, opts: ModelOptions): ModelResult[] {
    return ch.streams.map((s) => simulateStream(plans, s, opts));
}
