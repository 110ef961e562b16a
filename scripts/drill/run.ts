/**
 * The drill: the local stack's bumps and rollbacks (by default 0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0) under a steady load,
 * each run as the operator runs it (docs/runbooks.md): prepare (the target's topics exist; nothing moves), `handover`
 * (the same code as `npm run handover`), switch (the overlap's relays start; every service's pods are replaced one by
 * one, new pod ready before the old one stops, one pod crashing without committing), `drain-check` (the same code as
 * `npm run drain-check`, polled until it passes), settle (relays the target does not run stop; the services that
 * drained an abandoned log move). Then the load stops and each stream's consumers read what is left; every message
 * produced in the transition is looked for at every consumer the target plan names.
 *
 * Streams whose services read natively from Pulsar (pulsar-client) need a Pulsar broker, which cannot run here: they
 * are reported as not run, with topology/choreography-model.ts covering them.
 */
import { performance } from "node:perf_hooks";
import {
    planChoreography,
    relaysOf,
    seededRandom,
    stageTopology,
    streamSide,
    type Choreography,
    type GateName,
    type Relay,
    type StreamChoreography,
    type StreamSide,
    type Topology,
} from "../../topology";
import { kopDefaultNamespace } from "../smoke/probes";
import { KafkajsCursors } from "../transition/cursors";
import { drainCheck, drainMarks, handover, type Brokers } from "../transition/steps";
import { Clusters, Ledger, Pod, RelayRunner, type DrillMessage } from "./kafka-world";
import { RabbitWorld, type RabbitEndpoint } from "./rabbit-world";
import { GroupBackedSubscriptions } from "./stand-ins";

export interface DrillRow {
    /** The transition's number along the path (1 for the first). */
    step: number;
    transition: string;
    stream: string;
    /** `kafka-protocol` (Kafka and KoP), `rabbitmq`, or the native Pulsar path that was not run. */
    path: "kafka-protocol" | "rabbitmq";
    status: "passed" | "failed" | "not run";
    produced: number;
    consumed: number;
    lost: number;
    duplicated: number;
    worstLatencyMs?: number;
    /** The relays that ran in the overlap (sinks, mirrors), or why the row was not run. */
    detail: string;
}

export interface DrillReport {
    rows: DrillRow[];
    /** Steps that did not pass (a handover, a drain check that timed out). */
    problems: string[];
    seconds: number;
}

export interface DrillOptions {
    /** The stack's plan at a phase (the stack file with the drill's brokers). */
    planAt: (phase: number) => Topology;
    gates: Record<GateName, boolean>;
    path: number[];
    pods: number;
    /** Messages per second per stream. */
    rate: number;
    seed: number;
    bootstrap: { kafka: string; pulsar: string };
    rabbit?: { endpoint: RabbitEndpoint; exchange: string };
    /**
     * Each transition as the one update the platform ran before the staged choreography: no handover, no overlap
     * mirror, no drain; the target's relays and env at once. For comparison: it is expected to lose messages.
     */
    oneUpdate?: boolean;
    log?: (line: string) => void;
}

