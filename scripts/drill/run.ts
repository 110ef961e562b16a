/**
 * The drill: the local stack's bumps and rollbacks (by default 0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0) under a steady load,
 * each run as the operator runs it (docs/runbooks.md): prepare (the target's topics exist; nothing moves), `handover`
 * (the same code as `npm run handover`), switch (the overlap's relays start; every service's pods are replaced one by
 * one, new pod ready before the old one stops, one pod crashing without committing), `drain-check` (the same code as
 * `npm run drain-check`, polled until it passes), settle (relays the target does not run stop; the services that
 * drained an abandoned log move). Then the load stops and each stream's consumers read what is left; every message
 * produced in the transition is looked for at every consumer the target plan names.
 *
 * Pulsar is a real Apache Pulsar broker (its admin API for the handover and the drain check, on partitioned
 * topics); what stands in for KoP and for the connector runtime is in scripts/drill/stand-ins.ts.
 */
import { performance } from "node:perf_hooks";
import {
    planChoreography,
    relaysOf,
    seededRandom,
    stageTopology,
    streamSide,
    TENANT_ORCHESTRATOR_NAMESPACE,
    pulsarTopicParts,
    TENANT_ROUTERS,
    type LogRef,
    type Choreography,
    type GateName,
    type Relay,
    type StreamChoreography,
    type StreamSide,
    type Topology,
} from "../../topology";
import { kopDefaultNamespace } from "../smoke/probes";
import { KafkajsCursors, RestPulsarCursors } from "../transition/cursors";
import { drainCheck, drainMarks, handover, type Brokers } from "../transition/steps";
import { Clusters, Ledger, Pod, RelayRunner, type DrillMessage } from "./world";
import { PulsarSide } from "./pulsar-world";
import { RabbitWorld, type RabbitEndpoint } from "./rabbit-world";
import { kopAsNative } from "./stand-ins";

export interface DrillRow {
    /** The transition's number along the path (1 for the first). */
    step: number;
    transition: string;
    stream: string;
    /** The brokers the stream's logs are on in the transition (either side), or `rabbitmq` for a queue. */
    path: "kafka" | "pulsar" | "kafka+pulsar" | "rabbitmq";
    status: "passed" | "failed";
    produced: number;
    consumed: number;
    lost: number;
    duplicated: number;
    worstLatencyMs?: number;
    /** The relays that ran in the overlap (sinks, mirrors), and what was never delivered. */
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
    /** Kafka's bootstrap servers, and the Pulsar broker's web service (admin and WebSocket APIs) and cluster. */
    brokers: { kafka: string; pulsar: { webUrl: string; clusterName: string } };
    rabbit?: { endpoint: RabbitEndpoint; exchange: string };
    /**
     * Each transition as the one update the platform ran before the staged choreography: no handover, no overlap
     * mirror, no drain; the target's relays and env at once. For comparison: it is expected to lose messages.
     */
    oneUpdate?: boolean;
    log?: (line: string) => void;
}

