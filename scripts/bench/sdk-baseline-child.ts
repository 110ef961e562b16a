/**
 * Child process: the Pulumi SDK's own cost for N resources under the same mocks as the program (policies/offline.ts
 * `captureProgram`): a bare program that registers the resources from one flat loop, nothing else: no components,
 * parents, dependencies, options or outputs. The program's evaluation is compared with this for as many resources
 * (issue 15: within 1.3x).
 *
 * Shapes (`--shape`):
 * - `replay` (the comparison): the very resources the program registered, each with its type, name and inputs
 *   (scripts/bench/evaluate-child.ts --dump-resources), as plain custom resources. What is left over is the program's
 *   own cost: planning, components, options, outputs. The SDK's cost grows with each resource's inputs (it makes four
 *   promises per top-level field, each with a stack trace: runtime/rpc.js transferProperties, and serializes every
 *   nested value), so a synthetic resource understates it.
 * - `minimal`: N resources of metadata and spec only, the SDK's floor (reported beside it).
 *
 * `node --import tsx scripts/bench/sdk-baseline-child.ts --shape replay --resources-file resources.json`
 * `node --import tsx scripts/bench/sdk-baseline-child.ts --shape minimal --resources 5279`
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { captureProgram } from "../../policies/offline";
import { report } from "./child";
export const BASELINE_SHAPES = ["replay", "minimal"] as const;
export type BaselineShape = (typeof BASELINE_SHAPES)[number];

export interface BaselineResult {
    shape: BaselineShape;
    resources: number;
    wallMs: number;
    maxRssBytes: number;
}

/** A custom resource with nothing of its own: what every resource costs the SDK. */
class BenchResource extends pulumi.CustomResource {
    constructor(type: string, name: string, props: pulumi.Inputs) {
        super(type, name, props);
    }
}

/** One resource as the program registered it: what evaluate-child.ts --dump-resources writes and `replay` reads. */
export interface ReplayedResource {
    type: string;
    name: string;
    inputs: pulumi.Inputs;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { resources: { type: "string" }, "resources-file": { type: "string" }, shape: { type: "string", default: "minimal" } },
        strict: true,
    });
    const shape = values.shape as BaselineShape;
    if (!BASELINE_SHAPES.includes(shape)) {
        throw new Error(`--shape ${JSON.stringify(values.shape)}: allowed ${BASELINE_SHAPES.join(", ")}`);
    }
    const resources: ReplayedResource[] =
        shape === "replay"
            ? (JSON.parse(readFileSync(values["resources-file"] as string, "utf8")) as ReplayedResource[])
            : Array.from({ length: Number(values.resources) }, (_, i) => ({
                  type: "kubernetes:bench/v1:Resource",
                  name: `resource-${i}`,
                  inputs: { metadata: { name: `resource-${i}`, namespace: "bench" }, spec: { index: i } },
              }));
    const start = performance.now();
    const captured = await captureProgram(
        async () => {
            resources.forEach((r, i) => new BenchResource(r.type, `${r.name}-${i}`, r.inputs));
            return {};
        },
        { project: "messaging-platform", stack: "bench", config: {}, secretKeys: [] },
    );
    const result: BaselineResult = { shape, resources: captured.length, wallMs: performance.now() - start, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
    report(result);
}

main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
});
