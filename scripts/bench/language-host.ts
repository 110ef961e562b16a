/**
 * Preview-time load of the program through the Pulumi Node.js language host's TypeScript path (ts-node), with and
 * without type-checking, in fresh processes (scripts/bench/language-host-child.ts).
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { runNode } from "./child";
import type { LanguageHostResult } from "./language-host-child";

/** `runtime.options.tsconfig` of Pulumi.yaml: the language host passes it on as PULUMI_NODEJS_TSCONFIG_PATH. */
export function projectTsconfig(pulumiYaml: string): string | undefined {
    const doc = (parse(pulumiYaml) ?? {}) as { runtime?: string | { options?: { tsconfig?: unknown } } };
    const tsconfig = typeof doc.runtime === "object" ? doc.runtime.options?.tsconfig : undefined;
    return typeof tsconfig === "string" ? tsconfig : undefined;
}

export interface LanguageHostRun extends LanguageHostResult {
    label: string;
}

/**
 * One load: `tsconfig` undefined means the language host's default (tsconfig.json); `cacheDir` is ts-node's output
 * cache (TS_NODE_CACHE_DIRECTORY): empty means a cold first preview, as on a fresh CI runner.
 */
async function load(root: string, label: string, cacheDir: string, tsconfig: string | undefined): Promise<LanguageHostRun> {
    const child = resolve(__dirname, "language-host-child.ts");
    const tsxApi = require.resolve("tsx/cjs/api", { paths: [root] });
    // Plain node, as the language host runs it; tsx only loads the child and the mock harness, in its own namespace.
    const bootstrap = `require(${JSON.stringify(tsxApi)}).require(${JSON.stringify(child)}, __filename).main().catch((e) => { console.error(e); process.exit(1); });`;
    const env: Record<string, string> = { TS_NODE_CACHE_DIRECTORY: cacheDir };
    if (tsconfig !== undefined) {
        env.PULUMI_NODEJS_TSCONFIG_PATH = tsconfig;
    }
    const result = await runNode<LanguageHostResult>({ args: ["-e", bootstrap], cwd: root, env });
    return { label, ...result };
}

/**
 * The language host's default (tsconfig.json, type-checking) with a cold and then a warm ts-node cache; then, when
 * Pulumi.yaml sets `runtime.options.tsconfig`, the project as configured, with a cold cache.
 */
export async function measureLanguageHost(root: string): Promise<LanguageHostRun[]> {
    const configured = projectTsconfig(readFileSync(join(root, "Pulumi.yaml"), "utf8"));
    const scratch = mkdtempSync(join(tmpdir(), "bench-ts-node-"));
    try {
        const runs: LanguageHostRun[] = [];
        runs.push(await load(root, "tsconfig.json (language host default), cold ts-node cache", join(scratch, "default"), undefined));
        runs.push(await load(root, "tsconfig.json (language host default), warm ts-node cache", join(scratch, "default"), undefined));
        if (configured !== undefined) {
            runs.push(await load(root, `${configured} (Pulumi.yaml runtime.options.tsconfig), cold ts-node cache`, join(scratch, "configured"), configured));
        }
        return runs;
    } finally {
        rmSync(scratch, { recursive: true, force: true });
    }
}
