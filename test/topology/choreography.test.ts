/**
 * Proof 1 of zero-loss bumps (issue 14): every adjacent transition, rollback and gate change of every stack's plan,
 * run through the model of topology/choreography-model.ts under seeded interleavings (rolling pods in any order,
 * restarts mid-way), loses no message; the one-update choreography the platform had before loses some.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    cursorKey,
    planChoreography,
    plan,
    simulateTransition,
    stageTopology,
    validateConfig,
    type Choreography,
    type ModelResult,
    type Topology,
    type TransitionPlans,
} from "../../topology";
import { editRaw, STACKS, type StackName } from "../support/stacks";

type Gates = { auditParity: boolean; lifecycleParity: boolean };

const planAt = (stack: StackName, phase: number, gates?: Gates): Topology =>
    plan(
        validateConfig(
            editRaw(stack, (v) => {
                v.phase = phase;
                if (gates) {
                    v.gates = gates;
                }
            }),
        ),
    );

const NO_GATES: Gates = { auditParity: false, lifecycleParity: false };

function transitionPlans(a: Topology, b: Topology, fromGates: Gates): { plans: TransitionPlans; ch: Choreography } {
    const ch = planChoreography(a, b);
    return { ch, plans: { source: a, prepare: stageTopology(a, b, "prepare", fromGates, ch), switch: stageTopology(a, b, "switch", fromGates, ch), target: b } };
}

const lostOf = (results: ModelResult[]) => results.reduce((sum, r) => sum + Object.values(r.lost).reduce((x, y) => x + y, 0), 0);
const failures = (results: ModelResult[]) => results.filter((r) => r.notes.length > 0).map((r) => `${r.stream}: ${r.notes.join("; ")}`);

const STEPS: [number, number][] = [
    [0, 1],
    [1, 2],
    [2, 3],
    [3, 2],
    [2, 1],
    [1, 0],
];

/** Gate approvals and revocations at the phases where the gates decide something (seed 002: parity gates). */
const GATE_CHANGES: [number, Gates, Gates][] = [
    [3, NO_GATES, { auditParity: true, lifecycleParity: false }],
    [3, { auditParity: true, lifecycleParity: false }, NO_GATES],
    [3, { auditParity: true, lifecycleParity: false }, { auditParity: true, lifecycleParity: true }],
    [3, { auditParity: true, lifecycleParity: true }, { auditParity: true, lifecycleParity: false }],
];

describe("the choreography loses nothing (model, property over interleavings)", () => {
    for (const stack of STACKS) {
        for (const [x, y] of STEPS) {
            it(`${stack}: ${x} -> ${y}`, () => {
                const { plans, ch } = transitionPlans(planAt(stack, x), planAt(stack, y), NO_GATES);
                expect(ch.trivial).toBe(false);
                fc.assert(
                    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 3 }), (seed, pods) => {
                        const results = simulateTransition(plans, ch, { seed, pods });
                        expect(failures(results)).toEqual([]);
                        expect(results.every((r) => r.produced > 0)).toBe(true);
                    }),
                    { numRuns: 25, seed: 14 },
                );
            });
        }
        for (const [phase, from, to] of GATE_CHANGES) {
            it(`${stack}: gates ${JSON.stringify(from)} -> ${JSON.stringify(to)} at phase ${phase}`, () => {
                const { plans, ch } = transitionPlans(planAt(stack, phase, from), planAt(stack, phase, to), from);
                // A gate change at phase 3 moves its stream: the model has something to prove.
                expect(ch.trivial).toBe(false);
                fc.assert(
                    fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
                        expect(failures(simulateTransition(plans, ch, { seed }))).toEqual([]);
                    }),
                    { numRuns: 15, seed: 14 },
                );
            });
        }
    }
});

describe("gates before phase 3", () => {
    it.each(STACKS)("%s: approving both gates at phase 2 moves no stream, so it is one update without stages", (stack) => {
        expect(planChoreography(planAt(stack, 2), planAt(stack, 2, { auditParity: true, lifecycleParity: true })).trivial).toBe(true);
    });
});

