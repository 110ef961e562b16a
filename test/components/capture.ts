/**
 * Test harness for components under Pulumi mocks: records every registration (type, name, inputs) and, through a
 * legacy `transformations` option on the component (run by the SDK itself, and inherited by every child), the
 * resource options each child was given (protect, retainOnDelete, provider...), which the mock monitor does not see.
 *
 * Import this module, then call `startMocks` in `beforeAll` BEFORE importing the component modules (dynamic import).
 */
import * as pulumi from "@pulumi/pulumi";
import { mockOutputs } from "../../policies/mock-cloud";
import { plain as offlinePlain } from "../../policies/offline";

export const PROJECT = "messaging-platform";

export interface Registration {
    type: string;
    name: string;
    /** Inputs as the engine would get them; secrets are `{ [specialSigKey]: specialSecretSig, value }` wrappers. */
    inputs: Record<string, unknown>;
    custom: boolean;
}

export interface Capture {
    registrations: Registration[];
    /** Options each resource was constructed with, by resource name (from the transformation). */
    options: Map<string, pulumi.ResourceOptions>;
    /** The raw args (with Outputs) each resource was constructed with, by resource name. */
    props: Map<string, pulumi.Inputs>;
    /** Pass as the component's `transformations` option. */
    transformation: pulumi.ResourceTransformation;
    ofType(type: string): Registration[];
    one(type: string, name?: string): Registration;
}

/** Ids the components use as references (service accounts, API keys). */
export function idOf(type: string, name: string): string {
    switch (type) {
        case "confluentcloud:index/serviceAccount:ServiceAccount":
            return `sa-${name}`;
        case "confluentcloud:index/apiKey:ApiKey":
            return `key-${name}`;
        default:
            return `${name}-id`;
    }
}

export async function startMocks(stack: string): Promise<Capture> {
    const registrations: Registration[] = [];
    const options = new Map<string, pulumi.ResourceOptions>();
    const props = new Map<string, pulumi.Inputs>();
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                registrations.push({ type: a.type, name: a.name, inputs: a.inputs as Record<string, unknown>, custom: a.custom ?? false });
                const inputs = a.inputs as Record<string, unknown>;
                return { id: idOf(a.type, a.name), state: { ...inputs, ...mockOutputs(a.type, a.name, inputs) } };
            },
            call: () => ({}),
        },
        PROJECT,
        stack,
        false,
    );
    const capture: Capture = {
        registrations,
        options,
        props,
        transformation: (t) => {
            options.set(t.name, t.opts);
            props.set(t.name, t.props);
            return undefined;
        },
        ofType: (type) => registrations.filter((r) => r.type === type),
        one: (type, name) => {
            const found = registrations.filter((r) => r.type === type && (name === undefined || r.name === name));
            if (found.length !== 1) {
                throw new Error(`expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
            }
            return found[0] as Registration;
        },
    };
    return capture;
}

/** Resolves an Output (never in preview mode, so it always resolves). */
export function valueOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply(resolve));
}

/** Waits until registrations settle: every output of the component resolved. */
export async function settle(...outputs: pulumi.Output<unknown>[]): Promise<void> {
    await valueOf(pulumi.all(outputs));
    // Children registered from apply callbacks need a few more turns of the event loop.
    for (let i = 0; i < 20; i++) {
        await new Promise((r) => setImmediate(r));
    }
}

export function isSecretValue(v: unknown): v is { value: unknown } {
    return (
        typeof v === "object" &&
        v !== null &&
        (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
    );
}

/** Deeply strips secret wrappers, for assertions on values (the offline runner's own). */
export const plain = offlinePlain;

/** Every string found in `v` outside a secret wrapper (where a leaked password would show). */
export function plainStrings(v: unknown): string[] {
    if (isSecretValue(v)) {
        return [];
    }
    if (typeof v === "string") {
        return [v];
    }
    if (Array.isArray(v)) {
        return v.flatMap(plainStrings);
    }
    if (typeof v === "object" && v !== null) {
        return Object.values(v).flatMap(plainStrings);
    }
    return [];
}

/** Parses a JSON document input (policies, provider list args), secret or not. */
export function json<T = unknown>(v: unknown): T {
    return JSON.parse(String(plain(v))) as T;
}
