/**
 * messaging-platform: load config -> check it -> plan the topology -> build the platform -> export outputs.
 *
 * Config is validated, and the phase transition checked, before any platform resource is registered, so a bad
 * value fails the preview with one error that lists every problem (topology/config.ts). Everything the phase
 * changes is in the plan; components/platform.ts wires the components from it.
 */
import * as pulumi from "@pulumi/pulumi";
import { MessagingPlatform } from "./components/platform";
import {
    ConfigError,
    isPhaseId,
    phaseTransitionProblem,
    plan,
    retainedStorageProblems,
    tokenExpiryProblem,
    validateConfig,
    type DeployedState,
} from "./topology";
import { readRawConfig } from "./components/stack-config";

/**
 * What this stack last deployed: its own previous outputs (`phase`, `offloadActive`), read through a StackReference
 * to itself (works with every backend). Empty on a first deployment.
 */
async function deployedOutputs(): Promise<{ phase?: number } & DeployedState> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const read = async (name: string) => {
        const details = await self.getOutputDetails(name);
        return details.value ?? details.secretValue;
    };
    const [phase, offloadActive] = await Promise.all([read("phase"), read("offloadActive")]);
    return {
        ...(typeof phase === "number" ? { phase } : {}),
        ...(typeof offloadActive === "boolean" ? { offloadActive } : {}),
    };
}

async function main(): Promise<Record<string, unknown>> {
    try {
        const platform = validateConfig(readRawConfig());
        const deployed = await deployedOutputs();
        const problems = [
            phaseTransitionProblem(isPhaseId(deployed.phase) ? deployed.phase : undefined, platform.phase, platform.allowPhaseSkip, pulumi.getStack()),
            ...retainedStorageProblems(platform, deployed),
        ].filter((p) => p !== undefined);
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
        const topology = plan(platform, deployed);
        // Tokens expire (their exp is the plan's): refuse to deploy expired ones, warn in their last month.
        const auth = topology.pulsar?.auth;
        const expiry = auth ? tokenExpiryProblem(auth.validity, nowSeconds(), pulumi.getStack()) : undefined;
        if (expiry?.level === "error") {
            throw new ConfigError([{ key: "pulsar.auth.tokenEpoch", value: platform.pulsar.auth.tokenEpoch, allowed: expiry.message }]);
        }
        if (expiry) {
            void pulumi.log.warn(expiry.message);
        }
        return new MessagingPlatform("platform", { platform, topology }).outputs;
    } catch (err) {
        // A config error is the user's to fix: show its message, not a stack trace.
        throw err instanceof ConfigError ? new pulumi.RunError(err.message) : err;
    }
}

/**
 * The time the token expiry is judged at: now, unless MESSAGING_PLATFORM_NOW (an ISO 8601 instant) says otherwise, so
 * a preview of a past or future date and the test suite give the same answer whenever they run.
 */
function nowSeconds(): number {
    const fixed = process.env.MESSAGING_PLATFORM_NOW;
    if (fixed === undefined || fixed === "") {
        return Date.now() / 1000;
    }
    const t = Date.parse(fixed);
    if (Number.isNaN(t)) {
        // An environment variable, not a stack key: a RunError is shown as its message alone, like a config error.
        throw new pulumi.RunError(`MESSAGING_PLATFORM_NOW = ${JSON.stringify(fixed)}: allowed: an ISO 8601 instant (2026-12-15T00:00:00Z), or unset for now`);
    }
    return t / 1000;
}

export = main();
