/**
 * Shared test support for component tests under Pulumi mocks: resource recording, CRD-schema validation of custom
 * resources (reference/crds, unknown fields are errors as with Kubernetes strict field validation) and Helm value-key
 * checks against the Pulsar chart's values.yaml.
 */
import { readFileSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import Ajv, { type ValidateFunction } from "ajv";
import { parse } from "yaml";

export const REFERENCE = resolve(__dirname, "../../../shared/reference");

export interface Recorded {
    type: string;
    name: string;
    inputs: any;
}

/** Installs mocks that record every registration; returns the (mutable) list. */
export async function recordResources(stack = "test"): Promise<Recorded[]> {
    const recorded: Recorded[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                recorded.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...args.inputs } };
            },
            call: () => ({}),
        },
        "messaging-platform",
        stack,
        false,
    );
    return recorded;
}

export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((r) => o.apply(r));
}

/** Waits until no new registration arrives for a few ticks (registrations are asynchronous under mocks). */
export async function settle(recorded: Recorded[]): Promise<void> {
    let last = -1;
    let quiet = 0;
    while (quiet < 5) {
        await new Promise((r) => setTimeout(r, 10));
        if (recorded.length === last) {
            quiet++;
        } else {
            quiet = 0;
            last = recorded.length;
        }
    }
}

export function ofType(recorded: Recorded[], type: string): Recorded[] {
    return recorded.filter((r) => r.type === type);
}

/** Custom resources (by `k8s.apiextensions.CustomResource`: type `kubernetes:<apiVersion>:<kind>`), optionally of one kind. */
export function customResources(recorded: Recorded[], kind?: string): Recorded[] {
    return recorded.filter(
        (r) => r.inputs?.apiVersion !== undefined && r.type === `kubernetes:${r.inputs.apiVersion}:${r.inputs.kind}` && (kind === undefined || r.inputs.kind === kind),
    );
}

// ---------------------------------------------------------------------------------------------
// CRD validation.

/** Every object schema with `properties` becomes closed, unless the CRD says it preserves unknown fields. */
function closeSchemas(node: any): any {
    if (Array.isArray(node)) {
        return node.map(closeSchemas);
    }
    if (node === null || typeof node !== "object") {
        return node;
    }
    const out: any = {};
    for (const [k, v] of Object.entries(node)) {
        out[k] = k === "properties" ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, closeSchemas(pv)])) : closeSchemas(v);
    }
    if (out.properties && out.additionalProperties === undefined && !out["x-kubernetes-preserve-unknown-fields"]) {
        out.additionalProperties = false;
    }
    return out;
}

const validators = new Map<string, ValidateFunction>();

function loadCrds(): void {
    if (validators.size > 0) {
        return;
    }
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const dir = resolve(REFERENCE, "crds");
    for (const file of readdirSync(dir)) {
        const crd = parse(readFileSync(resolve(dir, file), "utf8"));
        for (const v of crd.spec.versions) {
            const schema = closeSchemas(v.schema.openAPIV3Schema);
            // metadata is validated by the API server, not by the CRD schema.
            schema.properties.metadata = { type: "object" };
            validators.set(`${crd.spec.group}/${v.name}/${crd.spec.names.kind}`, ajv.compile(schema));
        }
    }
}

/** Errors of a custom resource against its CRD (throws when no CRD is known for it). */
export function crdErrors(object: { apiVersion: string; kind: string; [field: string]: unknown }): string[] {
    loadCrds();
    const validate = validators.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) {
        throw new Error(`no reference CRD for ${object.apiVersion} ${object.kind}`);
    }
    return validate(object) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

export function hasCrd(apiVersion: string, kind: string): boolean {
    loadCrds();
    return validators.has(`${apiVersion}/${kind}`);
}

// ---------------------------------------------------------------------------------------------
// Helm value keys.

const valuesText = () => readFileSync(resolve(REFERENCE, "pulsar-helm-chart/values.yaml"), "utf8");

/** Keys documented (commented out) under `broker.storageOffload: {}` in values.yaml. */
export function documentedStorageOffloadKeys(): Set<string> {
    const lines = valuesText().split("\n");
    const start = lines.findIndex((l) => /^ {2}storageOffload: \{\}/.test(l));
    const keys = new Set<string>();
    for (const line of lines.slice(start + 1)) {
        if (/^\S/.test(line)) {
            break;
        }
        const m = /^\s*#\s*([A-Za-z]+):/.exec(line);
        if (m?.[1]) {
            keys.add(m[1]);
        }
    }
    return keys;
}

/** Open maps of the chart: any key is allowed below them. */
const OPEN_MAPS = new Set(["broker.configData", "broker.service_account.annotations"]);

/** Value paths the program sets that values.yaml does not have. */
export function unknownHelmKeys(values: Record<string, unknown>): string[] {
    const chart = parse(valuesText());
    const offloadKeys = documentedStorageOffloadKeys();
    const unknown: string[] = [];
    const walk = (node: unknown, ref: unknown, path: string) => {
        if (node === null || typeof node !== "object" || Array.isArray(node) || pulumi.Output.isInstance(node)) {
            return;
        }
        for (const [k, v] of Object.entries(node)) {
            const p = path ? `${path}.${k}` : k;
            if (p === "broker.storageOffload") {
                Object.keys(v as object).filter((x) => !offloadKeys.has(x)).forEach((x) => unknown.push(`${p}.${x}`));
                continue;
            }
            const refObj = ref as Record<string, unknown> | null;
            if (refObj === null || typeof refObj !== "object" || !(k in refObj)) {
                unknown.push(p);
                continue;
            }
            if (OPEN_MAPS.has(p)) {
                continue;
            }
            walk(v, refObj[k], p);
        }
    };
    walk(values, chart, "");
    return unknown;
}
