/**
 * Observability: Prometheus-operator objects (`monitoring.coreos.com/v1`) for the brokers and the orchestrator, and
 * the alerts the migration needs watched: Kafka consumer lag, Pulsar backlog, offload failures, RabbitMQ queue depth.
 * Which alerts exist follows the topology (no backlog alert without Pulsar, no offload alert without offload...).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CA_MOUNT_PATH, PULSAR_CA_TRUST_SECRET, type LagExporterPlan, type Topology } from "../topology";
import { SECRETS_CHECKSUM_ANNOTATION, workloadChecksum } from "./credentials";
import { SCRAPE_NAMESPACE_LABEL } from "./orchestrator";
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
    /** The provisioned Kafka cluster's bootstrap servers, for a lag exporter planned with `{ fromOutput: "kafkaBootstrap" }`. */
    kafkaBootstrap?: pulumi.Input<string>;
    /** The content checksum of each Secret by name (ServiceCredentials.checksums): an exporter rolls when its login changes. */
    secretChecksums?: Record<string, pulumi.Input<string>>;
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

/**
 * The control-event mirror's lag: events wait in control.audit (ready, not yet taken) while the bridge is down or a
 * destination refuses it. Critical: audit continuity is mandatory (seed 002), and the queue is bounded (max-length with
 * reject-publish), so a backlog left to grow ends in refused control events.
 */
function auditBridgeBacklogRule(topology: Topology, b: NonNullable<Topology["auditBridge"]>, labels: Record<string, string>): Rule {
    return {
        alert: "AuditBridgeBacklog",
        expr: `sum by (vhost, queue) (rabbitmq_queue_messages_ready{vhost="${topology.rabbitmq.vhost}", queue="${b.queue}"}) > ${b.backlogAlert.threshold}`,
        for: b.backlogAlert.for,
        labels,
        annotations: {
            summary: `{{ $value }} control events wait in ${b.queue} for the audit bridge (to ${b.destinations.map((d) => `${d.name} ${d.topic}`).join(", ")}); dead-lettered ones are in ${b.deadLetterQueue}`,
        },
    };
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
                    // kafka_consumergroup_lag: kafka_exporter's per-partition lag. Each exporter replica reports the same
                    // partition (told apart by instance): the max per partition first, or the sum counts it twice.
                    expr: `sum by (consumergroup, topic) (max by (consumergroup, topic, partition) (kafka_consumergroup_lag{topic=~"${topics}"})) > ${t.kafkaConsumerLag}`,
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
            ...(topology.auditBridge ? [auditBridgeBacklogRule(topology, topology.auditBridge, page("critical"))] : []),
        ],
    });
    return groups;
}

/** The exporter's HTTP port (kafka_exporter's `--web.listen-address` default :9308). */
const EXPORTER_PORT = 9308;

