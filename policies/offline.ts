/**
 * Runs the pack without an engine: capture a program's resources under Pulumi mocks, then evaluate policies on them
 * the way the policy server does (pulumi/pulumi-policy `server.ts`): resource policies see inputs, stack policies
 * see outputs with parents and dependencies linked, props are wrapped in `unknownCheckingProxy`, secrets are plain
 * (as the engine hands them over), and the level is the policy config's, else `all`, else the policy's own.
 * Used by `npm run policy` and the tests; never starts a policy server.
 */
import * as pulumi from "@pulumi/pulumi";
import {
    UnknownValueError,
    unknownCheckingProxy,
    type EnforcementLevel,
    type Policies,
    type PolicyResource,
    type PolicyResourceOptions,
    type ResourceValidationArgs,
    type ResourceValidationPolicy,
    type StackValidationPolicy,
} from "@pulumi/policy";
import { mockOutputs } from "./mock-cloud";

/** A registered resource as the engine would describe it to an analyzer. */
export interface CapturedResource {
    type: string;
    name: string;
    urn: string;
    /** What the program passed (resource policies see these). */
    inputs: Record<string, unknown>;
    /** What the (mocked) provider returned (stack policies see these). */
    outputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    parent?: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
}

/** The `--policy-pack-config` file format. */
export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

export interface Violation {
    policy: string;
    level: EnforcementLevel;
    message: string;
    urn?: string;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

class NotApplicable extends Error {}

const NO_OPTS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    additionalSecretOutputs: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
};

function optsOf(r: CapturedResource): PolicyResourceOptions {
    return { ...NO_OPTS, protect: r.protect, ...(r.parent ? { parent: r.parent } : {}) };
}

