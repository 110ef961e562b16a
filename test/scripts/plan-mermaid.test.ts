/**
 * The Mermaid diagrams parse with the real mermaid parser (mermaid needs a DOM for its sanitizer: jsdom provides one).
 */
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";
import { renderMermaid } from "../../scripts/plan-mermaid";
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
