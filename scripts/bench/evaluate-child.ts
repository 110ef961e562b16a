/**
 * Child process: evaluates the whole program (index.ts) under Pulumi mocks for one stack, phase and tenant count,
 * and reports what it registered, how long each part took and the process's peak RSS.
 *
 * `node --import tsx scripts/bench/evaluate-child.ts --stack prod --phase 3 --tenants 1000 [--plain-stacks]
 *  [--cpu-profile out.cpuprofile] [--dump-resources resources.json]`
 *
 * The program runs exactly as `npm run policy` runs it (policies/offline.ts `captureProgram`, the stack file's
 * config via scripts/policy.ts `engineConfig`), with the generated tenants in place of the stack's own. The
 * program's modules (components/, topology/ and the provider SDKs they import) are loaded before the clock
 * starts: their load time is measured on its own (scripts/bench/imports.ts).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { resolve } from "node:path";
import { PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { captureProgram } from "../../policies/offline";
import { plan, rawConfigFromStackFile, validateConfig } from "../../topology";
import { engineConfig } from "../policy";
import { report } from "./child";
import type { ReplayedResource } from "./sdk-baseline-child";
import { generateTenants, withTenants } from "./tenants";

/** What one evaluation reports. Times in ms, sizes in bytes. */
export interface EvaluationResult {
    stack: string;
    phase: number;
    tenants: number;
    /** Resources the program registered (or read), including component resources and the StackReference. */
    resources: number;
    /** From starting the program to the last registration's response. */
    wallMs: number;
    /** validateConfig + plan on the same config, run on their own (the program runs them once more inside). */
    planMs: number;
    /** From starting the program until index.ts's `main()` resolved: config, self-reference, plan, every constructor. */
    programMs: number;
    /** From `main()` resolving until every registration (including those made from apply callbacks) returned. */
    settleMs: number;
    /** Garbage-collection pauses on the main thread during the evaluation (perf_hooks `gc` entries). */
    gcMs: number;
    /** Peak resident set size of this process (getrusage ru_maxrss). */
    maxRssBytes: number;
    /** Source-mapped stack traces were turned off (`process.setSourceMapsEnabled(false)`). */
    plainStacks: boolean;
}

const root = resolve(__dirname, "../..");

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string", default: "prod" },
            phase: { type: "string", default: "3" },
            tenants: { type: "string", default: "0" },
            "plain-stacks": { type: "boolean", default: false },
            "cpu-profile": { type: "string" },
            "dump-resources": { type: "string" },
        },
        strict: true,
    });
    const stack = values.stack;
    const phase = Number(values.phase);
    const tenants = generateTenants(Number(values.tenants));
    const plainStacks = values["plain-stacks"];
    if (plainStacks) {
        process.setSourceMapsEnabled(false);
    }
    const stackFile = resolve(root, `Pulumi.${stack}.yaml`);

    // The pure planner alone, on the same config.
    const t0 = performance.now();
    plan(validateConfig(rawConfigFromStackFile(readFileSync(stackFile, "utf8"), { phase, tenants })));
    const planMs = performance.now() - t0;

    // Load the program's modules first: module loading is measured separately.
    await import("../../components");

    const base = engineConfig(stackFile, phase);
    // Profile the evaluation only, not the module loading above.
    const profiler = values["cpu-profile"] === undefined ? undefined : new Session();
    if (profiler) {
        profiler.connect();
        await profiler.post("Profiler.enable");
        await profiler.post("Profiler.start");
    }
    let gcMs = 0;
    const gc = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            gcMs += entry.duration;
        }
    });
    gc.observe({ entryTypes: ["gc"] });
    let mainDone = 0;
    const start = performance.now();
    const resources = await captureProgram(
        async () => {
            const loaded = (await import("../../index")) as { default?: unknown };
            // `export = main()`: the module's exports are main()'s promise.
            await (loaded.default ?? loaded);
            mainDone = performance.now();
            return loaded;
        },
        { project: "messaging-platform", stack, config: withTenants(base.config, tenants), secretKeys: base.secretKeys },
    );
    const end = performance.now();
    for (const entry of gc.takeRecords()) {
        gcMs += entry.duration;
    }
    gc.disconnect();
    if (profiler) {
        const { profile } = await profiler.post("Profiler.stop");
        writeFileSync(values["cpu-profile"] as string, JSON.stringify(profile));
        profiler.disconnect();
    }
    // What the SDK baseline replays (scripts/bench/sdk-baseline-child.ts --shape replay): each resource as registered.
    if (values["dump-resources"] !== undefined) {
        writeFileSync(values["dump-resources"], JSON.stringify(resources.map((r): ReplayedResource => ({ type: r.type, name: r.name, inputs: r.inputs }))));
    }
    const result: EvaluationResult = {
        stack,
        phase,
        tenants: tenants.length,
        resources: resources.length,
        wallMs: end - start,
        planMs,
        programMs: mainDone - start,
        settleMs: end - mainDone,
        gcMs,
        maxRssBytes: process.resourceUsage().maxRSS * 1024,
        plainStacks,
    };
    report(result);
}

main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
});
