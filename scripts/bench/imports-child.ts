/**
 * Child process: how long the program's own modules take to load under tsx (what `npm run plan|policy` and the
 * tests use), and how much of each provider SDK that loads.
 *
 * `node --import tsx scripts/bench/imports-child.ts`
 *
 * topology/ (pure), then components/ (every provider SDK), then index.ts itself under mocks (its import runs
 * main() up to its first await). Each step's time includes only what the previous ones did not load.
 */
import { resolve } from "node:path";
import { report } from "./child";
import { loadedModulesByPackage } from "./modules";

export interface ImportsResult {
    topologyMs: number;
    componentsMs: number;
    indexMs: number;
    /** Modules of each Pulumi package in the module cache after loading components/. */
    loadedAfterComponents: Record<string, number>;
    /** The same after the whole program ran for the local stack (namespaces the components touched). */
    loadedAfterProgram: Record<string, number>;
}

const root = resolve(__dirname, "../..");

async function main(): Promise<void> {
    const t0 = performance.now();
    await import("../../topology");
    const t1 = performance.now();
    await import("../../components");
    const t2 = performance.now();
    const loadedAfterComponents = loadedModulesByPackage(Object.keys(require.cache));
    // The mock harness last, so that the steps above load everything they need themselves.
    const { captureProgram } = await import("../../policies/offline");
    const { engineConfig } = await import("../policy");
    const { config, secretKeys } = engineConfig(resolve(root, "Pulumi.local.yaml"));
    let indexMs = 0;
    await captureProgram(
        async () => {
            const t = performance.now();
            const loaded = await import("../../index");
            indexMs = performance.now() - t;
            return loaded;
        },
        { project: "messaging-platform", stack: "local", config, secretKeys },
    );
    const result: ImportsResult = {
        topologyMs: t1 - t0,
        componentsMs: t2 - t1,
        indexMs,
        loadedAfterComponents,
        loadedAfterProgram: loadedModulesByPackage(Object.keys(require.cache)),
    };
    report(result);
}

main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
});
