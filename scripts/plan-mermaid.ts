/**
 * A Mermaid flowchart of a planned topology (`npm run plan -- --format mermaid`), drawn like the seeds' diagrams:
 * brokers as subgraphs holding their topics, services as nodes, edges for produce/consume/sink, and a legend.
 */
import { describePhase, type Broker, type Topology } from "../topology";

const CLASSES: Record<string, string> = {
    service: "fill:#1f78b4,stroke:#0b3a66,color:#ffffff",
    kafka: "fill:#ff7f00,stroke:#b35400,color:#000000",
    pulsar: "fill:#33a02c,stroke:#1b5e20,color:#ffffff",
    control: "fill:#e31a1c,stroke:#74110b,color:#ffffff",
    storage: "fill:#6a3d9a,stroke:#3b1f4d,color:#ffffff",
};

/** Mermaid node ids: letters, digits and underscores only. */
function id(prefix: string, name: string): string {
    return `${prefix}_${name.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** Labels are quoted; quotes inside would end them. */
function label(text: string): string {
    return `"${text.replace(/"/g, "'")}"`;
}

export function renderMermaid(t: Topology): string {
    const lines: string[] = ["flowchart LR", `  %% phase ${describePhase(t.phase)}, environment ${t.environment}`];
    const topicNode = (broker: Broker, topic: string) => id(broker === "kafka" ? "k" : "p", topic);
    const services = new Set<string>();

    if (t.kafka) {
        lines.push(`  subgraph Kafka[${label(`Kafka (${t.kafka.provider})`)}]`);
        t.kafka.topics.forEach((x) => lines.push(`    ${topicNode("kafka", x.name)}[${label(x.name)}]:::kafka`));
        lines.push("  end");
    }
    if (t.pulsar) {
        lines.push(`  subgraph Pulsar[${label(`Pulsar ${t.pulsar.version} + KoP`)}]`);
        for (const ns of t.pulsar.namespaces) {
            const topics = t.pulsar.topics.filter((x) => x.namespace === ns.name);
            lines.push(`    subgraph ${id("ns", ns.name)}[${label(ns.name)}]`);
            topics.forEach((x) => lines.push(`      ${topicNode("pulsar", x.name)}[${label(x.name.split("/").pop() ?? x.name)}]:::pulsar`));
            if (topics.length === 0) {
                lines.push(`      ${id("empty", ns.name)}[${label("(no topics yet)")}]:::pulsar`);
            }
            lines.push("    end");
        }
        lines.push("  end");
    }
    if (t.offload) {
        lines.push(`  ${id("bucket", t.offload.bucket)}[(${label(`${t.offload.driver}: ${t.offload.bucket}`)})]:::storage`);
        lines.push(`  Pulsar -. offload .-> ${id("bucket", t.offload.bucket)}`);
    }

    for (const r of t.routes) {
        for (const e of r.produce) {
            const via = e.protocol !== e.broker ? "|KoP|" : "";
            for (const svc of r.producers) {
                services.add(svc);
                lines.push(`  ${id("s", svc)} -->${via} ${topicNode(e.broker, e.topic)}`);
            }
        }
        for (const c of r.consume) {
            services.add(c.service);
            const via = c.protocol !== c.broker ? "|KoP|" : "";
            lines.push(`  ${topicNode(c.broker, c.topic)} -->${via} ${id("s", c.service)}`);
        }
        const sink = t.sinks.find((s) => s.name === r.sink);
        if (sink) {
            lines.push(`  ${topicNode("pulsar", sink.input)} -. ${label(`sink ${sink.name}`)} .-> ${topicNode("kafka", sink.kafkaTopic)}`);
        }
    }
    for (const f of t.functions) {
        lines.push(`  ${id("f", f.name)}{{${label(`Pulsar Function ${f.name}`)}}}:::pulsar`);
        f.inputs.forEach((i) => lines.push(`  ${topicNode("pulsar", i)} --> ${id("f", f.name)}`));
        lines.push(`  ${id("f", f.name)} --> ${topicNode("pulsar", f.output)}`);
    }
    for (const svc of [...services].sort()) {
        const deployed = t.deployments.some((d) => d.service === svc);
        lines.push(`  ${id("s", svc)}[${label(deployed ? `${svc} (deployment)` : svc)}]:::service`);
    }

    lines.push(`  subgraph RabbitMQ[${label(`RabbitMQ vhost ${t.rabbitmq.vhost}`)}]`);
    t.rabbitmq.queues.forEach((q) => lines.push(`    ${id("q", q.name)}[${label(q.name)}]:::control`));
    lines.push("  end");

    lines.push("  subgraph Legend[Legend]");
    lines.push("    direction TB");
    lines.push(`    L_service[${label("service")}]:::service`);
    lines.push(`    L_kafka[${label("Kafka topic")}]:::kafka`);
    lines.push(`    L_pulsar[${label("Pulsar topic / function")}]:::pulsar`);
    lines.push(`    L_control[${label("RabbitMQ queue")}]:::control`);
    lines.push(`    L_storage[${label("offload bucket")}]:::storage`);
    lines.push("  end");
    for (const [name, style] of Object.entries(CLASSES)) {
        lines.push(`  classDef ${name} ${style}`);
    }
    return `${lines.join("\n")}\n`;
}
