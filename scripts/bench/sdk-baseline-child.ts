/**
 * Child process: the Pulumi SDK's own cost for N resources under the same mocks as the program (policies/offline.ts
 * `captureProgram`): a bare program that registers N custom resources with a small spec each, nothing else: no
 * components, parents, dependencies or outputs. The program's evaluation is compared with this for as many resources
 * (issue 15: within 1.3x).
 *
 * Shapes (`--shape`):
 * - `kubernetes` (the comparison): the four top-level fields every Kubernetes object has, as every resource the
 *   program registers per tenant does (apiVersion, kind, metadata, spec). The SDK's cost grows with the top-level
 *   fields: it makes four promises for each (runtime/rpc.js transferProperties), each with a stack trace.
 * - `minimal`: metadata and spec only, the SDK's floor (reported beside it).
 *
 * `node --import tsx scripts/bench/sdk-baseline-child.ts --resources 5279 [--shape kubernetes|minimal]`
 */
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { captureProgram } from "../../policies/offline";
import { report } from "./child";

export const BASELINE_SHAPES = ["kubernetes", "minimal"] as const;
export type BaselineShape = (typeof BASELINE_SHAPES)[number];

export interface BaselineResult {
    shape: BaselineShape;
    resources: number;
    wallMs: number;
    maxRssBytes: number;
}

/** A custom resource with nothing of its own: what every resource costs the SDK. */
class BenchResource extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs) {
        super("kubernetes:bench/v1:Resource", name, props);
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { resources: { type: "string" }, shape: { type: "string", default: "kubernetes" } }, strict: true });
    const n = Number(values.resources);
    const shape = values.shape as BaselineShape;
    if (!BASELINE_SHAPES.includes(shape)) {
        throw new Error(`--shape ${JSON.stringify(values.shape)}: allowed ${BASELINE_SHAPES.join(", ")}`);
    }
    const props = (i: number): pulumi.Inputs => {
        const body = { metadata: { name: `resource-${i}`, namespace: "bench" }, spec: { index: i } };
        return shape === "kubernetes" ? { apiVersion: "bench.example/v1", kind: "Resource", ...body } : body;
    };
    const start = performance.now();
    const captured = await captureProgram(
        async () => {
            for (let i = 0; i < n; i++) {
                new BenchResource(`resource-${i}`, props(i));
            }
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
