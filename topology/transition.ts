/**
 * Phase transitions: a stack moves one phase at a time, in either direction, unless the update says otherwise.
 * The deployed phase comes from the stack's own last outputs (index.ts reads them); this module only decides.
 */
import type { GateName } from "./catalog";
import type { StageName } from "./choreography";
import { CONFIG_NAMESPACE, type ConfigProblem, type PlatformConfig } from "./config";
import { PHASE_IDS, describePhase, withinOneStep, type PhaseId } from "./phases";

/** What the stack's last update left behind that the next plan must keep (read from its own outputs). */
export interface DeployedState {
    /** The last update ran tiered-storage offload: ledgers may live in the bucket. */
    offloadActive?: boolean;
    /** The phase of the last update (its target, during a staged transition). */
    phase?: PhaseId;
    /** The gates of the last update (its target's). Stacks deployed before gates were recorded have none. */
    gates?: Record<GateName, boolean>;
    /** Set while a staged transition is under way: the stage the last update ran and where the transition started. */
    transition?: { stage: StageName; from: { phase: PhaseId; gates: Record<GateName, boolean> } };
}

/**
 * Offload the deployed stack still needs even though this phase or config would not enable it: the storage high-water
 * mark. Routing follows the phase; storage that holds data does not go away with it.
 */
export function offloadRetained(config: PlatformConfig, deployed: DeployedState): boolean {
    return deployed.offloadActive === true && !config.tieredStorage.retire && config.cloud !== "none";
}

/** Problems with keeping what the deployed stack holds (e.g. the offload bucket's settings removed from config). */
export function retainedStorageProblems(config: PlatformConfig, deployed: DeployedState): ConfigProblem[] {
    if (!offloadRetained(config, deployed)) {
        return [];
    }
    const ts = config.tieredStorage;
    const why =
        "required while the stack has offloaded ledgers (its last update ran offload; the brokers need the bucket to read them): " +
        "restore it, or set tieredStorage.retire: true to stop reading offloaded data (the bucket itself is kept)";
    return [
        ...(ts.bucket === undefined ? [{ key: "tieredStorage.bucket", value: undefined, allowed: `the bucket name, ${why}` }] : []),
        ...(ts.region === undefined ? [{ key: "tieredStorage.region", value: undefined, allowed: `the bucket's region, ${why}` }] : []),
    ];
}

/**
 * @param deployed the phase of the stack's last successful update, undefined for a first deployment
 * @param requested the phase in config now
 * @param allowPhaseSkip the `allowPhaseSkip` config key, set for one update
 * @param stack the stack name, for the command in the message
 */
export function phaseTransitionProblem(
    deployed: PhaseId | undefined,
    requested: PhaseId,
    allowPhaseSkip: boolean,
    stack: string,
): ConfigProblem | undefined {
    if (deployed === undefined || allowPhaseSkip || withinOneStep(deployed, requested)) {
        return undefined;
    }
    const oneStep = (deployed + Math.sign(requested - deployed)) as PhaseId;
    const reachable = PHASE_IDS.filter((p) => withinOneStep(deployed, p));
    return {
        key: "phase",
        value: requested,
        allowed:
            `one of ${reachable.join(", ")}: ` +
            `the stack is deployed at phase ${describePhase(deployed)} and phases move one step at a time ` +
            `(${describePhase(deployed)} -> ${describePhase(requested)} skips ${Math.abs(requested - deployed) - 1}). ` +
            `Go one step: \`pulumi config set ${CONFIG_NAMESPACE}:phase ${oneStep} --stack ${stack}\`, ` +
            `or set \`pulumi config set ${CONFIG_NAMESPACE}:allowPhaseSkip true --stack ${stack}\` for this one update`,
    };
}
