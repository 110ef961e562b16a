/**
 * Program evaluation under mocks as the tenant count grows: each size in fresh child processes
 * (scripts/bench/evaluate-child.ts), the median of several runs where a run is cheap.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runNode } from "./child";
import type { EvaluationResult } from "./evaluate-child";
import type { BaselineResult } from "./sdk-baseline-child";
import { median } from "./stats";

export interface ScalingRow {
    tenants: number;
    runs: number;
    resources: number;
    wallMs: number;
    perResourceMs: number;
    planMs: number;
    programMs: number;
    settleMs: number;
    gcMs: number;
    maxRssBytes: number;
    /** The bare SDK's wall time replaying the program's resources (scripts/bench/sdk-baseline-child.ts), where measured. */
    sdkWallMs?: number;
    /** The same for resources with only metadata and spec (the SDK's floor). */
    sdkMinimalWallMs?: number;
}

/** The row of one size: the median of each figure over its runs (which all register the same resources). */
export function scalingRow(results: EvaluationResult[]): ScalingRow {
    const first = results[0];
    if (first === undefined) {
        throw new Error("scalingRow: no runs");
    }
    const differing = results.find((r) => r.resources !== first.resources);
    if (differing) {
        throw new Error(`runs with ${first.tenants} tenants registered ${first.resources} and ${differing.resources} resources: the program is not deterministic`);
    }
    const wallMs = median(results.map((r) => r.wallMs));
    return {
        tenants: first.tenants,
        runs: results.length,
        resources: first.resources,
        wallMs,
        perResourceMs: wallMs / first.resources,
        planMs: median(results.map((r) => r.planMs)),
        programMs: median(results.map((r) => r.programMs)),
        settleMs: median(results.map((r) => r.settleMs)),
        gcMs: median(results.map((r) => r.gcMs)),
        maxRssBytes: median(results.map((r) => r.maxRssBytes)),
    };
}

export interface EvaluateOptions {
    stack: string;
    phase: number;
    tenants: number;
    plainStacks?: boolean;
    cpuProfile?: string;
    /** Where to write the registered resources (type, name, inputs) for the SDK baseline to replay. */
    dumpResources?: string;
    /** V8 heap limit of the child (5,000 tenants do not fit the default of about 4 GiB). */
    maxOldSpaceMiB: number;
}

/** One evaluation in a fresh `node --import tsx` process. */
export function evaluate(root: string, o: EvaluateOptions): Promise<EvaluationResult> {
    const args = [
        `--max-old-space-size=${o.maxOldSpaceMiB}`,
        "--import",
        "tsx",
        join(root, "scripts/bench/evaluate-child.ts"),
        "--stack",
        o.stack,
        "--phase",
        String(o.phase),
        "--tenants",
        String(o.tenants),
        ...(o.plainStacks ? ["--plain-stacks"] : []),
        ...(o.cpuProfile ? ["--cpu-profile", o.cpuProfile] : []),
        ...(o.dumpResources ? ["--dump-resources", o.dumpResources] : []),
    ];
    return runNode<EvaluationResult>({ args, cwd: root, timeoutMs: 60 * 60_000 });
}

/** The bare SDK's cost, in a fresh process: replaying the resources in `resourcesFile`, or `resources` minimal ones. */
export function sdkBaseline(root: string, maxOldSpaceMiB: number, what: { replay: string } | { minimal: number }): Promise<BaselineResult> {
    const args = [
        `--max-old-space-size=${maxOldSpaceMiB}`,
        "--import",
        "tsx",
        join(root, "scripts/bench/sdk-baseline-child.ts"),
        ...("replay" in what ? ["--shape", "replay", "--resources-file", what.replay] : ["--shape", "minimal", "--resources", String(what.minimal)]),
    ];
    return runNode<BaselineResult>({ args, cwd: root, timeoutMs: 60 * 60_000 });
}

export async function measureScaling(
    root: string,
    sizes: { tenants: number; runs: number }[],
    base: Omit<EvaluateOptions, "tenants">,
    progress: (line: string) => void,
): Promise<ScalingRow[]> {
    const rows: ScalingRow[] = [];
    for (const { tenants, runs } of sizes) {
        const results: EvaluationResult[] = [];
        const dir = mkdtempSync(join(tmpdir(), "bench-resources-"));
        try {
            const dump = join(dir, "resources.json");
            for (let i = 0; i < runs; i++) {
                const r = await evaluate(root, { ...base, tenants, ...(i === 0 ? { dumpResources: dump } : {}) });
                progress(`  ${tenants} tenants, run ${i + 1}/${runs}: ${r.resources} resources in ${(r.wallMs / 1000).toFixed(1)} s`);
                results.push(r);
            }
            const row = scalingRow(results);
            // As many runs as the program had, median: the ratio is what the target reads, so both sides get the same noise.
            const baseline = async (what: Parameters<typeof sdkBaseline>[2]) => {
                const walls: number[] = [];
                let last: BaselineResult | undefined;
                for (let i = 0; i < runs; i++) {
                    last = await sdkBaseline(root, base.maxOldSpaceMiB, what);
                    walls.push(last.wallMs);
                }
                return { ...(last as BaselineResult), wallMs: median(walls) };
            };
            const sdk = await baseline({ replay: dump });
            const minimal = await baseline({ minimal: row.resources });
            progress(
                `  the bare SDK, ${sdk.resources} resources: ${(sdk.wallMs / 1000).toFixed(1)} s (the program's resources replayed), ` +
                    `${(minimal.wallMs / 1000).toFixed(1)} s (metadata and spec only)`,
            );
            rows.push({ ...row, sdkWallMs: sdk.wallMs, sdkMinimalWallMs: minimal.wallMs });
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    }
    return rows;
}
