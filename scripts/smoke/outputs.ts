/**
 * The deployed stack's outputs, as `pulumi stack output --json --show-secrets` prints them for this program
 * (components/platform.ts: phase, phaseName, endpoints, streamRoutes, bucketName): read from the Pulumi CLI or from a
 * file, checked, and compared with what the stack config plans at the deployed phase.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { z } from "zod";
import { centralViewSchema, MAX_PHASE, STAGES, streamRouteOutputs, type StreamRoute, type Topology } from "../../topology";
import { UsageError, type UsageProblem } from "./usage-error";

const HOST_PORTS = /^[^,\s]+:\d+(,[^,\s]+:\d+)*$/;

const hostPorts = z.string().regex(HOST_PORTS, "host:port[,host:port...]");

const routeOutputSchema = z.object({
    state: z.enum(["kafka", "kop", "shadow", "pulsar"]),
    produce: z.array(z.string()),
    consume: z.array(z.string()),
    gate: z.object({ name: z.string(), approved: z.boolean() }).optional(),
    sink: z.string().optional(),
});

/** Unknown keys are kept out but allowed: a newer program may export more than this reads. */
export const stackOutputsSchema = z.object({
    phase: z.number().int().min(0).max(MAX_PHASE),
    phaseName: z.string(),
    endpoints: z.object({
        kafkaBootstrap: hostPorts.optional(),
        kopBootstrap: hostPorts.optional(),
        pulsarServiceUrl: z.string().regex(/^pulsar(\+ssl)?:\/\//, "pulsar://host:port or pulsar+ssl://host:port").optional(),
        pulsarAdminUrl: z.string().optional(),
        rabbitmqManagement: z.string(),
        rabbitmqAmqp: z.string().regex(/^amqps?:\/\//, "amqp://host:port or amqps://host:port"),
    }),
    streamRoutes: z.record(z.string(), routeOutputSchema),
    bucketName: z.string().optional(),
    /** What the edge sites read (a central stack that accepts sites): the smoke's edge hop consumes where they replicate to. */
    edgeReplication: centralViewSchema.optional(),
    /** Whether the deployment runs tiered-storage offload (index.ts reads it back; the smoke test does not need it). */
    offloadActive: z.boolean().optional(),
    /** The gates the update deployed (topology/update.ts reads them back). */
    gates: z.record(z.string(), z.boolean()).optional(),
    /** Set by a staged transition's prepare and switch updates: where it started (npm run handover, drain-check). */
    transition: z
        .object({
            stage: z.enum(STAGES),
            from: z.object({ phase: z.number().int().min(0).max(MAX_PHASE), gates: z.record(z.string(), z.boolean()) }),
            settleMovers: z.array(z.string()).optional(),
        })
        .optional(),
});

export type StackOutputs = z.infer<typeof stackOutputsSchema>;
export type RouteOutput = z.infer<typeof routeOutputSchema>;

/**
 * Parses and checks the JSON text of a stack's outputs against the schema of what reads them.
 * @param source where the text came from, named in errors (`--outputs out.json`, `pulumi stack output`)
 */
export function parseOutputs<S extends z.ZodType>(schema: S, text: string, source: string): z.output<S> {
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new UsageError([{ key: source, value: text.slice(0, 60), allowed: `JSON of \`pulumi stack output --json\` (${(err as Error).message})` }]);
    }
    const parsed = schema.safeParse(json, { reportInput: true });
    if (!parsed.success) {
        throw new UsageError(
            parsed.error.issues.map((issue): UsageProblem => {
                const key = issue.path.map(String).join(".");
                return { key: `${source}: ${key || "(top level)"}`, value: (issue as { input?: unknown }).input, allowed: issue.message };
            }),
        );
    }
    return parsed.data;
}

/** Parses and checks the JSON text of this program's stack outputs. */
export function parseStackOutputs(text: string, source: string): StackOutputs {
    return parseOutputs(stackOutputsSchema, text, source);
}

/** A stack nothing was deployed to: `pulumi stack output --json` prints `{}`. */
export class NotDeployedError extends UsageError {
    constructor(
        readonly stackName: string,
        source: string,
    ) {
        super([{ key: "--stack", value: stackName, allowed: `a deployed stack: ${source} holds no outputs, so nothing is deployed to ${stackName} yet; deploy it first (pulumi up --stack ${stackName})` }]);
        this.name = "NotDeployedError";
    }
}

/** Whether outputs text is the empty object a stack never deployed has. */
function noOutputs(text: string): boolean {
    try {
        const json = JSON.parse(text) as unknown;
        return typeof json === "object" && json !== null && !Array.isArray(json) && Object.keys(json).length === 0;
    } catch {
        return false;
    }
}

/** How a stack's outputs are read: a file, or the Pulumi CLI. */
export interface OutputsSource {
    stack: string;
    /** A file holding `pulumi stack output --json --show-secrets` output; read instead of calling the CLI. */
    file?: string;
    /** The flag a file comes from, named in errors. @default "--outputs" */
    fileFlag?: string;
    /** The project folder the CLI runs in (`--cwd`): another project's stack (the edge sites'). */
    cwd?: string;
    /** The Pulumi CLI executable. @default "pulumi" */
    pulumi?: string;
}

export function readStackOutputs(s: OutputsSource): StackOutputs {
    return readOutputs(s, stackOutputsSchema);
}

/** A stack's outputs from its file or the Pulumi CLI, checked against `schema`. */
export function readOutputs<S extends z.ZodType>(s: OutputsSource, schema: S): z.output<S> {
    const cwd = s.cwd !== undefined ? ["--cwd", s.cwd] : [];
    const args = ["stack", "output", "--json", "--show-secrets", "--stack", s.stack, ...cwd];
    const command = `pulumi ${args.join(" ")}`;
    const flag = s.fileFlag ?? "--outputs";
    if (s.file !== undefined) {
        let text: string;
        try {
            text = readFileSync(s.file, "utf8");
        } catch (err) {
            throw new UsageError([{ key: flag, value: s.file, allowed: `a readable file holding the JSON of \`${command}\` (${(err as Error).message})` }]);
        }
        if (noOutputs(text)) {
            throw new NotDeployedError(s.stack, `${flag} ${s.file}`);
        }
        return parseOutputs(schema, text, `${flag} ${s.file}`);
    }
    const run = spawnSync(s.pulumi ?? "pulumi", args, { encoding: "utf8" });
    if (run.error) {
        const missing = (run.error as NodeJS.ErrnoException).code === "ENOENT";
        throw new UsageError([
            {
                key: flag,
                value: undefined,
                allowed: missing
                    ? `the pulumi CLI is not on PATH, so the stack's outputs cannot be read: pass ${flag} <file> holding the JSON of \`${command}\``
                    : `\`${command}\` could not run (${run.error.message}): pass ${flag} <file>`,
            },
        ]);
    }
    if (run.status !== 0) {
        const why = run.stderr.trim().split("\n")[0] ?? "";
        throw new UsageError([{ key: "--stack", value: s.stack, allowed: `a stack whose outputs \`${command}\` prints (it exited ${run.status}: ${why})` }]);
    }
    if (noOutputs(run.stdout)) {
        throw new NotDeployedError(s.stack, `\`${command}\``);
    }
    return parseOutputs(schema, run.stdout, "pulumi stack output");
}

/** The `streamRoutes` output of a planned topology: the program's own mapping (topology/plan.ts). */
export function routeOutputs(routes: StreamRoute[]): Record<string, RouteOutput> {
    return streamRouteOutputs(routes);
}

/**
 * Streams whose deployed routes (the outputs) differ from what the stack config plans at the deployed phase: the config
 * changed since the last `pulumi up` (a gate approved, a stream override), so the plan no longer describes the stack.
 */
export function routeDrift(planned: Topology, outputs: StackOutputs): UsageProblem[] {
    const want = routeOutputs(planned.routes);
    const streams = [...new Set([...Object.keys(want), ...Object.keys(outputs.streamRoutes)])].sort();
    const problems: UsageProblem[] = [];
    for (const stream of streams) {
        const deployed = outputs.streamRoutes[stream];
        const config = want[stream];
        if (canonical(deployed) !== canonical(config)) {
            problems.push({
                key: `outputs streamRoutes.${stream}`,
                value: deployed,
                allowed:
                    `what the stack config plans at the deployed phase ${planned.phase}: ${config ? canonical(config) : "(no such stream)"}; ` +
                    "the config changed since the last deployment: run `pulumi up` first, or revert the config",
            });
        }
    }
    return problems;
}

/** JSON with sorted object keys, so key order does not count as a difference. */
function canonical(v: unknown): string {
    return JSON.stringify(v, (_k, x: unknown) =>
        typeof x === "object" && x !== null && !Array.isArray(x)
            ? Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
            : x,
    ) ?? "undefined";
}
