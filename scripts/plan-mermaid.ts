/**
 * Mermaid flowcharts of planned topologies (`npm run plan -- --format mermaid`), drawn like the seeds' diagrams:
 * brokers as subgraphs holding their topics, services as nodes, edges for produce/consume/sink, and a legend.
 *
 * Both renderings go through one graph model (`topologyGraph`): `renderMermaid` draws one phase; `renderMermaidChange`
 * (`--from M`) draws the union of the two phases with what the bump adds, removes and changes styled, so the
 * diagram of a bump says what the text diff says.
 */
import { describePhase, type Broker, type Topology, type TopologyDiff } from "../topology";

const CLASSES: Record<string, string> = {
    service: "fill:#1f78b4,stroke:#0b3a66,color:#ffffff",
    kafka: "fill:#ff7f00,stroke:#b35400,color:#000000",
    pulsar: "fill:#33a02c,stroke:#1b5e20,color:#ffffff",
    control: "fill:#e31a1c,stroke:#74110b,color:#ffffff",
    storage: "fill:#6a3d9a,stroke:#3b1f4d,color:#ffffff",
};

/** Styles of a change, drawn over the kind's fill. */
const CHANGE_CLASSES: Record<Change, string> = {
    added: "stroke:#00c853,stroke-width:4px",
    removed: "stroke:#d50000,stroke-width:4px,stroke-dasharray:6 4,opacity:0.6",
    changed: "stroke:#ffd600,stroke-width:4px",
};
const CHANGE_LINKS: Record<Change, string> = {
    added: "stroke:#00c853,stroke-width:3px",
    removed: "stroke:#d50000,stroke-width:2px,stroke-dasharray:6 4",
    changed: "stroke:#ffd600,stroke-width:3px",
};

type Change = "added" | "removed" | "changed";

