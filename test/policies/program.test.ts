/**
 * The pack against the real program (index.ts) under mocks, for every stack and phase, through `npm run policy`'s
 * entry point. One child process per run: the Pulumi runtime and the program module are process-global.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { STACKS } from "../support/stacks";

const root = resolve(__dirname, "../..");
const tsx = resolve(root, "node_modules/.bin/tsx");

function runPolicy(stack: string, phase: number): Promise<{ code: number; output: string }> {
    return new Promise((done) => {
        execFile(tsx, ["scripts/policy.ts", "--stack", stack, "--phase", String(phase)], { cwd: root, timeout: 240_000 }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
            done({ code, output: `${stdout}${stderr}` });
        });
    });
}

describe("the program under mocks passes the pack", () => {
    const cases = STACKS.flatMap((stack) => [0, 1, 2, 3].map((phase) => [stack, phase] as const));
    // Started together: each run spends most of its time loading the provider SDKs.
    const runs = new Map(cases.map(([stack, phase]) => [`${stack}/${phase}`, runPolicy(stack, phase)]));

    it.each(cases)("%s at phase %i: no violation", async (stack, phase) => {
        const { code, output } = await (runs.get(`${stack}/${phase}`) as Promise<{ code: number; output: string }>);
        expect(output).toContain("messaging-guardrails: no policy violations");
        expect(code).toBe(0);
    }, 300_000);
});
