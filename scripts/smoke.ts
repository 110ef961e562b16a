/**
 * `npm run smoke -- --stack <name> [--outputs <file>] [--config-file <file>] [--messages K] [--timeout-ms T]
 *                  [--archive-timeout-ms A] [--allow-missing-native] [--format text|json]`
 *
 * After a deployment: reads the stack's outputs (`pulumi stack output --json --show-secrets`, or --outputs), plans the
 * stack at the phase it deployed, and sends K uniquely tagged messages over every path of every route (Kafka and KoP
 * with kafkajs, native Pulsar with pulsar-client) and every control-plane queue (amqplib, dead-lettering included),
 * each consumed back within the timeout; prints route, protocol, broker, result and p50/p99 latency against seed 000's
 * 50 ms routing target. Seed 004's hops: a control event out of the audit bridge's far end, and the last message each
 * archived topic got followed into the archive by the archiver's committed offset (scripts/smoke/archive.ts), and, per
 * edge site the stack accepts, messages produced at the site arriving at central by geo-replication
 * (scripts/smoke/edge.ts). With Pulsar token auth the client presents the super user's token, signed from the stack's
 * credentialSeed (scripts/smoke/pulsar-login.ts); with TLS it verifies host names against the CA.
 *
 * Exit codes: 0 every route passed (with --allow-missing-native, rows not run only because pulsar-client is missing
 * are accepted); 1 a route failed or was not run; 2 bad usage or config (a flag, the outputs, the stack config, the
 * deployed routes differ from the config, a missing credential), with the key, its value and what is allowed.
 */
import { existingStacks, parseFlags } from "./cli";
import { DEFAULT_ARCHIVE_TIMEOUT_MS } from "./smoke/archive";
import { exitCode, renderJson, renderText } from "./smoke/report";
import { pulsarTokenEnv } from "./smoke/pulsar-login";
import { smokeStack, RABBITMQ_PASSWORD_ENV } from "./smoke/run";
import { integerFlag, UsageError, type UsageProblem } from "./smoke/usage-error";
import { runMain } from "./run-main";
import { usageExit, ROOT } from "./stack";

const COMMAND = "npm run smoke";

const USAGE = `usage: npm run -s smoke -- --stack <stack> [--outputs <file>] [--config-file <file>] [--messages K] [--timeout-ms T]
                         [--archive-timeout-ms A] [--pulsar-ca <file>] [--edge-outputs <site>=<file>]...
                         [--allow-missing-native] [--format text|json]

  --stack S                the deployed stack to test (its routes are planned from Pulumi.S.yaml at the deployed phase)
  --outputs F              the stack's outputs as JSON @default \`pulumi stack output --json --show-secrets --stack S\`
  --config-file F          the stack settings file, as \`pulumi --config-file\` @default Pulumi.S.yaml
  --messages K             timed messages per route, after one warm-up @default 10
  --timeout-ms T           per message and per client operation @default 5000
  --archive-timeout-ms A   how long the archiver may take to commit past the last message an archived topic got
                           (Kafka Connect commits every 60 s by default) @default 120000
  --pulsar-ca F            the CA certificate (PEM) of the stack's Pulsar TLS @default the one it exports for its edge sites
  --edge-outputs SITE=F    an accepted edge site's outputs as JSON; repeatable
                           @default \`pulumi stack output --json --show-secrets --stack <its stack> --cwd edge\`
  --allow-missing-native   rows not run only because pulsar-client is missing do not fail the run
  --format F               text (default) | json
  --help                   this text

RabbitMQ password: ${RABBITMQ_PASSWORD_ENV}, else \`pulumi config get rabbitmqPassword\`.
Pulsar token (with token auth): ${pulsarTokenEnv()}, a site's MP_PULSAR_TOKEN_EDGE_<SITE> (e.g. ${pulsarTokenEnv("edge-paranal")}),
else signed from the stack's \`pulumi config get credentialSeed\`.
Exit: 0 all routes passed; 1 a route failed or was not run; 2 bad usage or config.
`;

const DEFAULTS = { messages: 10, timeoutMs: 5000, archiveTimeoutMs: DEFAULT_ARCHIVE_TIMEOUT_MS };


