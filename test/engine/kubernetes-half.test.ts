/**
 * `npm run test:engine`: the Kubernetes half of the platform (test/engine/program: the namespace, credentials, the
 * Pulsar standalone cluster, tenancy CRs, functions and sinks, the orchestrator, exactly as MessagingPlatform wires
 * them) of the local stack's real plan, through a real Pulumi engine: CLI 3.274.1, the Node.js language host of
 * sdk/v3 3.68.0 and the kubernetes plugin 4.25.0, all built here by scripts/engine/build.sh. The kubernetes provider
 * renders to a temp folder; the backend is a temp folder. Not the whole platform: Kafka and RabbitMQ need plugins
 * that cannot be built here.
 *
 * For every adjacent transition and rollback (0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0): without `transitionStage` the preview
 * fails naming it; then each of the three staged updates (prepare, switch, settle): the engine's own preview steps
 * equal what the program under mocks predicts for that update, nothing that holds data or runs is replaced, `up`
 * succeeds; after settle a second preview shows no change. Then the policy pack through the engine, and an interrupted `up`
 * recovered by the runbook's steps.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { programStageChanges, type ResourceChange } from "../../scripts/plan-resources";
import { DATA_HOLDING_TYPES } from "../../scripts/provider-diff";
import { ensureEngine, ROOT, typeAndName, Workspace, type PreviewStep } from "./harness";

const PATH = [0, 1, 2, 3, 2, 1, 0] as const;
const stackText = readFileSync(resolve(ROOT, "Pulumi.local.yaml"), "utf8");
const timings: { what: string; seconds: number }[] = [];
let ws: Workspace;

beforeAll(async () => {
    const engine = await ensureEngine();
    timings.push({ what: "scripts/engine/build.sh (cached binaries are reused)", seconds: engine.buildSeconds });
    ws = new Workspace(engine);
    await ws.init(stackText);
}, 50 * 60_000);

afterAll(() => {
    ws?.dispose();
    const total = timings.reduce((s, t) => s + t.seconds, 0);
    process.stdout.write(`\nengine tier timings (s):\n${timings.map((t) => `  ${t.seconds.toFixed(1).padStart(6)}  ${t.what}`).join("\n")}\n  ${total.toFixed(1).padStart(6)}  total\n`);
});

/** Kinds of change the plan predicts, as the engine's step ops spell them (retained deletes are `delete` steps). */
type Kind = ResourceChange["kind"];

/** The engine's steps for the Kubernetes resources, as `<kind> <type> <name>` (component and provider steps left out). */
function engineChanges(steps: PreviewStep[]): string[] {
    const out: string[] = [];
    for (const s of steps) {
        const { type, name } = typeAndName(s.urn);
        if (!type.startsWith("kubernetes:")) {
            continue;
        }
        const kind: Kind | undefined =
            s.op === "create" ? "create" : s.op === "update" ? "update" : s.op === "replace" ? "replace" : s.op === "delete" ? (s.oldState?.retainOnDelete ? "forget" : "delete") : undefined;
        if (kind) {
            out.push(`${kind} ${type} ${name}`);
        }
    }
    return out.sort();
}

function predictedChanges(changes: ResourceChange[]): string[] {
    return changes
        .filter((c) => c.resource.type.startsWith("kubernetes:"))
        .map((c) => `${c.kind} ${c.resource.type} ${c.resource.name}`)
        .sort();
}

async function previewJson(extra: string[] = []): Promise<{ steps: PreviewStep[]; changeSummary: Record<string, number>; raw: string }> {
    const r = await ws.pulumi(["preview", "--json", ...extra]);
    if (r.code !== 0) {
        throw new Error(`pulumi preview failed (${r.code}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-3000)}`);
    }
    const parsed = JSON.parse(r.stdout) as { steps: PreviewStep[]; changeSummary: Record<string, number> };
    return { ...parsed, raw: r.stdout };
}

