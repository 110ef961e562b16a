/**
 * vitest global setup: the program (index.ts) under mocks for the stacks and phases the policy specifications start
 * from, captured once per run through `npm run policy -- --dump` (one child process each: the Pulumi runtime is
 * process-global). The policy cases take these real declarations as their good fixtures and edit them into the
 * shapes a rule must refuse, so a rule is checked against what the program really registers.
 *
 * Test files read them with `inject("programRuns")` (test/policies/fixtures.ts goodStack, test/policies/program.test.ts).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import type { CapturedResource } from "../../policies/offline";

/** Every stack at every phase, as `<stack>/<phase>`. */
export const CAPTURES = ["local", "dev", "prod"].flatMap((stack) => [0, 1, 2, 3].map((phase) => `${stack}/${phase}`));
export type CaptureKey = string;

/** One `npm run policy` run: what it registered, its exit code and what it printed. */
export interface PolicyRun {
    resources: CapturedResource[];
    code: number;
    output: string;
}

declare module "vitest" {
    export interface ProvidedContext {
        programRuns: Record<CaptureKey, PolicyRun>;
    }
}

const root = resolve(__dirname, "../..");

/** The instant the suite judges token expiry at (index.ts MESSAGING_PLATFORM_NOW): within the committed epochs' 400 days. */
export const FIXED_NOW = "2026-12-15T00:00:00Z";

function capture(key: CaptureKey, dir: string): Promise<PolicyRun> {
    const [stack, phase] = key.split("/") as [string, string];
    const file = join(dir, `${stack}-${phase}.json`);
    return new Promise((done, fail) => {
        execFile(
            resolve(root, "node_modules/.bin/tsx"),
            ["scripts/policy.ts", "--stack", stack, "--phase", phase, "--dump", file],
            // A fixed clock: the committed stacks' Pulsar tokens (pulsar.auth.tokenEpoch 2026-12) expire one day.
            { cwd: root, timeout: 240_000, env: { ...process.env, MESSAGING_PLATFORM_NOW: FIXED_NOW } },
            (err, stdout, stderr) => {
                const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
                // Exit 1 is a mandatory violation: the capture is still good (test/policies/program.test.ts fails on it).
                if (code !== 0 && code !== 1) {
                    fail(new Error(`npm run policy -- --stack ${stack} --phase ${phase} failed (${code}): ${stderr || stdout || String(err?.message)}`));
                    return;
                }
                done({ resources: JSON.parse(readFileSync(file, "utf8")) as CapturedResource[], code, output: `${stdout}${stderr}` });
            },
        );
    });
}

export default async function setup(project: TestProject): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), "policy-capture-"));
    try {
        // Two at a time: each run spends most of its time loading the provider SDKs, and this machine has 2 cores.
        const runs: PolicyRun[] = [];
        for (let i = 0; i < CAPTURES.length; i += 2) {
            runs.push(...(await Promise.all(CAPTURES.slice(i, i + 2).map((key) => capture(key, dir)))));
        }
        project.provide("programRuns", Object.fromEntries(CAPTURES.map((key, i) => [key, runs[i]])) as Record<CaptureKey, PolicyRun>);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
