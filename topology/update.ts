/**
 * What one `pulumi up` deploys, given what the stack deployed last: the requested plan itself, or one stage of a
 * staged transition (topology/choreography.ts, topology/stage-plan.ts), or a refusal that says which update is due.
 * Pure; components/program.ts calls it with the stack's own last outputs.
 *
 * The stack is either settled (its last update had no `transitionStage`) or mid-transition (it records the stage and
 * where the transition started). From settled, a change that moves streams starts at `prepare`; a change that moves
 * nothing is one update. Mid-transition, `prepare` may be re-run or followed by `switch`, or abandoned by going back
 * to the source (nothing has moved yet); `switch` may be re-run or followed by settle (no `transitionStage`).
 */
import { GATE_NAMES, type GateName } from "./catalog";
import { planChoreography, type Choreography, type StageName } from "./choreography";
import { CONFIG_NAMESPACE, ConfigError, type ConfigProblem, type PlatformConfig } from "./config";
import type { Topology } from "./model";
import { describePhase, withinOneStep, type PhaseId } from "./phases";
import { plan } from "./plan";
import { stageTopology } from "./stage-plan";
import { phaseTransitionProblem, type DeployedState } from "./transition";

interface Position {
    phase: PhaseId;
    gates: Record<GateName, boolean>;
}

export interface PlannedUpdate {
    topology: Topology;
    /** The transition's choreography, when this update is a stage of one or settles one. */
    choreography?: Choreography;
}

const samePosition = (x: Position, y: Position) => x.phase === y.phase && GATE_NAMES.every((g) => x.gates[g] === y.gates[g]);

function describe(p: Position): string {
    const approved = GATE_NAMES.filter((g) => p.gates[g]);
    return `phase ${describePhase(p.phase)}${approved.length > 0 ? ` with ${approved.join(", ")} approved` : ""}`;
}

/** The commands of each step, for the messages. */
function steps(stack: string): string {
    const set = (v: string) => `pulumi config set ${CONFIG_NAMESPACE}:transitionStage ${v} --stack ${stack} && pulumi up --stack ${stack}`;
    return (
        `1) ${set("prepare")}; 2) npm run handover -- --stack ${stack}, then ${set("switch")}; ` +
        `3) npm run drain-check -- --stack ${stack} --wait, then pulumi config rm ${CONFIG_NAMESPACE}:transitionStage --stack ${stack} && pulumi up --stack ${stack} ` +
        `(docs/runbooks.md, "Bumps and rollbacks")`
    );
}

function problem(value: StageName | undefined, allowed: string): ConfigError {
    return new ConfigError([{ key: "transitionStage", value, allowed }]);
}

/** The moving streams of a choreography, for the messages. */
function moving(ch: Choreography): string {
    const names = ch.streams.filter((s) => s.handovers.length + s.mirrors.length + s.sinksStarted.length + s.sinksStopped.length + s.drains.length > 0).map((s) => s.stream);
    return names.join(", ");
}

/**
 * Plans this update. Throws a ConfigError naming `transitionStage` (or `phase`) when the requested update is not the
 * one due.
 */
export function planUpdate(config: PlatformConfig, deployed: DeployedState, stack: string): PlannedUpdate {
    const stage = config.transitionStage;
    const target: Position = { phase: config.phase, gates: { ...config.gates } };
    const at = (p: Position): PlatformConfig => ({ ...config, phase: p.phase, gates: { ...p.gates } });
    if (deployed.phase === undefined) {
        if (stage !== undefined) {
            throw problem(stage, "not set: nothing is deployed yet, so there is no transition to stage (a first deployment is one update)");
        }
        return { topology: plan(config, deployed) };
    }
    const jump: ConfigProblem | undefined = phaseTransitionProblem(deployed.phase, config.phase, config.allowPhaseSkip, stack);
    if (jump) {
        throw new ConfigError([jump]);
    }
    const current = deployed.transition;
    // Stacks deployed before gates were recorded: their gates are taken to be the config's.
    const last: Position = { phase: deployed.phase, gates: { ...(deployed.gates ?? config.gates) } };

    if (current) {
        const source: Position = { phase: current.from.phase, gates: { ...current.from.gates } };
        const a = plan(at(source), deployed);
        if (samePosition(target, source) && current.stage === "prepare" && stage === undefined) {
            // Abandoning a prepared transition: nothing moved yet; the target side the prepare update added goes.
            return { topology: plan(config, deployed) };
        }
        if (!samePosition(target, last)) {
            throw problem(
                stage,
                `the stack is in the ${current.stage} stage of ${describe(source)} -> ${describe(last)}: finish it (set phase and gates back to the target) ` +
                    (current.stage === "prepare" ? `or abandon it (phase and gates of the source, transitionStage not set)` : `with the steps below, then start the next transition`) +
                    `; the steps: ${steps(stack)}`,
            );
        }
        const b = plan(config, deployed);
        const ch = planChoreography(a, b);
        if (stage === undefined) {
            if (current.stage !== "switch") {
                throw problem(stage, `"switch": the stack is prepared for ${describe(source)} -> ${describe(target)}; run the handover and the switch before settling: ${steps(stack)}`);
            }
            return { topology: b, choreography: ch };
        }
        if (stage === "prepare" && current.stage === "switch") {
            throw problem(stage, `"switch" or not set: the switch of ${describe(source)} -> ${describe(target)} already ran; re-run it, or settle once the drain check passes: ${steps(stack)}`);
        }
        return { topology: stageTopology(a, b, stage, source.gates, ch), choreography: ch };
    }

    if (samePosition(target, last)) {
        if (stage !== undefined) {
            throw problem(stage, `not set: the stack is at ${describe(last)} already, so there is no transition to stage`);
        }
        return { topology: plan(config, deployed) };
    }
    if (config.allowPhaseSkip && !withinOneStep(last.phase, target.phase)) {
        // The operator accepts one update for a jump: there is no choreography between non-adjacent phases.
        if (stage !== undefined) {
            throw problem(stage, `not set: allowPhaseSkip runs ${describe(last)} -> ${describe(target)} as one update, without stages`);
        }
        return { topology: plan(config, deployed) };
    }
    const a = plan(at(last), deployed);
    const b = plan(config, deployed);
    const ch = planChoreography(a, b);
    if (ch.trivial) {
        if (stage !== undefined) {
            throw problem(stage, `not set: ${describe(last)} -> ${describe(target)} moves no stream, so it is one update`);
        }
        return { topology: b, choreography: ch };
    }
    if (stage !== "prepare") {
        throw problem(
            stage,
            `"prepare": ${describe(last)} -> ${describe(target)} moves streams (${moving(ch)}), which takes three updates so that nothing in flight is lost: ${steps(stack)}`,
        );
    }
    return { topology: stageTopology(a, b, "prepare", last.gates, ch), choreography: ch };
}
