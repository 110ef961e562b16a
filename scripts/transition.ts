/**
 * The operator steps between a staged transition's updates (docs/runbooks.md, "Bumps and rollbacks"):
 *
 *     npm run -s handover -- --stack <name> [--outputs <file>] [--config-file <file>] [--timeout-ms T] [--format text|json]
 *     npm run -s drain-check -- --stack <name> [--wait] [--max-wait-s S] [--interval-ms I] [--outputs <file>] ...
 *
 * Both read the stack's outputs (the stage its last update deployed and where the transition started), plan the
 * transition's choreography from the stack config (topology/choreography.ts), and act on the brokers the outputs name:
 * - handover (after `prepare`, before `switch`): positions every cursor the target needs (Kafka/KoP consumer group
 *   offsets through the Kafka admin API, Pulsar subscriptions through the admin REST API) and prints each;
 * - drain-check (after `switch`, before settle): takes the end of every drained log now and checks, once or (with
 *   --wait) until every drain passes, that each cursor has read up to it, and that abandoned logs are no longer
 *   written.
 *
 * Logins (the same names as npm run smoke's): MP_KAFKA_USERNAME / MP_KAFKA_PASSWORD (/ MP_KAFKA_MECHANISM, default the
 * plan's) for Kafka's SASL; MP_PULSAR_TOKEN for Pulsar's admin API and KoP (else the super user's token signed from
 * the stack's credentialSeed); --pulsar-ca for the CA of Pulsar's and KoP's TLS listeners.
 * Exit codes: 0 every step passed; 1 a step failed or a drain is incomplete; 2 bad usage, config or stage.
 */
import { planChoreography, plan, validateConfig, type Choreography, type GateName, type PhaseId, type PlatformConfig } from "../topology";
import { existingStacks, parseFlags } from "./cli";
import { NotDeployedError, readStackOutputs, type StackOutputs } from "./smoke/outputs";
import { pulsarLoginToken, pulsarTokenEnv } from "./smoke/pulsar-login";
import { pulsarCaPem } from "./smoke/run";
import { kopDefaultNamespace } from "./smoke/probes";
import { integerFlag, UsageError, type UsageProblem } from "./smoke/usage-error";
import { runMain } from "./run-main";
import { usageExit, loadStack, ROOT } from "./stack";
import { KafkajsCursors, RestPulsarCursors, type KafkaCursors } from "./transition/cursors";
import { drainCheck, drainMarks, handover, type Brokers, type StepRow } from "./transition/steps";

export type Command = "handover" | "drain-check" | "transition-step";
/** The two operator steps (`transition-step` runs whichever is due). */
type Step = Exclude<Command, "transition-step">;

/** What every command's --help ends with: the flags they share and the environment they read. */
const COMMON = `
  --stack S            the deployed stack (required)
  --outputs F          a file holding \`pulumi stack output --json --show-secrets\` (default: run it)
  --config-file F      the stack's settings file (default Pulumi.<stack>.yaml)
  --pulsar-ca F        the CA certificate (PEM) of the stack's Pulsar and KoP TLS listeners (default: the CA the
                       stack exports for its edge sites)
  --timeout-ms T       each broker call (default 5000)
  --format F           text | json
Environment:
  MP_KAFKA_USERNAME, MP_KAFKA_PASSWORD, MP_KAFKA_MECHANISM   Kafka's SASL login (where the plan's listener has SASL)
  MP_PULSAR_TOKEN      a Pulsar super user's token for the admin API and KoP (default: signed from credentialSeed)
`;

const USAGE: Record<Command, string> = {
    "transition-step": `usage: npm run -s transition-step -- --stack <stack> [--max-wait-s S] [--interval-ms I] [--outputs <file>]
                                   [--config-file <file>] [--timeout-ms T] [--format text|json]

  Before a pulumi up (the up workflow runs it): the operator step that update needs, if any. The stack's last update
  was prepare and the config says switch: npm run handover. It was switch and the config settles (transitionStage
  not set): npm run drain-check --wait. Otherwise nothing.
  Exit: 0 the step passed or none was due; 1 the step did not pass; 2 bad usage, config or stage.
${COMMON}`,
    handover: `usage: npm run -s handover -- --stack <stack> [--outputs <file>] [--config-file <file>] [--timeout-ms T] [--format text|json]

  Run after the transition's prepare update and before its switch: positions every consumer group and
  subscription the target needs (docs/runbooks.md, "Bumps and rollbacks").
  Exit: 0 every cursor positioned; 1 one could not be; 2 bad usage, config or stage.
${COMMON}`,
    "drain-check": `usage: npm run -s drain-check -- --stack <stack> [--wait] [--max-wait-s S] [--interval-ms I] [--outputs <file>]
                               [--config-file <file>] [--timeout-ms T] [--format text|json]

  Run after the transition's switch update and before settling: every mirror, dropped sink and abandoned log has
  been read up to where it stood when the check began. --wait polls until then (at most --max-wait-s).
  Exit: 0 every drain complete; 1 one is not; 2 bad usage, config or stage.
  --wait               poll until every drain passes; --max-wait-s S at most (600), --interval-ms I between polls (5000)
${COMMON}`,
};

