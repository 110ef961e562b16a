/**
 * Import time of the program: the provider SDKs under plain `node` (how the language host loads JavaScript from
 * node_modules: ts-node compiles only the program's own .ts files) and the program's own modules under tsx
 * (scripts/bench/imports-child.ts), each in fresh processes.
 */
import { join } from "node:path";
import { runNode } from "./child";
import type { ImportsResult } from "./imports-child";
import { PROGRAM_PACKAGES, packageFileCount } from "./modules";
import { median } from "./stats";

export interface PackageImport {
    pkg: string;
    /** Median time of `require(pkg)` in a fresh `node`, with @pulumi/pulumi already loaded (but for itself). */
    requireMs: number;
    /** Modules of the package in the module cache after that require. */
    modulesLoaded: number;
    /** `.js` files the package ships. */
    files: number;
}

/**
 * Runs under plain node: loads @pulumi/pulumi (which every provider SDK loads first) untimed, then times the
 * package's require and counts how many of its files that loaded.
 */
const REQUIRE_ONE = [
    "const pkg = process.argv[1];",
    'if (pkg !== "@pulumi/pulumi") require("@pulumi/pulumi");',
    "const t = performance.now();",
    "require(pkg);",
    "const ms = performance.now() - t;",
    'const modules = Object.keys(require.cache).filter((k) => k.includes("/node_modules/" + pkg + "/")).length;',
    'process.stdout.write("BENCH_RESULT " + JSON.stringify({ ms, modules }) + "\\n");',
].join("\n");

export async function measurePackageImports(root: string, runs: number): Promise<PackageImport[]> {
    const out: PackageImport[] = [];
    for (const pkg of PROGRAM_PACKAGES) {
        const samples: { ms: number; modules: number }[] = [];
        for (let i = 0; i < runs; i++) {
            samples.push(await runNode<{ ms: number; modules: number }>({ args: ["-e", REQUIRE_ONE, pkg], cwd: root }));
        }
        out.push({
            pkg,
            requireMs: median(samples.map((s) => s.ms)),
            modulesLoaded: samples[0]?.modules ?? 0,
            files: packageFileCount(join(root, "node_modules"), pkg),
        });
    }
    return out;
}

/** The program's modules under tsx: median of `runs` fresh processes for each time. */
export async function measureProgramImports(root: string, runs: number): Promise<ImportsResult> {
    const samples: ImportsResult[] = [];
    for (let i = 0; i < runs; i++) {
        samples.push(await runNode<ImportsResult>({ args: ["--import", "tsx", join(root, "scripts/bench/imports-child.ts")], cwd: root }));
    }
    const first = samples[0] as ImportsResult;
    return {
        ...first,
        topologyMs: median(samples.map((s) => s.topologyMs)),
        componentsMs: median(samples.map((s) => s.componentsMs)),
        indexMs: median(samples.map((s) => s.indexMs)),
    };
}
