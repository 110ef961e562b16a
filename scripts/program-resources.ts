/**
 * The resources the program (index.ts) registers for a stack at a phase, under Pulumi mocks, as JSON on stdout:
 *
 *     tsx scripts/program-resources.ts --stack <name> --phase N [--previous '<outputs JSON>'] [--overrides '<config JSON>']
 *
 * `--previous` is what the stack's reference to itself returns (its last deployment's outputs), so the run sees the
 * same transition guard and storage high-water mark as a real update. One stack per process: the Pulumi runtime is
 * process-global. `npm run plan -- --from M --resources` runs two of these side by side and diffs them.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { captureProgram, type CapturedResource } from "../policies/offline";
import { engineConfig } from "./policy";
import type { DiffResource } from "./provider-diff";

export interface ProgramResource extends DiffResource {
    /** The platform component the resource belongs to (`KafkaPlatform`, `PulsarCluster`...), or `-` for top-level. */
    component: string;
}

export interface ProgramRun {
    resources: ProgramResource[];
    /** The MessagingPlatform component's outputs (what the stack exports). */
    outputs: Record<string, unknown>;
}

const PLATFORM_TYPE = "messaging-platform:index:MessagingPlatform";

/**
 * The platform component each resource belongs to: the ancestor directly under MessagingPlatform (its short type
 * name), or `-` for the platform's own children (providers, the namespace). Follows parent links: the mock monitor's
 * URNs carry only the immediate parent's type. Pure.
 */
export function componentsOf(resources: Pick<CapturedResource, "type" | "urn" | "parent">[]): Map<string, string> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const out = new Map<string, string>();
    for (const r of resources) {
        let node = r;
        let component = "-";
        while (node.parent) {
            const parent = byUrn.get(node.parent);
            if (!parent) {
                break;
            }
            if (parent.type === PLATFORM_TYPE) {
                component = node === r && !r.type.startsWith("messaging-platform:") ? "-" : (node.type.split(":").pop() as string);
                break;
            }
            node = parent;
        }
        out.set(r.urn, component);
    }
    return out;
}

export function describeRun(captured: CapturedResource[]): ProgramRun {
    const platform = captured.find((r) => r.type === PLATFORM_TYPE);
    const components = componentsOf(captured);
    return {
        resources: captured
            .filter((r) => r.type !== "pulumi:pulumi:Stack")
            .map((r) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                component: components.get(r.urn) ?? "-",
                protect: r.protect,
                retainOnDelete: r.retainOnDelete,
                inputs: r.inputs,
                propertyDependencies: r.propertyDependencies,
            })),
        outputs: platform?.outputs ?? {},
    };
}

export async function captureStack(stack: string, phase: number, previousOutputs: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}): Promise<ProgramRun> {
    const root = resolve(__dirname, "..");
    const { config, secretKeys } = engineConfig(resolve(root, `Pulumi.${stack}.yaml`), phase, root, overrides);
    const captured = await captureProgram(() => import(resolve(root, "index.ts")), { project: "messaging-platform", stack, config, secretKeys, previousOutputs });
    return describeRun(captured);
}

if (require.main === module) {
    const { values } = parseArgs({ options: { stack: { type: "string" }, phase: { type: "string" }, previous: { type: "string" }, overrides: { type: "string" } }, strict: true });
    const json = (v: string | undefined) => (v ? (JSON.parse(v) as Record<string, unknown>) : {});
    captureStack(values.stack as string, Number(values.phase), json(values.previous), json(values.overrides)).then(
        (run) => process.stdout.write(`${JSON.stringify(run)}\n`),
        (e: unknown) => {
            process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
            process.exit(2);
        },
    );
}
