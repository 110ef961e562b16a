/**
 * `npm run plan -- --stack <name> [--phase N] [--from M] [--format text|json|mermaid]`
 *
 * Reads Pulumi.<name>.yaml, validates it and prints the planned topology; with `--from M`, what moving the
 * stack from phase M to the stack's (or --phase) phase changes. No Pulumi engine, no cloud, no network.
 * Exits 2 on invalid config (the error lists every problem).
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
import { renderMermaid } from "./plan-mermaid";

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

export function main(argv: string[]): number {
    const { values } = parseArgs({
        args: argv,
        options: {
            stack: { type: "string", short: "s" },
            phase: { type: "string" },
            from: { type: "string" },
            format: { type: "string", default: "text" },
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
        process.stdout.write(values.format === "json" ? `${JSON.stringify(diff, null, 2)}\n` : renderDiff(diff, values.stack));
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
    process.exitCode = main(process.argv.slice(2));
}
