/**
 * index.ts itself under Pulumi mocks, with the local stack's config (Pulumi.local.yaml, secrets replaced by fakes)
 * and the stack's reference to itself answering with the phase it last deployed. Each case gets fresh mocks, its own
 * config and a fresh module instance of index.ts (it runs on import), so nothing carries over between cases.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, describe, expect, it, vi } from "vitest";
import { parseDocument } from "yaml";
import { main as planMain } from "../../scripts/plan";
import { engineConfigFromStackFile } from "../../topology";
import { ORGANIZATION, PROJECT, installMocks, settle, withPlainStackTraces, type Registered } from "./harness";

const STACK = "local";
const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/** Fake values for the stack file's `secure:` keys (they cannot be decrypted offline). */
const FAKE_SECRETS: Record<string, string> = {
    "messaging-platform:rabbitmqPassword": "guest",
    "messaging-platform:credentialSeed": "offline-test-credential-seed",
};

/**
 * Pulumi.local.yaml (or `stackText`) as the engine hands it to the program: the project's one reader
 * (topology/stack-file.ts), with fakes for the secrets and `overrides` as plain data.
 */
function localConfig(overrides: Record<string, unknown>, stackText?: string): { config: Record<string, string>; secretKeys: string[] } {
    const text = stackText ?? readFileSync(resolve(__dirname, "../../Pulumi.local.yaml"), "utf8");
    const engine = engineConfigFromStackFile(text, "Pulumi.local.yaml", {
        overrides,
        secretText: (key) => {
            const fake = FAKE_SECRETS[key];
            if (fake === undefined) {
                throw new Error(`no fake value for the secret ${key}`);
            }
            return fake;
        },
    });
    return { config: { ...engine.values }, secretKeys: [...engine.secretKeys] };
}

interface ProgramRun {
    registered: Registered[];
    outputs?: Record<string, unknown>;
    error?: unknown;
}

/**
 * Runs a fresh instance of index.ts.
 * @param config overrides of the local stack's `messaging-platform:` keys
 * @param previous the `phase` output of the stack's last deployment, or all of its outputs; undefined for a first
 *   deployment
 */
