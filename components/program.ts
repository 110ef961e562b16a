/**
 * The program's run, shared by index.ts (the whole platform) and test/engine (its Kubernetes half): load config ->
 * check it -> plan the topology -> build -> outputs. A config error is shown as its message, never a stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    ConfigError,
    GATE_NAMES,
    STAGES,
    isPhaseId,
    planUpdate,
    retainedStorageProblems,
    tokenExpiryProblem,
    validateConfig,
    type DeployedState,
    type GateName,
    type PlatformConfig,
    type Topology,
} from "../topology";
import { readRawConfig } from "./stack-config";

/**
 * What this stack last deployed: its own previous outputs (`phase`, `gates`, `transition`, `offloadActive`), read
 * through a StackReference to itself (works with every backend). Empty on a first deployment. An output of another
 * shape (hand-edited state) is ignored rather than trusted.
 */
async function deployedOutputs(): Promise<DeployedState> {
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const read = async (name: string) => {
        const details = await self.getOutputDetails(name);
        return details.value ?? details.secretValue;
    };
    const [phase, offloadActive, gates, transition] = await Promise.all([read("phase"), read("offloadActive"), read("gates"), read("transition")]);
    return {
        ...(isPhaseId(phase) ? { phase } : {}),
        ...(typeof offloadActive === "boolean" ? { offloadActive } : {}),
        ...(isGates(gates) ? { gates } : {}),
        ...(isTransition(transition) ? { transition: { stage: transition.stage, from: transition.from } } : {}),
    };
}

function isGates(v: unknown): v is Record<GateName, boolean> {
    return typeof v === "object" && v !== null && GATE_NAMES.every((g) => typeof (v as Record<string, unknown>)[g] === "boolean");
}

function isTransition(v: unknown): v is NonNullable<DeployedState["transition"]> {
    if (typeof v !== "object" || v === null) {
        return false;
    }
    const t = v as { stage?: unknown; from?: { phase?: unknown; gates?: unknown } };
    return (STAGES as readonly unknown[]).includes(t.stage) && isPhaseId(t.from?.phase) && isGates(t.from?.gates);
}

/**
 * The program: config is read and checked (phase transition, retained storage, token expiry) before anything is
 * registered, then planned, then `build` declares what the plan says and returns the stack outputs.
 */
export async function runPlatformProgram(build: (platform: PlatformConfig, topology: Topology) => Record<string, unknown>): Promise<Record<string, unknown>> {
    try {
        const platform = validateConfig(readRawConfig());
        const deployed = await deployedOutputs();
        const problems = retainedStorageProblems(platform, deployed);
        if (problems.length > 0) {
            throw new ConfigError(problems);
        }
        // The requested plan, or the stage of a transition that is due (topology/update.ts); refused otherwise.
        const { topology } = planUpdate(platform, deployed, pulumi.getStack());
        // Tokens expire (their exp is the plan's): refuse to deploy expired ones, warn in their last month.
        const auth = topology.pulsar?.auth;
        const expiry = auth ? tokenExpiryProblem(auth.validity, nowSeconds(), pulumi.getStack()) : undefined;
        if (expiry?.level === "error") {
            throw new ConfigError([{ key: "pulsar.auth.tokenEpoch", value: platform.pulsar.auth.tokenEpoch, allowed: expiry.message }]);
        }
        if (expiry) {
            void pulumi.log.warn(expiry.message);
        }
        return build(platform, topology);
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

