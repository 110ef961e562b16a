/**
 * The scripts as a person runs them (`npm run -s <script> -- ...`): `--help` prints the usage and exits 0; an unknown
 * flag, a flag without its value, a bad value or an unknown stack prints one line naming it and what is allowed and
 * exits 2, never a stack trace.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../..");
const run = promisify(execFile);

interface Result {
    code: number;
    out: string;
    err: string;
}

/** `npm run -s <script> -- args`, exactly as the README shows it. */
async function npmRun(script: string, args: string[]): Promise<Result> {
    try {
        const { stdout, stderr } = await run("npm", ["run", "-s", script, "--", ...args], { cwd: ROOT, timeout: 60_000 });
        return { code: 0, out: stdout, err: stderr };
    } catch (e) {
        const x = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof x.code === "number" ? x.code : -1, out: x.stdout ?? "", err: x.stderr ?? "" };
    }
}

const SCRIPTS = ["plan", "policy", "smoke", "bench"] as const;

/** One line on stderr (npm's own error lines after it are npm's), and no stack trace anywhere. */
function expectOneLine(r: Result, ...contains: string[]): void {
    expect(r.code, r.err).toBe(2);
    const ours = r.err.split("\n").filter((l) => l.startsWith("npm run "));
    expect(ours, r.err).toHaveLength(1);
    for (const c of contains) {
        expect(ours[0]).toContain(c);
    }
    expect(`${r.out}${r.err}`).not.toMatch(/^\s+at /m);
}

describe.each(SCRIPTS)("npm run %s", (script) => {
    it("--help prints the usage on stdout and exits 0", async () => {
        const r = await npmRun(script, ["--help"]);
        expect(r.code).toBe(0);
        expect(r.out).toMatch(new RegExp(`^usage: npm run -s ${script} -- `));
        expect(r.out).toContain("--help");
    });

    it("an unknown flag: one line naming it and the flags allowed, exit 2", async () => {
        expectOneLine(await npmRun(script, ["--bogus", "1"]), "unknown flag --bogus", "allowed --");
    });
});

describe.each(["plan", "policy", "smoke"] as const)("npm run %s --stack", (script) => {
    it("an unknown stack: one line naming it and the stacks that exist, exit 2", async () => {
        expectOneLine(await npmRun(script, ["--stack", "staging"]), "staging", "local", "dev", "prod");
    });

    it("a flag without its value: one line naming the flag, exit 2", async () => {
        expectOneLine(await npmRun(script, ["--stack"]), "--stack");
    });
});

describe("bad values", () => {
    it.each([
        ["plan", ["--stack", "local", "--format", "yaml"], "--format yaml: allowed text | json | mermaid"],
        ["plan", ["--stack", "local", "--phase", "two"], '--phase "two": allowed a phase: 0 (kafka), 1 (bridge), 2 (native), 3 (isolated)'],
        // The flag's error, not the stack file's (it once said "invalid stack config ... messaging-platform:phase = 5").
        ["plan", ["--stack", "local", "--phase", "5"], '--phase "5": allowed a phase: 0 (kafka), 1 (bridge), 2 (native), 3 (isolated)'],
        // The flag that named the site, and its folder (it once blamed --stack and Pulumi.parnal.yaml).
        ["plan", ["--edge", "parnal"], "--edge parnal: no stack file edge/Pulumi.parnal.yaml; the sites that exist: paranal"],
        // One line, not an ENOENT stack trace.
        ["policy", ["--stack", "local", "--dump", "/nonexistent/x.json"], "--dump /nonexistent/x.json: allowed a file that can be written (ENOENT"],
        ["plan", ["--stack", "local", "--resources"], "--resources: allowed only with --from M"],
        ["policy", ["--stack", "prod", "--phase", "x"], '--phase "x"'],
        ["smoke", ["--stack", "local", "--messages", "lots"], '--messages = "lots": an integer from 1 to 10000'],
        // A negative number is the flag's value, judged by its range (it once read "--messages needs a value").
        ["smoke", ["--stack", "local", "--messages", "-3"], '--messages = "-3": an integer from 1 to 10000'],
        ["bench", ["--runs", "0"], '--runs "0": allowed a whole number >= 1'],
    ] as const)("npm run %s %j: one line, exit 2", async (script, args, message) => {
        expectOneLine(await npmRun(script, [...args]), message);
    });
});
