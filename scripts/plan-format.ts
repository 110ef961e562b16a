/** Text rendering of a planned topology and of a phase diff, for `npm run plan`. */
import { describePhase, type EdgeSitePlan, type Topology, type TopologyDiff } from "../topology";

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
              `${t.pulsar.tenants.length} tenants, ${t.pulsar.namespaces.length} namespaces, ${t.pulsar.topics.length} topics ` +
              `(${t.pulsar.topics.filter((x) => x.creation === "automatic").length} created on first use in the tenants' namespaces), ` +
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
    const b = t.auditBridge;
    out.push(`audit bridge: ${b ? `${b.queue} -> ${b.destinations.map((d) => `${d.name} ${d.topic}`).join(" + ")} (x${b.deployment.replicas}; dead letters to ${b.deadLetterQueue})` : "none"}`);
    const a = t.archive;
    out.push(`archive: ${a ? `${a.connector} (${a.runtime}: ${a.reason}) reads ${a.topics.join(", ")} into ${a.bucket.store} ${a.bucket.name}/${a.bucket.prefix}; dead letters ${a.deadLetterTopic?.name ?? "dlq-<connector id> (managed)"}; lag: group ${a.consumerGroup}` : "none"}`);
    const e = t.edgePairing;
    out.push(
        `edge sites: ${e ? e.sites.map((x) => `${x.name} (${x.clusterName}, stack ${x.stack}, role ${x.replicatorRole})`).join(", ") + ` via ${e.endpoint}` : t.edgePairingOff ? `not paired in this phase: ${t.edgePairingOff}` : "none"}`,
    );
    return `${out.join("\n")}\n`;
}

/** An edge site's plan (`npm run plan -- --edge <site>`). */
export function renderEdgeSite(p: EdgeSitePlan, note?: string): string {
    const t = p.topology;
    const pulsar = t.pulsar;
    const out: string[] = [];
    out.push(`edge site ${p.site} (Pulsar cluster ${p.clusterName})  environment ${t.environment}  central ${p.centralStack}`);
    out.push("");
    out.push(`pulsar: ${pulsar ? `${pulsar.mode} ${pulsar.version}, ${pulsar.brokers} brokers, ${pulsar.bookies} bookies, TLS ${pulsar.tls ? "on" : "off"}, token auth ${pulsar.tokenAuth ? "on" : "off"}` : "none"}`);
    for (const ns of pulsar?.namespaces ?? []) {
        const topics = pulsar?.topics.filter((x) => x.namespace === ns.name).map((x) => `${x.name} (${x.partitions} partitions)`) ?? [];
        out.push(`  ${ns.name}: retention ${ns.retentionTime}, buffer ${ns.backlogQuotaLimitSize} per partition (${ns.backlogQuotaRetentionPolicy}), TTL ${ns.messageTTL === "0s" ? "off" : ns.messageTTL}; ${topics.join(", ")}`);
    }
    const r = p.replication;
    out.push(
        r
            ? `replication: ${r.namespace} -> ${r.central.clusterName} at ${r.central.brokerServiceSecureURL}, mutual TLS as ${r.client.commonName} (${r.authPlugin})`
            : `replication: off: ${p.replicationOff ?? "not planned"} (the site buffers)`,
    );
    if (note) {
        out.push(note);
    }
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
    out.push(`roll back with the same three updates, starting: ${rollbackStart(d.from, stack)}`);
    out.push(`  then npm run handover, switch, npm run drain-check --wait, settle (README, "Bump a phase")`);
    return `${out.join("\n")}\n`;
}

/**
 * The first step of rolling a bump back to phase `from`: a rollback is a transition like any other, so it starts with
 * the prepare stage (topology/update.ts refuses a phase change of a settled stack without it).
 */
export function rollbackStart(from: number, stack: string): string {
    return `pulumi config set phase ${from} --stack ${stack} && pulumi config set transitionStage prepare --stack ${stack} && pulumi preview --stack ${stack}`;
}
