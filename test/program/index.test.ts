/**
 * index.ts itself under Pulumi mocks, with the local stack's config (Pulumi.local.yaml, secrets replaced by fakes)
 * and the stack's reference to itself answering with the phase it last deployed. Each case gets fresh mocks, its own
 * config and a fresh module instance of index.ts (it runs on import), so nothing carries over between cases.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { describe, expect, it, vi } from "vitest";
import { ORGANIZATION, PROJECT, installMocks, settle, withPlainStackTraces, type Registered } from "./harness";

const STACK = "local";
const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** Fake values for the stack file's `secure:` keys (they cannot be decrypted offline). */
const FAKE_SECRETS: Record<string, string> = {
    "messaging-platform:rabbitmqPassword": "guest",
    "messaging-platform:credentialSeed": "offline-test-credential-seed",
};

/** The `messaging-platform:` keys of Pulumi.local.yaml as the engine hands them to the program: strings, objects as JSON. */
function localConfig(overrides: Record<string, unknown>): { config: Record<string, string>; secretKeys: string[] } {
    const doc = parse(readFileSync(resolve(__dirname, "../../Pulumi.local.yaml"), "utf8")) as { config: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const entries = { ...doc.config, ...Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${PROJECT}:${k}`, v])) };
    for (const [key, value] of Object.entries(entries)) {
        if (!key.startsWith(`${PROJECT}:`)) {
            continue;
        }
        if (typeof value === "object" && value !== null && "secure" in value) {
            const fake = FAKE_SECRETS[key];
            if (fake === undefined) {
                throw new Error(`no fake value for the secret ${key}`);
            }
            config[key] = fake;
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys };
}

interface ProgramRun {
    registered: Registered[];
    outputs?: Record<string, unknown>;
    error?: unknown;
}

/**
 * Runs a fresh instance of index.ts.
 * @param config overrides of the local stack's `messaging-platform:` keys
 * @param previousPhase the `phase` output of the stack's last deployment; undefined for a first deployment
 */
async function runProgram(config: Record<string, unknown>, previousPhase?: number): Promise<ProgramRun> {
    const registered = await installMocks({
        stack: STACK,
        ...(previousPhase !== undefined ? { previousOutputs: { phase: previousPhase } } : {}),
    });
    const { config: values, secretKeys } = localConfig(config);
    pulumi.runtime.setAllConfig(values, secretKeys);
    vi.resetModules();
    const run: ProgramRun = { registered };
    try {
        // `export = main()`: the module's exports are the program's promise (as `default` through import()).
        run.outputs = await withPlainStackTraces(async () => {
            const loaded = (await import("../../index")) as unknown as { default?: Promise<Record<string, unknown>> };
            return await (loaded.default ?? (loaded as unknown as Promise<Record<string, unknown>>));
        });
    } catch (err) {
        run.error = err;
    }
    await withPlainStackTraces(() => settle(registered));
    return run;
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const types = (r: ProgramRun) => r.registered.map((x) => x.type);
const notStackReference = (r: ProgramRun) => r.registered.filter((x) => x.type !== STACK_REFERENCE).map((x) => `${x.type} ${x.name}`);

describe("index.ts under mocks (local stack)", () => {
    it("(a) deployed at 0, requested 1: succeeds and builds the bridge phase", async () => {
        const r = await runProgram({ phase: 1 }, 0);
        expect(r.error).toBeUndefined();
        expect(r.outputs).toMatchObject({ phase: 1, phaseName: "bridge" });
        // It read its own previous outputs, through a reference to itself.
        const ref = r.registered.filter((x) => x.type === STACK_REFERENCE);
        expect(ref).toHaveLength(1);
        expect(ref[0]).toMatchObject({ read: true, inputs: { name: `${ORGANIZATION}/${PROJECT}/${STACK}` } });
        expect(types(r)).toContain("messaging-platform:index:MessagingPlatform");
        expect(types(r)).toContain("kubernetes:apps/v1:StatefulSet");
        expect(r.registered.length).toBeGreaterThan(100);
    });

    it("(b) deployed at 0, requested 2: refuses the skip, names both phases and the one-step command, registers nothing", async () => {
        const r = await runProgram({ phase: 2 }, 0);
        expect(r.error).toBeInstanceOf(pulumi.RunError);
        const message = errorText(r.error);
        expect(message).toMatch(/phase 0\b/);
        expect(message).toMatch(/\b2\b/);
        expect(message).toContain("pulumi config set messaging-platform:phase 1");
        expect(notStackReference(r)).toEqual([]);
        expect(r.outputs).toBeUndefined();
    });

    it("(b') deployed at 3, requested 1: refuses the rollback skip with the command to go to 2", async () => {
        const r = await runProgram({ phase: 1 }, 3);
        expect(errorText(r.error)).toContain("pulumi config set messaging-platform:phase 2");
        expect(notStackReference(r)).toEqual([]);
    });

    it("(c) deployed at 0, requested 2 with allowPhaseSkip: succeeds", async () => {
        const r = await runProgram({ phase: 2, allowPhaseSkip: true }, 0);
        expect(r.error).toBeUndefined();
        expect(r.outputs).toMatchObject({ phase: 2, phaseName: "native" });
        expect(types(r)).toContain("kubernetes:compute.functionmesh.io/v1alpha1:Function");
    });

    it("(d) first deployment (no previous outputs) at phase 3: succeeds", async () => {
        const r = await runProgram({ phase: 3 });
        expect(r.error).toBeUndefined();
        expect(r.outputs).toMatchObject({ phase: 3, phaseName: "isolated" });
        expect(types(r)).toContain("kubernetes:resource.streamnative.io/v1alpha1:PulsarNamespace");
    });

    it("(e) phase 7: fails with the config error before any platform resource is registered", async () => {
        const r = await runProgram({ phase: 7 }, 0);
        expect(r.error).toBeInstanceOf(pulumi.RunError);
        const message = errorText(r.error);
        expect(message).toContain("phase");
        expect(message).toContain("7");
        expect(notStackReference(r)).toEqual([]);
        expect(r.outputs).toBeUndefined();
    });
});
