/**
 * A stack secret the smoke test needs (a password, the seed tokens are signed with): from an environment variable
 * when set, else read with `pulumi config get`, which decrypts it as whoever runs the test.
 */
import { spawnSync } from "node:child_process";
import { UsageError } from "./usage-error";

export interface StackSecretSource {
    /** The environment variable that may carry the value. */
    env: string;
    /** The stack's config key (without the project prefix). */
    key: string;
    stack: string;
    /** What the value is, for the error: `the password of rabbitmq.username (the stack's secret rabbitmqPassword)`. */
    what: string;
    /** The project folder `pulumi config get` runs in. @default the current directory */
    cwd?: string;
    /** The Pulumi CLI executable. @default "pulumi" */
    pulumi?: string;
}

export function stackSecret(s: StackSecretSource, env: NodeJS.ProcessEnv): string {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined) {
        return fromEnv;
    }
    const args = ["config", "get", s.key, "--stack", s.stack, ...(s.cwd !== undefined ? ["--cwd", s.cwd] : [])];
    const run = spawnSync(s.pulumi ?? "pulumi", args, { encoding: "utf8" });
    if (run.error || run.status !== 0) {
        const why = run.error ? ((run.error as NodeJS.ErrnoException).code === "ENOENT" ? "the pulumi CLI is not on PATH" : run.error.message) : run.stderr.trim();
        throw new UsageError([{ key: s.env, value: undefined, allowed: `${s.what}; set it, or let \`pulumi ${args.join(" ")}\` read it (${why})` }]);
    }
    return run.stdout.replace(/\n$/, "");
}
