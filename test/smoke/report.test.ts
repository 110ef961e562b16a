import { describe, expect, it } from "vitest";
import { exitCode, percentile, PULSAR_CLIENT_MISSING, renderJson, renderText, ROUTING_TARGET_MS, table, type ProbeResult, type SmokeReport } from "../../scripts/smoke/report";

const row = (r: Partial<ProbeResult>): ProbeResult => ({
    route: "user-requests",
    path: "direct",
    protocol: "kafka",
    broker: "kafka",
    target: "user-requests",
    status: "passed",
    latenciesMs: [],
    sent: 0,
    received: 0,
    ...r,
});

const passed = row({ latenciesMs: [3, 1, 2, 4], sent: 5, received: 5 });
const slow = row({ route: "jobs", latenciesMs: [10, 80], sent: 3, received: 3 });
const native = row({ route: "notifications", protocol: "pulsar", broker: "pulsar", status: "not run", reason: PULSAR_CLIENT_MISSING, pulsarClientMissing: true });
const failed = row({ route: "tool-signals", status: "failed", reason: "topic tool-signals does not exist on Kafka at 127.0.0.1:19092" });
const busy = row({ route: "control -> jobs.dispatch", status: "not run", reason: "queue jobs.dispatch holds 1 message(s) ..." });

describe("percentile (nearest rank)", () => {
    it.each([
        [[], 50, undefined],
        [[7], 50, 7],
        [[7], 99, 7],
        [[4, 1, 3, 2], 50, 2],
        [[4, 1, 3, 2], 99, 4],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
        [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
        [Array.from({ length: 200 }, (_, i) => i + 1), 99, 198],
    ])("of %j at p%i is %s", (values, p, want) => {
        expect(percentile(values, p)).toBe(want);
    });

    it("does not reorder its input", () => {
        const values = [3, 1, 2];
        percentile(values, 50);
        expect(values).toEqual([3, 1, 2]);
    });
});

describe("exit code", () => {
    it("is 0 when every route passed", () => {
        expect(exitCode([passed, slow], false)).toBe(0);
    });

    it("is 1 when a native-Pulsar route was not run, unless --allow-missing-native", () => {
        expect(exitCode([passed, native], false)).toBe(1);
        expect(exitCode([passed, native], true)).toBe(0);
    });

    it("is 1 for a failure or any other not-run route, even with --allow-missing-native", () => {
        expect(exitCode([passed, failed], true)).toBe(1);
        expect(exitCode([passed, busy], true)).toBe(1);
    });

    it("does not count a slow route as failed: the 50 ms target is reported, not enforced", () => {
        expect(ROUTING_TARGET_MS).toBe(50);
        expect(exitCode([slow], false)).toBe(0);
    });
});

describe("the report", () => {
    const report: SmokeReport = {
        stack: "local",
        phase: 1,
        runId: "smoke-test-run",
        messages: 4,
        timeoutMs: 2000,
        results: [passed, slow, native, failed],
        notes: ["pulsar-client could not be loaded: Cannot find module 'pulsar-client'"],
    };

    it("pads columns to their widest cell and trims line ends", () => {
        expect(table([["a", "bb", "c"], ["ccc", "d", ""]])).toBe("a    bb  c\nccc  d");
    });

    it("prints one row per route with p50, p99, the target verdict and the result", () => {
        const lines = renderText(report, false).split("\n");
        expect(lines[0]).toBe(
            "smoke test of stack local, phase 1 (bridge), run smoke-test-run: 4 timed messages per route (after 1 warm-up), timeout 2000 ms per message",
        );
        expect(lines[2]).toMatch(/^route\s+path\s+protocol\s+broker\s+topic \/ queue\s+p50\s+p99\s+p99 vs 50 ms\s+result$/);
        expect(lines[3]).toMatch(/^user-requests\s+direct\s+kafka\s+kafka\s+user-requests\s+2\.0 ms\s+4\.0 ms\s+within\s+passed 4\/4$/);
        expect(lines[4]).toMatch(/^jobs\s.*10\.0 ms\s+80\.0 ms\s+over by 30\.0 ms\s+passed 2\/2$/);
        expect(lines[5]).toMatch(/^notifications\s+direct\s+pulsar\s+pulsar\s.*-\s+-\s+-\s+not run: pulsar-client native library missing$/);
        expect(lines[6]).toMatch(/failed: topic tool-signals does not exist on Kafka at 127\.0\.0\.1:19092$/);
        expect(lines).toContain("2 passed, 1 failed, 1 not run; 1 of 2 passed routes within the 50 ms routing target (seed 000, p99)");
        expect(lines).toContain("note: pulsar-client could not be loaded: Cannot find module 'pulsar-client'");
        expect(lines).toContain("exit 1: not every route passed");
    });

    it("as JSON carries every row with its percentiles and the exit code", () => {
        const json = JSON.parse(renderJson({ ...report, results: [passed, native] }, true));
        expect(json.exitCode).toBe(0);
        expect(json.routingTargetMs).toBe(50);
        expect(json.results[0]).toMatchObject({ route: "user-requests", status: "passed", p50Ms: 2, p99Ms: 4 });
        expect(json.results[1]).toMatchObject({ status: "not run", reason: PULSAR_CLIENT_MISSING, p50Ms: null, p99Ms: null });
    });
});

describe("an untimed hop (the archive, written at Connect's offset commits)", () => {
    const archived = row({
        route: "audit-trail -> archive",
        path: "archiver (connect-audit-archiver)",
        protocol: "kafka->object store",
        latenciesMs: [41_000],
        sent: 1,
        received: 1,
        untimed: true,
        detail: "connect-audit-archiver committed past audit-trail[0] offset 7 after 41.0 s",
    });
    const report: SmokeReport = { stack: "prod", phase: 3, runId: "r", messages: 1, timeoutMs: 5000, results: [passed, archived], notes: [] };

    it("says what it saw instead of a message count, and is not held against the routing target nor counted as a route within it", () => {
        const text = renderText(report, false);
        const line = text.split("\n").find((l) => l.startsWith("audit-trail -> archive")) as string;
        expect(line).toMatch(/41000\.0 ms\s+-\s+passed: connect-audit-archiver committed past audit-trail\[0\] offset 7 after 41\.0 s$/);
        expect(text).toContain("2 passed, 0 failed, 0 not run; 1 of 1 passed routes within the 50 ms routing target");
    });
});
