/**
 * The guard of staged transitions (topology/update.ts): which update is due, given the stack's last outputs, and the
 * refusals that name `transitionStage` with the allowed values and the steps.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, planUpdate, validateConfig, type DeployedState, type PhaseId, type PlatformConfig } from "../../topology";
import { editRaw } from "../support/stacks";

const NO_GATES = { auditParity: false, lifecycleParity: false };
const config = (phase: number, edit: (v: Record<string, any>) => void = () => {}): PlatformConfig =>
    validateConfig(
        editRaw("dev", (v) => {
            v.phase = phase;
            edit(v);
        }),
    );
const stage = (s: string) => (v: Record<string, any>) => (v.transitionStage = s);

/** The ConfigError's one problem, or a failure naming what was thrown instead. */
function refusal(f: () => unknown): { key: string; value: unknown; allowed: string } {
    try {
        f();
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        const problems = (e as ConfigError).problems;
        expect(problems).toHaveLength(1);
        return problems[0] as { key: string; value: unknown; allowed: string };
    }
    throw new Error("expected a refusal");
}

const settled = (phase: PhaseId): DeployedState => ({ phase, gates: { ...NO_GATES } });
const mid = (phase: PhaseId, s: "prepare" | "switch", from: PhaseId): DeployedState => ({ phase, gates: { ...NO_GATES }, transition: { stage: s, from: { phase: from, gates: { ...NO_GATES } } } });

describe("which update of a transition is due", () => {
    it("a first deployment is one update; a stage there is refused", () => {
        expect(planUpdate(config(0), {}, "dev").topology.transition).toBeUndefined();
        const p = refusal(() => planUpdate(config(0, stage("prepare")), {}, "dev"));
        expect(p.key).toBe("transitionStage");
        expect(p.allowed).toMatch(/^not set: nothing is deployed yet/);
    });

    it("a bump from a settled stack must start with prepare: the refusal names the key, the value and the three steps", () => {
        const p = refusal(() => planUpdate(config(1), settled(0), "dev"));
        expect(p.key).toBe("transitionStage");
        expect(p.value).toBeUndefined();
        expect(p.allowed).toContain('"prepare"');
        expect(p.allowed).toContain("moves streams (user-requests");
        expect(p.allowed).toContain("pulumi config set messaging-platform:transitionStage prepare --stack dev && pulumi up --stack dev");
        expect(p.allowed).toContain("npm run handover -- --stack dev");
        expect(p.allowed).toContain("npm run drain-check -- --stack dev --wait");
        expect(p.allowed).toContain("pulumi config rm messaging-platform:transitionStage --stack dev");
        expect(refusal(() => planUpdate(config(1, stage("switch")), settled(0), "dev")).value).toBe("switch");
    });

    it("prepare, then switch, then settle: each plans its stage", () => {
        const prepare = planUpdate(config(1, stage("prepare")), settled(0), "dev");
        expect(prepare.topology.transition).toMatchObject({ stage: "prepare", from: { phase: 0 } });
        expect(prepare.topology.mirrors).toEqual([]);
        const sw = planUpdate(config(1, stage("switch")), mid(1, "prepare", 0), "dev");
        expect(sw.topology.transition?.stage).toBe("switch");
        expect(sw.topology.mirrors.length).toBeGreaterThan(0);
        const settle = planUpdate(config(1), mid(1, "switch", 0), "dev");
        expect(settle.topology.transition).toBeUndefined();
        expect(settle.topology.mirrors).toEqual([]);
        expect(settle.choreography?.from).toBe(0);
    });

    it("each stage may be re-run (an update that failed half-way is run again)", () => {
        expect(planUpdate(config(1, stage("prepare")), mid(1, "prepare", 0), "dev").topology.transition?.stage).toBe("prepare");
        expect(planUpdate(config(1, stage("switch")), mid(1, "switch", 0), "dev").topology.transition?.stage).toBe("switch");
    });

    it("settling before the switch, or going back to prepare after it, is refused with the step that is due", () => {
        expect(refusal(() => planUpdate(config(1), mid(1, "prepare", 0), "dev")).allowed).toMatch(/^"switch": the stack is prepared for phase 0/);
        expect(refusal(() => planUpdate(config(1, stage("prepare")), mid(1, "switch", 0), "dev")).allowed).toMatch(/^"switch" or not set: the switch of phase 0/);
    });

    it("a prepared transition may be abandoned by returning to the source; a switched one may not", () => {
        expect(planUpdate(config(0), mid(1, "prepare", 0), "dev").topology.phase).toBe(0);
        const p = refusal(() => planUpdate(config(0), mid(1, "switch", 0), "dev"));
        expect(p.allowed).toContain("the stack is in the switch stage of phase 0 (kafka) -> phase 1 (bridge)");
    });

    it("another target mid-transition is refused: finish or abandon first", () => {
        const p = refusal(() => planUpdate(config(2, stage("prepare")), mid(1, "prepare", 0), "dev"));
        expect(p.allowed).toContain("finish it");
    });

    it("a rollback is staged like a bump", () => {
        expect(refusal(() => planUpdate(config(2), settled(3), "dev")).allowed).toContain('"prepare"');
        expect(planUpdate(config(2, stage("prepare")), settled(3), "dev").topology.transition?.from.phase).toBe(3);
    });

    it("a gate change that moves a stream is staged; the gates of the source are recorded", () => {
        const approved = (v: Record<string, any>) => (v.gates = { auditParity: true, lifecycleParity: false });
        const p = refusal(() => planUpdate(config(3, approved), settled(3), "dev"));
        expect(p.allowed).toContain("phase 3 (isolated) -> phase 3 (isolated) with auditParity approved moves streams (audit-trail)");
        const prepare = planUpdate(config(3, (v) => (approved(v), stage("prepare")(v))), settled(3), "dev");
        expect(prepare.topology.transition?.from.gates).toEqual(NO_GATES);
    });

    it("the same position is one update; a stage there is refused", () => {
        expect(planUpdate(config(2), settled(2), "dev").topology.transition).toBeUndefined();
        expect(refusal(() => planUpdate(config(2, stage("switch")), settled(2), "dev")).allowed).toMatch(/^not set: the stack is at phase 2/);
    });

    it("a jump with allowPhaseSkip is one update without stages; without it the jump is refused on phase", () => {
        expect(refusal(() => planUpdate(config(2), settled(0), "dev")).key).toBe("phase");
        const skip = (v: Record<string, any>) => (v.allowPhaseSkip = true);
        expect(planUpdate(config(2, skip), settled(0), "dev").topology.phase).toBe(2);
        expect(refusal(() => planUpdate(config(2, (v) => (skip(v), stage("prepare")(v))), settled(0), "dev")).allowed).toContain("allowPhaseSkip runs");
    });

    it("an unknown stage is refused by the config schema, naming the key and the allowed values", () => {
        expect(() => config(1, stage("halfway"))).toThrow(/transitionStage.*"halfway"[\s\S]*prepare[\s\S]*switch/);
    });
});
