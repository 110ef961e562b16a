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
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "yaml";
import { PACK_NAME, guardrails } from "../policies/guardrails";
import { captureProgram, evaluatePack, type PackConfig, type Violation } from "../policies/offline";
import { CONFIG_NAMESPACE } from "../topology/config";
import { runMain } from "./run-main";

const root = resolve(__dirname, "..");

/** The stack file's config as the engine hands it to a program: full keys, strings or JSON, secrets as placeholders. */
export function engineConfig(stackFile: string, phase?: number): { config: Record<string, string>; secretKeys: string[] } {
    const doc = (parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        const secure = typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
        if (secure) {
            config[key] = `offline-placeholder-${key.replace(/[^A-Za-z0-9]/g, "-")}`;
            secretKeys.push(key);
        } else {
            config[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    if (phase !== undefined) {
        config[`${CONFIG_NAMESPACE}:phase`] = String(phase);
    }
    return { config, secretKeys };
}

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

export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            options: { stack: { type: "string", short: "s" }, phase: { type: "string" }, config: { type: "string" }, program: { type: "string" } },
            strict: true,
        }));
    } catch (e) {
        out(`${(e as Error).message}\n`);
        return 2;
    }
    if (!values.stack) {
        out("usage: npm run policy -- --stack <local|dev|prod> [--phase N] [--config policies/config/<env>.json] [--program index.ts]\n");
        return 2;
    }
    const phase = values.phase === undefined ? undefined : Number(values.phase);
    if (phase !== undefined && !Number.isInteger(phase)) {
        out(`--phase ${values.phase}: an integer phase (0..3)\n`);
        return 2;
    }
    const stackFile = resolve(root, `Pulumi.${values.stack}.yaml`);
    const program = resolve(values.program ?? resolve(root, "index.ts"));
    for (const [what, file] of [["stack file", stackFile], ["program", program]] as const) {
        if (!existsSync(file)) {
            out(`${what} ${file} not found\n`);
            return 2;
        }
    }
    const { config, secretKeys } = engineConfig(stackFile, phase);
    const environment = config[`${CONFIG_NAMESPACE}:environment`] ?? values.stack;
    const configFile = resolve(values.config ?? resolve(root, `policies/config/${environment}.json`));
    if (!existsSync(configFile)) {
        out(`policy config ${configFile} not found: pass --config <file>\n`);
        return 2;
    }
    const packConfig = JSON.parse(readFileSync(configFile, "utf8")) as PackConfig;
    let resources;
    try {
        resources = await captureProgram(() => import(program), { project: "messaging-platform", stack: values.stack, config, secretKeys });
    } catch (e) {
        out(`the program failed under mocks: ${(e as Error).message}\n`);
        return 2;
    }
    const violations = await evaluatePack(guardrails("advisory"), resources, packConfig);
    out(`${values.stack}${phase === undefined ? "" : ` (phase ${phase})`}: ${resources.length} resources, policy config ${configFile.slice(root.length + 1)}\n`);
    out(render(violations));
    return violations.some((v) => v.level === "mandatory") ? 1 : 0;
}

if (require.main === module) {
    runMain((argv) => main(argv), { crashCode: 2, forceExit: true });
}
