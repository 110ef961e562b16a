import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Observability, alertRules, OBSERVABILITY_DEFAULTS } from "../../components/observability";
import { planStack } from "../support/stacks";
import { customResources, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const alerts = (stack: "local" | "dev" | "prod", phase: number) =>
    alertRules(planStack(stack, { phase }), { ...OBSERVABILITY_DEFAULTS.thresholds }).flatMap((g) => g.rules.map((r) => r.alert));

describe("alert rules follow the topology", () => {
    it("phase 0: Kafka lag and RabbitMQ depth, no Pulsar alerts", () => {
        expect(alerts("dev", 0)).toEqual(["KafkaConsumerLagHigh", "RabbitQueueDepthHigh", "AuditBridgeBacklog"]);
    });
    it("phase 1: + Pulsar backlog", () => {
        expect(alerts("dev", 1)).toEqual(["KafkaConsumerLagHigh", "PulsarBacklogHigh", "RabbitQueueDepthHigh", "AuditBridgeBacklog"]);
    });
    it("phase 3 with offload: + offload failures", () => {
        expect(alerts("prod", 3)).toContain("PulsarOffloadFailing");
    });
    it("the RabbitMQ alert watches the plan's queues in its vhost", () => {
        const t = planStack("dev", { phase: 0 });
        const rule = alertRules(t, { ...OBSERVABILITY_DEFAULTS.thresholds }).find((g) => g.name === "rabbitmq")!.rules[0]!;
        expect(rule.expr).toContain(`vhost="${t.rabbitmq.vhost}"`);
        for (const q of t.rabbitmq.queues) {
            expect(rule.expr).toContain(q.name.replace(/\./g, "\\."));
        }
    });
});

describe("Observability under mocks", () => {
    it("dev phase 2: brokers, orchestrator and lag exporter monitored, RabbitMQ's per-object endpoint scraped, one PrometheusRule", async () => {
        new Observability("obs", { topology: planStack("dev", { phase: 2 }), kafkaBootstrap: "pkc-1.confluent.cloud:9092" });
        await settle(recorded);
        const monitoring = customResources(recorded).filter((r) => String(r.inputs.apiVersion).startsWith("monitoring.coreos.com/"));
        expect(monitoring.map((r) => r.inputs.kind).sort()).toEqual(["PodMonitor", "PrometheusRule", "ScrapeConfig", "ServiceMonitor", "ServiceMonitor"]);
        const [pm] = customResources(recorded, "PodMonitor");
        expect(pm!.inputs.spec.selector.matchLabels).toEqual({ app: "pulsar", release: "pulsar", component: "broker" });
        const monitors = customResources(recorded, "ServiceMonitor").map((m) => m.inputs.spec.selector.matchLabels);
        expect(monitors).toContainEqual({ "app.kubernetes.io/component": "orchestrator" });
        expect(monitors).toContainEqual({ "app.kubernetes.io/name": "kafka-exporter" });
        // /metrics aggregates per node unless return_per_object_metrics is set; /metrics/per-object has the queue series.
        const [scrape] = customResources(recorded, "ScrapeConfig");
        expect(scrape!.inputs.spec).toMatchObject({ metricsPath: "/metrics/per-object", scheme: "HTTPS", staticConfigs: [{ targets: ["rabbitmq-dev.internal.cosmic-ai.example:15691"] }] });
    });

    it("runs kafka_exporter against the provisioned cluster's bootstrap, on the services' own groups, as a numeric user", async () => {
        new Observability("obs", { topology: planStack("dev", { phase: 2 }), kafkaBootstrap: "pkc-1.confluent.cloud:9092" });
        await settle(recorded);
        const d = recorded.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.inputs.metadata.name === "kafka-exporter")!;
        const pod = d.inputs.spec.template.spec;
        const [c] = pod.containers;
        expect(c.env).toContainEqual({ name: "KAFKA_BOOTSTRAP", value: "pkc-1.confluent.cloud:9092" });
        expect(c.args).toContain("--kafka.server=$(KAFKA_BOOTSTRAP)");
        expect(c.args).toContain("--sasl.mechanism=plain");
        expect(c.args.find((a: string) => a.startsWith("--group.filter="))).toMatch(/^--group\.filter=\^\(.*\)\$$/);
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65534 });
        expect(d.inputs.spec.replicas).toBe(1);
    });

    it("prod: two exporter replicas with a disruption budget, and the lag alert counts each partition once", async () => {
        const t = planStack("prod", { phase: 1 });
        new Observability("obs", { topology: t, kafkaBootstrap: "b-1.msk.example:9096" });
        await settle(recorded);
        const exporters = recorded.filter((r) => r.type === "kubernetes:apps/v1:Deployment");
        expect(exporters.map((d) => [d.inputs.metadata.name, d.inputs.spec.replicas]).sort()).toEqual([["kafka-exporter", 2], ["kop-exporter", 2]]);
        expect(recorded.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget")).toHaveLength(2);
        // The KoP exporter trusts the platform's CA over SASL_SSL.
        const kop = exporters.find((d) => d.inputs.metadata.name === "kop-exporter")!.inputs.spec.template.spec;
        expect(kop.containers[0].args).toEqual(expect.arrayContaining(["--kafka.server=pulsar-kafka.messaging.svc.cluster.local:9093", "--tls.enabled", "--tls.ca-file=/etc/pulsar-ca/ca.crt"]));
        expect(kop.volumes).toContainEqual({ name: "pulsar-ca", secret: { secretName: "pulsar-ca-trust", items: [{ key: "ca.crt", path: "ca.crt" }] } });
        const lag = alertRules(t, { ...OBSERVABILITY_DEFAULTS.thresholds }).find((g) => g.name === "kafka")!.rules[0]!;
        expect(lag.expr).toMatch(/^sum by \(consumergroup, topic\) \(max by \(consumergroup, topic, partition\) \(kafka_consumergroup_lag/);
    });

    it("creates nothing when observability is disabled", async () => {
        new Observability("obs", { topology: planStack("local", { phase: 2 }) });
        await settle(recorded);
        expect(customResources(recorded)).toHaveLength(0);
    });
});
