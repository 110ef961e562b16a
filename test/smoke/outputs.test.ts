import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseStackOutputs, readStackOutputs, routeDrift } from "../../scripts/smoke/outputs";
import { deployedTopology } from "../../scripts/smoke/run";
import { UsageError } from "../../scripts/smoke/usage-error";
import { planStack, stackText } from "../support/stacks";
import { localStackOutputs } from "./fixture/deploy";

const localOutputs = (phase: number) => localStackOutputs({ phase });

/** The message of the UsageError `fn` throws. */
function usageError(fn: () => unknown): string {
    try {
        fn();
    } catch (err) {
        expect(err).toBeInstanceOf(UsageError);
        return (err as Error).message;
    }
    throw new Error("expected a UsageError");
}

describe("reading stack outputs", () => {
    it("accepts what the program exports", () => {
        const outputs = localOutputs(1);
        expect(parseStackOutputs(JSON.stringify(outputs), "--outputs o.json")).toEqual(outputs);
    });

    it("ignores outputs it does not read (a newer program may export more)", () => {
        const outputs = { ...localOutputs(0), credentialsSecret: "x" };
        expect(parseStackOutputs(JSON.stringify(outputs), "f").phase).toBe(0);
    });

    it.each([
        ["text that is not JSON", "not json", /--outputs o\.json = "not json": JSON of `pulumi stack output --json` \(/],
        ["no phase", JSON.stringify({ ...localOutputs(0), phase: undefined }), /--outputs o\.json: phase = \(not set\): /],
        ["a phase out of range", JSON.stringify({ ...localOutputs(0), phase: 7 }), /--outputs o\.json: phase = 7: /],
        [
            "a bootstrap that is not host:port",
            JSON.stringify({ ...localOutputs(0), endpoints: { ...localOutputs(0).endpoints, kafkaBootstrap: "kafka" } }),
            /--outputs o\.json: endpoints\.kafkaBootstrap = "kafka": host:port\[,host:port\.\.\.\]/,
        ],
        [
            "no AMQP endpoint",
            JSON.stringify({ ...localOutputs(0), endpoints: { ...localOutputs(0).endpoints, rabbitmqAmqp: undefined } }),
            /--outputs o\.json: endpoints\.rabbitmqAmqp = \(not set\)/,
        ],
        ["a JSON array", "[]", /--outputs o\.json: \(top level\) = \[\]/],
    ])("rejects %s, naming the key, the value and what is allowed", (_what, text, message) => {
        expect(usageError(() => parseStackOutputs(text, "--outputs o.json"))).toMatch(message);
    });

    it("says which file it could not read", () => {
        expect(usageError(() => readStackOutputs({ stack: "local", file: "/nonexistent/out.json" }))).toMatch(
            /--outputs = "\/nonexistent\/out\.json": a readable file holding the JSON of `pulumi stack output --json --show-secrets --stack local` \(ENOENT/,
        );
    });

    it("reads a file", () => {
        const dir = mkdtempSync(join(tmpdir(), "smoke-outputs-"));
        try {
            const file = join(dir, "o.json");
            writeFileSync(file, JSON.stringify(localOutputs(2)));
            expect(readStackOutputs({ stack: "local", file }).phase).toBe(2);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("without --outputs and without the pulumi CLI, suggests --outputs", () => {
        expect(usageError(() => readStackOutputs({ stack: "dev", pulumi: "/nonexistent/pulumi" }))).toContain(
            "--outputs = (not set): the pulumi CLI is not on PATH, so the stack's outputs cannot be read: pass --outputs <file> holding the JSON of `pulumi stack output --json --show-secrets --stack dev`",
        );
    });
});

describe("the deployed routes against the stack config", () => {
    it("plans the stack at the phase it deployed, whatever the config's phase says now", () => {
        // Pulumi.local.yaml says phase 0; the stack deployed phase 2.
        expect(deployedTopology(stackText("local"), localOutputs(2)).phase).toBe(2);
    });

    it("refuses to test when the config changed since the deployment (a gate approved, not yet deployed)", () => {
        const deployed = localOutputs(3);
        const approved = planStack("local", { phase: 3, gates: { auditParity: true, lifecycleParity: false } });
        const problems = routeDrift(approved, deployed);
        expect(problems.map((p) => p.key)).toEqual(["outputs streamRoutes.audit-trail"]);
        expect(problems[0]?.allowed).toMatch(/^what the stack config plans at the deployed phase 3: \{"consume":.*run `pulumi up` first, or revert the config$/);
    });

    it("names a stream the deployment has and the config does not", () => {
        const deployed = localOutputs(0);
        const extra = { ...deployed, streamRoutes: { ...deployed.streamRoutes, "old-stream": { state: "kafka" as const, produce: [], consume: [] } } };
        expect(usageError(() => deployedTopology(stackText("local"), extra))).toContain(
            'outputs streamRoutes.old-stream = {"state":"kafka","produce":[],"consume":[]}: what the stack config plans at the deployed phase 0: (no such stream)',
        );
    });
});
