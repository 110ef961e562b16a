/**
 * `npm run plan -- --stack <name> [--phase N] [--from M [--resources]] [--format text|json|mermaid]`
 *
 * Reads Pulumi.<name>.yaml, validates it and prints the planned topology; with `--from M`, what moving the
 * stack from phase M to the stack's (or --phase) phase changes; with `--resources` as well, the program's own
 * resource changes per component, from two runs of index.ts under mocks (a few seconds each). No Pulumi engine, no
 * cloud, no network. Exits 2 on invalid config (the error lists every problem) or bad usage.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import {
    ConfigError,
    diffTopology,
    plan,
    rawConfigFromStackFile,
    validateConfig,
    type DeployedState,
    type Topology,
} from "../topology";
import { renderDiff, renderTopology } from "./plan-format";
import { programResourceChanges, renderResourceChanges } from "./plan-resources";
import { renderMermaid } from "./plan-mermaid";
import { runMain } from "./run-main";

/**
 * @param deployed what the stack's last update left (for `--from`: the state the `--from` phase leaves), so storage
 *   that outlives a phase (offload after 3 -> 2) shows as the update would plan it
 */
export function planForStack(stack: string, phase?: number, root = resolve(__dirname, ".."), deployed: DeployedState = {}): Topology {
    const text = readFileSync(resolve(root, `Pulumi.${stack}.yaml`), "utf8");
    const overrides = phase === undefined ? {} : { phase };
    return plan(validateConfig(rawConfigFromStackFile(text, overrides)), deployed);
}

function parsePhase(flag: string, value: string | undefined): number | undefined {
    if (value === undefined) {
        return undefined;
    }
    const n = Number(value);
    if (!Number.isInteger(n)) {
        throw new ConfigError([{ key: "phase", value, allowed: `${flag} takes an integer phase (0..3)` }]);
    }
    return n;
}

export async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            stack: { type: "string", short: "s" },
            phase: { type: "string" },
            from: { type: "string" },
            format: { type: "string", default: "text" },
            resources: { type: "boolean", default: false },
        },
        strict: true,
    });
    if (!values.stack) {
        process.stderr.write("usage: npm run plan -- --stack <local|dev|prod> [--phase N] [--from M] [--format text|json|mermaid]\n");
        return 2;
    }
    if (values.format !== "text" && values.format !== "json" && values.format !== "mermaid") {
        process.stderr.write(`--format ${values.format}: allowed text | json | mermaid\n`);
        return 2;
    }
    if (values.resources && (values.from === undefined || values.format === "mermaid")) {
        process.stderr.write("--resources: allowed only with --from M and --format text or json (it lists what the update changes)\n");
        return 2;
    }
    try {
        const fromPhase = parsePhase("--from", values.from);
        const before = fromPhase === undefined ? undefined : planForStack(values.stack, fromPhase);
        const target = planForStack(values.stack, parsePhase("--phase", values.phase), undefined, before ? { offloadActive: before.offload !== null } : {});
        if (before === undefined) {
            const render = { json: (t: Topology) => `${JSON.stringify(t, null, 2)}\n`, mermaid: renderMermaid, text: renderTopology }[values.format];
            process.stdout.write(render(target));
            return 0;
        }
        const diff = diffTopology(before, target);
        if (values.format === "mermaid") {
            // A diagram of the target phase; the text diff goes to stderr so the diagram stays pipeable.
            process.stderr.write(renderDiff(diff, values.stack));
            process.stdout.write(renderMermaid(target));
            return 0;
        }
        const changes = values.resources ? await programResourceChanges(values.stack, fromPhase as number, target.phase) : undefined;
        if (values.format === "json") {
            process.stdout.write(`${JSON.stringify(changes ? { ...diff, resources: changes } : diff, null, 2)}\n`);
            return 0;
        }
        process.stdout.write(renderDiff(diff, values.stack));
        if (changes) {
            process.stdout.write(`\n${renderResourceChanges(changes, fromPhase as number, target.phase)}`);
        }
        return 0;
    } catch (err) {
        if (err instanceof ConfigError) {
            process.stderr.write(`${err.message}\n`);
            return 2;
        }
        throw err;
    }
}

if (require.main === module) {
    // A crash here is a program failure under mocks (--resources): exit 2, as for bad config.
    runMain(main, { crashCode: 2 });
}
