/**
 * `npm run bench [-- --skip-npm-ci] [--sizes 10,100,1000,5000] [--runs 3] [--out docs/benchmarks.md]`
 *
 * How the program's cost grows with tenants, what dominates it, how long a preview takes to load it, how long it takes
 * to import and to install. Prints the figures and writes them to docs/benchmarks.md. Every measurement runs in fresh
 * child processes (scripts/bench/). Not a test: nothing here fails on a slow figure.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem, type } from "node:os";
import { join, resolve } from "node:path";
import { measurePackageImports, measureProgramImports } from "./bench/imports";
import { coldInstall } from "./bench/install";
import { measureLanguageHost } from "./bench/language-host";
import { evaluationCategories, summarizeProfile, type CpuProfile } from "./bench/profile";
import { renderMarkdownReport, renderTextReport, type BenchReport, type MachineInfo, type ProfileSection } from "./bench/report";
import { evaluate, measureScaling } from "./bench/scaling";
import { CliUsageError, parseFlags } from "./cli";
import { runMain } from "./run-main";

const COMMAND = "npm run bench";

const root = resolve(__dirname, "..");
const STACK = "prod";
const PHASE = 3;
/**
 * Sizes from here up run once: one run at 5,000 tenants takes minutes. 1,000 tenants (about 30 s a run) get the runs of
 * the smaller sizes: the SDK target is read there, and a single run of each side moved the ratio by 0.1 on this machine.
 */
const SINGLE_RUN_FROM = 5000;

export const ENGINE_NOT_MEASURED =
    "no Pulumi engine can preview the local stack on this machine: the pulumi-kafka and pulumi-rabbitmq provider " +
    "plugins cannot be built from its Go module proxy (issue 5, blocked), and the engine build cache is gone (a cold " +
    "rebuild, scripts/engine/build.sh, takes about 16 min on 2 cores)";

function source(): string {
    try {
        const git = (...args: string[]) => execFileSync("git", ["-C", root, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
        const dirty = git("status", "--porcelain", "--untracked-files=no") !== "";
        return `commit ${git("rev-parse", "--short", "HEAD")} (${dirty ? "with uncommitted changes" : "clean"})`;
    } catch {
        return "not a git checkout";
    }
}

function machine(loadStart: number): MachineInfo {
    return {
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        memoryBytes: totalmem(),
        node: process.version,
        os: `${type()} ${release()}`,
        date: execFileSync("date", ["-u"], { encoding: "utf8" }).trim(),
        loadStart,
        loadEnd: loadavg()[0] ?? 0,
        source: source(),
    };
}

async function profileAt(tenants: number, maxOldSpaceMiB: number): Promise<ProfileSection> {
    const dir = mkdtempSync(join(tmpdir(), "bench-cpu-profile-"));
    try {
        const file = join(dir, "evaluation.cpuprofile");
        const base = { stack: STACK, phase: PHASE, tenants, maxOldSpaceMiB };
        const profiled = await evaluate(root, { ...base, cpuProfile: file });
        const sourceMapped = await evaluate(root, base);
        const plain = await evaluate(root, { ...base, plainStacks: true });
        const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as CpuProfile, evaluationCategories(root));
        process.stderr.write(`  profiled ${profiled.resources} resources\n`);
        return { tenants, ...summary, sourceMappedWallMs: sourceMapped.wallMs, plainStacksWallMs: plain.wallMs };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

export const USAGE = `usage: npm run -s bench -- [--skip-npm-ci] [--sizes 10,100,1000,5000] [--runs 3] [--profile-tenants 100]
                         [--max-old-space 16384] [--out docs/benchmarks.md]

  --skip-npm-ci          do not time a cold \`npm ci\`
  --sizes N,N,...        tenant counts to evaluate the program at (prod, phase 3) @default 10,100,1000,5000
  --runs K               runs per size below 1,000 tenants (median reported) @default 3
  --profile-tenants N    tenant count of the CPU profile @default 100
  --max-old-space MiB    V8 heap limit of each measured child @default 16384
  --out F                the Markdown report to write @default docs/benchmarks.md
  --help                 this text

Prints the figures and writes them to --out; nothing fails on a slow figure. Exit: 0 measured; 2 bad usage.
`;

interface BenchFlags {
    "skip-npm-ci": boolean;
    sizes: string;
    runs: string;
    "profile-tenants": string;
    "max-old-space": string;
    out: string;
}

/** A flag's whole number, or a usage error naming it. */
function count(flag: string, raw: string, min: number): number {
    const n = Number(raw);
    if (!/^\d+$/.test(raw.trim()) || n < min) {
        throw new CliUsageError(`${COMMAND}: ${flag} ${JSON.stringify(raw)}: allowed a whole number >= ${min}`);
    }
    return n;
}

export async function main(argv: string[]): Promise<number> {
    let values: BenchFlags;
    let sizes: number[];
    let runs: number;
    let maxOldSpaceMiB: number;
    try {
        const parsed = parseFlags<BenchFlags>(COMMAND, argv, {
            "skip-npm-ci": { type: "boolean", default: false },
            sizes: { type: "string", default: "10,100,1000,5000" },
            runs: { type: "string", default: "3" },
            "profile-tenants": { type: "string", default: "100" },
            "max-old-space": { type: "string", default: "16384" },
            out: { type: "string", default: "docs/benchmarks.md" },
        });
        if (parsed.help) {
            process.stdout.write(USAGE);
            return 0;
        }
        values = parsed.values;
        sizes = values.sizes.split(",").map((x) => count("--sizes", x, 0));
        runs = count("--runs", values.runs, 1);
        maxOldSpaceMiB = count("--max-old-space", values["max-old-space"], 256);
        count("--profile-tenants", values["profile-tenants"], 1);
    } catch (err) {
        if (err instanceof CliUsageError) {
            process.stderr.write(`${err.message}\n`);
            return 2;
        }
        throw err;
    }
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const loadStart = loadavg()[0] ?? 0;

    log(`1. evaluating ${STACK} at phase ${PHASE} with ${sizes.join(", ")} tenants`);
    const scaling = await measureScaling(
        root,
        sizes.map((tenants) => ({ tenants, runs: tenants >= SINGLE_RUN_FROM ? 1 : runs })),
        { stack: STACK, phase: PHASE, maxOldSpaceMiB },
        log,
    );
    const profileTenants = Number(values["profile-tenants"]);
    log(`2. profiling ${profileTenants} tenants`);
    const profile = await profileAt(profileTenants, maxOldSpaceMiB);
    log("3. loading index.ts through the language host's ts-node");
    const languageHost = await measureLanguageHost(root);
    log("4. import times");
    const packageImports = await measurePackageImports(root, runs);
    const programImports = await measureProgramImports(root, runs);
    log(values["skip-npm-ci"] ? "5. cold npm ci: skipped" : "5. cold npm ci");
    const install = values["skip-npm-ci"] ? { skipped: "--skip-npm-ci" } : coldInstall(root);

    const report: BenchReport = {
        machine: machine(loadStart),
        stack: STACK,
        phase: PHASE,
        scaling,
        profile,
        languageHost,
        packageImports,
        programImports,
        install,
        engineNotMeasured: ENGINE_NOT_MEASURED,
    };
    process.stdout.write(renderTextReport(report));
    const out = resolve(root, values.out);
    writeFileSync(out, renderMarkdownReport(report));
    log(`wrote ${out}`);
    return 0;
}

if (require.main === module) {
    runMain(main, { crashCode: 1, forceExit: true });
}
