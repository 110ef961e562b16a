/**
 * Observability guard rails: an alert fires only if something produces the series it reads. Each metric an alert
 * rule names must have a producer the stack deploys and Prometheus scrapes:
 *
 * - `kafka_consumergroup_*`: kafka_exporter (danielqsj/kafka-exporter), with a ServiceMonitor selecting its Service;
 *   Kafka consumer groups are not in any broker's own metrics (and KoP's groups are not Pulsar subscriptions).
 * - `pulsar_*`, `brk_*`: the brokers, through a PodMonitor selecting the broker pods or the chart's own PodMonitor.
 * - `rabbitmq_queue_*` per queue: the rabbitmq_prometheus plugin's `/metrics/per-object` (or `/metrics/detailed`)
 *   endpoint: the default `/metrics` aggregates per node unless `prometheus.return_per_object_metrics` is set, which
 *   defaults to false (rabbitmq.com/docs/prometheus).
 */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { list, ofType, record } from "./common";
import { pulsarValues, stackPods } from "./pods";
import { SERVICE_TYPE } from "./connectivity";
import { selects } from "./workloads";

export const PROMETHEUS_RULE_TYPE = "kubernetes:monitoring.coreos.com/v1:PrometheusRule";
export const SERVICE_MONITOR_TYPE = "kubernetes:monitoring.coreos.com/v1:ServiceMonitor";
export const POD_MONITOR_TYPE = "kubernetes:monitoring.coreos.com/v1:PodMonitor";
export const SCRAPE_CONFIG_TYPE = "kubernetes:monitoring.coreos.com/v1alpha1:ScrapeConfig";

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan"]);

/**
 * The metric names a PromQL expression reads: the identifiers left once strings, label matchers (`{...}`), ranges
 * (`[...]`), label lists (`by (...)`, `on (...)`...) and function calls are taken out. Pure; exported for testing.
 */
export function metricsOf(expr: string): string[] {
    const bare = expr
        .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, " ")
        .replace(/\{[^}]*\}/g, " ")
        .replace(/\[[^\]]*\]/g, " ")
        .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ");
    const names = [...bare.matchAll(/(?<![\w.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:]|\s*\()/g)].map((m) => m[1] as string);
    return [...new Set(names.filter((n) => !PROMQL_WORDS.has(n.toLowerCase())))];
}

type Producer = "kafka-exporter" | "pulsar-brokers" | "rabbitmq-per-object";

/** Which producer a metric needs, or undefined for a metric this pack knows no producer of. */
export function producerOf(metric: string): Producer | undefined {
    if (metric.startsWith("kafka_consumergroup_") || metric.startsWith("kafka_topic_")) {
        return "kafka-exporter";
    }
    if (metric.startsWith("pulsar_") || metric.startsWith("brk_")) {
        return "pulsar-brokers";
    }
    if (metric.startsWith("rabbitmq_queue_")) {
        return "rabbitmq-per-object";
    }
    return undefined;
}

/** The producers a stack deploys and scrapes. Exported for testing. */
export function producers(resources: PolicyResource[]): Set<Producer> {
    const found = new Set<Producer>();
    const serviceMonitors = ofType(resources, SERVICE_MONITOR_TYPE);
    const exporterServices = ofType(resources, SERVICE_TYPE).filter((s) => {
        const selector = record(record(s.props.spec)?.selector) ?? {};
        return stackPods(resources).some(
            (v) => (v.pod.containers ?? []).some((c) => /kafka[-_]exporter/.test(c.image ?? "")) && Object.keys(selector).length > 0 && selects({ matchLabels: selector }, v.labels),
        );
    });
    if (exporterServices.some((s) => serviceMonitors.some((m) => selects(record(m.props.spec)?.selector, record(record(s.props.metadata)?.labels) ?? {})))) {
        found.add("kafka-exporter");
    }
    const brokerLabels = { app: "pulsar", component: "broker" };
    const podMonitors = ofType(resources, POD_MONITOR_TYPE);
    const chartMonitor = resources.some((r) => record(record(pulsarValues(r)?.broker)?.podMonitor)?.enabled === true);
    if (chartMonitor || podMonitors.some((m) => selects(record(m.props.spec)?.selector, { ...brokerLabels, release: "pulsar" }))) {
        found.add("pulsar-brokers");
    }
    const perObject = (path: unknown) => path === "/metrics/per-object" || path === "/metrics/detailed";
    const scraped = [
        ...ofType(resources, SCRAPE_CONFIG_TYPE).map((s) => record(s.props.spec)?.metricsPath),
        ...[...serviceMonitors, ...podMonitors].flatMap((m) => [...list(record(m.props.spec)?.endpoints), ...list(record(m.props.spec)?.podMetricsEndpoints)].map((e) => record(e)?.path)),
    ];
    if (scraped.some(perObject)) {
        found.add("rabbitmq-per-object");
    }
    return found;
}

const HOW: Record<Producer, string> = {
    "kafka-exporter": "deploy kafka_exporter for the cluster with a ServiceMonitor (observability lag exporters)",
    "pulsar-brokers": "scrape the broker pods (a PodMonitor on app=pulsar,component=broker)",
    "rabbitmq-per-object": "scrape RabbitMQ's /metrics/per-object endpoint: /metrics aggregates per node by default",
};

export function alertsHaveProducers(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "alerts-have-producers",
        description: "Every metric an alert rule reads is produced by something the stack deploys and scrapes, so the alert can fire.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const have = producers(args.resources);
            for (const rule of ofType(args.resources, PROMETHEUS_RULE_TYPE)) {
                for (const group of list(record(rule.props.spec)?.groups)) {
                    for (const r of list(record(group)?.rules)) {
                        const alert = String(record(r)?.alert ?? record(r)?.record ?? "?");
                        for (const metric of metricsOf(String(record(r)?.expr ?? ""))) {
                            const producer = producerOf(metric);
                            if (producer === undefined) {
                                report(`alert ${alert}: reads ${metric}, which nothing this pack knows of produces`, rule.urn);
                            } else if (!have.has(producer)) {
                                report(`alert ${alert}: reads ${metric}, but nothing produces it: ${HOW[producer]}; the alert can never fire`, rule.urn);
                            }
                        }
                    }
                }
            }
        },
    };
}

export function observabilityPolicies(level: EnforcementLevel): StackValidationPolicy[] {
    return [alertsHaveProducers(level)];
}
