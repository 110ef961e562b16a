/**
 * `npm run drill -- --stack local [--path 0,1,2,3,2,1,0] [--pods N] [--rate R] [--seed S] [--format text|json]`
 *
 * The local stack's bumps and rollbacks under load against this machine's brokers (scripts/drill/run.ts): kfake for
 * Kafka (built from test/kfake by scripts/kfake.ts), a real Apache Pulsar started for the run (scripts/pulsar.ts, with
 * the broker settings the plan gives the local stack; KoP's legs run natively: scripts/drill/stand-ins.ts), and the
 * machine's RabbitMQ in a vhost of its own (deleted afterwards). Prints per transition and stream: produced,
 * consumed, lost, duplicated, worst end-to-end latency.
 *
 * Exit codes: 0 nothing lost and every step passed; 1 a message was lost, a row failed or a step (handover, drain
 * check) did not pass; 2 bad usage.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseDocument } from "yaml";
import { CONTROL_EXCHANGE, MAX_PHASE, isOneStep, plan, rawConfigFromStackFile, validateConfig, type GateName, type Topology } from "../topology";
import { parseFlags } from "./cli";
import { runDrill, type DrillReport } from "./drill/run";
import { kfakeBinary, startKfake } from "./kfake";
import { plannedBrokerConfig, startPulsar } from "./pulsar";
import { ensureRabbitMQ, managementOk, declareControlPlane, RABBIT } from "./local-rabbitmq";
import { runMain } from "./run-main";
import { integerFlag, UsageError, type UsageProblem } from "./smoke/usage-error";
import { usageExit, ROOT } from "./stack";

const COMMAND = "npm run drill";
const DEFAULT_PATH = "0,1,2,3,2,1,0";

const USAGE = `usage: npm run -s drill -- --stack local [--path ${DEFAULT_PATH}] [--pods N] [--rate R] [--seed S] [--format text|json] [--one-update]

  --stack local   the drill runs the local stack against this machine's brokers (kfake, Apache Pulsar, RabbitMQ)
  --path P        the phases to go through, each one step from the last @default ${DEFAULT_PATH}
  --pods N        pods per service (1-4) @default 2
  --rate R        messages per second per stream (1-200) @default 20
  --seed S        the order pods roll in and which one crashes @default 1
  --format F      text (default) | json
  --one-update    run each transition as one update without handover, mirrors or drain (the choreography this
                  project had before), for comparison: it loses messages, and the drill exits 1
Exit: 0 nothing lost; 1 a message lost or a step failed; 2 bad usage.
`;

interface Flags {
    stack?: string;
    path: string;
    pods: string;
    rate: string;
    seed: string;
    format: string;
    "one-update": boolean;
}

export interface DrillCli {
    path: number[];
    pods: number;
    rate: number;
    seed: number;
    format: "text" | "json";
    oneUpdate: boolean;
}


export function parseCli(argv: string[]): DrillCli | "help" {
    const { values, help } = parseFlags<Flags>(COMMAND, argv, {
        stack: { type: "string", short: "s" },
        path: { type: "string", default: DEFAULT_PATH },
        pods: { type: "string", default: "2" },
        rate: { type: "string", default: "20" },
        seed: { type: "string", default: "1" },
        format: { type: "string", default: "text" },
        "one-update": { type: "boolean", default: false },
    });
    if (help) {
        return "help";
    }
    const problems: UsageProblem[] = [];
    if (values.stack !== "local") {
        problems.push({ key: "--stack", value: values.stack, allowed: "local: the drill runs against this machine's brokers, which only the local stack points at" });
    }
    const path = values.path.split(",").map((x) => Number(x.trim()));
    const phases = path.every((p) => Number.isInteger(p) && p >= 0 && p <= MAX_PHASE);
    const steps = path.every((p, i) => i === 0 || isOneStep(path[i - 1] as number, p));
    if (path.length < 2 || !phases || !steps) {
        problems.push({ key: "--path", value: values.path, allowed: `two or more phases from 0 to ${MAX_PHASE}, comma-separated, each one step from the last (a bump or a rollback), e.g. ${DEFAULT_PATH}` });
    }
    const pods = integerFlag("--pods", values.pods, 1, 4, problems);
    const rate = integerFlag("--rate", values.rate, 1, 200, problems);
    const seed = integerFlag("--seed", values.seed, 0, 2 ** 31 - 1, problems);
    if (values.format !== "text" && values.format !== "json") {
        problems.push({ key: "--format", value: values.format, allowed: "text | json" });
    }
    if (problems.length > 0) {
        throw new UsageError(problems, COMMAND);
    }
    return { path, pods, rate, seed, format: values.format as "text" | "json", oneUpdate: values["one-update"] };
}

export function renderText(r: DrillReport): string {
    const header = ["transition", "stream", "path", "result", "produced", "consumed", "lost", "duplicated", "worst ms", "detail"];
    const lines = r.rows.map((x) => [x.transition, x.stream, x.path, x.status, String(x.produced), String(x.consumed), String(x.lost), String(x.duplicated), x.worstLatencyMs === undefined ? "-" : String(x.worstLatencyMs), x.detail]);
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
    const fmt = (l: string[]) => l.map((c, i) => (i === l.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
    const rows = r.rows;
    const summary = [
        `${rows.length} rows, ${rows.filter((x) => x.status === "failed").length} failed; lost ${rows.reduce((s, x) => s + x.lost, 0)}, duplicated ${rows.reduce((s, x) => s + x.duplicated, 0)}, produced ${rows.reduce((s, x) => s + x.produced, 0)}; ${r.seconds} s`,
        ...r.problems.map((p) => `problem: ${p}`),
    ];
    return `${[fmt(header), ...lines.map(fmt)].join("\n")}\n${summary.join("\n")}\n`;
}

export function exitCode(r: DrillReport): number {
    return r.problems.length > 0 || r.rows.some((x) => x.status === "failed") ? 1 : 0;
}

/** The local stack's plan at a phase, pointed at the drill's Kafka and vhost. */
export function localPlanner(kafkaBootstrap: string, vhost: string, root = ROOT): { planAt: (phase: number) => Topology; gates: Record<GateName, boolean> } {
    const doc = parseDocument(readFileSync(resolve(root, "Pulumi.local.yaml"), "utf8"));
    doc.setIn(["config", "messaging-platform:kafka", "bootstrapServers"], kafkaBootstrap.split(","));
    doc.setIn(["config", "messaging-platform:rabbitmq", "vhost"], vhost);
    const text = doc.toString();
    const cache = new Map<number, Topology>();
    const planAt = (phase: number) => {
        let t = cache.get(phase);
        if (!t) {
            t = plan(validateConfig(rawConfigFromStackFile(text, { phase })));
            cache.set(phase, t);
        }
        return t;
    };
    return { planAt, gates: { ...validateConfig(rawConfigFromStackFile(text)).gates } };
}