interface Flags {
    stack?: string;
    outputs?: string;
    "config-file"?: string;
    "pulsar-ca"?: string;
    "timeout-ms": string;
    format: string;
    wait?: boolean;
    "max-wait-s"?: string;
    "interval-ms"?: string;
}

export interface Options {
    stack: string;
    outputsFile?: string;
    configFile?: string;
    /** The CA (PEM file) of the stack's Pulsar and KoP listeners. */
    pulsarCaFile?: string;
    timeoutMs: number;
    format: "text" | "json";
    wait: boolean;
    maxWaitS: number;
    intervalMs: number;
}


export function parseCli(command: Command, argv: string[], root = ROOT): Options | "help" {
    const drain = command !== "handover";
    const { values, help } = parseFlags<Flags>(`npm run ${command}`, argv, {
        stack: { type: "string", short: "s" },
        outputs: { type: "string" },
        "config-file": { type: "string" },
        "pulsar-ca": { type: "string" },
        "timeout-ms": { type: "string", default: "5000" },
        format: { type: "string", default: "text" },
        ...(drain ? { wait: { type: "boolean", default: false }, "max-wait-s": { type: "string", default: "600" }, "interval-ms": { type: "string", default: "5000" } } : {}),
    });
    if (help) {
        return "help";
    }
    const problems: UsageProblem[] = [];
    if (!values.stack) {
        problems.push({ key: "--stack", value: undefined, allowed: `the deployed stack (required): one of ${existingStacks(root).join(", ")}` });
    }
    const timeoutMs = integerFlag("--timeout-ms", values["timeout-ms"], 100, 600_000, problems);
    const maxWaitS = drain ? integerFlag("--max-wait-s", values["max-wait-s"] as string, 1, 86_400, problems) : 0;
    const intervalMs = drain ? integerFlag("--interval-ms", values["interval-ms"] as string, 10, 600_000, problems) : 0;
    if (values.format !== "text" && values.format !== "json") {
        problems.push({ key: "--format", value: values.format, allowed: "text | json" });
    }
    if (problems.length > 0) {
        throw new UsageError(problems, `npm run ${command}`);
    }
    return {
        stack: values.stack as string,
        ...(values.outputs !== undefined ? { outputsFile: values.outputs } : {}),
        ...(values["config-file"] !== undefined ? { configFile: values["config-file"] } : {}),
        ...(values["pulsar-ca"] !== undefined ? { pulsarCaFile: values["pulsar-ca"] } : {}),
        timeoutMs,
        format: values.format as "text" | "json",
        wait: values.wait === true,
        maxWaitS,
        intervalMs,
    };
}

/** The stage a command runs after. */
const AFTER: Record<Step, "prepare" | "switch"> = { handover: "prepare", "drain-check": "switch" };

/** The operator step an update with this config needs after the stack's last update, if any. Pure. */
export function dueStep(config: PlatformConfig, outputs: StackOutputs): Step | undefined {
    const last = outputs.transition?.stage;
    if (last === "prepare" && config.transitionStage === "switch") {
        return "handover";
    }
    if (last === "switch" && config.transitionStage === undefined) {
        return "drain-check";
    }
    return undefined;
}

/** The transition's choreography, from the stack config at both ends; refuses a stack that is not at the stage. */
export function deployedChoreography(command: Step, config: PlatformConfig, outputs: StackOutputs, stack: string): Choreography {
    const t = outputs.transition;
    const due = AFTER[command];
    if (!t || t.stage !== due) {
        throw new UsageError(
            [
                {
                    key: "outputs transition.stage",
                    value: t?.stage,
                    allowed: `"${due}": npm run ${command} runs after the transition's ${due} update (pulumi config set messaging-platform:transitionStage ${due} --stack ${stack} && pulumi up --stack ${stack}); ${t ? `the stack's last update was the ${t.stage} stage` : "the stack is settled (no transition in progress)"}`,
                },
            ],
            `npm run ${command}`,
        );
    }
    const gatesOf = (g: Record<string, boolean> | undefined): Record<GateName, boolean> => ({ ...config.gates, ...(g ?? {}) }) as Record<GateName, boolean>;
    const deployed = { ...(outputs.offloadActive !== undefined ? { offloadActive: outputs.offloadActive } : {}) };
    const a = plan({ ...config, phase: t.from.phase as PhaseId, gates: gatesOf(t.from.gates) }, deployed);
    const b = plan({ ...config, phase: outputs.phase as PhaseId, gates: gatesOf(outputs.gates) }, deployed);
    return planChoreography(a, b);
}

