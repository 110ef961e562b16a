/**
 * What every `npm run <script>` shares as a command line: `--help` prints the usage and exits 0; an unknown flag, a
 * flag without its value, a bad value or an unknown stack prints one line naming it and what is allowed and exits 2
 * (never a stack trace); stack files are found and read in one place.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { describePhase, MAX_PHASE, parseYamlFile, projectDeclaration, type PhaseId, type ProjectDeclaration } from "../topology";

/** Bad usage: one line, exit 2. */
export class CliUsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "CliUsageError";
    }
}

export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

export interface ParsedFlags<T> {
    values: T;
    /** `--help` / `-h` was given: print the usage and exit 0. */
    help: boolean;
}

/** `--name` of every flag, for "allowed" texts. */
function flagList(options: FlagOptions): string {
    return Object.keys(options)
        .map((f) => `--${f}`)
        .join(", ");
}

/**
 * node:util parseArgs (strict, no positionals) with the project's error texts.
 * @param command e.g. `npm run plan`, the prefix of every message
 */
export function parseFlags<T>(command: string, argv: string[], options: FlagOptions): ParsedFlags<T> {
    const all: FlagOptions = { ...options, help: { type: "boolean", short: "h", default: false } };
    // A negative number after a flag that takes a value is that value (`--messages -3`), not another flag: it is then
    // judged by the flag's own rule (its range), instead of "needs a value".
    const args = argv.flatMap((a, i) => {
        const prev = argv[i - 1];
        return /^-\d/.test(a) && prev?.startsWith("--") && !prev.includes("=") && all[prev.slice(2)]?.type === "string" ? [] : /^--[^=]+$/.test(a) && /^-\d/.test(argv[i + 1] ?? "") && all[a.slice(2)]?.type === "string" ? [`${a}=${argv[i + 1]}`] : [a];
    });
    try {
        const { values } = parseArgs({ args, options: all, strict: true, allowPositionals: false });
        const { help, ...rest } = values as Record<string, unknown>;
        return { values: rest as T, help: help === true };
    } catch (err) {
        const code = (err as { code?: string }).code;
        const message = (err as Error).message;
        const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1] ?? argv.find((a) => a.startsWith("-")) ?? argv.join(" ");
        if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
            throw new CliUsageError(`${command}: unknown flag ${flag}: allowed ${flagList(all)}`);
        }
        if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") {
            throw new CliUsageError(`${command}: unexpected argument ${JSON.stringify(flag)}: every argument is a flag (${flagList(all)})`);
        }
        if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
            const name = /--([A-Za-z-]+)/.exec(message)?.[0] ?? flag;
            const spec = all[name.replace(/^--/, "")];
            throw new CliUsageError(
                spec?.type === "boolean" ? `${command}: ${name} takes no value` : `${command}: ${name} needs a value (${name} <value>)`,
            );
        }
        throw new CliUsageError(`${command}: ${message.split("\n")[0]}`);
    }
}

/** The stacks of the project: every Pulumi.<stack>.yaml next to Pulumi.yaml. */
export function existingStacks(root: string): string[] {
    return readdirSync(root)
        .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

export interface StackFile {
    stack: string;
    /** The file name as shown in messages (relative to the project). */
    file: string;
    path: string;
    text: string;
}

/**
 * The stack's settings file; an unknown stack names the stacks that exist.
 * @param configFile an explicit file (as `pulumi --config-file`), else Pulumi.<stack>.yaml
 */
export function readStackFile(command: string, stack: string | undefined, root: string, configFile?: string, flag = "--stack"): StackFile {
    if (!stack) {
        throw new CliUsageError(`${command}: --stack is required: one of ${existingStacks(root).join(", ")}`);
    }
    const path = configFile ? resolve(configFile) : resolve(root, `Pulumi.${stack}.yaml`);
    if (!existsSync(path)) {
        throw new CliUsageError(
            configFile
                ? `${command}: --config-file ${configFile}: no such file`
                : `${command}: ${flag} ${stack}: no stack file ${flag === "--stack" ? "" : `${root.split("/").pop()}/`}Pulumi.${stack}.yaml; the ${flag === "--stack" ? "stacks" : "sites"} that exist: ${existingStacks(root).join(", ")}`,
        );
    }
    return { stack, file: configFile ?? `Pulumi.${stack}.yaml`, path, text: readFileSync(path, "utf8") };
}

/** Pulumi.yaml's declarations (name, config types and defaults). */
export function readProject(root: string): ProjectDeclaration {
    return projectDeclaration(parseYamlFile(readFileSync(resolve(root, "Pulumi.yaml"), "utf8"), "Pulumi.yaml"));
}

/** `--phase` / `--from`: an integer phase, or a usage error naming the flag. */
export function phaseFlag(command: string, flag: string, value: string | undefined): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    // The flag's own error, not the stack file's: a phase the flag gave is not in the file.
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || !Number.isInteger(n) || n > MAX_PHASE) {
        const phases = Array.from({ length: MAX_PHASE + 1 }, (_, i) => describePhase(i as PhaseId)).join(", ");
        throw new CliUsageError(`${command}: ${flag} ${JSON.stringify(value)}: allowed a phase: ${phases}`);
    }
    return n;
}

/** `--format`: one of `allowed`, or a usage error. */
export function choiceFlag<T extends string>(command: string, flag: string, value: string, allowed: readonly T[]): T {
    if (!(allowed as readonly string[]).includes(value)) {
        throw new CliUsageError(`${command}: ${flag} ${value}: allowed ${allowed.join(" | ")}`);
    }
    return value as T;
}
