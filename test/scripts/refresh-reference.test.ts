/**
 * scripts/refresh-reference.ts: the project's compact copy of the upstream CRDs and chart values, regenerated from an
 * upstream copy (here a small one made by the test), and the committed copy the component tests validate against.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main, structuralSchema, type ChartReference, type CrdReference } from "../../scripts/refresh-reference";

const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
spec:
  group: example.io
  names: { kind: Widget }
  versions:
    - name: v1
      served: true
      schema:
        openAPIV3Schema:
          description: A widget.
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: { type: integer, description: How big., default: 3 }
                mode: { type: string, enum: [a, b] }
                extra: { type: object, x-kubernetes-preserve-unknown-fields: true }
`;
const VALUES = `# comment
broker:
  replicaCount: 3
  storageOffload: {}
    # driver: aws-s3
    # bucket: <bucket>
  other: true
`;

const dir = mkdtempSync(join(tmpdir(), "reference-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("npx tsx scripts/refresh-reference.ts --from <copy>", () => {
    it("keeps each CRD's field names, types, enums and required fields, drops the prose, and records the sources", async () => {
        mkdirSync(join(dir, "from/crds"), { recursive: true });
        mkdirSync(join(dir, "from/pulsar-helm-chart"), { recursive: true });
        writeFileSync(join(dir, "from/crds/example.io_widgets.yaml"), CRD);
        writeFileSync(join(dir, "from/pulsar-helm-chart/values.yaml"), VALUES);
        writeFileSync(join(dir, "from/pulsar-helm-chart/Chart.yaml"), "name: pulsar\nversion: 9.9.9\nappVersion: 1.2.3\n");
        writeFileSync(join(dir, "from/README.md"), "| crds/example.io_*.yaml | example/widgets | abc123 |\n");
        const quiet = process.stdout.write;
        process.stdout.write = (() => true) as typeof process.stdout.write;
        const code = await main(["--from", join(dir, "from"), "--out", join(dir, "out")]).finally(() => (process.stdout.write = quiet));
        expect(code).toBe(0);
        const crds = JSON.parse(readFileSync(join(dir, "out/crd-schemas.json"), "utf8")) as CrdReference;
        expect(crds.schemas["example.io/v1/Widget"]).toEqual({
            type: "object",
            properties: {
                spec: {
                    type: "object",
                    required: ["size"],
                    properties: { size: { type: "integer" }, mode: { type: "string", enum: ["a", "b"] }, extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
                },
            },
        });
        expect(crds.sources).toEqual([{ file: "crds/example.io_widgets.yaml", sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
        expect(crds.upstream).toContain("abc123");
        const chart = JSON.parse(readFileSync(join(dir, "out/pulsar-chart-values.json"), "utf8")) as ChartReference;
        expect(chart.chart).toEqual({ name: "pulsar", version: "9.9.9", appVersion: "1.2.3" });
        expect(chart.values).toEqual({ broker: { replicaCount: 3, storageOffload: {}, other: true } });
        expect(chart.storageOffloadKeys).toEqual(["bucket", "driver"]);
    });

    it("refuses to run without --from", async () => {
        const err = process.stderr.write;
        let text = "";
        process.stderr.write = ((s: string) => ((text += s), true)) as typeof process.stderr.write;
        const code = await main([]).finally(() => (process.stderr.write = err));
        expect(code).toBe(2);
        expect(text).toContain("--from is required");
    });

    it("structuralSchema drops descriptions, defaults and examples at every depth", () => {
        expect(structuralSchema({ type: "array", description: "x", example: [1], items: { type: "string", default: "a" } })).toEqual({ type: "array", items: { type: "string" } });
    });
});

describe("the committed reference data", () => {
    const root = resolve(__dirname, "../../reference");
    it("names the upstream files and versions it was read from", () => {
        const crds = JSON.parse(readFileSync(join(root, "crd-schemas.json"), "utf8")) as CrdReference;
        expect(crds.sources.length).toBeGreaterThanOrEqual(9);
        expect(crds.upstream).toMatch(/pulsar-resources-operator.*7012b18/);
        expect(crds.upstream).toMatch(/function-mesh.*c7e87ce4/);
        const chart = JSON.parse(readFileSync(join(root, "pulsar-chart-values.json"), "utf8")) as ChartReference;
        expect(chart.chart).toEqual({ name: "pulsar", version: "4.7.0", appVersion: "4.0.12" });
    });
});
