import { describe, expect, it } from "vitest";
import { phaseTransitionProblem, plan, retainedStorageProblems, validateConfig } from "../../topology";
import { editRaw } from "../support/stacks";

describe("phase transitions", () => {
    it.each([
        [undefined, 3],
        [0, 0],
        [0, 1],
        [1, 2],
        [3, 2],
        [2, 1],
    ] as const)("allows %s -> %s", (from, to) => {
        expect(phaseTransitionProblem(from, to, false, "dev")).toBeUndefined();
    });

    it("refuses a jump of two phases, naming both phases and the one-step command", () => {
        const p = phaseTransitionProblem(0, 2, false, "prod");
        expect(p?.key).toBe("phase");
        expect(p?.value).toBe(2);
        expect(p?.allowed).toContain("deployed at phase 0 (kafka)");
        expect(p?.allowed).toContain("0 (kafka) -> 2 (native)");
        expect(p?.allowed).toContain("pulumi config set messaging-platform:phase 1 --stack prod");
    });

    it("refuses a rollback of more than one phase and points one step back", () => {
        const p = phaseTransitionProblem(3, 1, false, "dev");
        expect(p?.allowed).toContain("pulumi config set messaging-platform:phase 2 --stack dev");
        expect(p?.allowed).toMatch(/^one of 2, 3: /);
    });

    it("lets allowPhaseSkip through for one update", () => {
        expect(phaseTransitionProblem(0, 3, true, "dev")).toBeUndefined();
    });
});

describe("storage high-water mark: offload survives a rollback", () => {
    const dev = (phase: number, edit?: (v: Record<string, any>) => void) =>
        validateConfig(
            editRaw("dev", (v) => {
                v.phase = phase;
                edit?.(v);
            }),
        );

    it("keeps the bucket, the driver and the namespace thresholds at phase 2 after phase 3 offloaded; routing follows the phase", () => {
        const after3 = plan(dev(2), { offloadActive: true });
        const fresh2 = plan(dev(2));
        const at3 = plan(dev(3));
        expect(fresh2.offload).toBeNull();
        expect(after3.offload).toEqual(at3.offload);
        expect(after3.pulsar!.namespaces.every((n) => n.offloadThresholdSize === String(at3.offload!.thresholdBytes))).toBe(true);
        expect(after3.routes).toEqual(fresh2.routes);
        expect(after3.deployments).toEqual(fresh2.deployments);
    });

    it("keeps it even when tieredStorage.enabled is turned off, until tieredStorage.retire says otherwise", () => {
        expect(plan(dev(3, (v) => (v.tieredStorage.enabled = false)), { offloadActive: true }).offload).not.toBeNull();
        expect(plan(dev(2, (v) => (v.tieredStorage.retire = true)), { offloadActive: true }).offload).toBeNull();
    });

    it("refuses to plan a retained offload whose bucket was removed from config, naming the keys and the way out", () => {
        const config = dev(2, (v) => {
            v.tieredStorage = { enabled: false };
        });
        const problems = retainedStorageProblems(config, { offloadActive: true });
        expect(problems.map((p) => p.key)).toEqual(["tieredStorage.bucket", "tieredStorage.region"]);
        expect(problems[0]!.allowed).toMatch(/tieredStorage\.retire: true/);
        expect(() => plan(config, { offloadActive: true })).toThrow(/tieredStorage\.bucket = \(not set\)/);
        expect(retainedStorageProblems(config, {})).toEqual([]);
    });
});