export interface CliOptions {
    /** `--stack`: the stack whose deployment is tested. */
    stack: string;
    /** `--outputs`: the stack's outputs as JSON. @default read with `pulumi stack output --json --show-secrets` */
    outputsFile?: string;
    /** `--config-file`: the stack settings file (as `pulumi --config-file`). @default Pulumi.<stack>.yaml */
    configFile?: string;
    /** `--messages`: timed messages per route. @default 10 */
    messages: number;
    /** `--timeout-ms`: per message and per client operation. @default 5000 */
    timeoutMs: number;
    /** `--archive-timeout-ms`: how long the archiver may take to commit past a message. @default 120000 */
    archiveTimeoutMs: number;
    /** `--pulsar-ca`: the CA certificate of the stack's Pulsar TLS. @default the one the stack exports for its edge sites */
    pulsarCaFile?: string;
    /** `--edge-outputs SITE=FILE`: per edge site, its outputs. @default read with `pulumi stack output --cwd edge` */
    edgeOutputs?: Record<string, string>;
    /** `--allow-missing-native`: rows not run because pulsar-client is missing do not fail the run. @default false */
    allowMissingNative: boolean;
    /** `--format`. @default "text" */
    format: "text" | "json";
}

interface SmokeFlags {
    stack?: string;
    outputs?: string;
    "config-file"?: string;
    messages: string;
    "timeout-ms": string;
    "archive-timeout-ms": string;
    "pulsar-ca"?: string;
    "edge-outputs"?: string[];
    "allow-missing-native": boolean;
    format: string;
}

/** Parses and checks the flags; throws a CliUsageError (a bad flag) or a UsageError naming every bad value. */
export function parseCli(argv: string[]): CliOptions | "help" {
    const { values, help } = parseFlags<SmokeFlags>(COMMAND, argv, {
        stack: { type: "string", short: "s" },
        outputs: { type: "string" },
        "config-file": { type: "string" },
        messages: { type: "string", default: String(DEFAULTS.messages) },
        "timeout-ms": { type: "string", default: String(DEFAULTS.timeoutMs) },
        "archive-timeout-ms": { type: "string", default: String(DEFAULTS.archiveTimeoutMs) },
        "pulsar-ca": { type: "string" },
        "edge-outputs": { type: "string", multiple: true },
        "allow-missing-native": { type: "boolean", default: false },
        format: { type: "string", default: "text" },
    });
    if (help) {
        return "help";
    }
    const problems: UsageProblem[] = [];
    if (!values.stack) {
        problems.push({ key: "--stack", value: undefined, allowed: `the stack to test (required): one of ${existingStacks(ROOT).join(", ")}` });
    }
    const messages = integerFlag("--messages", values.messages, 1, 10_000, problems);
    const timeoutMs = integerFlag("--timeout-ms", values["timeout-ms"], 100, 600_000, problems);
    const archiveTimeoutMs = integerFlag("--archive-timeout-ms", values["archive-timeout-ms"], 100, 3_600_000, problems);
    const edgeOutputs: Record<string, string> = {};
    for (const pair of values["edge-outputs"] ?? []) {
        const m = /^([a-z0-9]([a-z0-9-]*[a-z0-9])?)=(.+)$/.exec(pair);
        if (!m) {
            problems.push({ key: "--edge-outputs", value: pair, allowed: "<site>=<file>: an edge site's name (as in the stack's edgeSites.sites) and a file with its outputs" });
        } else if (edgeOutputs[m[1] as string] !== undefined) {
            problems.push({ key: "--edge-outputs", value: pair, allowed: `one file per site (${m[1]} is given twice)` });
        } else {
            edgeOutputs[m[1] as string] = m[3] as string;
        }
    }
    if (values.format !== "text" && values.format !== "json") {
        problems.push({ key: "--format", value: values.format, allowed: "text | json" });
    }
    if (problems.length > 0) {
        throw new UsageError(problems);
    }
    return {
        stack: values.stack as string,
        ...(values.outputs !== undefined ? { outputsFile: values.outputs } : {}),
        ...(values["config-file"] !== undefined ? { configFile: values["config-file"] } : {}),
        messages,
        timeoutMs,
        archiveTimeoutMs,
        ...(values["pulsar-ca"] !== undefined ? { pulsarCaFile: values["pulsar-ca"] } : {}),
        ...(Object.keys(edgeOutputs).length > 0 ? { edgeOutputs } : {}),
        allowMissingNative: values["allow-missing-native"],
        format: values.format as "text" | "json",
    };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
    try {
        const cli = parseCli(argv);
        if (cli === "help") {
            process.stdout.write(USAGE);
            return 0;
        }
        const report = await smokeStack({ ...cli, env });
        process.stdout.write((cli.format === "json" ? renderJson : renderText)(report, cli.allowMissingNative));
        return exitCode(report.results, cli.allowMissingNative);
    } catch (err) {
        return usageExit(err);
    }
}

if (require.main === module) {
    runMain(main, { crashCode: 1, label: "npm run smoke" });
}
