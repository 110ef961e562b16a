/** Text rendering of a planned topology and of a phase diff, for `npm run plan`. */
import { describePhase, type Topology, type TopologyDiff } from "../topology";

function table(rows: string[][]): string {
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
    return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd()).join("\n");
}

export function renderTopology(t: Topology): string {
    const out: string[] = [];
    out.push(`phase ${describePhase(t.phase)}  environment ${t.environment}  cloud ${t.cloud}`);
    out.push("");
    out.push(`kafka:  ${t.kafka ? `${t.kafka.provider}, ${t.kafka.topics.length} topics, ${t.kafka.acls.length} ACLs` : "none (decommissioned)"}`);
    out.push(
        `pulsar: ${t.pulsar
            ? `${t.pulsar.mode} ${t.pulsar.version} + KoP ${t.pulsar.kop.distribution} ${t.pulsar.kop.version}; ` +
              `${t.pulsar.tenants.length} tenants, ${t.pulsar.namespaces.length} namespaces, ${t.pulsar.topics.length} topics, ` +
              `${t.pulsar.permissions.length} permissions`
            : "none"}`,
    );
    out.push(`offload: ${t.offload ? `${t.offload.driver} ${t.offload.bucket} (${t.offload.thresholdBytes} B / ${t.offload.thresholdSeconds} s)` : "off"}`);
    out.push("");
    out.push("streams:");
    out.push(
        table([
            ["stream", "state", "produce", "consume", "sink", "gate"],
            ...t.routes.map((r) => [
                r.stream,
                r.state,
                r.produce.map((e) => `${e.broker}${e.protocol !== e.broker ? `(${e.protocol})` : ""}`).join("+"),
                [...new Set(r.consume.map((c) => `${c.broker}${c.protocol !== c.broker ? `(${c.protocol})` : ""}`))].join("+") || "-",
                r.sink ?? "-",
                r.gate ? `${r.gate.name}=${r.gate.approved}` : "-",
            ]),
        ]),
    );
    out.push("");
    out.push("orchestrator deployments:");
    for (const d of t.deployments) {
        const env = d.env.map((e) => ("value" in e ? `${e.name}=${e.value}` : "secretRef" in e ? `${e.name}=<secret ${e.secretRef.name}>` : `${e.name}=<${e.fromOutput}>`));
        out.push(`  ${d.service} x${d.replicas}: ${env.join(" ")}`);
    }
    out.push(`pulsar functions: ${t.functions.map((f) => f.name).join(", ") || "none"}`);
    out.push(`pulsar->kafka sinks: ${t.sinks.map((s) => s.name).join(", ") || "none"}`);
    out.push(`rabbitmq: vhost ${t.rabbitmq.vhost}, ${t.rabbitmq.queues.length} quorum queues, ${t.rabbitmq.users.length} users`);
    return `${out.join("\n")}\n`;
}

export function renderDiff(d: TopologyDiff, stack: string): string {
    const out: string[] = [];
    out.push(`phase ${describePhase(d.from)} -> ${describePhase(d.to)} (${d.to > d.from ? "bump" : d.to < d.from ? "rollback" : "no phase change"})`);
    out.push(`clusters: kafka ${d.clusters.kafka}, pulsar ${d.clusters.pulsar}`);
    out.push("");
    out.push("streams:");
    out.push(d.streams.length ? table([["stream", "from", "to"], ...d.streams.map((s) => [s.stream, s.from, s.to])]) : "  (no stream changes state)");
    out.push("");
    for (const a of d.areas) {
        if (!a.added.length && !a.removed.length && !a.changed.length) {
            continue;
        }
        out.push(`${a.area}:`);
        a.added.forEach((x) => out.push(`  + ${x}`));
        a.changed.forEach((x) => out.push(`  ~ ${x}`));
        a.removed.forEach((x) =>
            out.push(`  - ${x.id}${x.holdsData ? (x.retained ? "  [holds data: retained, left on the broker]" : "  [holds data: DELETED]") : ""}`),
        );
    }
    out.push("");
    out.push(`roll back with: pulumi config set phase ${d.from} --stack ${stack} && pulumi preview --stack ${stack}`);
    return `${out.join("\n")}\n`;
}