/** Why a stream cannot run here: the services reading it natively from Pulsar, on either side. */
function nativeReaders(c: StreamChoreography): string[] {
    const sides = [c.from, c.to];
    return [...new Set(sides.flatMap((s) => Object.entries(s.reads).flatMap(([svc, cursors]) => cursors.filter((x) => x.protocol === "pulsar").map(() => svc))))].sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
    const started = performance.now();
    const log = o.log ?? (() => {});
    const pick = seededRandom(o.seed);
    const first = o.planAt(o.path[0] as number);
    const kopNamespace = kopDefaultNamespace(first);
    const clusters = new Clusters(o.bootstrap, kopNamespace);
    const ledger = new Ledger();
    const kafkaCursors = new KafkajsCursors(o.bootstrap.kafka, { timeoutMs: 5000, clientId: "drill-handover" });
    const kopCursors = new KafkajsCursors(o.bootstrap.pulsar, { timeoutMs: 5000, clientId: "drill-handover-kop" });
    const brokers: Brokers = { kafka: kafkaCursors, kop: kopCursors, pulsar: new GroupBackedSubscriptions(kopCursors, kopNamespace), kopNamespace };
    const rows: DrillRow[] = [];
    const problems: string[] = [];
    const rabbit = o.rabbit ? new RabbitWorld(o.rabbit.endpoint, first.rabbitmq, o.rabbit.exchange, ledger) : undefined;

    const pods = new Map<string, Pod[]>();
    const relays = new Map<string, RelayRunner>();
    let transition = 0;
    let runnable: string[] = [];
    let producing = false;
    const seq = new Map<string, number>();

    const envOf = (t: Topology, streams: string[]) => new Map<string, StreamSide>(streams.map((s) => [s, streamSide(t, s)]));
    const createTopics = async (t: Topology) => {
        const admin = (c: "kafka" | "pulsar") => clusters.clients[c].admin();
        const k = admin("kafka");
        const p = admin("pulsar");
        await Promise.all([k.connect(), p.connect()]);
        try {
            await k.createTopics({ waitForLeaders: true, topics: (t.kafka?.topics ?? []).map((x) => ({ topic: x.name, numPartitions: x.partitions, replicationFactor: 1 })) });
            await p.createTopics({ waitForLeaders: true, topics: (t.pulsar?.topics ?? []).map((x) => ({ topic: clusters.where({ broker: "pulsar", topic: x.name }).topic, numPartitions: x.partitions, replicationFactor: 1 })) });
        } finally {
            await Promise.all([k.disconnect(), p.disconnect()]);
        }
    };
    const reconcileRelays = async (want: Relay[]) => {
        const wanted = new Map(want.map((r) => [new RelayRunner(r).key, r]));
        for (const [key, runner] of relays) {
            if (!wanted.has(key)) {
                await runner.stop();
                relays.delete(key);
                log(`  relay ${runner.relay.name} stopped`);
            }
        }
        await Promise.all(
            [...wanted].filter(([key]) => !relays.has(key)).map(async ([key, r]) => {
                const runner = new RelayRunner(r);
                await runner.start(clusters);
                relays.set(key, runner);
                log(`  relay ${r.name} (${r.kind}) started: ${r.from.log.topic} -> ${r.to.broker}:${r.to.topic}`);
            }),
        );
    };
    /** Replaces each service's pods one by one (services in parallel, as Deployments roll); one pod crashes. */
    const roll = async (services: string[], env: Map<string, StreamSide>) => {
        let crash = Math.floor(pick() * Math.max(1, services.length * o.pods));
        await Promise.all(
            services.map(async (s) => {
                const list = pods.get(s) ?? [];
                for (let i = 0; i < list.length; i++) {
                    const fresh = new Pod(s, env);
                    await fresh.start(clusters, ledger);
                    const old = list[i] as Pod;
                    list[i] = fresh;
                    await old.stop(crash-- === 0);
                    await sleep(Math.floor(pick() * 300));
                }
                pods.set(s, list);
            }),
        );
    };
    const load = async () => {
        while (producing) {
            const tick = performance.now();
            await Promise.all(
                runnable.map(async (stream) => {
                    for (const [service, list] of pods) {
                        const pod = list[Math.floor(pick() * list.length)];
                        const writes = pod?.writes(stream) ?? [];
                        if (writes.length === 0) {
                            continue;
                        }
                        const id = (seq.get(stream) ?? 0) + 1;
                        seq.set(stream, id);
                        const m: DrillMessage = { stream, id, sentAt: Date.now(), transition };
                        const kafka = writes.filter((l) => l.broker === "kafka");
                        const pulsar = writes.filter((l) => l.broker === "pulsar");
                        const targets = [...kafka, ...(pulsar.length > 0 ? [pulsar[Math.floor(pick() * pulsar.length)]!] : [])];
                        try {
                            await Promise.all(targets.map((l) => clusters.send(l, JSON.stringify(m))));
                            ledger.produce(m);
                        } catch (err) {
                            problems.push(`t${transition} ${stream}: ${service} could not produce: ${(err as Error).message}`);
                        }
                    }
                }),
            );
            if (rabbit) {
                await rabbit.publish(transition).catch((err: Error) => problems.push(`t${transition} rabbitmq publish: ${err.message}`));
            }
            await sleep(Math.max(0, 1000 / o.rate - (performance.now() - tick)));
        }
    };

    try {
        // The first phase's steady state: its topics, relays and pods.
        await createTopics(first);
        const allStreams = first.routes.map((r) => r.stream);
        for (const s of new Set(allStreams.flatMap((x) => { const side = streamSide(first, x); return [...Object.keys(side.writes), ...Object.keys(side.reads)]; }))) {
            const list: Pod[] = [];
            for (let i = 0; i < o.pods; i++) {
                list.push(new Pod(s, envOf(first, allStreams)));
            }
            pods.set(s, list);
        }
        await Promise.all([...pods.values()].flat().map((p) => p.start(clusters, ledger)));
        await reconcileRelays(allStreams.flatMap((s) => relaysOf(first, s)));
        await rabbit?.start(o.pods);

        for (let step = 1; step < o.path.length; step++) {
            transition = step;
            const x = o.path[step - 1] as number;
            const y = o.path[step] as number;
            const name = `${x} -> ${y}`;
            log(`${name}`);
            const a = o.planAt(x);
            const b = o.planAt(y);
            const ch: Choreography = planChoreography(a, b);
            const prepare = stageTopology(a, b, "prepare", o.gates, ch);
            const switched = stageTopology(a, b, "switch", o.gates, ch);
            const notRun = new Map(ch.streams.map((c) => [c.stream, nativeReaders(c)]).filter(([, r]) => (r as string[]).length > 0) as [string, string[]][]);
            runnable = ch.streams.map((c) => c.stream).filter((s) => !notRun.has(s));
            const streams = ch.streams.map((c) => c.stream);

            // prepare
            await createTopics(prepare);
            producing = true;
            const loading = load();
            await sleep(1500);
            if (o.oneUpdate) {
                log("  one update");
                await reconcileRelays(streams.flatMap((s) => relaysOf(b, s)).filter((r) => runnable.includes(r.stream)));
                await Promise.all([roll([...pods.keys()], envOf(b, streams)), rabbit?.roll()]);
            } else {
                // npm run handover
                log("  handover");
                const handed = await handover(ch.streams.filter((c) => runnable.includes(c.stream)).flatMap((c) => c.handovers), brokers);
                for (const r of handed.filter((h) => !h.ok)) {
                    problems.push(`${name} handover ${r.cursor}: ${r.detail}`);
                }
                // switch
                log("  switch");
                await reconcileRelays(streams.flatMap((s) => relaysOf(switched, s)).filter((r) => runnable.includes(r.stream)));
                const movers = new Set(switched.transition?.settleMovers ?? []);
                await Promise.all([roll([...pods.keys()].filter((s) => !movers.has(s)), envOf(b, streams)), rabbit?.roll()]);
                // npm run drain-check --wait
                log("  drain-check");
                const drains = ch.streams.filter((c) => runnable.includes(c.stream)).flatMap((c) => c.drains);
                const marks = await drainMarks(drains, brokers);
                let drained = await drainCheck(drains, brokers, marks);
                for (let i = 0; i < 120 && !drained.every((r) => r.ok); i++) {
                    await sleep(500);
                    drained = await drainCheck(drains, brokers, marks);
                }
                for (const r of drained.filter((d) => !d.ok)) {
                    problems.push(`${name} drain ${r.cursor}: ${r.detail}`);
                }
                // settle
                log("  settle");
                await reconcileRelays(streams.flatMap((s) => relaysOf(b, s)).filter((r) => runnable.includes(r.stream)));
                await roll([...pods.keys()].filter((s) => movers.has(s)), envOf(b, streams));
            }
            await sleep(1000);
            producing = false;
            await loading;
            // Everything produced is read: wait until no delivery for 4 s.
            for (let i = 0; i < 120 && Date.now() - ledger.lastDelivery < 4000; i++) {
                await sleep(250);
            }
            const relayNames = new Map<string, string[]>();
            for (const r of streams.flatMap((s) => relaysOf(o.oneUpdate ? b : switched, s))) {
                relayNames.set(r.stream, [...(relayNames.get(r.stream) ?? []), `${r.kind} ${r.name}`]);
            }
            for (const c of ch.streams) {
                const readers = notRun.get(c.stream);
                if (readers) {
                    rows.push({ step, transition: name, stream: c.stream, path: "kafka-protocol", status: "not run", produced: 0, consumed: 0, lost: 0, duplicated: 0, detail: `native Pulsar consumers (${readers.join(", ")}): no Pulsar broker here; the model covers it` });
                    continue;
                }
                rows.push({ step, transition: name, stream: c.stream, path: "kafka-protocol", status: "passed", produced: 0, consumed: 0, lost: 0, duplicated: 0, detail: (relayNames.get(c.stream) ?? []).join(", ") });
            }
            for (const q of rabbit?.queues() ?? []) {
                rows.push({ step, transition: name, stream: `queue:${q}`, path: "rabbitmq", status: "passed", produced: 0, consumed: 0, lost: 0, duplicated: 0, detail: "consumers rolled, one crash before its ack" });
            }
        }
    } finally {
        producing = false;
        for (const r of relays.values()) {
            await r.stop();
        }
        await Promise.all([...pods.values()].flat().map((p) => p.stop()));
        await rabbit?.stop();
        await Promise.all([clusters.close(), kafkaCursors.close(), kopCursors.close()]);
    }

    // Accounted at the end, so that a late redelivery counts in the transition that produced the message.
    for (const row of rows.filter((r) => r.status !== "not run")) {
        const t = row.step;
        const to = o.planAt(o.path[t] as number);
        const consumers = row.path === "rabbitmq" ? [row.stream] : Object.keys(streamSide(to, row.stream).reads);
        const a = ledger.account(t, row.stream, consumers);
        Object.assign(row, { produced: a.produced, consumed: a.consumed, lost: a.lost, duplicated: a.duplicated, worstLatencyMs: ledger.worst.get(Ledger.key(t, row.stream)) ?? 0 });
        row.status = a.lost > 0 || a.produced === 0 ? "failed" : "passed";
        if (a.lost > 0) {
            row.detail = `${row.detail}${row.detail ? "; " : ""}never delivered to ${Object.entries(a.missing).map(([c, n]) => `${c} (${n})`).join(", ")}`;
        } else if (a.produced === 0) {
            row.detail = `${row.detail}${row.detail ? "; " : ""}no message produced`;
        }
    }
    return { rows, problems, seconds: Math.round((performance.now() - started) / 100) / 10 };
}
