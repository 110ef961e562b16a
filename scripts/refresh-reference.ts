/**
 * `npx tsx scripts/refresh-reference.ts --from <upstream copy> [--out reference]`
 *
 * Regenerates the project's compact reference data from upstream files, so the tests check what the program declares
 * against what the real systems accept without reading anything outside the repository:
 *
 * - `reference/crd-schemas.json`: for each CustomResourceDefinition (`<from>/crds/*.yaml`: the Pulsar resources operator
 *   and Function Mesh CRDs), the structural part of each served version's openAPIV3Schema: field names, types, enums,
 *   required fields, items, and where unknown fields are preserved. Descriptions, defaults and examples are dropped.
 * - `reference/pulsar-chart-values.json`: the Pulsar Helm chart's `values.yaml` as data (its keys and default values,
 *   without the comments) plus the `broker.storageOffload` keys the chart documents only in comments.
 *
 * Each file records the upstream files it was read from with their sha256, and the versions (chart version, the
 * commits named in the copy's README). The upstream copy is `../shared/reference` on the build machine; nothing the
 * tests run reads it.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parse } from "yaml";
import { CliUsageError, parseFlags } from "./cli";
import { runMain } from "./run-main";

const COMMAND = "npx tsx scripts/refresh-reference.ts";

/** The schema keywords that say what a field is; everything else (descriptions, defaults, examples) is dropped. */
const STRUCTURAL = ["type", "format", "enum", "required", "nullable", "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string", "maxItems", "minItems", "maxLength", "minLength", "maximum", "minimum", "pattern"] as const;

/** The structural part of an OpenAPI v3 schema node. Pure; exported for testing. */
export function structuralSchema(node: unknown): unknown {
    if (node === null || typeof node !== "object" || Array.isArray(node)) {
        return node;
    }
    const n = node as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of STRUCTURAL) {
        if (n[k] !== undefined) {
            out[k] = n[k];
        }
    }
    if (n.properties && typeof n.properties === "object") {
        out.properties = Object.fromEntries(Object.entries(n.properties as Record<string, unknown>).map(([k, v]) => [k, structuralSchema(v)]));
    }
    if (n.items !== undefined) {
        out.items = structuralSchema(n.items);
    }
    if (n.additionalProperties !== undefined) {
        out.additionalProperties = typeof n.additionalProperties === "object" ? structuralSchema(n.additionalProperties) : n.additionalProperties;
    }
    for (const k of ["anyOf", "oneOf", "allOf"] as const) {
        if (Array.isArray(n[k])) {
            out[k] = (n[k] as unknown[]).map(structuralSchema);
        }
    }
    return out;
}

export interface SourceFile {
    file: string;
    sha256: string;
}

export interface CrdReference {
    /** Where each CRD came from (the upstream copy's README names the commits). */
    sources: SourceFile[];
    upstream: string;
    /** `group/version/Kind` -> structural schema of the whole object. */
    schemas: Record<string, unknown>;
}

export interface ChartReference {
    sources: SourceFile[];
    chart: { name: string; version: string; appVersion: string };
    /** values.yaml as data. */
    values: unknown;
    /** Keys documented (commented out) under `broker.storageOffload: {}`. */
    storageOffloadKeys: string[];
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The compact CRD data of every CRD file in `dir`. Pure apart from reading the files. */
export function crdReference(dir: string, upstream: string): CrdReference {
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
    const schemas: Record<string, unknown> = {};
    const sources: SourceFile[] = [];
    for (const file of files) {
        const text = readFileSync(resolve(dir, file), "utf8");
        sources.push({ file: `crds/${file}`, sha256: sha256(text) });
        const crd = parse(text) as { spec: { group: string; names: { kind: string }; versions: { name: string; served?: boolean; schema: { openAPIV3Schema: unknown } }[] } };
        for (const v of crd.spec.versions) {
            schemas[`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`] = structuralSchema(v.schema.openAPIV3Schema);
        }
    }
    return { sources, upstream, schemas };
}

/** Keys documented (commented out) under `broker.storageOffload: {}` in values.yaml. Pure; exported for testing. */
export function documentedStorageOffloadKeys(valuesText: string): string[] {
    const lines = valuesText.split("\n");
    const start = lines.findIndex((l) => /^ {2}storageOffload: \{\}/.test(l));
    if (start < 0) {
        return [];
    }
    const keys = new Set<string>();
    for (const line of lines.slice(start + 1)) {
        if (/^\S/.test(line) || /^ {2}[A-Za-z]/.test(line)) {
            break;
        }
        const m = /^\s*#\s*([A-Za-z]+):/.exec(line);
        if (m?.[1]) {
            keys.add(m[1]);
        }
    }
    return [...keys].sort();
}

export function chartReference(dir: string): ChartReference {
    const valuesText = readFileSync(resolve(dir, "values.yaml"), "utf8");
    const chartText = readFileSync(resolve(dir, "Chart.yaml"), "utf8");
    const chart = parse(chartText) as { name: string; version: string; appVersion: string };
    return {
        sources: [
            { file: `${basename(dir)}/Chart.yaml`, sha256: sha256(chartText) },
            { file: `${basename(dir)}/values.yaml`, sha256: sha256(valuesText) },
        ],
        chart: { name: chart.name, version: chart.version, appVersion: String(chart.appVersion) },
        values: parse(valuesText),
        storageOffloadKeys: documentedStorageOffloadKeys(valuesText),
    };
}

interface RefreshFlags {
    from?: string;
    out: string;
}

export async function main(argv: string[]): Promise<number> {
    try {
        const { values, help } = parseFlags<RefreshFlags>(COMMAND, argv, { from: { type: "string" }, out: { type: "string", default: "reference" } });
        if (help) {
            process.stdout.write(`usage: ${COMMAND} --from <upstream copy, e.g. ../shared/reference> [--out reference]\n`);
            return 0;
        }
        if (!values.from) {
            throw new CliUsageError(`${COMMAND}: --from is required: a folder with crds/*.yaml and pulsar-helm-chart/{Chart,values}.yaml`);
        }
        const from = resolve(values.from);
        const out = resolve(values.out);
        mkdirSync(out, { recursive: true });
        let readme = "";
        try {
            readme = readFileSync(resolve(from, "README.md"), "utf8");
        } catch {
            readme = "";
        }
        // The copy's README table names the upstream repository and commit of each group of files.
        const upstream = readme.split("\n").filter((l) => l.startsWith("| crds/") || l.startsWith("| pulsar-helm-chart/")).join("\n");
        const crds = crdReference(resolve(from, "crds"), upstream);
        const chart = chartReference(resolve(from, "pulsar-helm-chart"));
        writeFileSync(resolve(out, "crd-schemas.json"), `${JSON.stringify(crds)}\n`);
        writeFileSync(resolve(out, "pulsar-chart-values.json"), `${JSON.stringify({ ...chart, upstream })}\n`);
        process.stdout.write(`wrote ${Object.keys(crds.schemas).length} CRD schemas and chart ${chart.chart.name} ${chart.chart.version} values to ${out}\n`);
        return 0;
    } catch (err) {
        if (err instanceof CliUsageError) {
            process.stderr.write(`${err.message}\n`);
            return 2;
        }
        throw err;
    }
}

if (require.main === module) {
    runMain(main, { crashCode: 1 });
}
