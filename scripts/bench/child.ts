/**
 * Runs one measurement in a fresh Node.js process, so module caches, JIT state and the peak RSS belong to that
 * measurement alone. A child reports by printing one line `BENCH_RESULT <json>` on stdout (`report`); anything else
 * it prints is kept for the error message.
 */
import { spawn } from "node:child_process";

const MARKER = "BENCH_RESULT ";

/** Called by a child script: hands its result to the parent. */
export function report(result: unknown): void {
    process.stdout.write(`${MARKER}${JSON.stringify(result)}\n`);
}

/** The result line of a child's stdout, parsed; undefined if it printed none. */
export function parseReport(stdout: string): unknown {
    const line = stdout
        .split("\n")
        .reverse()
        .find((l) => l.startsWith(MARKER));
    return line === undefined ? undefined : JSON.parse(line.slice(MARKER.length));
}

export interface ChildOptions {
    /** Arguments after the `node` executable: node flags, then the script and its arguments. */
    args: string[];
    cwd: string;
    /** Added to this process's environment. @default {} */
    env?: Record<string, string>;
    /** Killed (and rejected) after this long. @default 30 min */
    timeoutMs?: number;
}

/** Runs `node <args>` and resolves with what it reported; rejects with the tail of its output when it fails. */
export function runNode<T>(opts: ChildOptions): Promise<T> {
    return new Promise((resolvePromise, reject) => {
        const child = spawn(process.execPath, opts.args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 30 * 60_000);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const result = parseReport(stdout);
            if (code === 0 && result !== undefined) {
                resolvePromise(result as T);
                return;
            }
            const tail = `${stdout}\n${stderr}`.trim().split("\n").slice(-15).join("\n");
            reject(new Error(`node ${opts.args.join(" ")} ${signal ? `was killed (${signal})` : `exited ${code}`}${result === undefined ? " without a result" : ""}:\n${tail}`));
        });
    });
}