const t0 = Date.now();
const progress = (line: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)} s] ${line}\n`);

export async function main(argv: string[], log: (line: string) => void = progress): Promise<number> {
    let cli: DrillCli | "help";
    try {
        cli = parseCli(argv);
    } catch (err) {
        return usageExit(err, COMMAND);
    }
    if (cli === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    const vhost = `drill-${Date.now().toString(36)}`;
    // Kafka's address is not known yet: the broker settings do not depend on it.
    const planAtStart = localPlanner("127.0.0.1:9092", vhost).planAt;
    const brokerConfig = plannedBrokerConfig(planAtStart).applied;
    log("starting kfake and Apache Pulsar");
    const started = await Promise.allSettled([startKfake(kfakeBinary()), startPulsar({ brokerConfig, functions: false, log: (l) => log(`pulsar: ${l}`) })]);
    const [kafkaStart, pulsarStart] = started;
    if (kafkaStart.status === "rejected" || pulsarStart.status === "rejected") {
        await Promise.all(started.map((x) => (x.status === "fulfilled" ? x.value.stop() : undefined)));
        throw ((kafkaStart.status === "rejected" ? kafkaStart : pulsarStart) as PromiseRejectedResult).reason;
    }
    const [kafka, pulsar] = [kafkaStart.value, pulsarStart.value];
    log(`Pulsar ${pulsar.version} ready in ${pulsar.startSeconds.toFixed(1)} s`);
    try {
        await ensureRabbitMQ();
        const { planAt, gates } = localPlanner(kafka.bootstrap, vhost);
        await declareControlPlane(planAt(cli.path[0] as number));
        const report = await runDrill({
            planAt,
            gates,
            path: cli.path,
            pods: cli.pods,
            rate: cli.rate,
            seed: cli.seed,
            oneUpdate: cli.oneUpdate,
            brokers: { kafka: kafka.bootstrap, pulsar: { webUrl: pulsar.webUrl, clusterName: pulsar.clusterName } },
            rabbit: { endpoint: { hostname: "127.0.0.1", port: 5672, username: RABBIT.username, password: RABBIT.password, vhost }, exchange: CONTROL_EXCHANGE },
            log,
        });
        process.stdout.write(cli.format === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderText(report));
        return exitCode(report);
    } finally {
        await managementOk("DELETE", `/api/vhosts/${encodeURIComponent(vhost)}`).catch(() => undefined);
        await Promise.all([kafka.stop(), pulsar.stop()]);
    }
}

if (require.main === module) {
    runMain(main, { crashCode: 1, label: COMMAND, forceExit: true });
}
