/**
 * The pack against the real program (index.ts) under mocks, for every stack and phase, through `npm run policy`'s
 * entry point: the runs happen once per test run in test/support/program-resources.ts (one child process each: the
 * Pulumi runtime and the program module are process-global); this checks what each printed and returned.
 */
import { describe, expect, inject, it } from "vitest";
import { STACKS } from "../support/stacks";

describe("the program under mocks passes the pack", () => {
    const cases = STACKS.flatMap((stack) => [0, 1, 2, 3].map((phase) => [stack, phase] as const));
    it.each(cases)("%s at phase %i: no violation", (stack, phase) => {
        const run = inject("programRuns")[`${stack}/${phase}`];
        expect(run, `${stack}/${phase} was captured`).toBeDefined();
        expect(run?.output).toContain("messaging-guardrails: no policy violations");
        expect(run?.code).toBe(0);
    });
});
