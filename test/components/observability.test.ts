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
        expect(alerts("dev", 0)).toEqual(["KafkaConsumerLagHigh", "RabbitQueueDepthHigh"]);
    });
    it("phase 1: + Pulsar backlog", () => {
        expect(alerts("dev", 1)).toEqual(["KafkaConsumerLagHigh", "PulsarBacklogHigh", "RabbitQueueDepthHigh"]);
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
    it("dev phase 2: a PodMonitor for brokers, a ServiceMonitor for the orchestrator and one PrometheusRule", async () => {
        new Observability("obs", { topology: planStack("dev", { phase: 2 }) });
        await settle(recorded);
        expect(customResources(recorded).map((r) => r.inputs.kind).sort()).toEqual(["PodMonitor", "PrometheusRule", "ServiceMonitor"]);
        const [pm] = customResources(recorded, "PodMonitor");
        expect(pm!.inputs.spec.selector.matchLabels).toEqual({ app: "pulsar", release: "pulsar", component: "broker" });
        const [sm] = customResources(recorded, "ServiceMonitor");
        expect(sm!.inputs.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/component": "orchestrator" });
    });

    it("creates nothing when observability is disabled", async () => {
        new Observability("obs", { topology: planStack("local", { phase: 2 }) });
        await settle(recorded);
        expect(customResources(recorded)).toHaveLength(0);
    });
});
