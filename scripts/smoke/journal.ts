/**
 * Which smoke runs are in flight, so that the run after an interrupted one (Ctrl-C, a killed CI job) can take back what
 * that run left in the queues instead of refusing them.
 *
 * Every run writes `<cache>/messaging-platform/smoke/<stack>/<runId>.json` (its pid) before it publishes anything and
 * removes it when it ends. A file whose process is gone belongs to an interrupted run: its run id is what the next run
 * may sweep (RabbitMQ messages carrying that `smoke-run` header). Without such a file the smoke test never touches a
 * queue that holds messages: reading a message to look at its headers and returning it counts as a delivery, and
 * quorum queues dead-letter a message after `delivery-limit` deliveries.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export interface JournalEntry {
    runId: string;
    pid: number;
    startedAt: string;
}

/** `${XDG_CACHE_HOME:-$HOME/.cache}/messaging-platform/smoke/<stack>`, or `dir` when given (tests). */
export function journalDir(stack: string, env: NodeJS.ProcessEnv = process.env): string {
    return join(env.MP_SMOKE_JOURNAL ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "messaging-platform", "smoke"), stack);
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        // EPERM: it exists, under another user.
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

export class SmokeJournal {
    constructor(private readonly dir: string) {}

    /** Records this run as in flight. */
    begin(runId: string): void {
        mkdirSync(this.dir, { recursive: true });
        const entry: JournalEntry = { runId, pid: process.pid, startedAt: new Date().toISOString() };
        writeFileSync(join(this.dir, `${runId}.json`), `${JSON.stringify(entry)}\n`);
    }

    /** Removes a run's record (at its end, or once an interrupted run's leftovers are swept). */
    end(runId: string): void {
        rmSync(join(this.dir, `${runId}.json`), { force: true });
    }

    /** Runs recorded as in flight whose process is gone. */
    interrupted(): JournalEntry[] {
        let files: string[];
        try {
            files = readdirSync(this.dir).filter((f) => f.endsWith(".json"));
        } catch {
            return [];
        }
        return files
            .map((f) => {
                try {
                    return JSON.parse(readFileSync(join(this.dir, f), "utf8")) as JournalEntry;
                } catch {
                    return undefined;
                }
            })
            .filter((e): e is JournalEntry => e !== undefined && typeof e.pid === "number" && !alive(e.pid));
    }
}
