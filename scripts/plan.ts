/**
 * `npm run -s plan -- --stack <name> [--phase N] [--from M [--resources]] [--format text|json|mermaid]`
 *
 * Reads Pulumi.<name>.yaml as the engine would hand it to the program (scripts/stack.ts), validates it and prints the
 * planned topology; with `--from M`, what moving the stack from phase M to the target phase changes (refused, as the
 * program refuses it, when that is a jump); with `--resources` as well, the program's own resources per component with
 * create / update / replace / delete as the providers decide them (scripts/provider-diff.ts), from two runs of
 * index.ts under mocks. No Pulumi engine, no cloud, no network.
 *
 * Exit codes: 0 planned; 2 bad usage, a stack file the CLI or the program refuses, or an update the program refuses.
 */
import {
    ConfigError,
    StackFileError,
    describePhase,
    diffTopology,
    isPhaseId,
    phaseTransitionProblem,
    planChoreography,
    isOneStep,
    plan,
    edgeRawConfig,
    planEdgeSite,
    validateConfig,
    validateEdgeConfig,
    type CentralView,
    type DeployedState,
    type Topology,
} from "../topology";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { CliUsageError, choiceFlag, parseFlags, phaseFlag } from "./cli";
import { renderChoreography } from "./plan-choreography";
import { renderDiff, renderEdgeSite, renderTopology } from "./plan-format";
import { renderMermaid, renderMermaidChange } from "./plan-mermaid";
import { programResourceChanges, programStageChanges, renderResourceChanges } from "./plan-resources";
import { runMain } from "./run-main";
import { EngineConfigError, ROOT, loadStack } from "./stack";

const COMMAND = "npm run plan";
const FORMATS = ["text", "json", "mermaid"] as const;

export const USAGE = `usage: npm run -s plan -- --stack <stack> [--phase N] [--from M [--resources [--stage S]]] [--format text|json|mermaid]
       npm run -s plan -- --edge <site> [--format text|json|mermaid]

  --stack S      the stack to plan (Pulumi.S.yaml)
  --edge SITE    an edge site of the edge project (edge/Pulumi.SITE.yaml), with central's side read from its stack file
                 when the checkout has it (Pulumi.<central stack>.yaml)
  --phase N      plan phase N instead of the phase in the stack file
  --from M       what moving the stack from phase M to the target phase changes, per stream and resource
                 (the target is --phase, else the stack file's phase; a jump the program refuses is refused here too)
  --resources    with --from: the program's own resources per component (index.ts under mocks, a few seconds),
                 each create / update / replace / delete / forget as the providers decide it; without --stage, the
                 net change of a transition's three updates
  --stage S      with --resources on a transition: what that one update does (prepare | switch | settle), as its
                 pulumi preview must show it (docs/runbooks.md, "Bumps and rollbacks")
  --format F     text (default) | json | mermaid (with --from: the target phase with what changed styled)
  --help         this text

Exit: 0 planned; 2 bad usage, a stack file the Pulumi CLI or the program refuses, or an update the program refuses.
Use \`npm run -s\` when piping (npm prints a banner on stdout otherwise).
`;

interface PlanFlags {
    stack?: string;
    edge?: string;
    phase?: string;
    from?: string;
    format: string;
    resources: boolean;
    stage?: string;
}

export interface PlannedStack {
    topology: Topology;
    allowPhaseSkip: boolean;
}

/**
 * The planned topology of a stack, read as the engine would hand it over.
 * @param deployed what the stack's last update left (for `--from`: the state the `--from` phase leaves), so storage
 *   that outlives a phase (offload after 3 -> 2) shows as the update would plan it
 */
export function planForStack(stack: string, phase?: number, root = ROOT, deployed: DeployedState = {}): PlannedStack {
    const platform = validateConfig(loadStack(COMMAND, stack, { root, ...(phase !== undefined ? { phase } : {}) }).raw);
    return { topology: plan(platform, deployed), allowPhaseSkip: platform.allowPhaseSkip };
}

/** A marker for central's CA certificate offline: the real one is read from central's outputs when the site deploys. */
const OFFLINE_CA = "-----BEGIN CERTIFICATE-----\n(central's CA, read from its stack outputs when the site deploys)\n-----END CERTIFICATE-----\n";

/**
 * An edge site's plan, with central's view as central's own stack file plans it (`organization/project/<stack>` ->
 * Pulumi.<stack>.yaml in the checkout), since offline there are no stack outputs to read.
 */
export function planForEdge(site: string, root = ROOT): { plan: ReturnType<typeof planEdgeSite>; note?: string } {
    const loaded = loadStack(COMMAND, site, { root: resolve(root, "edge"), flag: "--edge" });
    const raw = edgeRawConfig(loaded.engine);
    const config = validateEdgeConfig(raw.values, raw.secretKeys);
    const centralStack = config.central.stack.split("/").pop() as string;
    if (!existsSync(resolve(root, `Pulumi.${centralStack}.yaml`))) {
        return { plan: planEdgeSite(config, undefined), note: `central: no Pulumi.${centralStack}.yaml in this checkout; planned as if central exported nothing` };
    }
    const central = planForStack(centralStack, undefined, root).topology;
    const view: CentralView | undefined = central.edgePairing ? { ...central.edgePairing.view, caCertificate: OFFLINE_CA } : undefined;
    return {
        plan: planEdgeSite(config, view),
        note: `central: as Pulumi.${centralStack}.yaml plans it (phase ${describePhase(central.phase)}); its CA certificate is read from its outputs when the site deploys`,
    };
}