/** kafka_exporter's arguments for a planned exporter (its README flag names); passwords come from env. Pure. */
export function lagExporterArgs(e: LagExporterPlan): string[] {
    const servers = Array.isArray(e.bootstrap) ? e.bootstrap : ["$(KAFKA_BOOTSTRAP)"];
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return [
        ...servers.flatMap((b) => b.split(",")).map((b) => `--kafka.server=${b}`),
        // Only the services' own groups and topics: a smoke test's or a developer's group must not page anyone.
        `--group.filter=^(${[...e.groups.map(escape), ...e.groupPrefixes.map((p) => `${escape(p)}.+`)].join("|")})$`,
        `--topic.filter=^(${e.topics.map(escape).join("|")})$`,
        ...(e.tls ? ["--tls.enabled", ...(e.caFile ? [`--tls.ca-file=${e.caFile}`] : [])] : []),
        ...(e.saslMechanism
            ? ["--sasl.enabled", `--sasl.mechanism=${e.saslMechanism}`, ...(e.username ? ["--sasl.username=$(KAFKA_SASL_USERNAME)", "--sasl.password=$(KAFKA_SASL_PASSWORD)"] : [])]
            : []),
    ];
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
            for (const e of topology.observability.lagExporters) {
                this.lagExporter(name, e, topology.observability.exporterImage, namespace, labels, selectorLabels, interval, args.kafkaBootstrap, args.secretChecksums);
            }
            const rabbit = topology.observability.rabbitmqMetrics;
            if (rabbit) {
                // The external broker's per-object endpoint, as a static target (prometheus-operator ScrapeConfig).
                new k8s.apiextensions.CustomResource(
                    `${name}-rabbitmq`,
                    {
                        apiVersion: "monitoring.coreos.com/v1alpha1",
                        kind: "ScrapeConfig",
                        metadata: { name: "rabbitmq-per-object", namespace, labels },
                        spec: { staticConfigs: [{ targets: [`${rabbit.host}:${rabbit.port}`] }], metricsPath: rabbit.path, scheme: rabbit.scheme.toUpperCase(), scrapeInterval: interval },
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

    /** One kafka_exporter Deployment, its Service and ServiceMonitor. */
    private lagExporter(
        name: string,
        e: LagExporterPlan,
        image: string,
        namespace: string,
        labels: Record<string, string>,
        selectorLabels: Record<string, string>,
        interval: string,
        kafkaBootstrap: pulumi.Input<string> | undefined,
        secretChecksums: Record<string, pulumi.Input<string>> | undefined,
    ): void {
        const appLabels = { "app.kubernetes.io/name": e.name, "app.kubernetes.io/component": "lag-exporter", "app.kubernetes.io/part-of": "messaging-platform" };
        const env: k8s.types.input.core.v1.EnvVar[] = [];
        if (!Array.isArray(e.bootstrap)) {
            if (kafkaBootstrap === undefined) {
                throw new Error(`Observability: ${e.name} needs the provisioned Kafka cluster's bootstrap servers: pass kafkaBootstrap`);
            }
            env.push({ name: "KAFKA_BOOTSTRAP", value: kafkaBootstrap });
        }
        if (e.username) {
            env.push("value" in e.username ? { name: "KAFKA_SASL_USERNAME", value: e.username.value } : { name: "KAFKA_SASL_USERNAME", valueFrom: { secretKeyRef: { ...e.username.secretRef } } });
        }
        if (e.password) {
            env.push({ name: "KAFKA_SASL_PASSWORD", valueFrom: { secretKeyRef: { ...e.password } } });
        }
        const read = [...(e.username && "secretRef" in e.username ? [e.username.secretRef.name] : []), ...(e.password ? [e.password.name] : [])];
        const checksum = secretChecksums ? workloadChecksum(secretChecksums, read) : undefined;
        const ca = e.caFile ? [{ name: "pulsar-ca", secret: { secretName: PULSAR_CA_TRUST_SECRET, items: [{ key: "ca.crt", path: "ca.crt" }] } }] : [];
        new k8s.apps.v1.Deployment(
            `${name}-${e.name}`,
            {
                metadata: { name: e.name, namespace, labels: appLabels },
                spec: {
                    replicas: e.replicas,
                    selector: { matchLabels: { "app.kubernetes.io/name": e.name } },
                    template: {
                        metadata: { labels: appLabels, ...(checksum ? { annotations: { [SECRETS_CHECKSUM_ANNOTATION]: checksum } } : {}) },
                        spec: {
                            topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
                                maxSkew: 1,
                                topologyKey,
                                whenUnsatisfiable: "ScheduleAnyway",
                                labelSelector: { matchLabels: { "app.kubernetes.io/name": e.name } },
                            })),
                            automountServiceAccountToken: false,
                            securityContext: { runAsNonRoot: true, runAsUser: 65534, runAsGroup: 65534, seccompProfile: { type: "RuntimeDefault" } },
                            containers: [
                                {
                                    name: "kafka-exporter",
                                    image,
                                    args: lagExporterArgs(e),
                                    env,
                                    ports: [{ name: "metrics", containerPort: EXPORTER_PORT, protocol: "TCP" }],
                                    readinessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 10 },
                                    livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, initialDelaySeconds: 30, periodSeconds: 20 },
                                    resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "200m", memory: "128Mi" } },
                                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: ca.map((v) => ({ name: v.name, mountPath: CA_MOUNT_PATH, readOnly: true })),
                                },
                            ],
                            volumes: ca,
                        },
                    },
                },
            },
            { parent: this },
        );
        new k8s.core.v1.Service(
            `${name}-${e.name}-service`,
            { metadata: { name: e.name, namespace, labels: appLabels }, spec: { type: "ClusterIP", selector: { "app.kubernetes.io/name": e.name }, ports: [{ name: "metrics", port: EXPORTER_PORT, targetPort: "metrics", protocol: "TCP" }] } },
            { parent: this },
        );
        if (e.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-${e.name}-pdb`,
                { metadata: { name: e.name, namespace, labels: appLabels }, spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": e.name } } } },
                { parent: this },
            );
        }
        // Only the monitoring namespace scrapes it; nothing else may reach it.
        new k8s.networking.v1.NetworkPolicy(
            `${name}-${e.name}-ingress`,
            {
                metadata: { name: e.name, namespace, labels: appLabels },
                spec: {
                    podSelector: { matchLabels: { "app.kubernetes.io/name": e.name } },
                    policyTypes: ["Ingress"],
                    ingress: [{ from: [{ namespaceSelector: { matchLabels: { ...SCRAPE_NAMESPACE_LABEL } } }], ports: [{ protocol: "TCP", port: EXPORTER_PORT }] }],
                },
            },
            { parent: this },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-${e.name}-monitor`,
            {
                apiVersion: MONITORING_API,
                kind: "ServiceMonitor",
                metadata: { name: e.name, namespace, labels: { ...selectorLabels, ...labels } },
                spec: { selector: { matchLabels: { "app.kubernetes.io/name": e.name } }, endpoints: [{ port: "metrics", interval }] },
            },
            { parent: this },
        );
    }
}
