/**
 * The control-event mirror's plan, on every stack, phase and gate: the bridge writes exactly where the audit-trail
 * route says its producers write, holds the grant each destination needs, reads the queue its RabbitMQ user may read,
 * and its planned env is what the bridge itself accepts (bridge/settings.ts, the workload's own parser).
 */
import { describe, expect, it } from "vitest";
import { readSettings } from "../../bridge/settings";
import { AUDIT_QUEUE, AUDIT_STREAM, plan, validateConfig, type Topology } from "../../topology";
import { STACKS, decommissionReady, editRaw } from "../support/stacks";

const VARIANTS = STACKS.flatMap((stack) =>
    [0, 1, 2, 3].flatMap((phase) => [false, true].map((auditParity) => ({ stack, phase, auditParity }))),
);

function planned(stack: (typeof STACKS)[number], phase: number, auditParity: boolean): Topology {
    return plan(validateConfig(editRaw(stack, (v) => {
        v.phase = phase;
        v.gates = { ...(v.gates ?? {}), auditParity };
    })));
}

/** The bridge container's environment as Kubernetes would give it: Secret values and provisioned outputs filled in. */
function containerEnvironment(t: Topology): Record<string, string> {
    const env: Record<string, string> = {};
    for (const e of t.auditBridge!.deployment.env) {
        env[e.name] = "value" in e ? e.value : "secretRef" in e ? `secret:${e.secretRef.name}/${e.secretRef.key}` : "b-1.msk.example:9096,b-2.msk.example:9096";
    }
    return { ...env, AWS_REGION: "eu-west-1" };
}

describe("the audit bridge follows the audit-trail route", () => {
    it.each(VARIANTS)("$stack at phase $phase (auditParity $auditParity): one destination per produce endpoint, each with its grant", ({ stack, phase, auditParity }) => {
        const t = planned(stack, phase, auditParity);
        const route = t.routes.find((r) => r.stream === AUDIT_STREAM)!;
        const b = t.auditBridge!;
        expect(b.queue).toBe(AUDIT_QUEUE);
        // A Pulsar destination is reached through KoP; outside KoP's default namespace, under the topic's full name (the
        // one KoP resolves to the topic itself: test/topology/kop-names.test.ts).
        const kopName = (topic: string) => (topic.startsWith("persistent://public/default/") ? topic.slice("persistent://public/default/".length) : topic);
        expect(b.destinations.map((d) => ({ broker: d.name, topic: d.topic }))).toEqual(
            route.produce.map((e) => ({ broker: e.broker, topic: e.broker === "kafka" ? e.topic : kopName(e.topic) })),
        );
        for (const d of b.destinations) {
            const pulsarTopic = route.produce.find((e) => e.broker === d.name)!.topic;
            if (d.name === "kafka") {
                const acls = t.kafka!.acls.filter((a) => a.principal === "User:audit-bridge" && a.resourceType === "Topic" && a.resourceName === d.topic);
                expect(acls.map((a) => a.operation).sort()).toEqual(["Describe", "Write"]);
            } else {
                const grant = t.pulsar!.permissions.find((p) => p.role === "public.audit-bridge" && p.resourceName === pulsarTopic);
                expect(grant?.actions).toContain("produce");
            }
        }
        // Its RabbitMQ user may read the queue it consumes, and may not configure or write anything.
        const user = t.rabbitmq.users.find((u) => u.name === b.service)!;
        expect(new RegExp(user.read).test(b.queue)).toBe(true);
        expect(user.configure).toBe("^$");
        expect(user.write).toBe("^$");
        // Every Secret key it references is planned (and so provisioned).
        for (const e of b.deployment.env.filter((x) => "secretRef" in x)) {
            const ref = (e as { secretRef: { name: string; key: string } }).secretRef;
            expect(t.credentials.find((c) => c.name === ref.name)?.data[ref.key], `${e.name} -> ${ref.name}/${ref.key}`).toBeDefined();
        }
    });

    it.each(VARIANTS)("$stack at phase $phase (auditParity $auditParity): the planned env is what the bridge accepts", ({ stack, phase, auditParity }) => {
        const t = planned(stack, phase, auditParity);
        const settings = readSettings(containerEnvironment(t));
        expect(settings.queue).toBe(AUDIT_QUEUE);
        expect(settings.vhost).toBe(t.rabbitmq.vhost);
        expect(settings.destinations.map((d) => d.topic)).toEqual(t.auditBridge!.destinations.map((d) => d.topic));
        for (const d of settings.destinations) {
            expect(d.brokers.length).toBeGreaterThan(0);
            // Over TLS wherever the cluster is (MSK, Confluent, KoP with TLS); with the platform's CA for KoP.
            if (d.name === "pulsar" && t.pulsar!.tls) {
                expect(d.tls).toBe(true);
                expect(d.caFile).toBe(t.pulsar!.tls.trust.file);
            }
        }
    });

    it("moves with the stream: Kafka before audit-trail reaches Pulsar, both while gated at phase 3, Pulsar once approved", () => {
        expect(planned("prod", 2, false).auditBridge!.destinations.map((d) => d.name)).toEqual(["kafka"]);
        expect(planned("prod", 3, false).auditBridge!.destinations.map((d) => d.name)).toEqual(["kafka", "pulsar"]);
        expect(planned("prod", 3, true).auditBridge!.destinations.map((d) => d.name)).toEqual(["pulsar"]);
    });

    it("writes to Pulsar alone once Kafka is decommissioned", () => {
        const t = plan(validateConfig(editRaw("local", decommissionReady)));
        expect(t.kafka).toBeNull();
        expect(t.auditBridge!.destinations.map((d) => d.name)).toEqual(["pulsar"]);
    });
});