/** Mermaid node ids: letters, digits and underscores only. */
function id(prefix: string, name: string): string {
    return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Labels are quoted; quotes inside would end them. */
function label(text: string): string {
    return `"${text.replace(/"/g, "'")}"`;
}

interface GraphNode {
    id: string;
    /** `[label]`, `{{label}}`, `[(label)]`: the node's text with its shape. */
    shape: string;
    kind: keyof typeof CLASSES;
    /** The subgraph path it sits in, outermost first (each entry `id[label]`). */
    groups: string[];
    /** What identifies its settings: a different fingerprint in two phases is a change. */
    fingerprint: string;
}

interface GraphEdge {
    from: string;
    to: string;
    /** `-->`, `-->|KoP|`, `-. label .->` ... */
    arrow: string;
}

interface Graph {
    nodes: Map<string, GraphNode>;
    edges: Map<string, GraphEdge>;
}

const edgeKey = (e: GraphEdge) => `${e.from} ${e.arrow} ${e.to}`;

/** Every node and edge of one planned phase. Pure. */
export function topologyGraph(t: Topology): Graph {
    const nodes = new Map<string, GraphNode>();
    const edges = new Map<string, GraphEdge>();
    const node = (n: GraphNode) => nodes.set(n.id, n);
    const edge = (e: GraphEdge) => edges.set(edgeKey(e), e);
    const topicNode = (broker: Broker, topic: string) => id(broker === "kafka" ? "k" : "p", topic);

    if (t.kafka) {
        const group = `Kafka[${label(`Kafka (${t.kafka.provider})`)}]`;
        t.kafka.topics.forEach((x) => node({ id: topicNode("kafka", x.name), shape: `[${label(x.name)}]`, kind: "kafka", groups: [group], fingerprint: JSON.stringify(x) }));
    }
    if (t.pulsar) {
        const group = `Pulsar[${label(t.pulsar.clusterName ? `Pulsar ${t.pulsar.version} (${t.pulsar.clusterName})` : `Pulsar ${t.pulsar.version} + KoP`)}]`;
        for (const ns of t.pulsar.namespaces) {
            const nsGroup = `${id("ns", ns.name)}[${label(ns.name)}]`;
            const topics = t.pulsar.topics.filter((x) => x.namespace === ns.name);
            topics.forEach((x) =>
                node({ id: topicNode("pulsar", x.name), shape: `[${label(x.name.split("/").pop() ?? x.name)}]`, kind: "pulsar", groups: [group, nsGroup], fingerprint: JSON.stringify(x) }),
            );
            if (topics.length === 0) {
                node({ id: id("empty", ns.name), shape: `[${label("(no topics yet)")}]`, kind: "pulsar", groups: [group, nsGroup], fingerprint: JSON.stringify(ns) });
            }
        }
    }
    if (t.offload) {
        const bucket = id("bucket", t.offload.bucket);
        node({ id: bucket, shape: `[(${label(`${t.offload.driver}: ${t.offload.bucket}`)})]`, kind: "storage", groups: [], fingerprint: JSON.stringify(t.offload) });
        edge({ from: "Pulsar", to: bucket, arrow: "-. offload .->" });
    }
    const services = new Set<string>();
    for (const r of t.routes) {
        for (const e of r.produce) {
            for (const svc of r.producers) {
                services.add(svc);
                edge({ from: id("s", svc), to: topicNode(e.broker, e.topic), arrow: e.protocol !== e.broker ? "-->|KoP|" : "-->" });
            }
        }
        for (const c of r.consume) {
            services.add(c.service);
            edge({ from: topicNode(c.broker, c.topic), to: id("s", c.service), arrow: c.protocol !== c.broker ? "-->|KoP|" : "-->" });
        }
        const sink = t.sinks.find((s) => s.name === r.sink);
        if (sink) {
            edge({ from: topicNode("pulsar", sink.input), to: topicNode("kafka", sink.kafkaTopic), arrow: `-. ${label(`sink ${sink.name}`)} .->` });
        }
    }
    for (const f of t.functions) {
        node({ id: id("f", f.name), shape: `{{${label(`Pulsar Function ${f.name}`)}}}`, kind: "pulsar", groups: [], fingerprint: JSON.stringify(f) });
        f.inputs.forEach((i) => edge({ from: topicNode("pulsar", i), to: id("f", f.name), arrow: "-->" }));
        edge({ from: id("f", f.name), to: topicNode("pulsar", f.output), arrow: "-->" });
    }
    // Seed 004's "Edge ingest -> central ETL": each accepted edge site replicates its telemetry into central's topic.
    const ingest = t.pulsar?.topics.find((x) => x.stream === "telescope-telemetry");
    for (const site of t.edgePairing?.sites ?? []) {
        const siteNode = id("edge", site.name);
        node({ id: siteNode, shape: `[${label(`Edge site ${site.name} (${site.clusterName})`)}]`, kind: "pulsar", groups: [], fingerprint: JSON.stringify(site) });
        if (ingest) {
            edge({ from: siteNode, to: topicNode("pulsar", ingest.name), arrow: `-. ${label("geo-replication, mTLS")} .->` });
        }
    }
    // An edge site's own plan: its replicated namespace goes to central.
    for (const ns of t.pulsar?.namespaces.filter((n) => n.geoReplicationRefs) ?? []) {
        node({ id: "central", shape: `[${label("Central Pulsar")}]`, kind: "pulsar", groups: [], fingerprint: "" });
        t.pulsar?.topics.filter((x) => x.namespace === ns.name).forEach((x) => edge({ from: topicNode("pulsar", x.name), to: "central", arrow: `-. ${label("geo-replication, mTLS")} .->` }));
    }
    // The control-event mirror: control.audit -> the audit bridge -> audit-trail where its producers write.
    if (t.auditBridge) {
        const bridge = id("s", t.auditBridge.service);
        services.add(t.auditBridge.service);
        edge({ from: id("q", t.auditBridge.queue), to: bridge, arrow: "-->" });
    }
    // The archive: its connector reads the archived Kafka topics into its bucket.
    if (t.archive) {
        const bucket = id("bucket", t.archive.bucket.name);
        node({ id: bucket, shape: `[(${label(`archive ${t.archive.bucket.store}: ${t.archive.bucket.name}`)})]`, kind: "storage", groups: [], fingerprint: JSON.stringify(t.archive.bucket) });
        edge({ from: id("s", t.archive.connector), to: bucket, arrow: `-->|${label(t.archive.runtime)}|` });
    }
    for (const svc of [...services].sort()) {
        const deployment = t.deployments.find((d) => d.service === svc);
        node({
            id: id("s", svc),
            shape: `[${label(deployment ? `${svc} (deployment)` : svc)}]`,
            kind: "service",
            groups: [],
            fingerprint: deployment ? JSON.stringify(deployment) : "",
        });
    }
    const rabbit = `RabbitMQ[${label(`RabbitMQ vhost ${t.rabbitmq.vhost}`)}]`;
    t.rabbitmq.queues.forEach((q) => node({ id: id("q", q.name), shape: `[${label(q.name)}]`, kind: "control", groups: [rabbit], fingerprint: JSON.stringify(q) }));
    return { nodes, edges };
}

interface Level {
    nodes: GraphNode[];
    children: Map<string, Level>;
}

/** Nodes nested into their subgraphs, in first-seen order. */
function renderNodes(nodes: GraphNode[]): string[] {
    const root: Level = { nodes: [], children: new Map() };
    for (const n of nodes) {
        let level = root;
        for (const g of n.groups) {
            const next = level.children.get(g) ?? { nodes: [], children: new Map() };
            level.children.set(g, next);
            level = next;
        }
        level.nodes.push(n);
    }
    const lines: string[] = [];
    const emit = (level: Level, indent: string) => {
        for (const [g, child] of level.children) {
            lines.push(`${indent}subgraph ${g}`);
            emit(child, `${indent}  `);
            lines.push(`${indent}end`);
        }
        for (const n of level.nodes) {
            lines.push(`${indent}${n.id}${n.shape}:::${n.kind}`);
        }
    };
    emit(root, "  ");
    return lines;
}

function legend(changes: boolean): string[] {
    const lines = ["  subgraph Legend[Legend]", "    direction TB"];
    lines.push(`    L_service[${label("service")}]:::service`);
    lines.push(`    L_kafka[${label("Kafka topic")}]:::kafka`);
    lines.push(`    L_pulsar[${label("Pulsar topic / function")}]:::pulsar`);
    lines.push(`    L_control[${label("RabbitMQ queue")}]:::control`);
    lines.push(`    L_storage[${label("offload bucket")}]:::storage`);
    if (changes) {
        lines.push(`    L_added[${label("added by the bump")}]:::service`);
        lines.push(`    L_removed[${label("removed by the bump")}]:::service`);
        lines.push(`    L_changed[${label("changed by the bump")}]:::service`);
    }
    lines.push("  end");
    return lines;
}

function classDefs(changes: boolean): string[] {
    const defs = Object.entries(CLASSES).map(([name, style]) => `  classDef ${name} ${style}`);
    if (changes) {
        defs.push(...Object.entries(CHANGE_CLASSES).map(([name, style]) => `  classDef ${name} ${style}`));
    }
    return defs;
}

export function renderMermaid(t: Topology): string {
    const g = topologyGraph(t);
    const lines = ["flowchart LR", `  %% phase ${describePhase(t.phase)}, environment ${t.environment}`];
    lines.push(...renderNodes([...g.nodes.values()]));
    lines.push(...[...g.edges.values()].map((e) => `  ${e.from} ${e.arrow} ${e.to}`));
    lines.push(...legend(false), ...classDefs(false));
    return `${lines.join("\n")}\n`;
}

/**
 * The bump `before -> after` as one diagram: the union of both phases' nodes and edges, each added, removed or
 * changed one styled (a legend says which style is which). Pure.
 */
export function renderMermaidChange(before: Topology, after: Topology, diff: TopologyDiff): string {
    const a = topologyGraph(before);
    const b = topologyGraph(after);
    const nodeChange = (nodeId: string): Change | undefined => {
        const was = a.nodes.get(nodeId);
        const now = b.nodes.get(nodeId);
        return !was ? "added" : !now ? "removed" : was.fingerprint !== now.fingerprint ? "changed" : undefined;
    };
    const nodes = [...b.nodes.values(), ...[...a.nodes.values()].filter((n) => !b.nodes.has(n.id))];
    const lines = [
        "flowchart LR",
        `  %% phase ${describePhase(diff.from)} -> ${describePhase(diff.to)}, environment ${after.environment}: ` +
            `${diff.streams.length} stream${diff.streams.length === 1 ? "" : "s"} change state`,
    ];
    lines.push(...renderNodes(nodes));
    const edges: { e: GraphEdge; change?: Change }[] = [
        ...[...b.edges.entries()].map(([k, e]) => ({ e, ...(a.edges.has(k) ? {} : { change: "added" as const }) })),
        ...[...a.edges.entries()].filter(([k]) => !b.edges.has(k)).map(([, e]) => ({ e, change: "removed" as const })),
    ];
    edges.forEach(({ e }) => lines.push(`  ${e.from} ${e.arrow} ${e.to}`));
    edges.forEach(({ change }, i) => {
        if (change) {
            lines.push(`  linkStyle ${i} ${CHANGE_LINKS[change]}`);
        }
    });
    lines.push(...legend(true), ...classDefs(true));
    // A node takes one `:::class`; the change is a second class, given with `class` statements.
    for (const change of ["added", "removed", "changed"] as const) {
        const ids = nodes.filter((n) => nodeChange(n.id) === change).map((n) => n.id);
        lines.push(`  class ${[...ids, `L_${change}`].join(",")} ${change}`);
    }
    return `${lines.join("\n")}\n`;
}