/** The brokers a stream's logs are on, on either side of a transition. */
function pathOf(c: StreamChoreography): DrillRow["path"] {
    const logs = [c.from, c.to].flatMap((s) => [...Object.values(s.writes).flat(), ...Object.values(s.reads).flat().map((x) => x.log)]);
    const on = new Set(logs.map((l) => l.broker));
    return on.has("kafka") && on.has("pulsar") ? "kafka+pulsar" : on.has("pulsar") ? "pulsar" : "kafka";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The tenant namespace (`<tenant>/orchestrator`, seed 000 phase III) of a Pulsar log; undefined for any other log. */
function tenantNamespace(l: LogRef): string | undefined {
    const namespace = l.broker === "pulsar" ? pulsarTopicParts(l.topic).namespace : undefined;
    return namespace?.endsWith(`/${TENANT_ORCHESTRATOR_NAMESPACE}`) ? namespace : undefined;
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
    const started = performance.now();
    const log = o.log ?? (() => {});
    const pick = seededRandom(o.seed);
    const first = o.planAt(o.path[0] as number);
    const kopNamespace = kopDefaultNamespace(first);
    const clusters = new Clusters(o.brokers.kafka, new PulsarSide(o.brokers.pulsar.webUrl, o.brokers.pulsar.clusterName));
    const ledger = new Ledger();
    const kafkaCursors = new KafkajsCursors(o.brokers.kafka, { timeoutMs: 5000, clientId: "drill-handover" });
    const brokers: Brokers = { kafka: kafkaCursors, pulsar: new RestPulsarCursors(o.brokers.pulsar.webUrl, { timeoutMs: 10_000 }), kopNamespace };
    const rows: DrillRow[] = [];
    const problems: string[] = [];
    const rabbit = o.rabbit ? new RabbitWorld(o.rabbit.endpoint, first.rabbitmq, o.rabbit.exchange, ledger) : undefined;

    const pods = new Map<string, Pod[]>();
    const relays = new Map<string, RelayRunner>();
    let transition = 0;
    let streams: string[] = [];
    let producing = false;
    const seq = new Map<string, number>();

    const envOf = (t: Topology, streams: string[]) => new Map<string, StreamSide>(streams.map((s) => [s, streamSide(t, s)]));
    const createTopics = async (t: Topology) => {
        const k = clusters.kafka.admin();
        await k.connect();
        try {
            await k.createTopics({ waitForLeaders: true, topics: (t.kafka?.topics ?? []).map((x) => ({ topic: x.name, numPartitions: x.partitions, replicationFactor: 1 })) });
        } finally {
            await k.disconnect();
        }
        for (const x of t.pulsar?.topics ?? []) {
            await clusters.pulsar.createTopic(x.name, x.partitions);
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
    /**
     * The tenant namespaces requests enter now: those the routers' pods write. A request's tenant is picked at ingress
     * and every service downstream follows it, so a tenant's logs are written only while a router still routes to
     * it (plus what is in flight, which the quiescent drain checks wait out).
     */
    const routed = () => new Set([...TENANT_ROUTERS].flatMap((r) => (pods.get(r) ?? []).flatMap((p) => [...p.env.keys()].flatMap((s) => p.writes(s).map(tenantNamespace)))).filter((x): x is string => x !== undefined));
    const load = async () => {
        while (producing) {
            const tick = performance.now();
            const tenants = routed();
            await Promise.all(
                streams.map(async (stream) => {
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
                        const pulsar = writes.filter((l) => l.broker === "pulsar" && (tenantNamespace(l) === undefined || tenants.has(tenantNamespace(l) as string)));
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
            streams = ch.streams.map((c) => c.stream);

            // prepare
            await createTopics(prepare);
            producing = true;
            const loading = load();
            await sleep(1500);
            if (o.oneUpdate) {
                log("  one update");
                await reconcileRelays(streams.flatMap((s) => relaysOf(b, s)));
                await Promise.all([roll([...pods.keys()], envOf(b, streams)), rabbit?.roll()]);
            } else {
                // npm run handover
                log("  handover");
                const handed = await handover(
                    ch.streams.flatMap((c) => c.handovers).map((h) => ({ ...h, cursor: kopAsNative(h.cursor), ...(h.start.at === "first-unread" ? { start: { at: "first-unread" as const, of: h.start.of.map(kopAsNative) } } : {}) })),
                    brokers,
                );
                for (const r of handed.filter((h) => !h.ok)) {
                    problems.push(`${name} handover ${r.cursor}: ${r.detail}`);
                }
                // switch
                log("  switch");
                await reconcileRelays(streams.flatMap((s) => relaysOf(switched, s)));
                const movers = new Set(switched.transition?.settleMovers ?? []);
                await Promise.all([roll([...pods.keys()].filter((s) => !movers.has(s)), envOf(b, streams)), rabbit?.roll()]);
                // npm run drain-check --wait
                log("  drain-check");
                const drains = ch.streams.flatMap((c) => c.drains).map((d) => ({ ...d, cursor: kopAsNative(d.cursor) }));
                const marks = await drainMarks(drains, brokers);
                await sleep(500);
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
                await reconcileRelays(streams.flatMap((s) => relaysOf(b, s)));
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
                rows.push({ step, transition: name, stream: c.stream, path: pathOf(c), status: "passed", produced: 0, consumed: 0, lost: 0, duplicated: 0, detail: (relayNames.get(c.stream) ?? []).join(", ") });
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
        await Promise.all([clusters.close(), kafkaCursors.close()]);
    }

    // Accounted at the end, so that a late redelivery counts in the transition that produced the message.
    for (const row of rows) {
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
    // A broker gone mid-run fails every publish after it: each problem once.
    return { rows, problems: [...new Set(problems)], seconds: Math.round((performance.now() - started) / 100) / 10 };
}
