/**
 * Phase transitions: a stack moves one phase at a time, in either direction, unless the update says otherwise.
 * The deployed phase comes from the stack's own last outputs (index.ts reads them); this module only decides.
 */
import { CONFIG_NAMESPACE, type ConfigProblem } from "./config";
import { PHASE_IDS, describePhase, type PhaseId } from "./phases";

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
    if (deployed === undefined || allowPhaseSkip || Math.abs(requested - deployed) <= 1) {
        return undefined;
    }
    const oneStep = (deployed + Math.sign(requested - deployed)) as PhaseId;
    const reachable = PHASE_IDS.filter((p) => Math.abs(p - deployed) <= 1);
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
