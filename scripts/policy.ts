/**
 * `npm run policy -- --stack <name> [--phase N] [--config <file>] [--program <file>]`
 *
 * Runs the messaging-guardrails pack offline: the program (index.ts) runs under Pulumi mocks with the stack's config
 * (Pulumi.<name>.yaml, secrets replaced by placeholders, `--phase` overriding the phase), then every policy is
 * evaluated on the registered resources with the stack environment's policy config (policies/config/<env>.json,
 * mandatory in prod). No engine, no cloud, no network.
 *
 * Exit codes: 0 no mandatory violation; 1 at least one mandatory violation; 2 usage, config or program error.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { PACK_NAME, guardrails } from "../policies/guardrails";
import { captureProgram, evaluatePack, type PackConfig, type Violation } from "../policies/offline";
import { StackFileError } from "../topology";
import { CONFIG_NAMESPACE } from "../topology/config";
import { CliUsageError, parseFlags, phaseFlag } from "./cli";
import { runMain } from "./run-main";
import { EngineConfigError, engineConfig, loadStack, ROOT } from "./stack";

export { engineConfig };

const COMMAND = "npm run policy";

const root = ROOT;

/** `<type> <name>` of a URN (the last type of its parent chain). */
function describeUrn(urn: string): string {
    const [types = "", name = ""] = urn.split("::").slice(-2);
    return `${types.split("$").pop() ?? types} ${name}`;
}

export function render(violations: Violation[]): string {
    if (violations.length === 0) {
        return `${PACK_NAME}: no policy violations\n`;
    }
    const lines = violations.map((v) => `  [${v.level}] ${v.policy}${v.urn ? ` (${describeUrn(v.urn)})` : ""}\n    ${v.message}`);
    const mandatory = violations.filter((v) => v.level === "mandatory").length;
    return `Policy Violations (${violations.length}, ${mandatory} mandatory):\n${lines.join("\n")}\n`;
}

export const USAGE = `usage: npm run -s policy -- --stack <stack> [--phase N] [--config <file>] [--program <file>] [--dump <file>]

  --stack S      the stack whose program is checked (Pulumi.S.yaml; secrets become placeholders)
  --phase N      check phase N instead of the phase in the stack file
  --config F     the policy config (--policy-pack-config format) @default policies/config/<environment>.json
  --program F    the program to run under mocks @default index.ts
  --dump F       also write the registered resources, as the pack sees them, to F (JSON)
  --help         this text

Exit: 0 no mandatory violation; 1 a mandatory violation; 2 bad usage, a stack file the CLI or the program refuses.
`;

interface PolicyFlags {
    stack?: string;
    phase?: string;
    config?: string;
    program?: string;
    dump?: string;
}

export async function main(
    argv: string[],
    out: (s: string) => void = (s) => process.stdout.write(s),
    err: (s: string) => void = (s) => process.stderr.write(s),
): Promise<number> {
    try {
        const { values, help } = parseFlags<PolicyFlags>(COMMAND, argv, {
            stack: { type: "string", short: "s" },
            phase: { type: "string" },
            config: { type: "string" },
            program: { type: "string" },
            dump: { type: "string" },
        });
        if (help) {
            out(USAGE);
            return 0;
        }
        const phase = phaseFlag(COMMAND, "--phase", values.phase);
        // The CLI's own checks first (what `pulumi preview` refuses before the program runs).
        const stack = loadStack(COMMAND, values.stack, { root });
        const program = resolve(values.program ?? resolve(root, "index.ts"));
        if (!existsSync(program)) {
            throw new CliUsageError(`${COMMAND}: --program ${values.program}: no such file`);
        }
        const { config, secretKeys } = engineConfig(stack.file.path, phase, root);
        const environment = config[`${CONFIG_NAMESPACE}:environment`] ?? stack.file.stack;
        const configFile = resolve(values.config ?? resolve(root, `policies/config/${environment}.json`));
        if (!existsSync(configFile)) {
            throw new CliUsageError(`${COMMAND}: --config ${configFile}: no such file (the policy config of environment ${environment})`);
        }
        const packConfig = JSON.parse(readFileSync(configFile, "utf8")) as PackConfig;
        let resources;
        try {
            resources = await captureProgram(() => import(program), { project: "messaging-platform", stack: stack.file.stack, config, secretKeys });
        } catch (e) {
            err(`${COMMAND}: the program failed under mocks: ${(e as Error).message}\n`);
            return 2;
        }
        if (values.dump !== undefined) {
            try {
                writeFileSync(resolve(values.dump), `${JSON.stringify(resources, null, 1)}\n`);
            } catch (e) {
                err(`${COMMAND}: --dump ${values.dump}: allowed a file that can be written (${(e as Error).message})\n`);
                return 2;
            }
        }
        const violations = await evaluatePack(guardrails("advisory"), resources, packConfig);
        out(`${stack.file.stack}${phase === undefined ? "" : ` (phase ${phase})`}: ${resources.length} resources, policy config ${configFile.startsWith(root) ? configFile.slice(root.length + 1) : configFile}\n`);
        out(render(violations));
        return violations.some((v) => v.level === "mandatory") ? 1 : 0;
    } catch (e) {
        if (e instanceof CliUsageError || e instanceof StackFileError || e instanceof EngineConfigError) {
            err(`${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    runMain((argv) => main(argv), { crashCode: 2, forceExit: true });
}
