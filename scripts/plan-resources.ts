/**
 * `npm run plan -- --stack S --phase N --from M --resources`: what the update does to the program's resources, per
 * component, from two runs of the real program under mocks (scripts/program-resources.ts): the run at M, and the run
 * at N as an update from M sees it (the stack's reference to itself returns M's outputs).
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { ProgramResource, ProgramRun } from "./program-resources";

export interface ResourceChange {
    kind: "create" | "update" | "delete" | "forget";
    resource: ProgramResource;
}

/**
 * The changes from `before` to `after`, keyed by URN. A resource that leaves the program with retainOnDelete is
 * `forget` (Pulumi drops it from state, the cloud keeps it); without, `delete`. Pure.
 */
export function resourceChanges(before: ProgramResource[], after: ProgramResource[]): ResourceChange[] {
    const was = new Map(before.map((r) => [r.urn, r]));
    const now = new Map(after.map((r) => [r.urn, r]));
    const changes: ResourceChange[] = [];
    for (const r of after) {
        const old = was.get(r.urn);
        if (!old) {
            changes.push({ kind: "create", resource: r });
        } else if (old.inputs !== r.inputs) {
            changes.push({ kind: "update", resource: r });
        }
    }
    for (const r of before) {
        if (!now.has(r.urn)) {
            changes.push({ kind: r.retainOnDelete ? "forget" : "delete", resource: r });
        }
    }
    return changes;
}

const MARK = { create: "+", update: "~", delete: "-", forget: "-" } as const;

/** Text per component; deletions of protected resources are called out (the preview fails on them). Pure. */
export function renderResourceChanges(changes: ResourceChange[], from: number, to: number): string {
    if (changes.length === 0) {
        return `resources (program under mocks, ${from} -> ${to}): no change\n`;
    }
    const count = (k: ResourceChange["kind"]) => changes.filter((c) => c.kind === k).length;
    const lines = [
        `resources (program under mocks, ${from} -> ${to}): ${count("create")} to create, ${count("update")} to update, ` +
            `${count("delete")} to delete, ${count("forget")} to forget (retainOnDelete: left in place)`,
    ];
    const components = [...new Set(changes.map((c) => c.resource.component))].sort();
    for (const component of components) {
        lines.push(`${component === "-" ? "(platform)" : component}:`);
        const order = { create: 0, update: 1, forget: 2, delete: 3 };
        const mine = changes
            .filter((c) => c.resource.component === component)
            .sort((a, b) => order[a.kind] - order[b.kind] || `${a.resource.type} ${a.resource.name}`.localeCompare(`${b.resource.type} ${b.resource.name}`));
        for (const c of mine) {
            const notes = [
                c.kind === "forget" ? "retained: left in place" : "",
                (c.kind === "forget" || c.kind === "delete") && c.resource.protect ? "PROTECTED: the preview fails until `pulumi state unprotect`" : "",
            ].filter(Boolean);
            lines.push(`  ${MARK[c.kind]} ${c.resource.type} ${c.resource.name}${notes.length ? `  [${notes.join("; ")}]` : ""}`);
        }
    }
    return `${lines.join("\n")}\n`;
}

const run = promisify(execFile);

/** Runs scripts/program-resources.ts in a child process (one Pulumi runtime per process). */
async function captureInChild(stack: string, phase: number, previous?: Record<string, unknown>): Promise<ProgramRun> {
    const script = resolve(__dirname, "program-resources.ts");
    const args = ["--import", "tsx", script, "--stack", stack, "--phase", String(phase), ...(previous ? ["--previous", JSON.stringify(previous)] : [])];
    try {
        const { stdout } = await run(process.execPath, args, { maxBuffer: 256 * 1024 * 1024 });
        return JSON.parse(stdout) as ProgramRun;
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr?.trim();
        throw new Error(`the program under mocks failed for ${stack} at phase ${phase}: ${stderr || (e as Error).message}`, { cause: e });
    }
}

/** The program's resource changes when `stack` moves from phase `from` to `to`. */
export async function programResourceChanges(stack: string, from: number, to: number): Promise<ResourceChange[]> {
    const before = await captureInChild(stack, from);
    const after = await captureInChild(stack, to, { ...before.outputs, phase: from });
    return resourceChanges(before.resources, after.resources);
}
