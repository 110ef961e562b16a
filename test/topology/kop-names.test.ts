/**
 * Every Kafka-protocol name the program gives a Pulsar topic reaches that topic through KoP, and every name it
 * matches against what KoP lists is the name KoP lists.
 *
 * No Kafka protocol handler for Pulsar 4.0 is served by the registries this project is built from (scripts/pulsar.ts),
 * so KoP cannot run in the test world: its two naming rules are modelled here from its source, Starlight for Kafka's
 * and streamnative/kop's `KopTopic`:
 * - expandToFullName: `persistent://t/ns/x` is itself; a name with two slashes `t/ns/x` is `persistent://t/ns/x`; a
 *   name without a slash is `persistent://<kafkaTenant>/<kafkaNamespace>/x`; anything else is refused.
 * - removeDefaultNamespacePrefix (the metadata KoP lists): the default namespace's prefix is cut, others stay full.
 * A model can be wrong where the handler is: this is the one Pulsar-side path still checked without the real thing.
 */
import { describe, expect, it } from "vitest";
import { kopDefaultNamespaceOf, kopTopicName } from "../../topology/kop";
import type { Topology } from "../../topology";
import { planStack, STACKS } from "../support/stacks";

/** KopTopic.expandToFullName. */
function kopResolves(name: string, defaultNamespace: string): string {
    if (name.startsWith("persistent://")) {
        if (name.slice("persistent://".length).split("/").length !== 3) {
            throw new Error(`KoP refuses ${name}`);
        }
        return name;
    }
    const parts = name.split("/");
    if (parts.length === 3) {
        return `persistent://${name}`;
    }
    if (parts.length === 1) {
        return `persistent://${defaultNamespace}/${name}`;
    }
    throw new Error(`KoP refuses ${name}`);
}

/** KopTopic.removeDefaultNamespacePrefix. */
function kopLists(fullName: string, defaultNamespace: string): string {
    const prefix = `persistent://${defaultNamespace}/`;
    return fullName.startsWith(prefix) ? fullName.slice(prefix.length) : fullName;
}

const PLANS: [string, Topology][] = STACKS.flatMap((stack) =>
    [0, 1, 2, 3].flatMap((phase) =>
        [false, true].map((approved) => [`${stack} phase ${phase}${approved ? " (gates approved)" : ""}`, planStack(stack, { phase, gates: { auditParity: approved, lifecycleParity: approved } })] as [string, Topology]),
    ),
);

describe("KoP names (KopTopic's rules, modelled: no handler for Pulsar 4.0 is published where this runs)", () => {
    it.each([
        ["persistent://public/default/user-requests", "user-requests"],
        ["persistent://public/cosmic-ai/audit-trail", "persistent://public/cosmic-ai/audit-trail"],
        ["persistent://team-a/orchestrator/user-requests", "persistent://team-a/orchestrator/user-requests"],
    ])("%s is %s to a Kafka client, and resolves back to itself", (pulsar, kafka) => {
        expect(kopTopicName(pulsar, "public/default")).toBe(kafka);
        expect(kopResolves(kafka, "public/default")).toBe(pulsar);
        expect(kopLists(pulsar, "public/default")).toBe(kafka);
    });

    it("a dotted tenant.namespace.topic name is a topic of the default namespace (what the old rule produced)", () => {
        expect(kopResolves("public.cosmic-ai.audit-trail", "public/default")).toBe("persistent://public/default/public.cosmic-ai.audit-trail");
    });

    it.each(PLANS)("%s: the audit bridge's KoP destination and every route through KoP reach the planned topic", (_, t) => {
        const ns = kopDefaultNamespaceOf(t.pulsar?.kop.brokerConfig ?? {});
        for (const r of t.routes) {
            for (const e of [...r.produce, ...r.consume].filter((x) => x.broker === "pulsar" && x.protocol === "kafka")) {
                expect(kopResolves(kopTopicName(e.topic, ns), ns), `${r.stream}`).toBe(e.topic);
                // The orchestrator services name a stream by its Kafka topic: through KoP that is a default-namespace name.
                expect(e.topic.startsWith(`persistent://${ns}/`), `${r.stream} through KoP outside ${ns}`).toBe(true);
            }
        }
        const audit = t.routes.find((r) => r.stream === "audit-trail");
        const planned = audit?.produce.find((e) => e.broker === "pulsar")?.topic;
        const destination = t.auditBridge?.destinations.find((d) => d.name === "pulsar");
        if (destination) {
            expect(planned).toBeDefined();
            expect(kopResolves(destination.topic, ns)).toBe(planned);
        }
    });

    it.each(PLANS)("%s: the KoP lag exporter's topic filter matches every topic its groups read, as KoP lists it", (_, t) => {
        const ns = kopDefaultNamespaceOf(t.pulsar?.kop.brokerConfig ?? {});
        const exporter = t.observability.lagExporters.find((e) => e.cluster === "kop");
        const read = t.routes.flatMap((r) => r.consume.filter((c) => c.broker === "pulsar" && c.protocol === "kafka").map((c) => c.topic));
        if (!exporter) {
            expect(read.length === 0 || !t.observability.enabled).toBe(true);
            return;
        }
        for (const topic of read) {
            expect(exporter.topics, topic).toContain(kopLists(topic, ns));
        }
    });
});
