/**
 * A stack's config as the scripts see it: exactly what the engine would hand the program (topology/stack-file.ts),
 * after the checks the Pulumi CLI makes before any program runs (topology/project-config.ts). `npm run plan`,
 * `policy`, `smoke` and `bench` read stacks only through here.
 */
import { readFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import {
    ConfigError,
    StackFileError,
    engineConfigFromStackFile,
    projectConfigProblems,
    rawConfigFromEngine,
    stackFileConfig,
    type EngineConfig,
    type ProjectDeclaration,
    type RawConfig,
} from "../topology";
import { CliUsageError, readProject, readStackFile, type StackFile } from "./cli";
import { UsageError } from "./smoke/usage-error";

/** The project root (Pulumi.yaml's folder). */
export const ROOT = resolve(__dirname, "..");

/** The stack file would fail `pulumi preview` at "validating stack config", before the program runs. */
export class EngineConfigError extends Error {
    constructor(
        readonly file: string,
        readonly problems: string[],
    ) {
        super(
            `${file}: the Pulumi CLI refuses this stack's config before the program runs (validating stack config):\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "EngineConfigError";
    }
}

export interface LoadedStack {
    file: StackFile;
    project: ProjectDeclaration;
    /** Full keys to strings, as the language host passes them (secrets as `secretText`). */
    engine: EngineConfig;
    /** The project's keys coerced by declared type, for `validateConfig`. */
    raw: RawConfig;
}

export interface LoadOptions {
    root?: string;
    /** Replaces the stack file's phase (`--phase N`). */
    phase?: number;
    /** Other values replacing the file's, as plain data (e.g. `{ tenants: [...] }` for the benchmark). */
    overrides?: Record<string, unknown>;
    /** A settings file other than Pulumi.<stack>.yaml (`--config-file`). */
    configFile?: string;
    /** The text secrets arrive as (nothing is decrypted offline). @default `<secret>` */
    secretText?: (key: string) => string;
    /** The flag that named the stack, in errors (`--edge` for a site). @default "--stack" */
    flag?: string;
}

export function loadStack(command: string, stack: string | undefined, opts: LoadOptions = {}): LoadedStack {
    const root = opts.root ?? ROOT;
    const file = readStackFile(command, stack, root, opts.configFile, opts.flag);
    const project = readProject(root);
    const problems = projectConfigProblems(project, file.stack, stackFileConfig(file.text, file.file));
    if (problems.length > 0) {
        throw new EngineConfigError(file.file, problems);
    }
    const overrides = { ...opts.overrides, ...(opts.phase !== undefined ? { phase: opts.phase } : {}) };
    const engine = engineConfigFromStackFile(file.text, file.file, { project, overrides, ...(opts.secretText ? { secretText: opts.secretText } : {}) });
    return { file, project, engine, raw: rawConfigFromEngine(engine) };
}

/** The placeholder a secret gets when the program runs offline under mocks (nothing is decrypted). */
export function offlineSecret(key: string): string {
    return `offline-placeholder-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
}

/**
 * A stack file's config as the engine would set it for the program (`pulumi.runtime.setAllConfig`): full keys to
 * strings, secrets as placeholders. For the program under mocks (`npm run policy`, `plan --resources`, the benchmark).
 */
export function engineConfig(stackFile: string, phase?: number, root = ROOT, overrides: Record<string, unknown> = {}): { config: Record<string, string>; secretKeys: string[] } {
    const all = { ...overrides, ...(phase !== undefined ? { phase } : {}) };
    const engine = engineConfigFromStackFile(readFileSync(stackFile, "utf8"), basename(stackFile), {
        project: readProject(root),
        secretText: offlineSecret,
        ...(Object.keys(all).length > 0 ? { overrides: all } : {}),
    });
    return { config: { ...engine.values }, secretKeys: [...engine.secretKeys] };
}

/**
 * Whether an error is bad usage or config the scripts report in one line with exit 2 (a flag, the stack file, the
 * config, a stage, the outputs), rather than a crash.
 */
export function isUsageFailure(err: unknown): err is Error {
    return err instanceof UsageError || err instanceof ConfigError || err instanceof CliUsageError || err instanceof StackFileError || err instanceof EngineConfigError;
}

/**
 * In a script's main: bad usage or config is one line on stderr and exit 2; anything else is a crash.
 * @param command the command the user ran: a usage error raised in shared code (reading the outputs) is said under it
 */
export function usageExit(err: unknown, command?: string): number {
    if (isUsageFailure(err)) {
        process.stderr.write(`${command && err instanceof UsageError ? new UsageError(err.problems, command).message : err.message}\n`);
        return 2;
    }
    throw err;
}