async function runProgram(config: Record<string, unknown>, previous?: number | Record<string, unknown>, stackText?: string): Promise<ProgramRun> {
    const registered = await installMocks({
        stack: STACK,
        ...(previous !== undefined ? { previousOutputs: typeof previous === "number" ? { phase: previous } : previous } : {}),
    });
    const { config: values, secretKeys } = localConfig(config, stackText);
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
    it("(a) deployed at 0, requested 1 without a stage: refuses, naming transitionStage and the three steps, registers nothing", async () => {
        const r = await runProgram({ phase: 1 }, 0);
        const message = errorText(r.error);
        expect(message).toContain("messaging-platform:transitionStage");
        expect(message).toContain('"prepare"');
        expect(message).toContain("npm run handover -- --stack local");
        expect(message).toContain("npm run drain-check -- --stack local --wait");
        expect(notStackReference(r)).toEqual([]);
    });

    it("(a') 0 -> 1 as prepare, switch, settle: each update reads the last one's outputs and builds its stage", async () => {
        const prepare = await runProgram({ phase: 1, transitionStage: "prepare" }, 0);
        expect(prepare.error).toBeUndefined();
        expect(prepare.outputs).toMatchObject({ phase: 1, phaseName: "bridge", transition: { stage: "prepare", from: { phase: 0 } } });
        // It read its own previous outputs, through a reference to itself.
        const ref = prepare.registered.filter((x) => x.type === STACK_REFERENCE);
        expect(ref).toHaveLength(1);
        expect(ref[0]).toMatchObject({ read: true, inputs: { name: `${ORGANIZATION}/${PROJECT}/${STACK}` } });
        expect(types(prepare)).toContain("messaging-platform:index:MessagingPlatform");
        expect(types(prepare)).toContain("kubernetes:apps/v1:StatefulSet");
        expect(prepare.registered.length).toBeGreaterThan(100);
        const mirrors = (r: ProgramRun) => r.registered.filter((x) => /mirror-to-/.test(x.name)).map((x) => x.type);
        expect(mirrors(prepare)).toEqual([]);

        const switched = await runProgram({ phase: 1, transitionStage: "switch" }, prepare.outputs);
        expect(switched.error).toBeUndefined();
        expect(switched.outputs).toMatchObject({ transition: { stage: "switch", from: { phase: 0 } } });
        expect(mirrors(switched)).toContain("kubernetes:compute.functionmesh.io/v1alpha1:Source");
        // The services roll only after what their new env points at: the mirrors among it.
        // The rule: a service's pods roll only after everything its new env points at exists: every Pulsar CR (tenants,
        // namespaces, topics, grants), every Function Mesh Function, Sink and Source (the mirrors), every Kafka topic and
        // ACL, and the broker itself.
        const needed = switched.registered.filter((x) => /^kubernetes:(resource\.streamnative\.io|compute\.functionmesh\.io)\//.test(x.type) || x.type.startsWith("kafka:") || x.type === "kubernetes:apps/v1:StatefulSet");
        expect(needed.some((x) => x.type.endsWith(":Source"))).toBe(true);
        expect(needed.some((x) => x.type.startsWith("kafka:"))).toBe(true);
        const deployments = switched.registered.filter((x) => x.type === "kubernetes:apps/v1:Deployment" && /orchestrator/.test(x.urn));
        expect(deployments.length).toBeGreaterThan(0);
        for (const d of deployments) {
            const waitsFor = new Set([...(d.dependencies ?? []), ...(switched.registered.find((x) => x.urn === d.parent)?.dependencies ?? [])]);
            expect(needed.filter((x) => !waitsFor.has(x.urn)).map((x) => `${x.type} ${x.name}`), d.name).toEqual([]);
        }

        const settled = await runProgram({ phase: 1 }, switched.outputs);
        expect(settled.error).toBeUndefined();
        expect(settled.outputs?.transition).toBeUndefined();
        expect(mirrors(settled)).toEqual([]);
    });

    it("(a'') settling before the switch is refused with the step that is due", async () => {
        const prepare = await runProgram({ phase: 1, transitionStage: "prepare" }, 0);
        const r = await runProgram({ phase: 1 }, prepare.outputs);
        expect(errorText(r.error)).toContain('"switch": the stack is prepared for phase 0');
        expect(notStackReference(r)).toEqual([]);
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

    it("(f) exports no undefined value (the engine warns about each one on every run)", async () => {
        const r = await runProgram({ phase: 0 }, 0);
        expect(r.error).toBeUndefined();
        const undefinedPaths: string[] = [];
        const walk = (v: unknown, path: string) => {
            if (v === undefined) {
                undefinedPaths.push(path);
            } else if (typeof v === "object" && v !== null && !pulumi.Output.isInstance(v) && !Array.isArray(v)) {
                Object.entries(v).forEach(([k, x]) => walk(x, `${path}.${k}`));
            }
        };
        walk(r.outputs, "outputs");
        expect(undefinedPaths).toEqual([]);
        expect(Object.keys(r.outputs ?? {})).not.toContain("bucketName");
    });

    it("(g) refuses an unknown key of its namespace before registering anything, with the message npm run plan prints", async () => {
        const r = await runProgram({ observabilty: { enabled: true } }, 0);
        expect(r.error).toBeInstanceOf(pulumi.RunError);
        expect(errorText(r.error)).toContain("messaging-platform:observabilty = {\"enabled\":true}: unknown key: remove it");
        expect(notStackReference(r)).toEqual([]);
    });

    it("(h) refuses phase 3 without tenants, naming the key", async () => {
        const r = await runProgram({ phase: 3, tenants: [] });
        expect(errorText(r.error)).toContain("messaging-platform:tenants = []: at least one tenant at phase 3");
        expect(notStackReference(r)).toEqual([]);
    });

    describe("(i) Pulsar tokens expire: judged at MESSAGING_PLATFORM_NOW (or now)", () => {
        // The dev stack: token auth, pulsar.auth.tokenEpoch 2026-12, the default 400 days.
        const dev = readFileSync(resolve(__dirname, "../../Pulumi.dev.yaml"), "utf8");
        const at = async (now: string) => {
            process.env.MESSAGING_PLATFORM_NOW = now;
            try {
                return await runProgram({ phase: 1 }, 1, dev);
            } finally {
                delete process.env.MESSAGING_PLATFORM_NOW;
            }
        };

        it("refuses tokens past their exp with the command that rotates them, before registering anything", async () => {
            // 2026-12-01 + 400 days = 2028-01-05.
            const r = await at("2028-01-06T00:00:00Z");
            expect(errorText(r.error)).toContain("messaging-platform:pulsar.auth.tokenEpoch = \"2026-12\"");
            expect(errorText(r.error)).toContain("the Pulsar tokens expired on 2028-01-05");
            expect(errorText(r.error)).toContain("pulumi config set --path pulsar.auth.tokenEpoch 2028-01 --stack local");
            expect(notStackReference(r)).toEqual([]);
        });

        it("deploys tokens in their validity", async () => {
            const r = await at("2027-06-01T00:00:00Z");
            expect(r.error).toBeUndefined();
        });

        it("refuses a clock that is not an instant, naming the variable", async () => {
            const r = await at("next tuesday");
            expect(errorText(r.error)).toContain("MESSAGING_PLATFORM_NOW = \"next tuesday\": allowed: an ISO 8601 instant");
        });
    });
});

describe("the README's phase bump with the values `pulumi config set` writes (strings), end to end", () => {
    /** The local stack after `pulumi config set KEY VALUE` (plain `config set` stores strings, quoted in YAML). */
    const configSet = (text: string, settings: Record<string, string>): string => {
        const doc = parseDocument(text);
        for (const [key, value] of Object.entries(settings)) {
            doc.setIn(["config", `${PROJECT}:${key}`], value);
        }
        return doc.toString();
    };
    const project = mkdtempSync(join(tmpdir(), "readme-bump-"));
    afterAll(() => rmSync(project, { recursive: true, force: true }));
    const original = readFileSync(resolve(__dirname, "../../Pulumi.local.yaml"), "utf8");
    const write = (text: string) => {
        copyFileSync(resolve(__dirname, "../../Pulumi.yaml"), join(project, "Pulumi.yaml"));
        writeFileSync(join(project, "Pulumi.local.yaml"), text);
        return text;
    };
    const planCli = async (args: string[]) => {
        let out = "";
        let err = "";
        const o = vi.spyOn(process.stdout, "write").mockImplementation((x) => ((out += String(x)), true));
        const e = vi.spyOn(process.stderr, "write").mockImplementation((x) => ((err += String(x)), true));
        try {
            return { code: await planMain(args, project), out, err };
        } finally {
            o.mockRestore();
            e.mockRestore();
        }
    };

    it("set phase 1 (stored as \"1\"), plan, preview: both read phase 1", async () => {
        const text = write(configSet(original, { phase: "1" }));
        expect(text).toContain(`${PROJECT}:phase: "1"`);
        const planned = await planCli(["--stack", "local", "--from", "0"]);
        expect(planned.err).toContain("the target is phase 1 (bridge)");
        expect(planned.out).toContain("phase 0 (kafka) -> 1 (bridge) (bump)");
        expect(planned.code).toBe(0);
        const refused = await runProgram({}, 0, text);
        expect(errorText(refused.error)).toContain("messaging-platform:transitionStage");
        const r = await runProgram({}, 0, configSet(text, { transitionStage: "prepare" }));
        expect(r.error).toBeUndefined();
        expect(r.outputs).toMatchObject({ phase: 1, transition: { stage: "prepare" } });
    });

    it("a jump to \"3\" is refused by both with the same advice; allowPhaseSkip \"true\" lets both through", async () => {
        const jump = write(configSet(original, { phase: "3" }));
        const refused = await planCli(["--stack", "local", "--from", "1"]);
        expect(refused.code).toBe(2);
        expect(refused.err).toContain("allowPhaseSkip true");
        const program = await runProgram({}, 1, jump);
        expect(errorText(program.error)).toContain("allowPhaseSkip true");

        const allowed = write(configSet(original, { phase: "3", allowPhaseSkip: "true" }));
        expect((await planCli(["--stack", "local", "--from", "1"])).code).toBe(0);
        const r = await runProgram({}, 1, allowed);
        expect(r.error).toBeUndefined();
        expect(r.outputs).toMatchObject({ phase: 3 });
    });
});
