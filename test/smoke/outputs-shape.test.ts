/**
 * The smoke fixture's outputs file has the shape of the program's real outputs: components/platform.ts under Pulumi
 * mocks, for the local stack at every phase, resolved and JSON-encoded as `pulumi stack output --json` prints them,
 * equals test/smoke/fixture/deploy.ts stackOutputs() of the same plan. If the program's outputs change, this fails
 * and the fixture (and scripts/smoke/outputs.ts, which reads them) must follow.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import type { MessagingPlatform as MessagingPlatformType } from "../../components/platform";
import { parseStackOutputs } from "../../scripts/smoke/outputs";
import { plan, validateConfig, type PhaseId } from "../../topology";
import { CLOUD, installMocks, settle, withPlainStackTraces } from "../program/harness";
import { rawStack } from "../support/stacks";
import { localStackOutputs } from "./fixture/deploy";

const PHASES: PhaseId[] = [0, 1, 2, 3];

async function programOutputs(phase: PhaseId): Promise<unknown> {
    return withPlainStackTraces(async () => {
        const registered = await installMocks({ stack: "local" });
        const { MessagingPlatform } = (await import("../../components/platform")) as { MessagingPlatform: typeof MessagingPlatformType };
        const platform = validateConfig(rawStack("local", { phase }));
        const component = new MessagingPlatform("platform", { platform, topology: plan(platform), cloud: CLOUD });
        const resolved = await new Promise<unknown>((ok) => pulumi.output(component.outputs).apply((v) => ok(v)));
        await settle(registered);
        return JSON.parse(JSON.stringify(resolved));
    });
}

describe("the smoke fixture's outputs file", () => {
    it.each(PHASES)("at phase %i has exactly the program's outputs, and npm run smoke reads them", async (phase) => {
        const fixture = localStackOutputs({ phase });
        const program = await programOutputs(phase);
        expect(fixture).toEqual(program);
        expect(parseStackOutputs(JSON.stringify(program), "program")).toEqual(program);
    });
});
