/**
 * Program-level test harness: runs the whole platform (MessagingPlatform, or index.ts itself) under Pulumi mocks and
 * records every registration with the options the engine would receive (protect, retainOnDelete, parent), read from
 * the register requests themselves: the mock API's `newResource` does not show options, and a `transformations`
 * option sees them before the SDK applies parent inheritance (protect is inherited; the request carries the result).
 */
import * as pulumi from "@pulumi/pulumi";
import { mockOutputs } from "../../policies/mock-cloud";
import { plain as offlinePlain } from "../../policies/offline";
import { idOf } from "../components/capture";

export const PROJECT = "messaging-platform";
export const ORGANIZATION = "organization";
export const CLOUD = { awsRegion: "eu-west-1", gcpProject: "cosmic-ai-dev", gcpRegion: "europe-west4" };

export interface Registered {
    type: string;
    name: string;
    urn: string;
    parent?: string;
    custom: boolean;
    /** Read (`opts.id`, e.g. a StackReference) rather than registered. */
    read: boolean;
    /** Inputs as the engine gets them (secrets as `{ [specialSigKey]: specialSecretSig, value }` wrappers). */
    inputs: Record<string, any>;
    protect: boolean;
    retainOnDelete: boolean;
    /** Input property -> URNs its value depends on (what the engine's dependent-replacement rule reads). */
    propertyDependencies: Record<string, string[]>;
    /** The URNs the engine waits for before this one (`dependsOn`, components expanded to their resources). */
    dependencies?: string[];
}

export interface MockOptions {
    stack: string;
    /**
     * The outputs the stack's reference to itself returns (its last deployment's outputs); undefined: none
     * (a first deployment).
     */
    previousOutputs?: Record<string, unknown>;
}

interface ReadRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getProperties(): { toJavaScript(): unknown } | undefined;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
    getDependenciesList(): string[];
    getObject(): { toJavaScript(): unknown } | undefined;
}

type Callback = (err: unknown, resp: unknown) => void;

/**
 * Installs fresh mocks (a new mock monitor, so nothing from an earlier run leaks in) and returns the list every
 * registration is appended to.
 */
export async function installMocks(opts: MockOptions): Promise<Registered[]> {
    const registered: Registered[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource: (a) => {
                const inputs = a.inputs as Record<string, any>;
                if (a.type === "pulumi:pulumi:StackReference") {
                    const outputs = opts.previousOutputs ?? {};
                    return { id: String(inputs.name ?? a.name), state: { name: inputs.name ?? a.name, outputs, secretOutputNames: [] } };
                }
                return { id: idOf(a.type, a.name), state: { ...inputs, ...mockOutputs(a.type, a.name, inputs) } };
            },
            call: (a) => a.inputs,
        },
        PROJECT,
        opts.stack,
        false,
        ORGANIZATION,
    );
    const monitor = pulumi.runtime.getMonitor() as unknown as {
        registerResource(req: unknown, cb: Callback): unknown;
        readResource(req: unknown, cb: Callback): unknown;
    };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (raw: unknown, cb: Callback) =>
        register(raw, (err, resp) => {
            if (!err && resp) {
                const req = raw as RegisterRequest;
                const propertyDependencies: Record<string, string[]> = {};
                req.getPropertydependenciesMap().forEach((v, k) => {
                    propertyDependencies[k] = v.getUrnsList();
                });
                registered.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: (resp as { getUrn(): string }).getUrn(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    custom: req.getCustom(),
                    read: false,
                    inputs: (req.getObject()?.toJavaScript() ?? {}) as Record<string, any>,
                    protect: req.getProtect() === true,
                    retainOnDelete: req.getRetainondelete() === true,
                    propertyDependencies,
                    dependencies: req.getDependenciesList(),
                });
            }
            cb(err, resp);
        });
    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (raw: unknown, cb: Callback) =>
        read(raw, (err, resp) => {
            if (!err && resp) {
                const req = raw as ReadRequest;
                registered.push({
                    type: req.getType(),
                    name: req.getName(),
                    urn: (resp as { getUrn(): string }).getUrn(),
                    ...(req.getParent() ? { parent: req.getParent() } : {}),
                    custom: true,
                    read: true,
                    inputs: (req.getProperties()?.toJavaScript() ?? {}) as Record<string, any>,
                    protect: false,
                    retainOnDelete: false,
                    propertyDependencies: {},
                });
            }
            cb(err, resp);
        });
    return registered;
}

/** Waits until every outstanding registration (including those made from apply callbacks) has reached the monitor. */
export async function settle(registered: Registered[]): Promise<void> {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs;
    let last = -1;
    let quiet = 0;
    while (quiet < 3) {
        await waitForRPCs();
        await new Promise((r) => setImmediate(r));
        if (registered.length === last) {
            quiet++;
        } else {
            quiet = 0;
            last = registered.length;
        }
    }
}

/** `type name`, the golden-plan line of a resource. */
export const keyOf = (r: { type: string; name: string }): string => `${r.type} ${r.name}`;

/** Deeply strips secret wrappers (the offline runner's own `plain`), typed loosely for assertions. */
export const plain = (v: unknown): any => offlinePlain(v);

/**
 * Runs `fn` with V8's own stack-trace formatting. The SDK captures a full stack trace for every resource it constructs
 * (its source position); vitest's source-mapping `Error.prepareStackTrace` makes that the bulk of the cost of
 * constructing the whole platform (about half the time). Restored afterwards, so assertion failures stay source-mapped.
 */
export async function withPlainStackTraces<T>(fn: () => Promise<T>): Promise<T> {
    const errors = Error as { prepareStackTrace?: ErrorConstructor["prepareStackTrace"] };
    const prepare = errors.prepareStackTrace;
    delete errors.prepareStackTrace;
    try {
        return await fn();
    } finally {
        errors.prepareStackTrace = prepare;
    }
}
