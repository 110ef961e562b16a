/**
 * The GitHub Actions workflows parse with GitHub's own workflow parser (@actions/workflow-parser, the schema the
 * Actions service validates against), and do what the runbooks say: preview dev and prod with the policy pack on
 * pull requests, up on main with prod behind an environment approval.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { NoOperationTraceWriter, parseWorkflow } from "@actions/workflow-parser";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const root = resolve(__dirname, "../..");
const read = (f: string) => readFileSync(resolve(root, f), "utf8");

function errorsOf(name: string, content: string): string[] {
    const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    return result.context.errors.getErrors().map((e) => e.message);
}

describe("GitHub workflows", () => {
    it.each([".github/workflows/preview.yml", ".github/workflows/up.yml", ".github/workflows/test.yml"])("%s is a valid workflow", (file) => {
        expect(errorsOf(file, read(file))).toEqual([]);
    });

    it("rejects an invalid workflow (the parser really checks)", () => {
        expect(errorsOf("bad.yml", "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n").length).toBeGreaterThan(0);
    });

    it("previews dev and prod on pull requests with the policy pack and its per-stack config, commenting on the PR", () => {
        const wf = parse(read(".github/workflows/preview.yml"));
        expect(Object.keys(wf.on)).toEqual(["pull_request"]);
        expect(wf.jobs.preview.strategy.matrix.stack).toEqual(["dev", "prod"]);
        const step = wf.jobs.preview.steps.find((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));
        expect(step.with).toMatchObject({
            command: "preview",
            "comment-on-pr": true,
            policyPacks: "policies",
            policyPackConfigs: "policies/config/${{ matrix.stack }}.json",
        });
        expect(wf.jobs.test.uses).toBe("./.github/workflows/test.yml");
        expect(wf.jobs.preview.needs).toBe("test");
    });

    it("tests with the same suite as .ci/run, with a RabbitMQ (management plugin) and Go beside it, before up on main", () => {
        const wf = parse(read(".github/workflows/test.yml"));
        const job = wf.jobs.test;
        expect(job.steps.filter((s: { run?: string }) => s.run !== undefined).map((s: { run: string }) => s.run)).toEqual(["bash .ci/run"]);
        expect(job.services.rabbitmq.image).toMatch(/^rabbitmq:[\d.]+-management$/);
        expect(job.services.rabbitmq.ports).toEqual(expect.arrayContaining(["5672:5672", "15672:15672"]));
        expect(job.steps.some((s: { uses?: string }) => s.uses?.startsWith("actions/setup-go@"))).toBe(true);
        const up = parse(read(".github/workflows/up.yml"));
        expect(up.jobs.test.uses).toBe("./.github/workflows/test.yml");
        expect(up.jobs.up.needs).toBe("test");
        // .ci/run is what the README tells a new user to run: install, type-check, lint, then npm test, which ends with
        // the engine tier.
        expect(read(".ci/run")).toMatch(/npm test/);
        const scripts = JSON.parse(read("package.json")).scripts as Record<string, string>;
        expect(scripts.test).toBe("vitest run && npm run -s test:engine");
        expect(scripts["test:engine"]).toBe("vitest run --config vitest.engine.config.mts");
    });

    it("runs up on main, prod only in the production environment, and checks idempotence", () => {
        const wf = parse(read(".github/workflows/up.yml"));
        expect(wf.on.push.branches).toEqual(["main"]);
        expect(wf.jobs.up.environment).toBe("${{ matrix.environment }}");
        expect(wf.jobs.up.strategy.matrix.include).toContainEqual({ stack: "prod", environment: "production" });
        expect(wf.jobs.up.strategy["max-parallel"]).toBe(1);
        const pulumiSteps = wf.jobs.up.steps.filter((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@"));
        expect(pulumiSteps.map((s: { with?: { command: string } }) => s.with?.command)).toEqual([undefined, "up", "preview"]);
        expect(pulumiSteps[2].with["expect-no-changes"]).toBe(true);
    });

    it("runs a staged transition's operator step (handover or drain check) before every up", () => {
        const steps = parse(read(".github/workflows/up.yml")).jobs.up.steps as { uses?: string; run?: string; with?: { command?: string } }[];
        const step = steps.findIndex((s) => s.run?.includes("npm run -s transition-step -- --stack ${{ matrix.stack }}"));
        const up = steps.findIndex((s) => s.with?.command === "up");
        expect(step).toBeGreaterThan(0);
        expect(step).toBeLessThan(up);
        // The CLI is installed before it: the step reads the stack's outputs.
        expect(steps[step - 1]?.uses).toMatch(/^pulumi\/actions@/);
        expect(steps[step]?.run).toContain("pulumi login");
    });

    it.each([".github/workflows/preview.yml", ".github/workflows/up.yml"])("%s runs on the stack's own self-hosted runners and fetches the context the stack pins", (file) => {
        const wf = parse(read(file));
        const job = wf.jobs.preview ?? wf.jobs.up;
        // Hosted runners cannot reach a private MSK, the cluster API or rabbitmq.internal.
        expect(job["runs-on"]).toEqual(["self-hosted", "linux", "messaging-${{ matrix.stack }}"]);
        const runs = job.steps.filter((s: { run?: string }) => s.run !== undefined).map((s: { if?: string; run: string }) => ({ if: s.if, run: s.run }));
        for (const stack of ["dev", "prod"]) {
            const context = parse(read(`Pulumi.${stack}.yaml`)).config["messaging-platform:kubernetes"].context as string;
            const step = runs.find((r: { if?: string }) => r.if === `matrix.stack == '${stack}'`);
            expect(step, `${file}: a kubeconfig step for ${stack}`).toBeDefined();
            // The context the command writes is the one the stack names: gcloud's gke_<project>_<location>_<cluster>,
            // or the alias given to aws eks update-kubeconfig.
            const written = stack === "prod"
                ? /--alias (\S+)/.exec(step.run)?.[1]
                : (([, cluster, region, project]) => `gke_${project}_${region}_${cluster}`)(/get-credentials (\S+) --region (\S+) --project (\S+)/.exec(step.run) ?? []);
            expect(written, `${file} ${stack}`).toBe(context);
            // ...before any pulumi step.
            const index = job.steps.findIndex((s: { if?: string; run?: string }) => s.run === step.run);
            expect(index).toBeLessThan(job.steps.findIndex((s: { uses?: string }) => s.uses?.startsWith("pulumi/actions@")));
        }
    });

    it("policy configs exist for the stacks the workflows name", () => {
        for (const stack of ["dev", "prod"]) {
            expect(() => JSON.parse(read(`policies/config/${stack}.json`))).not.toThrow();
        }
    });
});
