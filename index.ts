/**
 * messaging-platform: load config -> check it -> plan the topology -> build the platform -> export outputs.
 *
 * Config is validated, and the phase transition checked, before any platform resource is registered, so a bad
 * value fails the preview with one error that lists every problem (topology/config.ts). Everything the phase
 * changes is in the plan; components/platform.ts wires the components from it.
 */
import * as pulumi from "@pulumi/pulumi";
import { MessagingPlatform } from "./components/platform";
import { ConfigError, isPhaseId, phaseTransitionProblem, plan, validateConfig } from "./topology";
import { readRawConfig } from "./components/stack-config";

/**
 * The phase this stack last deployed: its own previous `phase` output, read through a StackReference to itself
 * (works with every backend). Undefined on a first deployment.
 */
async function deployedPhase(): Promise<number | undefined> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const details = await self.getOutputDetails("phase");
    const value = details.value ?? details.secretValue;
    return typeof value === "number" ? value : undefined;
}

async function main(): Promise<Record<string, unknown>> {
    try {
        const platform = validateConfig(readRawConfig(new pulumi.Config()));
        const deployed = await deployedPhase();
        const problem = phaseTransitionProblem(
            isPhaseId(deployed) ? deployed : undefined,
            platform.phase,
            platform.allowPhaseSkip,
            pulumi.getStack(),
        );
        if (problem) {
            throw new ConfigError([problem]);
        }
        const topology = plan(platform);
        return new MessagingPlatform("platform", { platform, topology }).outputs;
    } catch (err) {
        // A config error is the user's to fix: show its message, not a stack trace.
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

export = main();