function isTypeOf(type: string) {
    return (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;
}

/** The level and config a policy runs with under a pack config (`all` expands to every policy, as the CLI does). */
export function policySettings(
    name: string,
    own: EnforcementLevel | undefined,
    config: PackConfig,
    packLevel: EnforcementLevel = "advisory",
): { level: EnforcementLevel; config: Record<string, unknown> } {
    const entry = config[name];
    const all = config.all;
    const fromAll = typeof all === "string" ? all : all?.enforcementLevel;
    if (typeof entry === "string") {
        return { level: entry, config: {} };
    }
    const { enforcementLevel, ...rest } = entry ?? {};
    return { level: enforcementLevel ?? fromAll ?? own ?? packLevel, config: rest };
}

export function resourceArgs(r: CapturedResource, config: Record<string, unknown> = {}): ResourceValidationArgs {
    const props = unknownCheckingProxy(r.inputs) as Record<string, unknown>;
    return {
        type: r.type,
        props,
        urn: r.urn,
        name: r.name,
        opts: optsOf(r),
        stackTags: new Map(),
        isType: isTypeOf(r.type),
        asType: ((cls: unknown) => (isTypeOf(r.type)(cls) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

export function policyResources(resources: CapturedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    for (const r of resources) {
        const props = unknownCheckingProxy(r.outputs) as Record<string, unknown>;
        byUrn.set(r.urn, {
            type: r.type,
            props,
            urn: r.urn,
            name: r.name,
            opts: optsOf(r),
            dependencies: [],
            propertyDependencies: {},
            isType: isTypeOf(r.type),
            asType: ((cls: unknown) => (isTypeOf(r.type)(cls) ? props : undefined)) as PolicyResource["asType"],
        });
    }
    const find = (urns: string[]) => urns.map((u) => byUrn.get(u)).filter((x): x is PolicyResource => x !== undefined);
    for (const r of resources) {
        const p = byUrn.get(r.urn) as PolicyResource;
        const parent = r.parent ? byUrn.get(r.parent) : undefined;
        if (parent) {
            p.parent = parent;
        }
        p.dependencies = find(r.dependencies);
        for (const [k, urns] of Object.entries(r.propertyDependencies)) {
            p.propertyDependencies[k] = find(urns);
        }
    }
    return resources.map((r) => byUrn.get(r.urn) as PolicyResource);
}

function isStackPolicy(p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy {
    return typeof (p as StackValidationPolicy).validateStack === "function";
}

/** Runs every policy over the resources; returns violations in policy order. */
export async function evaluatePack(
    policies: Policies,
    resources: CapturedResource[],
    config: PackConfig = {},
    packLevel: EnforcementLevel = "advisory",
): Promise<Violation[]> {
    const out: Violation[] = [];
    const stackResources = policyResources(resources);
    for (const p of policies) {
        const settings = policySettings(p.name, p.enforcementLevel, config, packLevel);
        if (settings.level === "disabled") {
            continue;
        }
        const level = settings.level === "remediate" ? "mandatory" : settings.level;
        const run = async (fn: () => Promise<void> | void, urn?: string) => {
            try {
                await fn();
            } catch (e) {
                if (e instanceof NotApplicable) {
                    return;
                }
                if (e instanceof UnknownValueError) {
                    out.push({ policy: p.name, level: "advisory", message: `can't run policy during preview: ${(e as Error).message}`, ...(urn ? { urn } : {}) });
                    return;
                }
                throw e;
            }
        };
        if (isStackPolicy(p)) {
            const args = {
                resources: stackResources,
                stackTags: new Map<string, string>(),
                getConfig: <T extends object>() => settings.config as T,
                notApplicable: (reason?: string): never => {
                    throw new NotApplicable(reason);
                },
            };
            await run(() => p.validateStack(args, (message, urn) => out.push({ policy: p.name, level, message, ...(urn ? { urn } : {}) })));
            continue;
        }
        const validations = p.validateResource === undefined ? [] : Array.isArray(p.validateResource) ? p.validateResource : [p.validateResource];
        for (const r of resources) {
            for (const validate of validations) {
                const args = resourceArgs(r, settings.config);
                await run(() => validate(args, (message) => out.push({ policy: p.name, level, message, urn: r.urn })), r.urn);
            }
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// Capture under mocks.

/** Strips secret wrappers and drops unknowns' sentinel-free structure: policies see plain values. */
export function plain(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (typeof v === "object" && v !== null) {
        const o = v as Record<string, unknown>;
        if (o[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) {
            return plain(o.value);
        }
        return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined).map(([k, x]) => [k, plain(x)]));
    }
    return v;
}

/** The state a mocked resource gets: its inputs plus faked computed outputs. */
function mockState(type: string, name: string, inputs: Record<string, unknown>, previousOutputs: Record<string, unknown> = {}): Record<string, unknown> {
    if (type === "pulumi:pulumi:StackReference") {
        // A stack's reference to itself sees its last deployment's outputs (none: a first deployment).
        return { name: inputs.name ?? name, outputs: previousOutputs, secretOutputNames: [] };
    }
    return { ...inputs, ...mockOutputs(type, name, inputs) };
}

function mockId(type: string, name: string, inputs: Record<string, unknown>): string {
    if (type === "aws:s3/bucket:Bucket" && typeof inputs.bucket === "string") {
        return inputs.bucket;
    }
    if (type.startsWith("confluentcloud:index/serviceAccount")) {
        return `sa-${name}`;
    }
    return `${name}-id`;
}

export interface CaptureOptions {
    project: string;
    stack: string;
    /** Full config keys (`messaging-platform:phase`, `aws:region`) to JSON-or-string values, as the engine sets them. */
    config: Record<string, string>;
    /** Keys of `config` that are secret. */
    secretKeys?: string[];
    /** @default "organization" (the DIY backends' organization) */
    organization?: string;
    /** What the stack's reference to itself returns: its last deployment's outputs. @default {} (a first deployment) */
    previousOutputs?: Record<string, unknown>;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getObject(): { toJavaScript(): unknown } | undefined;
}

interface RegisterResponse {
    getUrn(): string;
    getObject(): { toJavaScript(): unknown } | undefined;
}

type Callback = (err: unknown, resp: unknown) => void;

interface MonitorLike {
    registerResource(req: unknown, cb: Callback): unknown;
    registerResourceOutputs(req: unknown, cb: Callback): unknown;
}

/**
 * Runs `program` (e.g. `() => import("../index")`) inside a Pulumi stack under mocks and returns every resource it
 * registered, with the options the mock API would otherwise hide (protect, retainOnDelete, parent, dependencies),
 * read from the register requests themselves. Call once per process: the Pulumi runtime is process-global.
 */
export async function captureProgram(program: () => Promise<unknown>, opts: CaptureOptions): Promise<CapturedResource[]> {
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                const inputs = a.inputs as Record<string, unknown>;
                return { id: mockId(a.type, a.name, inputs), state: mockState(a.type, a.name, inputs, opts.previousOutputs) };
            },
            call: (a) => a.inputs,
        },
        opts.project,
        opts.stack,
        false,
        opts.organization ?? "organization",
    );
    pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);
    const captured = new Map<string, CapturedResource>();
    const monitor = pulumi.runtime.getMonitor() as unknown as MonitorLike;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (raw: unknown, cb: Callback) =>
        register(raw, (err, rawResp) => {
            if (!err && rawResp) {
                const req = raw as RegisterRequest;
                const resp = rawResp as RegisterResponse;
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((v, k) => {
                    propertyDependencies[k] = v.getUrnsList();
                });
                const inputs = plain(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
                captured.set(resp.getUrn(), {
                    type: req.getType(),
                    name: req.getName(),
                    urn: resp.getUrn(),
                    inputs,
                    outputs: { ...(plain(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>) },
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    dependencies: req.getDependenciesList(),
                    propertyDependencies,
                });
            }
            cb(err, rawResp);
        });
    const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (raw: unknown, cb: Callback) => {
        const req = raw as { getUrn(): string; getOutputs(): { toJavaScript(): unknown } | undefined };
        const r = captured.get(req.getUrn());
        if (r) {
            r.outputs = plain(req.getOutputs()?.toJavaScript() ?? {}) as Record<string, unknown>;
        }
        return registerOutputs(raw, cb);
    };
    await pulumi.runtime.runInPulumiStack(async () => {
        // `import()` of a CommonJS program gives its module.exports as `default` (a Promise for `export = main()`).
        const loaded = (await program()) as Record<string, unknown> | undefined;
        const exports = loaded !== undefined && "default" in loaded ? await loaded.default : loaded;
        return typeof exports === "object" && exports !== null ? { ...(exports as Record<string, unknown>) } : undefined;
    });
    // Children registered from apply callbacks land a few turns later.
    for (let i = 0; i < 50; i++) {
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
        await new Promise((r) => setImmediate(r));
    }
    return [...captured.values()];
}