/** Preview, compare with the prediction, check nothing that holds data or runs is replaced, then up. */
async function previewAndUp(label: string, predicted: string[] | "all creates"): Promise<void> {
    const started = Date.now();
    const preview = await previewJson();
    const engine = engineChanges(preview.steps);
    const counts = ["create", "update", "replace", "delete", "forget"].map((k) => `${engine.filter((c) => c.startsWith(`${k} `)).length} ${k}`).join(", ");
    timings.push({ what: `preview ${label}: ${counts} (Kubernetes resources)`, seconds: (Date.now() - started) / 1000 });
    if (predicted === "all creates") {
        // A first deployment creates every Kubernetes resource the program declares at that phase.
        expect(engine.every((c) => c.startsWith("create ")), engine.join("\n")).toBe(true);
        expect(engine.length).toBeGreaterThan(20);
    } else {
        expect(engine).toEqual(predicted);
    }
    // Nothing that holds data or runs is replaced (the local broker's StatefulSet above all).
    const replaced = preview.steps.filter((s) => s.op === "replace" || s.op === "create-replacement").map((s) => typeAndName(s.urn));
    expect(replaced.filter((r) => DATA_HOLDING_TYPES.has(r.type) || r.type === "kubernetes:apps/v1:Deployment")).toEqual([]);
    const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
    timings.push({ what: `up ${label}`, seconds: up.seconds });
    expect(up.code, `${up.stdout.slice(-3000)}\n${up.stderr.slice(-2000)}`).toBe(0);
}

describe("the Kubernetes half of the local stack through a real engine", () => {
    it("a first deployment at phase 0 creates everything, then converges", async () => {
        expect((await ws.pulumi(["config", "set", "phase", "0"])).code).toBe(0);
        await previewAndUp("(new) -> 0", "all creates");
        const again = await ws.pulumi(["preview", "--expect-no-changes"]);
        expect(again.code, again.stdout.slice(-3000)).toBe(0);
    }, 15 * 60_000);

    it.each(PATH.slice(1).map((to, i) => [PATH[i] as number, to] as const))(
        "%s -> %s: without a stage the engine's preview fails naming transitionStage; prepare, switch, settle each do what the plan predicts; then it converges",
        async (from, to) => {
            expect((await ws.pulumi(["config", "set", "phase", String(to)])).code).toBe(0);
            const refused = await ws.pulumi(["preview"]);
            expect(refused.code).not.toBe(0);
            expect(`${refused.stdout}${refused.stderr}`).toContain("messaging-platform:transitionStage");
            const stages = await programStageChanges("local", from, to);
            for (const { stage, changes } of stages) {
                const set = stage === "settle" ? await ws.pulumi(["config", "rm", "transitionStage"]) : await ws.pulumi(["config", "set", "transitionStage", stage]);
                expect(set.code, set.stderr).toBe(0);
                // (npm run handover and drain-check run between these against the brokers; none runs in this tier.)
                await previewAndUp(`${from} -> ${to} ${stage}`, predictedChanges(changes));
            }
            const again = await ws.pulumi(["preview", "--expect-no-changes"]);
            timings.push({ what: `preview after settle at ${to}`, seconds: again.seconds });
            expect(again.code, `a second preview must show no changes:\n${again.stdout.slice(-3000)}`).toBe(0);
        },
        20 * 60_000,
    );
});

