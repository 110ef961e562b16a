/**
 * The Mermaid diagrams parse with the real mermaid parser (mermaid needs a DOM for its sanitizer: jsdom provides one).
 */
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { renderMermaid, renderMermaidChange } from "../../scripts/plan-mermaid";
import { diffTopology } from "../../topology";
import { STACKS, planStack } from "../support/stacks";

type Mermaid = { parse(text: string): Promise<{ diagramType: string }> };
let mermaid: Mermaid;

beforeAll(async () => {
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    mermaid = (await import("mermaid")).default as unknown as Mermaid;
});

describe("npm run plan -- --format mermaid", () => {
    it.each(STACKS.flatMap((s) => [0, 1, 2, 3].map((p) => [s, p] as const)))("%s at phase %i is a valid flowchart", async (stack, phase) => {
        const text = renderMermaid(planStack(stack, { phase }));
        await expect(mermaid.parse(text)).resolves.toMatchObject({ diagramType: "flowchart-v2" });
    });

    it("rejects a broken diagram (the check is real)", async () => {
        const broken = renderMermaid(planStack("local")).replace("subgraph Kafka[", "subgraph Kafka[[");
        await expect(mermaid.parse(broken)).rejects.toThrow(/Parse error/);
    });

    it("draws what the phase holds: KoP edges at 1, a matcher Function and sinks at 2, a legend always", () => {
        const one = renderMermaid(planStack("local", { phase: 1 }));
        expect(one).toContain("s_ingress_gateway -->|KoP| p_persistent___public_default_user_requests");
        expect(one).not.toContain("Pulsar Function");
        const two = renderMermaid(planStack("local", { phase: 2 }));
        expect(two).toContain('f_mcp_matcher{{"Pulsar Function mcp-matcher"}}:::pulsar');
        expect(two).toContain('-. "sink job-metrics-to-kafka" .-> k_job_metrics');
        expect(two).toContain("subgraph Legend[Legend]");
        const zero = renderMermaid(planStack("local", { phase: 0 }));
        expect(zero).not.toContain("subgraph Pulsar");
    });
});

describe("npm run plan -- --from M --format mermaid: the bump's change", () => {
    const change = (stack: "local" | "dev" | "prod", from: number, to: number) => {
        const a = planStack(stack, { phase: from });
        const b = planStack(stack, { phase: to });
        return renderMermaidChange(a, b, diffTopology(a, b));
    };

    it.each(STACKS.flatMap((s) => [[s, 0, 1], [s, 1, 2], [s, 2, 3], [s, 3, 2], [s, 2, 1], [s, 1, 0]] as const))("%s %i -> %i is a valid flowchart", async (stack, from, to) => {
        await expect(mermaid.parse(change(stack, from, to))).resolves.toMatchObject({ diagramType: "flowchart-v2" });
    });

    it("styles what 1 -> 2 adds (the matcher Function), removes (the KoP edges) and changes (the deployments' env)", () => {
        const text = change("local", 1, 2);
        expect(text).toContain("%% phase 1 (bridge) -> 2 (native)");
        const classed = (change: string) => (new RegExp(`^ {2}class (\\S+) ${change}$`, "m").exec(text)?.[1] ?? "").split(",");
        expect(classed("added")).toContain("f_mcp_matcher");
        expect(classed("changed")).toContain("s_ingress_gateway");
        expect(classed("removed")).toEqual(["L_removed"]);
        const lines = text.split("\n");
        const edges = lines.filter((l) => /^ {2}\S+ (-->|-\.)/.test(l));
        const kop = edges.findIndex((l) => l.includes("s_ingress_gateway -->|KoP| p_persistent___public_default_user_requests"));
        expect(kop).toBeGreaterThanOrEqual(0);
        expect(text).toContain(`linkStyle ${kop} stroke:#d50000`);
        expect(text).toContain("classDef added");
        expect(text).toContain('L_removed["removed by the bump"]');
    });

    it("an unchanged pair of phases styles nothing but the legend", () => {
        const text = change("dev", 2, 2);
        for (const c of ["added", "removed", "changed"]) {
            expect(text).toContain(`  class L_${c} ${c}\n`);
        }
        expect(text).not.toContain("linkStyle");
    });
});