describe("a broken choreography fails the model", () => {
    /** Over 20 seeds, the messages the choreography loses. */
    const lossOver = (plans: TransitionPlans, ch: Choreography, naive = false) => {
        let lost = 0;
        for (let seed = 1; seed <= 20; seed++) {
            lost += lostOf(simulateTransition(plans, ch, { seed, naive }));
        }
        return lost;
    };

    it.each(STEPS)("the one-update bump the platform had before loses messages on local %s -> %s", (x, y) => {
        const { plans, ch } = transitionPlans(planAt("local", x), planAt("local", y), NO_GATES);
        expect(lossOver(plans, ch, true)).toBeGreaterThan(0);
    });

    it("without the handover (new cursors where the client puts them), 1 -> 2 loses what was unread when the matcher became a Function", () => {
        const { plans, ch } = transitionPlans(planAt("dev", 1), planAt("dev", 2), NO_GATES);
        const noHandover: Choreography = { ...ch, streams: ch.streams.map((s) => ({ ...s, handovers: [] })) };
        expect(lossOver(plans, noHandover)).toBeGreaterThan(0);
    });

    it("without the overlap mirrors, 0 -> 1 and 1 -> 0 strand what is left on the log the services leave", () => {
        for (const [x, y] of [
            [0, 1],
            [1, 0],
        ]) {
            const { plans, ch } = transitionPlans(planAt("prod", x as number), planAt("prod", y as number), NO_GATES);
            expect(plans.switch?.mirrors.length).toBeGreaterThan(0);
            const unmirrored: TransitionPlans = { ...plans, switch: { ...(plans.switch as Topology), mirrors: [] } };
            expect(lossOver(unmirrored, ch)).toBeGreaterThan(0);
        }
    });

    it("settling without the drain (no drain checks, nobody waiting at settle), 3 -> 2 loses what the tenants' topics still held", () => {
        const { plans, ch } = transitionPlans(planAt("dev", 3), planAt("dev", 2), NO_GATES);
        const undrained: TransitionPlans = { ...plans, switch: { ...(plans.switch as Topology), transition: { ...(plans.switch as Topology).transition!, settleMovers: [] } } };
        expect(lossOver(undrained, { ...ch, streams: ch.streams.map((s) => ({ ...s, drains: [] })) })).toBeGreaterThan(0);
    });
});

describe("what the choreography says, per transition", () => {
    it("0 -> 1: each service's new KoP group starts at the end; a mirror copies the Kafka backlog from the first unread message of every group leaving it", () => {
        const ch = planChoreography(planAt("prod", 0), planAt("prod", 1));
        const results = ch.streams.find((s) => s.stream === "orchestrator-results")!;
        expect(results.mirrors.map((m) => [m.name, m.from.log.broker, m.to.broker])).toEqual([["orchestrator-results-mirror-to-pulsar", "kafka", "pulsar"]]);
        const mirrorStart = results.handovers.find((h) => h.cursor.owner === "orchestrator-results-mirror-to-pulsar")!.start;
        expect(mirrorStart.at === "first-unread" && mirrorStart.of.map((c) => c.owner).sort()).toEqual(["job-result-updater", "result-consumer"]);
        expect(results.handovers.filter((h) => h.cursor.log.broker === "pulsar").map((h) => h.start.at)).toEqual(["end", "end"]);
        expect(results.drains.map((d) => cursorKey(d.cursor))).toEqual(["orchestrator-results-mirror-to-pulsar@kafka:kafka:orchestrator-results"]);
    });

    it("1 -> 0: the mirror runs the other way, KoP -> Kafka, so a rollback finds on Kafka what was produced on KoP", () => {
        const ch = planChoreography(planAt("prod", 1), planAt("prod", 0));
        const names = ch.streams.flatMap((s) => s.mirrors.map((m) => `${m.from.log.broker}>${m.to.broker}`));
        expect(new Set(names)).toEqual(new Set(["pulsar>kafka"]));
    });

    it("1 -> 2: the matcher Function's subscription takes over from the KoP group's first unread message, on the same topic", () => {
        const ch = planChoreography(planAt("dev", 1), planAt("dev", 2));
        const h = ch.streams.find((s) => s.stream === "user-requests")!.handovers.find((x) => x.cursor.owner === "mcp-matcher")!;
        expect(h.cursor.protocol).toBe("pulsar");
        expect(h.start.at === "first-unread" && h.start.of.map((c) => `${c.protocol}:${c.log.topic}`)).toEqual([`kafka:${h.cursor.log.topic}`]);
    });

    it("3 -> 2: the consumers of the tenants' topics keep their env through the switch and move at settle; the tenant router moves at the switch", () => {
        const ch = planChoreography(planAt("dev", 3), planAt("dev", 2));
        expect(ch.services["ingress-gateway"]).toBe("switch");
        const movers = Object.entries(ch.services).filter(([, w]) => w === "settle").map(([s]) => s);
        expect(movers.length).toBeGreaterThan(0);
        const drained = ch.streams.flatMap((s) => s.drains.map((d) => d.cursor.owner));
        for (const m of movers) {
            expect(drained).toContain(m);
        }
    });

    it("a sink the target drops (the audit gate revoked) is drained before it goes, and one it adds starts at its input's end", () => {
        const ch = planChoreography(planAt("dev", 3, { auditParity: true, lifecycleParity: false }), planAt("dev", 3, NO_GATES));
        const started = ch.streams.flatMap((s) => s.sinksStarted);
        const stopped = ch.streams.flatMap((s) => s.sinksStopped);
        expect(started.length + stopped.length).toBeGreaterThan(0);
        for (const s of ch.streams) {
            for (const sink of s.sinksStopped) {
                expect(s.drains.map((d) => d.cursor.owner)).toContain(sink.name);
            }
            for (const sink of s.sinksStarted) {
                expect(s.handovers.find((h) => h.cursor.owner === sink.name)?.start).toEqual({ at: "end" });
            }
        }
    });

    it("refuses non-adjacent phases", () => {
        expect(() => planChoreography(planAt("dev", 0), planAt("dev", 2))).toThrow(/not adjacent/);
    });
});

