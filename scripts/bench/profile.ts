/**
 * What dominates program evaluation: a V8 CPU profile of one evaluation (scripts/bench/evaluate-child.ts
 * `--cpu-profile`), its samples' time attributed to categories by the frame that spent it and the frames that called
 * it. Pure.
 */

/** The parts of a `.cpuprofile` the summary reads. */
export interface CpuProfile {
    nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
    samples: number[];
    timeDeltas: number[];
}

export interface Category {
    name: string;
    /** Whether a sample belongs here, given its own frame and its callers' (innermost first). */
    matches(frames: { functionName: string; url: string }[]): boolean;
}

const leaf = (test: (f: { functionName: string; url: string }) => boolean) => (frames: { functionName: string; url: string }[]) =>
    frames[0] !== undefined && test(frames[0]);
const anyFrame = (test: (f: { functionName: string; url: string }) => boolean) => (frames: { functionName: string; url: string }[]) => frames.some(test);
const inPackage = (...names: string[]) => leaf((f) => names.some((n) => f.url.includes(`/node_modules/${n}/`)));

/** Categories in priority order: a sample counts for the first that matches. `root` is the program's directory. */
export function evaluationCategories(root: string): Category[] {
    const under = (dir: string) => (f: { url: string }) => f.url.replace(/^file:\/\//, "").startsWith(`${root}/${dir}`);
    return [
        { name: "idle (waiting on the event loop)", matches: leaf((f) => f.functionName === "(idle)") },
        { name: "garbage collection", matches: leaf((f) => f.functionName === "(garbage collector)") },
        {
            name: "stack traces: source-mapping frames (node:internal/source_map)",
            matches: anyFrame((f) => f.url.startsWith("node:internal/source_map")),
        },
        {
            name: "stack traces: capturing (@pulumi/pulumi debuggablePromise, Resource.callsites; V8 formatting)",
            matches: (frames) =>
                leaf((f) => ["debuggablePromise", "callsites", "get stack", "defaultPrepareStackTrace"].includes(f.functionName))(frames) ||
                anyFrame((f) => f.functionName === "defaultPrepareStackTrace")(frames),
        },
        { name: "mock RPC serialization (google-protobuf, @grpc)", matches: inPackage("google-protobuf", "@grpc") },
        { name: "Pulumi SDK, other (@pulumi/pulumi)", matches: inPackage("@pulumi/pulumi") },
        { name: "provider SDKs (@pulumi/aws, gcp, kubernetes, ...)", matches: inPackage("@pulumi/aws", "@pulumi/gcp", "@pulumi/kubernetes", "@pulumi/kafka", "@pulumi/rabbitmq", "@pulumi/confluentcloud") },
        { name: "planner (topology/)", matches: leaf(under("topology/")) },
        { name: "components (components/, index.ts)", matches: leaf((f) => under("components/")(f) || under("index.ts")(f)) },
        { name: "mock harness (policies/offline.ts, mock-cloud.ts)", matches: leaf(under("policies/")) },
        { name: "config validation (zod)", matches: inPackage("zod") },
        {
            name: "module loading and compiling (node:internal/modules, tsx, esbuild)",
            matches: anyFrame((f) => f.url.startsWith("node:internal/modules") || f.url.includes("/node_modules/tsx/") || f.functionName === "wrapSafe"),
        },
    ];
}

/** Samples no category claims: mostly V8's own `(program)` time and Node internals. */
export const OTHER = "other (V8 `(program)`, Node internals)";

export interface ProfileShare {
    category: string;
    ms: number;
    percent: number;
}

/** Time per category (plus `OTHER`), largest first, and the profile's total. */
export function summarizeProfile(profile: CpuProfile, categories: Category[]): { totalMs: number; shares: ProfileShare[] } {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map<number, number>();
    for (const n of profile.nodes) {
        for (const c of n.children ?? []) {
            parent.set(c, n.id);
        }
    }
    const selfUs = new Map<number, number>();
    profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const totals = new Map<string, number>();
    let total = 0;
    for (const [id, us] of selfUs) {
        const frames: { functionName: string; url: string }[] = [];
        for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
            const node = byId.get(at);
            if (node) {
                frames.push(node.callFrame);
            }
        }
        const name = categories.find((c) => c.matches(frames))?.name ?? OTHER;
        totals.set(name, (totals.get(name) ?? 0) + us);
        total += us;
    }
    const shares = [...totals]
        .map(([category, us]) => ({ category, ms: us / 1000, percent: total === 0 ? 0 : (us / total) * 100 }))
        .sort((a, b) => b.ms - a.ms);
    return { totalMs: total / 1000, shares };
}
