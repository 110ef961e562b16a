/**
 * The smoke report: one row per probe (route, path, protocol, broker, topic or queue, result, p50/p99 latency against
 * the routing target), the exit code it implies, and its text and JSON renderings.
 */
import { describePhase, type PhaseId } from "../../topology";

/**
 * The latency target of seed 000 ("Performance Metrics / Target Metrics: Latency: Sub-50ms tool routing
 * (maintained)"), held against each route's p99.
 */
export const ROUTING_TARGET_MS = 50;

/** The reason a native-Pulsar row gives when the pulsar-client package (or its C++ library) cannot be loaded. */
export const PULSAR_CLIENT_MISSING = "pulsar-client native library missing";

/** What a row that needs pulsar-client says when it cannot be loaded (`--allow-missing-native` accepts it). */
export const PULSAR_CLIENT_NOT_RUN = { status: "not run", reason: PULSAR_CLIENT_MISSING, pulsarClientMissing: true } as const satisfies Partial<ProbeResult>;

export type ProbeStatus = "passed" | "failed" | "not run";

export interface ProbeResult {
    /** The stream, or the control-plane path (`control -> jobs.dispatch`). */
    route: string;
    /** What on the route is exercised: `direct`, `shadow copy`, `via sink`, `routing key ...`, `rejected`. */
    path: string;
    /** `kafka` (Kafka or KoP), `pulsar`, `pulsar->kafka` (through a sink), `amqp`. */
    protocol: string;
    /** `kafka`, `pulsar`, `pulsar->kafka`, `rabbitmq`. */
    broker: string;
    /** Where messages are consumed: a topic (as the consuming client names it) or a queue. */
    target: string;
    status: ProbeStatus;
    /** Why a probe failed or was not run. */
    reason?: string;
    /** Set on rows not run only because pulsar-client is missing (`--allow-missing-native` accepts those). */
    pulsarClientMissing?: boolean;
    /** Latencies of the timed messages that arrived, in ms. */
    latenciesMs: number[];
    sent: number;
    received: number;
    /**
     * A hop not held to the routing target (the archive, written at Connect's offset commits; an edge site's
     * replication, over a remote link); `detail` says what was seen.
     */
    untimed?: true;
    detail?: string;
}

export interface SmokeReport {
    stack: string;
    phase: PhaseId;
    runId: string;
    messages: number;
    timeoutMs: number;
    results: ProbeResult[];
    /** Run-wide remarks (e.g. why pulsar-client could not be loaded). */
    notes: string[];
}

/** Nearest-rank percentile (the smallest value with at least p% of the values at or below it); undefined when empty. */
export function percentile(values: readonly number[], p: number): number | undefined {
    if (values.length === 0) {
        return undefined;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
    return sorted[rank - 1];
}

/**
 * 0: every row passed (with `allowMissingNative`, rows not run only because pulsar-client is missing count as fine);
 * 1: a row failed or was not run. (2, bad usage or config, never gets this far.)
 */
export function exitCode(results: readonly ProbeResult[], allowMissingNative: boolean): 0 | 1 {
    const fine = (r: ProbeResult) => r.status === "passed" || (r.status === "not run" && allowMissingNative && r.pulsarClientMissing === true);
    return results.every(fine) ? 0 : 1;
}

const ms = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(1)} ms`);

function targetVerdict(r: ProbeResult): string {
    const p99 = percentile(r.latenciesMs, 99);
    if (r.status !== "passed" || p99 === undefined || r.untimed) {
        return "-";
    }
    return p99 <= ROUTING_TARGET_MS ? "within" : `over by ${(p99 - ROUTING_TARGET_MS).toFixed(1)} ms`;
}

function resultText(r: ProbeResult): string {
    if (r.status === "passed") {
        return r.untimed ? `passed: ${r.detail ?? "seen"}` : `passed ${r.received - 1}/${r.sent - 1}`;
    }
    return `${r.status}: ${r.reason ?? "no reason given"}`;
}

export function table(rows: string[][]): string {
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

export function renderText(report: SmokeReport, allowMissingNative: boolean): string {
    const rows = report.results.map((r) => [
        r.route,
        r.path,
        r.protocol,
        r.broker,
        r.target,
        ms(percentile(r.latenciesMs, 50)),
        ms(percentile(r.latenciesMs, 99)),
        targetVerdict(r),
        resultText(r),
    ]);
    const count = (s: ProbeStatus) => report.results.filter((r) => r.status === s).length;
    const passed = report.results.filter((r) => r.status === "passed" && !r.untimed);
    const within = passed.filter((r) => targetVerdict(r) === "within").length;
    const code = exitCode(report.results, allowMissingNative);
    return [
        `smoke test of stack ${report.stack}, phase ${describePhase(report.phase)}, run ${report.runId}: ` +
            `${report.messages} timed messages per route (after 1 warm-up), timeout ${report.timeoutMs} ms per message`,
        "",
        table([["route", "path", "protocol", "broker", "topic / queue", "p50", "p99", `p99 vs ${ROUTING_TARGET_MS} ms`, "result"], ...rows]),
        "",
        `${count("passed")} passed, ${count("failed")} failed, ${count("not run")} not run; ` +
            `${within} of ${passed.length} passed routes within the ${ROUTING_TARGET_MS} ms routing target (seed 000, p99)`,
        ...report.notes.map((n) => `note: ${n}`),
        `exit ${code}${code === 0 ? "" : ": not every route passed"}`,
        "",
    ].join("\n");
}

export function renderJson(report: SmokeReport, allowMissingNative: boolean): string {
    const json = {
        ...report,
        routingTargetMs: ROUTING_TARGET_MS,
        results: report.results.map((r) => ({ ...r, p50Ms: percentile(r.latenciesMs, 50) ?? null, p99Ms: percentile(r.latenciesMs, 99) ?? null })),
        exitCode: exitCode(report.results, allowMissingNative),
    };
    return `${JSON.stringify(json, null, 2)}\n`;
}
