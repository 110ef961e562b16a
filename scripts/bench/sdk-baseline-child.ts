/**
 * Child process: the Pulumi SDK's own cost for N resources under the same mocks as the program (policies/offline.ts
 * `captureProgram`): a bare program that registers N custom resources with a small spec each, nothing else. The
 * program's evaluation is compared with this for as many resources (issue 15: within 1.3x).
 *
 * `node --import tsx scripts/bench/sdk-baseline-child.ts --resources 11238`
 */
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { captureProgram } from "../../policies/offline";
import { report } from "./child";

export interface BaselineResult {
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
    const { values } = parseArgs({ options: { resources: { type: "string" } }, strict: true });
    const n = Number(values.resources);
    const start = performance.now();
    const captured = await captureProgram(
        async () => {
            for (let i = 0; i < n; i++) {
                new BenchResource(`resource-${i}`, { metadata: { name: `resource-${i}`, namespace: "bench" }, spec: { index: i } });
            }
            return {};
        },
        { project: "messaging-platform", stack: "bench", config: {}, secretKeys: [] },
    );
    const result: BaselineResult = { resources: captured.length, wallMs: performance.now() - start, maxRssBytes: process.resourceUsage().maxRSS * 1024 };
    report(result);
}

main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
});
