import { describe, expect, it } from "vitest";
import { phaseTransitionProblem } from "../../topology";

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
