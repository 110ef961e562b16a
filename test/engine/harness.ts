/**
 * The real Pulumi engine for test/engine: the CLI, Node.js language host and kubernetes plugin that
 * scripts/engine/build.sh builds from Go modules (cached per version), a file backend in a temp folder, the local
 * stack's committed config with the kubernetes provider rendering to a temp folder. Nothing reaches a network.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseDocument, stringify } from "yaml";

export const ROOT = resolve(__dirname, "../..");
export const PROGRAM_DIR = resolve(__dirname, "program");
const PULUMI_HOME = resolve(ROOT, ".pulumi-home");
/** The instant token expiry is judged at (components/program.ts MESSAGING_PLATFORM_NOW). */
const FIXED_NOW = "2026-12-15T00:00:00Z";

export interface Engine {
    cli: string;
    kubernetesPlugin: string;
    /** What build.sh printed, for the note. */
    buildSeconds: number;
}

/**
 * Builds what is missing (MP_ENGINE_PLUGINS=kubernetes: the kafka and rabbitmq plugins have no served source) and
 * returns the CLI and the kubernetes plugin it installed. build.sh exits 3 when a requested plugin version has no
 * source; the kubernetes plugin then comes from its substitute (4.25.0, recorded in .pulumi-home/engine.json).
 */
export async function ensureEngine(): Promise<Engine> {
    const started = Date.now();
    const result = await run("bash", [resolve(ROOT, "scripts/engine/build.sh")], { env: { ...process.env, MP_ENGINE_PLUGINS: "kubernetes" }, timeout: 45 * 60_000 });
    const manifestFile = resolve(PULUMI_HOME, "engine.json");
    const manifest = existsSync(manifestFile) ? (JSON.parse(readFileSync(manifestFile, "utf8")) as { plugins?: { name: string; dir: string }[] }) : {};
    const kubernetes = manifest.plugins?.find((p) => p.name === "kubernetes");
    const cli = resolve(PULUMI_HOME, "bin/pulumi");
    if ((result.code !== 0 && result.code !== 3) || !kubernetes || !existsSync(cli)) {
        throw new Error(`scripts/engine/build.sh could not provide the CLI and the kubernetes plugin (exit ${result.code}):\n${result.stderr.slice(-4000)}`);
    }
    return { cli, kubernetesPlugin: kubernetes.dir, buildSeconds: (Date.now() - started) / 1000 };
}

export interface RunResult {
    code: number;
    stdout: string;
    stderr: string;
    seconds: number;
}

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<RunResult> {
    const started = Date.now();
    return new Promise((done) => {
        execFile(cmd, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeout ?? 300_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
            const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
            done({ code, stdout: String(stdout), stderr: String(stderr), seconds: (Date.now() - started) / 1000 });
        });
    });
}

/** One engine workspace: a file backend, the stack's config file, the rendered manifests, all in a temp folder. */
export class Workspace {
    readonly dir = mkdtempSync(join(tmpdir(), "engine-"));
    readonly configFile = join(this.dir, "Pulumi.local.yaml");
    readonly rendered = join(this.dir, "rendered");
    readonly env: NodeJS.ProcessEnv;

    constructor(readonly engine: Engine) {
        mkdirSync(join(this.dir, "state"));
        this.env = {
            ...process.env,
            PULUMI_HOME,
            PATH: `${resolve(PULUMI_HOME, "bin")}:${process.env.PATH ?? ""}`,
            PULUMI_BACKEND_URL: `file://${join(this.dir, "state")}`,
            PULUMI_CONFIG_PASSPHRASE: "local-only",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
            PULUMI_IGNORE_AMBIENT_PLUGINS: "true",
            // The language host built here (sdk/v3 3.68.0) passes no tsconfig to @pulumi/pulumi's run script, which
            // then type-checks with the TypeScript it vendors (3.8); the project compiles transpile-only
            // (tsconfig.pulumi.json), and CI type-checks.
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            PULUMI_NODEJS_TSCONFIG_PATH: resolve(ROOT, "tsconfig.pulumi.json"),
            MESSAGING_PLATFORM_NOW: FIXED_NOW,
        };
    }

