/**
 * The drill through `npm run drill`'s own main: the local stack's full path (0 -> 1 -> 2 -> 3 -> 2 -> 1 -> 0) under
 * load against kfake (Kafka), a real Apache Pulsar 4.0 the drill starts (native subscriptions and producers; the
 * handover and the drain check on its partitioned topics through its admin API), and the machine's RabbitMQ. KoP's
 * legs run natively and the relays in-process (scripts/drill/stand-ins.ts says why). Every row must have carried
 * messages and lost none.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { main, parseCli } from "../../scripts/drill";
import type { DrillReport } from "../../scripts/drill/run";
import { UsageError } from "../../scripts/smoke/usage-error";

/** Runs the drill's main with its JSON report captured. */
async function drill(args: string[]): Promise<{ code: number; report: DrillReport }> {
    let out = "";
    const w = vi.spyOn(process.stdout, "write").mockImplementation((x) => ((out += String(x)), true));
    try {
        const code = await main([...args, "--format", "json"], () => {});
        return { code, report: JSON.parse(out) as DrillReport };
    } finally {
        w.mockRestore();
    }
}

/** The drill run as a user runs it on a machine with neither Go nor Maven (an empty cache, a PATH with node only). */
function drillWithoutTools(): { code: number | null; err: string } {
    const cache = mkdtempSync(join(tmpdir(), "drill-no-tools-"));
    try {
        const r = spawnSync(process.execPath, [resolve(__dirname, "../../node_modules/tsx/dist/cli.mjs"), resolve(__dirname, "../../scripts/drill.ts"), "--stack", "local"], {
            encoding: "utf8",
            env: { PATH: dirname(process.execPath), XDG_CACHE_HOME: cache, HOME: cache },
            timeout: 60_000,
        });
        return { code: r.status, err: r.stderr };
    } finally {
        rmSync(cache, { recursive: true, force: true });
    }
}

describe("npm run drill", () => {
    it("on a machine without Go: one line saying what to install, no stack trace", () => {
        const r = drillWithoutTools();
        expect(r.code).toBe(1);
        const lines = r.err.trim().split("\n").filter((l) => !l.startsWith("["));
        expect(lines).toEqual([expect.stringMatching(/^npm run drill: the go command is not on PATH: Go \(the version test\/kfake\/go.mod names, or later\) builds test\/kfake/)]);
    }, 60_000);

    it("refuses a path that jumps a phase, and any stack but local, naming the flag", () => {
        expect(() => parseCli(["--stack", "local", "--path", "0,2"])).toThrow(UsageError);
        expect(() => parseCli(["--stack", "local", "--path", "0,2"])).toThrow(/--path = "0,2": two or more phases .*each one step from the last/);
        expect(() => parseCli(["--stack", "prod"])).toThrow(/^npm run drill: --stack = "prod": local: the drill runs against this machine.s brokers/);
        expect(() => parseCli(["--stack", "local", "--pods", "9"])).toThrow(/--pods = "9"/);
    });

    it(
        "the full path under load: every transition and stream ran, every row carried messages, nothing was lost",
        async () => {
            const { code, report } = await drill(["--stack", "local", "--pods", "1", "--rate", "5"]);
            expect(report.problems).toEqual([]);
            expect(report.rows.filter((r) => r.status !== "passed").map((r) => `${r.transition} ${r.stream}: produced ${r.produced}, lost ${r.lost}: ${r.detail}`)).toEqual([]);
            expect(code).toBe(0);
            const transitions = [...new Set(report.rows.map((r) => r.transition))];
            expect(transitions).toEqual(["0 -> 1", "1 -> 2", "2 -> 3", "3 -> 2", "2 -> 1", "1 -> 0"]);
            // Every stream of the plan, in every transition (none left out for want of a broker).
            expect(report.rows.filter((r) => r.path !== "rabbitmq")).toHaveLength(6 * 12);
            // Streams wholly on Pulsar at 2 <-> 3: native producers and subscriptions only.
            expect(report.rows.filter((r) => r.transition === "2 -> 3" && r.path === "pulsar").map((r) => r.stream)).toContain("user-requests");
            for (const r of report.rows) {
                expect(r.status, `${r.transition} ${r.stream}: ${r.detail}`).toBe("passed");
                expect(r.produced).toBeGreaterThan(0);
                expect(r.lost).toBe(0);
                expect(r.consumed).toBeGreaterThanOrEqual(r.produced);
            }
            // The overlap mirrors ran where the services moved between Kafka and KoP.
            const mirrored = report.rows.filter((r) => r.stream === "user-requests" && r.detail !== "").map((r) => `${r.transition}: ${r.detail}`);
            expect(mirrored).toEqual(["0 -> 1: mirror user-requests-mirror-to-pulsar", "1 -> 0: mirror user-requests-mirror-to-kafka"]);
            // The sinks that keep Kafka-only readers fed ran from 1 -> 2 on.
            expect(report.rows.find((r) => r.transition === "1 -> 2" && r.stream === "job-metrics")?.detail).toBe("sink job-metrics-to-kafka");
            expect(report.rows.some((r) => r.path === "rabbitmq")).toBe(true);
        },
        600_000,
    );

    it(
        // Timing decides how many are lost (those written to KoP before the new consumers joined, and what the old ones
        // had not read); at 100 messages per second per stream a run has lost dozens each time it was measured.
        "the one-update bump the platform had before (--one-update) loses messages on 0 -> 1, and the drill says so with exit 1",
        async () => {
            const { code, report } = await drill(["--stack", "local", "--path", "0,1", "--pods", "2", "--rate", "100", "--one-update"]);
            expect(code).toBe(1);
            const lost = report.rows.filter((r) => r.lost > 0);
            expect(lost.length).toBeGreaterThan(0);
            expect(lost.every((r) => r.status === "failed" && r.detail.includes("never delivered to"))).toBe(true);
            // No overlap mirror ran: the detail names none.
            expect(report.rows.some((r) => r.detail.includes("mirror"))).toBe(false);
        },
        300_000,
    );
});