describe("the staged plans remove nothing a cursor still reads", () => {
    for (const stack of STACKS) {
        it.each(STEPS)(`${stack}: %s -> %s keeps every log, grant and workload of the source until settle`, (x, y) => {
            const a = planAt(stack, x);
            const b = planAt(stack, y);
            const { plans, ch } = transitionPlans(a, b, NO_GATES);
            for (const staged of [plans.prepare!, plans.switch!]) {
                for (const t of a.kafka?.topics ?? []) {
                    expect(staged.kafka?.topics.map((x) => x.name)).toContain(t.name);
                }
                for (const t of [...(a.pulsar?.topics ?? []), ...(b.pulsar?.topics ?? [])]) {
                    expect(staged.pulsar?.topics.map((x) => x.name)).toContain(t.name);
                }
                for (const s of a.sinks) {
                    expect(staged.sinks.map((x) => x.name)).toContain(s.name);
                }
                for (const c of [...a.credentials, ...b.credentials]) {
                    expect(staged.credentials.map((x) => x.name)).toContain(c.name);
                }
            }
            // prepare runs the source's workloads exactly; switch runs the target's, except the services that move at settle.
            expect(plans.prepare!.deployments).toEqual(a.deployments);
            expect(plans.prepare!.functions).toEqual(a.functions);
            expect(plans.prepare!.mirrors).toEqual([]);
            const movers = new Set(plans.switch!.transition!.settleMovers);
            for (const d of plans.switch!.deployments) {
                expect(movers.has(d.service) ? a.deployments : b.deployments).toContainEqual(d);
            }
            expect(plans.switch!.mirrors.map((m) => m.name).sort()).toEqual(ch.streams.flatMap((s) => s.mirrors.map((m) => m.name)).sort());
        });
    }

    it("runs each mirror as the connectors' identity (the sinks' own) with the grants it needs on its own topics and group", () => {
        const { plans } = transitionPlans(planAt("prod", 0), planAt("prod", 1), NO_GATES);
        const m = plans.switch!.mirrors.find((x) => x.stream === "user-requests")!;
        expect(m.direction).toBe("kafka-to-pulsar");
        const acls = plans.switch!.kafka!.acls
            .filter((x) => x.principal === m.principal && [m.kafkaTopic, m.name].includes(x.resourceName))
            .map((x) => `${x.resourceType}:${x.resourceName}:${x.operation}`)
            .sort();
        expect(acls).toEqual([`Group:${m.name}:Read`, `Topic:${m.kafkaTopic}:Describe`, `Topic:${m.kafkaTopic}:Read`]);
        expect(plans.prepare!.kafka!.acls.some((x) => x.resourceName === m.name)).toBe(false);
        const grants = plans.switch!.pulsar!.permissions.filter((p) => p.role === m.role && p.resourceName === m.pulsarTopic);
        expect(grants.flatMap((g) => g.actions)).toContain("produce");
        expect(plans.switch!.credentials.map((c) => c.name)).toContain(m.authSecret);
    });
});