/** @param root the project folder (Pulumi.yaml and the stack files). @default the checkout */
export async function main(argv: string[], root = ROOT): Promise<number> {
    try {
        const { values: flags, help } = parseFlags<PlanFlags>(COMMAND, argv, {
            stack: { type: "string", short: "s" },
            edge: { type: "string" },
            phase: { type: "string" },
            from: { type: "string" },
            format: { type: "string", default: "text" },
            resources: { type: "boolean", default: false },
            stage: { type: "string" },
        });
        if (help) {
            process.stdout.write(USAGE);
            return 0;
        }
        const format = choiceFlag(COMMAND, "--format", flags.format, FORMATS);
        if (flags.resources && flags.from === undefined) {
            throw new CliUsageError(`${COMMAND}: --resources: allowed only with --from M (it lists what the update from phase M changes)`);
        }
        const stage = flags.stage === undefined ? undefined : choiceFlag(COMMAND, "--stage", flags.stage, ["prepare", "switch", "settle"] as const);
        if (stage !== undefined && !flags.resources) {
            throw new CliUsageError(`${COMMAND}: --stage ${stage}: allowed only with --from M --resources (it lists what that update of the transition does)`);
        }
        if (flags.resources && format === "mermaid") {
            throw new CliUsageError(`${COMMAND}: --resources with --format mermaid: allowed --format text | json (the diagram shows the phase, not resources)`);
        }
        if (flags.edge !== undefined) {
            if (flags.stack !== undefined || flags.from !== undefined || flags.phase !== undefined) {
                throw new CliUsageError(`${COMMAND}: --edge ${flags.edge}: allowed alone or with --format (an edge site has no phase; plan central with --stack)`);
            }
            const planned = planForEdge(flags.edge, root);
            const render = { json: () => `${JSON.stringify(planned.plan, null, 2)}\n`, mermaid: () => renderMermaid(planned.plan.topology), text: () => renderEdgeSite(planned.plan, planned.note) }[format];
            process.stdout.write(render());
            return 0;
        }
        const fromPhase = phaseFlag(COMMAND, "--from", flags.from);
        const phase = phaseFlag(COMMAND, "--phase", flags.phase);
        const stack = flags.stack as string;
        if (fromPhase === undefined) {
            const { topology } = planForStack(stack, phase, root);
            const render = { json: (t: Topology) => `${JSON.stringify(t, null, 2)}\n`, mermaid: renderMermaid, text: renderTopology }[format];
            process.stdout.write(render(topology));
            return 0;
        }
        const before = planForStack(stack, fromPhase, root).topology;
        const target = planForStack(stack, phase, root, { offloadActive: before.offload !== null });
        const to = target.topology;
        if (phase === undefined) {
            process.stderr.write(`${COMMAND}: --from ${fromPhase} without --phase: the target is phase ${describePhase(to.phase)}, the phase in Pulumi.${stack}.yaml\n`);
        }
        const jump = phaseTransitionProblem(isPhaseId(fromPhase) ? fromPhase : undefined, to.phase, target.allowPhaseSkip, stack);
        if (jump) {
            throw new ConfigError([{ ...jump, allowed: `${jump.allowed}. The program refuses this update (index.ts), so there is no plan of it` }]);
        }
        const diff = diffTopology(before, to);
        if (format === "mermaid") {
            process.stdout.write(renderMermaidChange(before, to, diff));
            return 0;
        }
        if (stage !== undefined && !isOneStep(before.phase, to.phase)) {
            throw new CliUsageError(`${COMMAND}: --stage ${stage}: allowed on a transition between adjacent phases (${fromPhase} -> ${to.phase} is one update without stages)`);
        }
        const changes = !flags.resources
            ? undefined
            : stage !== undefined
              ? ((await programStageChanges(stack, fromPhase, to.phase)).find((x) => x.stage === stage)?.changes ?? [])
              : await programResourceChanges(stack, fromPhase, to.phase);
        if (format === "json") {
            process.stdout.write(`${JSON.stringify(changes ? { ...diff, resources: changes } : diff, null, 2)}\n`);
            return 0;
        }
        process.stdout.write(renderDiff(diff, stack));
        if (isOneStep(before.phase, to.phase)) {
            process.stdout.write(`\n${renderChoreography(planChoreography(before, to), stack)}`);
        }
        if (changes) {
            process.stdout.write(`\n${renderResourceChanges(changes, fromPhase, to.phase, stage)}`);
        }
        return 0;
    } catch (err) {
        if (err instanceof ConfigError || err instanceof CliUsageError || err instanceof StackFileError || err instanceof EngineConfigError) {
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