    /**
     * Writes the program's Pulumi.yaml (the project's own, with main, tsconfig and the kubernetes plugin by path) and
     * the stack's config: the committed Pulumi.local.yaml with the manifests rendered into this workspace.
     */
    async init(stackText: string): Promise<void> {
        const project = parseDocument(readFileSync(resolve(ROOT, "Pulumi.yaml"), "utf8")).toJS() as Record<string, any>;
        project.main = "index.ts";
        project.runtime.options.tsconfig = relative(PROGRAM_DIR, resolve(ROOT, "tsconfig.pulumi.json"));
        project.plugins = { providers: [{ name: "kubernetes", path: this.engine.kubernetesPlugin }] };
        writeFileSync(resolve(PROGRAM_DIR, "Pulumi.yaml"), `# Generated by test/engine/harness.ts from ../../../Pulumi.yaml (git-ignored).\n${stringify(project)}`);
        const created = await this.pulumi(["stack", "init", "local"]);
        if (created.code !== 0) {
            throw new Error(`pulumi stack init: ${created.stderr}`);
        }
        // init writes a stack file with a new salt beside the project; the workspace's own (the committed one, whose
        // salt encrypted its secrets) is passed with --config-file instead.
        rmSync(resolve(PROGRAM_DIR, "Pulumi.local.yaml"), { force: true });
        this.writeConfig(stackText);
    }

    writeConfig(stackText: string): void {
        const doc = parseDocument(stackText);
        doc.setIn(["config", "messaging-platform:kubernetes", "renderYamlTo"], this.rendered);
        writeFileSync(this.configFile, doc.toString());
    }

    /** `pulumi <args>` for the local stack in this workspace. */
    pulumi(args: string[], timeout = 300_000): Promise<RunResult> {
        const stackArgs = args[0] === "stack" && args[1] === "init" ? [] : ["--stack", "local"];
        const configArgs = ["preview", "up", "refresh", "config", "destroy"].includes(args[0] as string) ? ["--config-file", this.configFile] : [];
        return run(this.engine.cli, [...args, ...stackArgs, ...configArgs, "--non-interactive"], { cwd: PROGRAM_DIR, env: this.env, timeout });
    }

    /**
     * `pulumi up`, killed (SIGKILL, with its plugins) as soon as it reports its first completed resource operation:
     * what a crashed CI runner or a Ctrl-C twice leaves.
     */
    upKilledMidway(): Promise<{ killedAfter: string; pids: number[] }> {
        return new Promise((done, fail) => {
            const child = spawn(this.engine.cli, ["up", "--yes", "--skip-preview", "--stack", "local", "--config-file", this.configFile, "--non-interactive"], {
                cwd: PROGRAM_DIR,
                env: this.env,
                detached: true,
            });
            let out = "";
            child.stdout.on("data", (b: Buffer) => {
                out += b.toString();
                const line = out.split("\n").find((l) => / (created|updated|deleted) \(/.test(l));
                if (line && child.pid !== undefined) {
                    // The CLI starts each plugin in a process group of its own (cmdutil.RegisterProcessGroup): a kill
                    // of the CLI's group leaves them running, so every descendant is killed by pid.
                    const all = [child.pid, ...descendants(child.pid)];
                    for (const pid of all) {
                        try {
                            process.kill(pid, "SIGKILL");
                        } catch {
                            // already gone
                        }
                    }
                    done({ killedAfter: line.trim(), pids: all });
                }
            });
            child.on("exit", (code) => fail(new Error(`pulumi up finished (${code}) before it could be killed:\n${out}`)));
        });
    }

    dispose(): void {
        rmSync(this.dir, { recursive: true, force: true });
        for (const f of ["Pulumi.yaml", "Pulumi.local.yaml"]) {
            rmSync(resolve(PROGRAM_DIR, f), { force: true });
        }
    }
}

/** Every process below `pid` (children first found through `ps`, then theirs). */
function descendants(pid: number): number[] {
    const out = execFileSync("ps", ["-eo", "pid=,ppid="], { encoding: "utf8" });
    const children = new Map<number, number[]>();
    for (const line of out.trim().split("\n")) {
        const [p, pp] = line.trim().split(/\s+/).map(Number) as [number, number];
        children.set(pp, [...(children.get(pp) ?? []), p]);
    }
    const found: number[] = [];
    const walk = (p: number) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
    walk(pid);
    return found;
}

/** A step of `pulumi preview --json`. */
export interface PreviewStep {
    op: string;
    urn: string;
    oldState?: { retainOnDelete?: boolean; type?: string };
    newState?: { type?: string };
    detailedDiff?: Record<string, unknown>;
}

export function typeAndName(urn: string): { type: string; name: string } {
    const [types = "", name = ""] = urn.split("::").slice(-2);
    return { type: types.split("$").pop() as string, name };
}
