/**
 * Observability: Prometheus-operator objects (`monitoring.coreos.com/v1`) for the brokers and the orchestrator, and
 * the alerts the migration needs watched: Kafka consumer lag, Pulsar backlog, offload failures, RabbitMQ queue depth.
 * Which alerts exist follows the topology (no backlog alert without Pulsar, no offload alert without offload...).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../topology";
import { brokerSelector } from "./pulsar-cluster";

export const MONITORING_API = "monitoring.coreos.com/v1";

export interface AlertThresholds {
    /** Kafka consumer-group lag (messages) that pages after 10 minutes. */
    kafkaConsumerLag: number;
    /** Pulsar backlog per topic (messages) that pages after 10 minutes. */
    pulsarBacklog: number;
    /** Ready messages in a control-plane queue that page after 10 minutes. */
    rabbitQueueDepth: number;
}

export interface ObservabilityArgs {
    /** The planned topology; nothing is created unless `observability.enabled`. */
    topology: Topology;
    /**
     * Alert thresholds.
     * @default { kafkaConsumerLag: 10000, pulsarBacklog: 100000, rabbitQueueDepth: 1000 }
     */
    thresholds?: AlertThresholds;
    /**
     * Label the Prometheus instance selects monitors and rules by (its `*Selector`).
     * @default { release: "prometheus" }
     */
    selectorLabels?: Record<string, string>;
    /**
     * Scrape interval.
     * @default "30s"
     */
    interval?: string;
}

/** Every default of the args, in one place. */
export const OBSERVABILITY_DEFAULTS = {
    thresholds: { kafkaConsumerLag: 10_000, pulsarBacklog: 100_000, rabbitQueueDepth: 1_000 },
    selectorLabels: { release: "prometheus" },
    interval: "30s",
} as const;

interface Rule {
    alert: string;
    expr: string;
    for: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
}

function escapeRegex(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The alert rules for a topology. Pure; exported for testing. */
export function alertRules(topology: Topology, t: AlertThresholds): { name: string; rules: Rule[] }[] {
    const groups: { name: string; rules: Rule[] }[] = [];
    const page = (severity: "warning" | "critical") => ({ severity, "app.kubernetes.io/part-of": "messaging-platform" });
    if (topology.kafka) {
        const topics = topology.kafka.topics.map((x) => escapeRegex(x.name)).join("|");
        groups.push({
            name: "kafka",
            rules: [
                {
                    alert: "KafkaConsumerLagHigh",
                    // kafka_consumergroup_lag: kafka-exporter's per-partition lag metric.
                    expr: `sum by (consumergroup, topic) (kafka_consumergroup_lag{topic=~"${topics}"}) > ${t.kafkaConsumerLag}`,
                    for: "10m",
                    labels: page("warning"),
                    annotations: { summary: "Kafka consumer group {{ $labels.consumergroup }} lags {{ $value }} messages on {{ $labels.topic }}" },
                },
            ],
        });
    }
    if (topology.pulsar) {
        const rules: Rule[] = [
            {
                alert: "PulsarBacklogHigh",
                // pulsar_msg_backlog: broker topic metric (exposeTopicLevelMetricsInPrometheus, on in the chart).
                expr: `sum by (namespace, topic) (pulsar_msg_backlog) > ${t.pulsarBacklog}`,
                for: "10m",
                labels: page("warning"),
                annotations: { summary: "Pulsar topic {{ $labels.topic }} has a backlog of {{ $value }} messages" },
            },
        ];
        if (topology.offload) {
            rules.push({
                alert: "PulsarOffloadFailing",
                // brk_ledgeroffloader_offload_error: LedgerOffloaderStats, per topic.
                expr: "sum by (namespace, topic) (increase(brk_ledgeroffloader_offload_error[15m])) > 0",
                for: "15m",
                labels: page("critical"),
                annotations: {
                    summary: `Offload to ${topology.offload.driver} bucket ${topology.offload.bucket} fails for {{ $labels.topic }}; bookies keep filling`,
                },
            });
        }
        groups.push({ name: "pulsar", rules });
    }
    const queues = topology.rabbitmq.queues.map((q) => escapeRegex(q.name)).join("|");
    groups.push({
        name: "rabbitmq",
        rules: [
            {
                alert: "RabbitQueueDepthHigh",
                // rabbitmq_queue_messages_ready: rabbitmq_prometheus per-object metric.
                expr: `sum by (vhost, queue) (rabbitmq_queue_messages_ready{vhost="${topology.rabbitmq.vhost}", queue=~"${queues}"}) > ${t.rabbitQueueDepth}`,
                for: "10m",
                labels: page("warning"),
                annotations: { summary: "RabbitMQ queue {{ $labels.queue }} holds {{ $value }} ready messages" },
            },
        ],
    });
    return groups;
}

export class Observability extends pulumi.ComponentResource {
    /** Names of the alert rules. */
    readonly alerts: pulumi.Output<string[]>;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:observability:Observability", name, {}, opts);
        const { topology } = args;
        const thresholds = args.thresholds ?? { ...OBSERVABILITY_DEFAULTS.thresholds };
        const selectorLabels = args.selectorLabels ?? { ...OBSERVABILITY_DEFAULTS.selectorLabels };
        const interval = args.interval ?? OBSERVABILITY_DEFAULTS.interval;
        const namespace = topology.kubernetes.namespace;
        const labels = { ...selectorLabels, "app.kubernetes.io/part-of": "messaging-platform" };
        const groups = topology.observability.enabled ? alertRules(topology, thresholds) : [];

        if (topology.observability.enabled) {
            if (topology.pulsar) {
                new k8s.apiextensions.CustomResource(
                    `${name}-brokers`,
                    {
                        apiVersion: MONITORING_API,
                        kind: "PodMonitor",
                        metadata: { name: "pulsar-brokers", namespace, labels },
                        spec: {
                            selector: { matchLabels: brokerSelector(topology.pulsar) },
                            podMetricsEndpoints: [{ port: "http", path: "/metrics/", interval }],
                        },
                    },
                    { parent: this },
                );
            }
            if (topology.deployments.length > 0) {
                new k8s.apiextensions.CustomResource(
                    `${name}-orchestrator`,
                    {
                        apiVersion: MONITORING_API,
                        kind: "ServiceMonitor",
                        metadata: { name: "orchestrator", namespace, labels },
                        spec: {
                            selector: { matchLabels: { "app.kubernetes.io/component": "orchestrator" } },
                            endpoints: [{ port: "http", path: "/metrics", interval }],
                        },
                    },
                    { parent: this },
                );
            }
            new k8s.apiextensions.CustomResource(
                `${name}-alerts`,
                {
                    apiVersion: MONITORING_API,
                    kind: "PrometheusRule",
                    metadata: { name: "messaging-platform", namespace, labels },
                    spec: { groups },
                },
                { parent: this },
            );
        }
        this.alerts = pulumi.output(groups.flatMap((g) => g.rules.map((r) => r.alert)));
        this.registerOutputs({ alerts: this.alerts });
    }
}
