import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../scripts/plan";
import { rollbackStart } from "../../scripts/plan-format";
import { planUpdate, validateConfig } from "../../topology";
import { editRaw } from "../support/stacks";

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    try {
        const code = await main(args);
        return { code, out, err };
    } finally {
        o.mockRestore();
        e.mockRestore();
    }
}

afterEach(() => vi.restoreAllMocks());

describe("npm run plan", () => {
    it("prints the local stack's topology", async () => {
        const r = await run(["--stack", "local"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("phase 0 (kafka)  environment local  cloud none");
        expect(r.out).toMatch(/user-requests\s+kafka/);
    });

    it("prints JSON that parses to the planned topology", async () => {
        const r = await run(["--stack", "prod", "--phase", "3", "--format", "json"]);
        const t = JSON.parse(r.out);
        expect(t.phase).toBe(3);
        expect(t.offload.driver).toBe("aws-s3");
    });

    it("with --from shows what a bump changes per stream and resource, and the rollback command", async () => {
        const r = await run(["--stack", "local", "--phase", "2", "--from", "1"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("phase 1 (bridge) -> 2 (native) (bump)");
        expect(r.out).toMatch(/user-requests\s+kop\s+pulsar/);
        expect(r.out).toContain("+ mcp-matcher");
        expect(r.out).toContain("pulumi config set phase 1 --stack local");
    });

    it("with --from prints the transition's choreography: the three updates and, per stream, handovers, mirrors and drains", async () => {
        const r = await run(["--stack", "dev", "--phase", "1", "--from", "0"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("choreography 0 -> 1: three updates");
        expect(r.out).toContain("pulumi config set messaging-platform:transitionStage prepare --stack dev && pulumi up --stack dev");
        expect(r.out).toContain("npm run handover -- --stack dev");
        expect(r.out).toMatch(/user-requests\n {4}handover {2}mcp-matcher \(group on KoP persistent:\/\/public\/default\/user-requests\) at its end/);
        expect(r.out).toContain("mirror    user-requests-mirror-to-pulsar: kafka:user-requests -> pulsar:persistent://public/default/user-requests (switch until settle)");
        expect(r.out).toContain("drain     user-requests-mirror-to-pulsar@kafka:kafka:user-requests");
        const rollback = await run(["--stack", "dev", "--phase", "2", "--from", "3"]);
        expect(rollback.out).toMatch(/services that keep their env through the switch and move at settle: .+/);
    });

    it("marks data-holding resources a rollback leaves behind as retained", async () => {
        const r = await run(["--stack", "local", "--phase", "1", "--from", "2"]);
        expect(r.out).toContain("- persistent://public/cosmic-ai/job-status-changed  [holds data: retained, left on the broker]");
    });

    it("exits 2 naming the flag for an unknown phase (the flag gave it, not the stack file)", async () => {
        const r = await run(["--stack", "local", "--phase", "7"]);
        expect(r.code).toBe(2);
        expect(r.err).toBe('npm run plan: --phase "7": allowed a phase: 0 (kafka), 1 (bridge), 2 (native), 3 (isolated)\n');
    });

    it("exits 2 on an unknown format", async () => {
        expect((await run(["--stack", "local", "--format", "yaml"])).code).toBe(2);
    });

    it("refuses --resources without --from, or with the mermaid format", async () => {
        expect((await run(["--stack", "local", "--resources"])).err).toContain("--resources: allowed only with --from M");
        expect((await run(["--stack", "local", "--from", "1", "--phase", "2", "--resources", "--format", "mermaid"])).code).toBe(2);
    });
});

describe("npm run plan --resources (the program under mocks, in child processes)", () => {
    it("prod 1 -> 2: per component, the mcp-matcher Deployment goes, its Function comes, Pulsar CRs are created", async () => {
        const r = await run(["--stack", "prod", "--phase", "2", "--from", "1", "--resources"]);
        expect(r.code).toBe(0);
        const section = r.out.slice(r.out.indexOf("resources (program under mocks, 1 -> 2"));
        expect(section).toMatch(/^Orchestrator:$/m);
        expect(section).toMatch(/- kubernetes:apps\/v1:Deployment platform-orchestrator-mcp-matcher$/m);
        expect(section).toMatch(/^PulsarFunctions:$/m);
        expect(section).toMatch(/\+ kubernetes:compute.functionmesh.io\/v1alpha1:Function platform-pulsar-functions-function-mcp-matcher$/m);
    }, 60_000);

    it("prod 3 -> 2 keeps the offload bucket; per-tenant Pulsar CRs leave as retained and protected", async () => {
        const r = await run(["--stack", "prod", "--phase", "2", "--from", "3", "--resources"]);
        expect(r.code).toBe(0);
        const section = r.out.slice(r.out.indexOf("resources (program under mocks"));
        expect(section).not.toMatch(/aws:s3\/bucket:Bucket/);
        expect(section).toMatch(/- kubernetes:resource.streamnative.io\/v1alpha1:PulsarTenant \S*team-a\S* {2}\[retained: left in place; PROTECTED/);
    }, 60_000);
});

describe("npm run plan --resources --stage (each update of a transition, offline)", () => {
    // What the runbook asks an operator to compare each staged preview with; the net change alone (dev 1 -> 2: 41
    // deletes) cannot be checked against a prepare preview.
    it("dev 1 -> 2: prepare deletes nothing, the three updates add up to the net change, and a bad --stage is one line", async () => {
        const counts = (out: string) => {
            const m = /^resources \(program under mocks, 1 -> 2, [^)]*\): (\d+) to create, (\d+) to update, (\d+) to replace, (\d+) to delete/m.exec(out);
            expect(m, out.slice(-500)).not.toBeNull();
            return { create: Number(m![1]), update: Number(m![2]), replace: Number(m![3]), delete: Number(m![4]) };
        };
        const base = ["--stack", "dev", "--from", "1", "--phase", "2", "--resources"];
        const stages = [];
        for (const stage of ["prepare", "switch", "settle"]) {
            const r = await run([...base, "--stage", stage]);
            expect(r.code).toBe(0);
            expect(r.out).toContain(`1 -> 2, the ${stage} update)`);
            stages.push(counts(r.out));
        }
        const net = counts((await run(base)).out);
        expect(stages[0]).toMatchObject({ delete: 0, replace: 0 });
        expect(stages.reduce((sum, c) => sum + c.create, 0)).toBe(net.create);
        expect(stages.reduce((sum, c) => sum + c.delete, 0)).toBe(net.delete);
        expect(stages.every((c) => c.replace === 0)).toBe(true);
        const bad = await run([...base, "--stage", "later"]);
        expect(bad).toMatchObject({ code: 2, err: "npm run plan: --stage later: allowed prepare | switch | settle\n" });
        expect((await run(["--stack", "dev", "--from", "1", "--phase", "2", "--stage", "settle"])).err).toContain("--stage settle: allowed only with --from M --resources");
    }, 180_000);
});

describe("the rollback the plan prints is one the program accepts", () => {
    // The rule: every command the plan tells an operator to run is taken by the program's update guard
    // (topology/update.ts). The old hint set only the phase, which the guard refuses on a settled stack.
    it.each([
        ["local", 1, 2],
        ["dev", 0, 1],
        ["prod", 2, 3],
    ] as const)("%s: back from %i after a settled bump to %i", (stack, from, to) => {
        const command = rollbackStart(from, stack);
        const sets = [...command.matchAll(/pulumi config set (\S+) (\S+) --stack/g)].map((m) => [m[1] as string, m[2] as string] as const);
        expect(sets.map(([k]) => k)).toEqual(["phase", "transitionStage"]);
        const config = validateConfig(
            editRaw(stack, (v) => {
                for (const [key, value] of sets) {
                    v[key] = key === "phase" ? Number(value) : value;
                }
            }),
        );
        const gates = { auditParity: false, lifecycleParity: false };
        expect(planUpdate(config, { phase: to, gates: config.gates ?? gates }, stack).topology.transition).toMatchObject({ stage: "prepare", from: { phase: to } });
        // Without the stage, the guard refuses it (what the old hint led to).
        const phaseOnly = validateConfig(editRaw(stack, (v) => (v.phase = from)));
        expect(() => planUpdate(phaseOnly, { phase: to, gates: phaseOnly.gates ?? gates }, stack)).toThrow(/transitionStage/);
    });
});