describe("the policy pack through the engine (scripts/engine/policy-pack-launcher)", () => {
    const launcher = resolve(ROOT, "scripts/engine/policy-pack-launcher");
    /**
     * The local policy config with every policy mandatory, so a violation fails the preview, except the two migration
     * invariants about Kafka's topics and cluster: those are the other half's resources, which this program does not
     * declare.
     */
    const packConfig = () => {
        const local = JSON.parse(readFileSync(resolve(ROOT, "policies/config/local.json"), "utf8")) as Record<string, string | Record<string, unknown>>;
        const mandatory = Object.fromEntries(Object.entries(local).map(([k, v]) => [k, typeof v === "string" ? "mandatory" : { ...v, enforcementLevel: "mandatory" }]));
        const file = resolve(ws.dir, "policy-config.json");
        writeFileSync(file, JSON.stringify({ ...mandatory, "audit-trail-keeps-kafka-topic": "disabled", "kafka-pulsar-coexist": "disabled" }));
        return file;
    };

    it("the stack as committed passes, every policy mandatory", async () => {
        // The prepare update of 0 -> 1 (the stack is settled at 0 after the path).
        await ws.pulumi(["config", "set", "phase", "1"]);
        await ws.pulumi(["config", "set", "transitionStage", "prepare"]);
        const r = await ws.pulumi(["preview", "--policy-pack", launcher, "--policy-pack-config", packConfig()]);
        timings.push({ what: "preview with the policy pack", seconds: r.seconds });
        expect(r.code, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`).toBe(0);
        expect(r.stdout).toContain("messaging-guardrails");
        expect(r.stdout).not.toMatch(/\[mandatory\]/);
    });

    it("a violation planted in a copy of the stack fails the preview, naming the policy", async () => {
        // Pods sent to a Service nothing declares: config accepts it (not a loopback address), the pack does not. At
        // phase 0 the orchestrator services get these addresses (KAFKA_BROKERS).
        const planted = parseDocument(stackText);
        planted.setIn(["config", "messaging-platform:phase"], 0);
        planted.setIn(["config", "messaging-platform:kafka", "clientBootstrapServers"], ["kop.messaging.svc.cluster.local:9092"]);
        ws.writeConfig(planted.toString());
        try {
            const r = await ws.pulumi(["preview", "--policy-pack", launcher, "--policy-pack-config", packConfig()]);
            expect(r.code).not.toBe(0);
            expect(r.stdout).toMatch(/\[mandatory\]\s+client-endpoints-served/);
            expect(r.stdout).toContain("kop.messaging.svc.cluster.local:9092: no Service kop in namespace messaging is declared");
        } finally {
            ws.writeConfig(stackText);
        }
    });
});

describe("an interrupted up, recovered with the runbook's steps (docs/runbooks.md)", () => {
    const stackUrn = "urn:pulumi:local::messaging-platform::pulumi:pulumi:Stack::messaging-platform-local";
    const exported = async () => {
        const r = await ws.pulumi(["stack", "export"]);
        if (r.code !== 0 || r.stdout.trim() === "") {
            throw new Error(`pulumi stack export failed (${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
        }
        return (JSON.parse(r.stdout) as { deployment: { pending_operations?: unknown[]; resources?: unknown[] } }).deployment;
    };
    const pending = async () => ((await exported()).pending_operations ?? []).length;

    // Runs on its own too (vitest -t interrupted): a stack nothing was deployed to gets phase 0 first, since a
    // staged update needs a deployed stack to stage from.
    beforeAll(async () => {
        if (((await exported()).resources ?? []).length > 0) {
            return;
        }
        await ws.pulumi(["config", "set", "phase", "0"]);
        await ws.pulumi(["config", "rm", "transitionStage"]);
        const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
        expect(up.code, up.stdout.slice(-3000)).toBe(0);
    }, 10 * 60_000);

    it("converges: cancel, clear the pending creates, up; then a preview shows no change", async () => {
        await ws.pulumi(["config", "set", "phase", "1"]);
        await ws.pulumi(["config", "set", "transitionStage", "prepare"]);
        const killed = await ws.upKilledMidway();
        expect(killed.killedAfter).toMatch(/created|updated|deleted/);
        // The CLI and its plugins are gone, as after a crash (and nothing is left running by the test).
        await new Promise((r) => setTimeout(r, 500));
        // Running, not a zombie waiting for a parent to reap it (a container's pid 1 may never do).
        const alive = killed.pids.filter((pid) => {
            try {
                return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
            } catch {
                return false;
            }
        });
        expect(alive).toEqual([]);
        // What the interruption leaves: the lock of the killed process, and the operations it had in flight (how many
        // depends on the instant of the kill: reported, not asserted).
        timings.push({ what: `up killed after "${killed.killedAfter.slice(0, 60)}...": ${await pending()} pending operations left`, seconds: 0 });
        const locked = await ws.pulumi(["up", "--yes", "--skip-preview"]);
        expect(`${locked.stdout}${locked.stderr}`).toContain("the stack is currently locked");
        // A plain refresh cannot read rendered resources: that is why the runbook has a variant for rendering stacks.
        expect((await ws.pulumi(["cancel", "--yes"])).code).toBe(0);
        const refresh = await ws.pulumi(["refresh", "--yes"]);
        expect(refresh.code).not.toBe(0);
        expect(refresh.stdout).toContain("unreachable cluster");
        const clear = await ws.pulumi(["refresh", "--yes", "--clear-pending-creates", "--target", stackUrn]);
        expect(clear.code, clear.stdout.slice(-2000)).toBe(0);
        expect(await pending()).toBe(0);
        const up = await ws.pulumi(["up", "--yes", "--skip-preview"]);
        expect(up.code, up.stdout.slice(-3000)).toBe(0);
        const again = await ws.pulumi(["preview", "--expect-no-changes"]);
        expect(again.code, again.stdout.slice(-3000)).toBe(0);
        expect(await pending()).toBe(0);
    }, 15 * 60_000);
});
