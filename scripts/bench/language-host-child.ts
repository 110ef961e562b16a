/**
 * Child process: loads and runs index.ts the way the Pulumi Node.js language host does, under mocks, and reports how
 * long `require("index.ts")` took (ts-node compiling, and by default type-checking, the program's TypeScript, plus
 * loading the provider SDKs) and how long the whole run took.
 *
 * Started by scripts/bench/language-host.ts with plain `node` (no tsx hooks on the program): its bootstrap loads this
 * file and the mock harness through tsx's namespaced `require`, then calls `main`, which registers ts-node exactly as
 * @pulumi/pulumi 3.260.0 `cmd/run/run.js` does (lines 233-361: tsconfig from PULUMI_NODEJS_TSCONFIG_PATH, else
 * tsconfig.json; `transpileOnly` from PULUMI_NODEJS_TRANSPILE_ONLY, else the tsconfig's `compilerOptions.noCheck`,
 * else ts-node's default, type-checking; ts-node from node_modules, else the SDK's vendored ts-node 7.0.1) and requires
 * the program with the process's own `require`.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { captureProgram } from "../../policies/offline";
import { engineConfig } from "../policy";
import { report } from "./child";

/** @pulumi/pulumi's internal `tsutils` module (its typings export nothing). */
interface TsUtils {
    loadTypeScriptCompilerOptions(tsConfigPath: string): Record<string, unknown>;
    typeScriptRequireStrings(): { tsnodeRequire: string; typescriptRequire: string };
}

export interface LanguageHostResult {
    tsconfig: string;
    transpileOnly: boolean;
    tsNode: string;
    typescript: string;
    /** `require("index.ts")`: compile (and type-check) every module of the program, load the SDKs, start main(). */
    requireMs: number;
    /** The whole run under mocks: require, then every registration. */
    totalMs: number;
    resources: number;
}

const root = resolve(__dirname, "../..");

/** The ts-node options run.js registers with (its non-ESM branch: package.json has no `"type": "module"`). */
export function languageHostTsNodeOptions(tsutils: TsUtils, env: NodeJS.ProcessEnv, typescriptVersion: string) {
    const tsConfigPath = env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
    const compilerOptions = tsutils.loadTypeScriptCompilerOptions(tsConfigPath);
    const transpileOnly = env.PULUMI_NODEJS_TRANSPILE_ONLY ? env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" : (compilerOptions.noCheck as boolean | undefined);
    const [major = 0, minor = 0] = typescriptVersion.split(".").map(Number);
    const nodeNext = major > 4 || (major === 4 && minor >= 7);
    return {
        tsConfigPath,
        options: {
            compiler: tsutils.typeScriptRequireStrings().typescriptRequire,
            transpileOnly,
            project: tsConfigPath,
            skipProject: !existsSync(tsConfigPath),
            compilerOptions: {
                target: "ES2020",
                module: nodeNext ? "nodenext" : "commonjs",
                moduleResolution: nodeNext ? "nodenext" : "node",
                sourceMap: "true",
                ...compilerOptions,
            },
        },
    };
}

export async function main(): Promise<void> {
    process.chdir(root);
    // The process's own require: not tsx's namespaced one that loaded this file.
    const load = createRequire(resolve(root, "index.ts"));
    const tsutils = load("@pulumi/pulumi/tsutils") as TsUtils;
    const { tsnodeRequire, typescriptRequire } = tsutils.typeScriptRequireStrings();
    const ts = load(typescriptRequire) as { version: string };
    const { tsConfigPath, options } = languageHostTsNodeOptions(tsutils, process.env, ts.version);
    // tsx's namespaced loader leaves a non-enumerable `.ts` handler behind, which Node's resolver does not see;
    // ts-node must find none, as in the language host, so that its own is registered as a plain property.
    for (const ext of [".ts", ".tsx", ".mts", ".cts"]) {
        delete (load.extensions as Record<string, unknown>)[ext];
    }
    (load(tsnodeRequire) as { register(o: unknown): void }).register(options);

    const { config, secretKeys } = engineConfig(resolve(root, "Pulumi.local.yaml"));
    let requireMs = 0;
    const start = performance.now();
    const resources = await captureProgram(
        async () => {
            const t = performance.now();
            const loaded = load(resolve(root, "index.ts")) as unknown;
            requireMs = performance.now() - t;
            return loaded;
        },
        { project: "messaging-platform", stack: "local", config, secretKeys },
    );
    const result: LanguageHostResult = {
        tsconfig: tsConfigPath,
        transpileOnly: options.transpileOnly === true,
        tsNode: tsnodeRequire.includes("vendor") ? "ts-node 7.0.1 (vendored by @pulumi/pulumi)" : `ts-node from ${tsnodeRequire}`,
        typescript: ts.version,
        requireMs,
        totalMs: performance.now() - start,
        resources: resources.length,
    };
    report(result);
}
