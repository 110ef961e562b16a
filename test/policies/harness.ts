/**
 * Offline policy harness (the pulumi-policy-aws `tests/util.ts` pattern): builds resources as the engine describes
 * them and runs policies through policies/offline.ts, which wraps props in @pulumi/policy's `unknownCheckingProxy`
 * exactly like the policy server (pulumi/pulumi-policy#445: unproxied helpers hide proxy bugs).
 */
import type { EnforcementLevel, Policies, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { evaluatePack, type CapturedResource, type PackConfig, type Violation } from "../../policies/offline";

/** A resource whose inputs and outputs are both `props` (what a preview with known values shows). */
export function res(
    type: string,
    name: string,
    props: Record<string, unknown>,
    extra: Partial<Omit<CapturedResource, "type" | "name" | "inputs" | "outputs">> = {},
): CapturedResource {
    return {
        type,
        name,
        urn: `urn:pulumi:test::messaging-platform::${type}::${name}`,
        inputs: props,
        outputs: props,
        protect: false,
        retainOnDelete: false,
        dependencies: [],
        propertyDependencies: {},
        ...extra,
    };
}

/** Messages one policy reports over the resources, with its own policy config. */
export async function violations(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    resources: CapturedResource[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const found = await evaluatePack([policy], resources, { [policy.name]: config as PackConfig[string] });
    return found.map((v) => v.message);
}

/** The whole pack over the resources with a policy config file's content. */
export async function packViolations(policies: Policies, resources: CapturedResource[], config: PackConfig): Promise<Violation[]> {
    return evaluatePack(policies, resources, config);
}

export const LEVEL: EnforcementLevel = "mandatory";

/** A deep copy, so fixtures can be edited per case. */
export function clone<T>(v: T): T {
    return structuredClone(v);
}

/** `resources` with the first resource matching `pick` replaced by `edit(copy)` (or removed when edit returns undefined). */
export function edited(resources: CapturedResource[], pick: (r: CapturedResource) => boolean, edit: (r: CapturedResource) => CapturedResource | undefined): CapturedResource[] {
    const i = resources.findIndex(pick);
    if (i < 0) {
        throw new Error("fixture: nothing to edit");
    }
    const copy = clone(resources);
    const next = edit(copy[i] as CapturedResource);
    if (next) {
        copy[i] = next;
    } else {
        copy.splice(i, 1);
    }
    return copy;
}

/** Sets a value on both inputs and outputs of a resource. */
export function set(r: CapturedResource, mutate: (props: Record<string, any>) => void): CapturedResource {
    mutate(r.inputs as Record<string, any>);
    if (r.outputs !== r.inputs) {
        mutate(r.outputs as Record<string, any>);
    }
    return r;
}