/** The logins the tools present, from the environment (the same names as npm run smoke's). */
export const LOGIN_ENV = {
    kafkaUsername: "MP_KAFKA_USERNAME",
    kafkaPassword: "MP_KAFKA_PASSWORD",
    kafkaMechanism: "MP_KAFKA_MECHANISM",
    pulsarToken: pulsarTokenEnv(),
} as const;

/** The kafkajs options of a Kafka-protocol listener: its TLS (with the CA when one is given) and SASL login. Pure. */
export function kafkaClientOptions(
    protocol: string,
    login: { mechanism: string; username: string; password: string } | undefined,
    caPem: string | undefined,
): { ssl?: boolean | { ca: string }; sasl?: { mechanism: string; username: string; password: string } } {
    const tls = protocol === "SSL" || protocol === "SASL_SSL";
    const sasl = protocol.startsWith("SASL_") && login ? { sasl: login } : {};
    return { ...(tls ? { ssl: caPem ? { ca: caPem } : true } : {}), ...sasl };
}

/**
 * The brokers the outputs name, with the logins the environment gives: Kafka's SASL login from MP_KAFKA_*; KoP as
 * its listener is planned (SASL PLAIN with the Pulsar token as `token:<jwt>` and KoP's default namespace as the user
 * name, TLS with the cluster's CA); the admin API with the token and that CA. The token is MP_PULSAR_TOKEN, else the
 * super user's, signed from the stack's credentialSeed (as npm run smoke does).
 */
export async function brokersFor(
    config: PlatformConfig,
    outputs: StackOutputs,
    o: { stack: string; timeoutMs: number; caPem?: string },
    env: NodeJS.ProcessEnv,
): Promise<{ brokers: Brokers; close: () => Promise<void> }> {
    const t = plan(config);
    const e = outputs.endpoints;
    const security = t.kafka?.clientSecurity ?? { protocol: "PLAINTEXT" as const };
    const user = env[LOGIN_ENV.kafkaUsername];
    const kafkaLogin = security.saslMechanism && user ? { mechanism: (env[LOGIN_ENV.kafkaMechanism] ?? security.saslMechanism).toLowerCase(), username: user, password: env[LOGIN_ENV.kafkaPassword] ?? "" } : undefined;
    const token = t.pulsar ? await pulsarLoginToken(t.pulsar, LOGIN_ENV.pulsarToken, { stack: o.stack }, env) : undefined;
    const kopNamespace = kopDefaultNamespace(t);
    const kopLogin = token !== undefined ? { mechanism: "plain", username: kopNamespace, password: `token:${token}` } : undefined;
    const opened: KafkaCursors[] = [];
    const cluster = (bootstrap: string | undefined, options: ReturnType<typeof kafkaClientOptions>) => {
        if (!bootstrap) {
            return undefined;
        }
        const c = new KafkajsCursors(bootstrap, { timeoutMs: o.timeoutMs, ...options });
        opened.push(c);
        return c;
    };
    const kafka = cluster(e.kafkaBootstrap, kafkaClientOptions(security.protocol, kafkaLogin, undefined));
    const kop = cluster(e.kopBootstrap, kafkaClientOptions(t.pulsar?.endpoints.kafkaListenerProtocol ?? "PLAINTEXT", kopLogin, o.caPem));
    const brokers: Brokers = {
        ...(kafka ? { kafka } : {}),
        ...(kop ? { kop } : {}),
        ...(e.pulsarAdminUrl ? { pulsar: new RestPulsarCursors(e.pulsarAdminUrl, { timeoutMs: o.timeoutMs, ...(token ? { token } : {}), ...(o.caPem ? { caPem: o.caPem } : {}) }) } : {}),
        kopNamespace,
    };
    return { brokers, close: async () => void (await Promise.all(opened.map((c) => c.close().catch(() => undefined)))) };
}

function render(command: Step, rows: StepRow[], format: "text" | "json", extra: Record<string, unknown> = {}): string {
    if (format === "json") {
        return `${JSON.stringify({ command, ok: rows.every((r) => r.ok), ...extra, rows }, null, 2)}\n`;
    }
    const lines = rows.map((r) => `${r.ok ? "ok  " : "FAIL"}  ${r.cursor}  ${r.detail}`);
    const failed = rows.filter((r) => !r.ok).length;
    return `${lines.join("\n")}${lines.length > 0 ? "\n" : ""}${command}: ${rows.length} cursor(s), ${failed === 0 ? "all passed" : `${failed} not passed`}\n`;
}

/** A line for the operator on stderr. */
const progress = (line: string) => process.stderr.write(`${line}\n`);

