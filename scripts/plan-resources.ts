/**
 * `npm run plan -- --stack S --phase N --from M --resources`: what the update does to the program's resources, per
 * component, from two runs of the real program under mocks (scripts/program-resources.ts): the run at M, and the run
 * at N as an update from M sees it (the stack's reference to itself returns M's outputs).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { ProgramResource, ProgramRun } from "./program-resources";
import { DATA_HOLDING_TYPES, predictChanges, type ResourceChange as PredictedChange } from "./provider-diff";
import { isOneStep } from "../topology";

export type ResourceChange = PredictedChange<ProgramResource>;

/**
 * The changes from `before` to `after`, keyed by URN, as the engine and the providers would plan them
 * (scripts/provider-diff.ts): create, update, replace (with why, and whether the old object is deleted first or
 * retained), delete, or forget (retainOnDelete: Pulumi drops it from state, the cloud keeps it). Pure.
 */
export function resourceChanges(before: ProgramResource[], after: ProgramResource[]): ResourceChange[] {
    return predictChanges(before, after);
}

const MARK = { create: "+", update: "~", replace: "+-", delete: "-", forget: "-" } as const;

function notes(c: ResourceChange): string[] {
    const out: string[] = [];
    if (c.kind === "forget") {
        out.push("retained: left in place");
    }
    if (c.kind === "replace") {
        out.push(`REPLACED${c.deleteBeforeReplace ? " (delete before create)" : ""}: ${(c.because ?? []).join("; ")}`);
        if (c.oldRetained) {
            out.push("the old object is retained (retainOnDelete): two objects of one name");
        }
    }
    if (c.kind === "update" && c.rules === "unmodelled") {
        out.push(`replace rules of ${c.resource.type} are not modelled: may be a replacement`);
    }
    if ((c.kind === "forget" || c.kind === "delete" || c.kind === "replace") && c.resource.protect) {
        out.push("PROTECTED: the preview fails until `pulumi state unprotect`");
    }
    if (DATA_HOLDING_TYPES.has(c.resource.type) && (c.kind === "replace" || c.kind === "delete")) {
        out.push("HOLDS DATA");
    }
    return out;
}

/** Text per component; replacements say why; deletions of protected resources are called out. Pure. */
export function renderResourceChanges(changes: ResourceChange[], from: number, to: number, stage?: string): string {
    const what = `resources (program under mocks, ${from} -> ${to}${stage ? `, the ${stage} update` : isOneStep(from, to) ? ", the net of prepare, switch and settle" : ""})`;
    if (changes.length === 0) {
        return `${what}: no change\n`;
    }
    const count = (k: ResourceChange["kind"]) => changes.filter((c) => c.kind === k).length;
    const lines = [
        `${what}: ${count("create")} to create, ${count("update")} to update, ` +
            `${count("replace")} to replace, ${count("delete")} to delete, ${count("forget")} to forget (retainOnDelete: left in place)`,
    ];
    const components = [...new Set(changes.map((c) => c.resource.component))].sort();
    const order = { create: 0, update: 1, replace: 2, forget: 3, delete: 4 };
    for (const component of components) {
        lines.push(`${component === "-" ? "(platform)" : component}:`);
        const mine = changes
            .filter((c) => c.resource.component === component)
            .sort((a, b) => order[a.kind] - order[b.kind] || `${a.resource.type} ${a.resource.name}`.localeCompare(`${b.resource.type} ${b.resource.name}`));
        for (const c of mine) {
            const n = notes(c);
            lines.push(`  ${MARK[c.kind]} ${c.resource.type} ${c.resource.name}${n.length ? `  [${n.join("; ")}]` : ""}`);
        }
    }
    return `${lines.join("\n")}\n`;
}

const run = promisify(execFile);

/** Runs scripts/program-resources.ts in a child process (one Pulumi runtime per process). */
async function captureInChild(stack: string, phase: number, previous?: Record<string, unknown>, overrides?: Record<string, unknown>): Promise<ProgramRun> {
    const script = resolve(__dirname, "program-resources.ts");
    const args = [
        "--import",
        "tsx",
        script,
        "--stack",
        stack,
        "--phase",
        String(phase),
        ...(previous ? ["--previous", JSON.stringify(previous)] : []),
        ...(overrides ? ["--overrides", JSON.stringify(overrides)] : []),
    ];
    try {
        const { stdout } = await run(process.execPath, args, { maxBuffer: 256 * 1024 * 1024 });
        return JSON.parse(stdout) as ProgramRun;
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr?.trim();
        throw new Error(`the program under mocks failed for ${stack} at phase ${phase}: ${stderr || (e as Error).message}`, { cause: e });
    }
}

/**
 * The program's resource changes when `stack` moves from phase `from` to `to`: the net change of the transition's
 * updates (topology/update.ts), read as its last one, the settle after the switch, sees it. The prepare and switch
 * updates before it only add; what this shows as deleted or replaced goes at settle.
 */
export async function programResourceChanges(stack: string, from: number, to: number): Promise<ResourceChange[]> {
    const before = await captureInChild(stack, from);
    const settling = isOneStep(from, to) ? { phase: to, transition: { stage: "switch", from: { phase: from, gates: before.outputs.gates } } } : { phase: from };
    const after = await captureInChild(stack, to, { ...before.outputs, ...settling });
    return resourceChanges(before.resources, after.resources);
}

export type StageName = "prepare" | "switch" | "settle";

/**
 * The program's resource changes in each update of the staged transition `from` -> `to` (adjacent phases): prepare,
 * switch, settle, each against the update before it, each run with the outputs the one before it left.
 */
export async function programStageChanges(stack: string, from: number, to: number): Promise<{ stage: StageName; changes: ResourceChange[] }[]> {
    let before = await captureInChild(stack, from);
    const out: { stage: StageName; changes: ResourceChange[] }[] = [];
    for (const stage of ["prepare", "switch", "settle"] as const) {
        const after = await captureInChild(stack, to, before.outputs, stage === "settle" ? {} : { transitionStage: stage });
        out.push({ stage, changes: resourceChanges(before.resources, after.resources) });
        before = after;
    }
    return out;
}