export interface RunDeps {
    root?: string;
    env?: NodeJS.ProcessEnv;
    /** Replaces the brokers the outputs name (tests). */
    brokers?: Brokers;
    sleep?: (ms: number) => Promise<void>;
}

export async function main(command: Command, argv: string[], deps: RunDeps = {}): Promise<number> {
    const root = deps.root ?? ROOT;
    const env = deps.env ?? process.env;
    try {
        const cli = parseCli(command, argv, root);
        if (cli === "help") {
            process.stdout.write(USAGE[command]);
            return 0;
        }
        const config = validateConfig(loadStack(`npm run ${command}`, cli.stack, { root, ...(cli.configFile ? { configFile: cli.configFile } : {}) }).raw);
        let outputs: StackOutputs;
        try {
            outputs = readStackOutputs({ stack: cli.stack, ...(cli.outputsFile ? { file: cli.outputsFile } : {}) });
        } catch (err) {
            if (command === "transition-step" && err instanceof NotDeployedError) {
                // The up workflow runs this before every update, the first included: a first deployment is one update.
                process.stdout.write(`transition-step: none due (stack ${cli.stack} has no outputs: nothing is deployed yet, and a first deployment is one update)\n`);
                return 0;
            }
            throw err;
        }
        const step = command === "transition-step" ? dueStep(config, outputs) : command;
        if (step === undefined) {
            const last = outputs.transition ? `in the ${outputs.transition.stage} stage` : "settled";
            process.stdout.write(`transition-step: none due (the stack is ${last}; the update's transitionStage is ${config.transitionStage ?? "not set"})\n`);
            return 0;
        }
        const wait = cli.wait || command === "transition-step";
        const ch = deployedChoreography(step, config, outputs, cli.stack);
        const caPem = pulsarCaPem(cli.pulsarCaFile, outputs);
        const opened = deps.brokers ? { brokers: deps.brokers, close: async () => {} } : await brokersFor(config, outputs, { stack: cli.stack, timeoutMs: cli.timeoutMs, ...(caPem ? { caPem } : {}) }, env);
        try {
            if (step === "handover") {
                const rows = await handover(
                    ch.streams.flatMap((s) => s.handovers),
                    opened.brokers,
                );
                process.stdout.write(render(step, rows, cli.format));
                if (!rows.every((r) => r.ok)) {
                    progress(
                        `handover: ${rows.filter((r) => !r.ok).length} cursor(s) not positioned. The stack stays at prepare, where nothing has moved: ` +
                            `act on the rows above, run \`npm run -s handover -- --stack ${cli.stack}\` again, and switch only once it passes.`,
                    );
                    return 1;
                }
                return 0;
            }
            const drains = ch.streams.flatMap((s) => s.drains);
            const marks = await drainMarks(drains, opened.brokers);
            const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
            const deadline = Date.now() + cli.maxWaitS * 1000;
            if (drains.some((d) => d.quiescent)) {
                // An abandoned log is drained when its end stood still between two looks: the first is one interval on.
                await sleep(cli.intervalMs);
            }
            const started = Date.now();
            let rows = await drainCheck(drains, opened.brokers, marks);
            let polls = 1;
            while (wait && !rows.every((r) => r.ok) && Date.now() < deadline) {
                // Progress on stderr (stdout keeps the report, JSON included): what is left, every poll.
                const left = rows.filter((r) => !r.ok);
                progress(`drain-check: ${rows.length - left.length}/${rows.length} drained after ${Math.round((Date.now() - started) / 1000)} s (waiting up to ${cli.maxWaitS} s); ${left[0]?.cursor}: ${left[0]?.detail}${left.length > 1 ? ` (+${left.length - 1} more)` : ""}`);
                await sleep(cli.intervalMs);
                rows = await drainCheck(drains, opened.brokers, marks);
                polls++;
            }
            process.stdout.write(render(step, rows, cli.format, { polls }));
            if (!rows.every((r) => r.ok)) {
                progress(
                    `drain-check: not every drain passed${wait ? ` within ${cli.maxWaitS} s` : ""}. The stack stays in the switch stage, which runs both sides and loses nothing: ` +
                        `run \`npm run -s drain-check -- --stack ${cli.stack} --wait\` again once the rows above move, then settle (docs/runbooks.md, "Bumps and rollbacks").`,
                );
                return 1;
            }
            return 0;
        } finally {
            await opened.close();
        }
    } catch (err) {
        return usageExit(err, `npm run ${command}`);
    }
}

if (require.main === module) {
    const command = process.argv[2] as Command;
    if (!(command in USAGE)) {
        process.stderr.write(`scripts/transition.ts: the first argument is the command: handover | drain-check (got ${JSON.stringify(command)})\n`);
        process.exitCode = 2;
    } else {
        runMain((argv) => main(command, argv.slice(1)), { crashCode: 1, label: `npm run ${command}` });
    }
}
