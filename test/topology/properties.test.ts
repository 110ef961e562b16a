/**
 * Property tests over generated valid configs: the planner's invariants hold for every stack, phase, gate
 * setting, tenant list and stream override, not just the committed stack files.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
    ConfigError,
    SERVICES,
    STREAMS,
    diffTopology,
    kafkaPrincipal,
    plan,
    pulsarRole,
    validateConfig,
    type PlatformConfig,
    type Topology,
} from "../../topology";
import { editRaw } from "../support/stacks";

const dualPublishStreams = STREAMS.filter((s) => s.bridge === "dual-publish").map((s) => s.name);
const readers = SERVICES.filter((s) => s.client !== "orchestrator").map((s) => s.name);

const tenantName = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((n) => n !== "public" && n !== "pulsar");

const override = fc.record(
    {
        partitions: fc.integer({ min: 1, max: 48 }),
        pulsarFrom: fc.integer({ min: 1, max: 3 }),
        cutoverAt: fc.integer({ min: 1, max: 3 }),
        consumers: fc.uniqueArray(fc.constantFrom(...readers), { maxLength: 3 }),
    },
    { requiredKeys: [] },
);

const arbConfig = fc
    .record({
        stack: fc.constantFrom("local" as const, "dev" as const, "prod" as const),
        phase: fc.integer({ min: 0, max: 3 }),
        gates: fc.record({ auditParity: fc.boolean(), lifecycleParity: fc.boolean() }),
        tenants: fc.uniqueArray(tenantName, { maxLength: 5 }),
        overrides: fc.dictionary(fc.constantFrom(...dualPublishStreams), override, { maxKeys: 4 }),
        decommission: fc.boolean(),
    })
    .map((g) => {
        const raw = editRaw(g.stack, (v) => {
            v.phase = g.phase;
            v.gates = g.gates;
            v.tenants = g.tenants.map((name) => ({ name, adminRoles: [`${name}.admin`] }));
            v.streams = g.overrides;
            if (g.decommission) {
                v.kafka.decommission = true;
                v.kafka.decommissionConfirmed = true;
            }
        });
        try {
            return validateConfig(raw);
        } catch (err) {
            if (err instanceof ConfigError) {
                return null; // the generator made an invalid combination; those are covered by config.test.ts
            }
            throw err;
        }
    })
    .filter((c): c is PlatformConfig => c !== null);

const clientOf = new Map(SERVICES.map((s) => [s.name, s.client]));

function topicsOn(t: Topology, broker: "kafka" | "pulsar"): Set<string> {
    return new Set(broker === "kafka" ? (t.kafka?.topics ?? []).map((x) => x.name) : (t.pulsar?.topics ?? []).map((x) => x.name));
}

describe("planner invariants over generated configs", () => {
    it("every consumer reads from a topic that exists on the broker it reads from, in every phase", () => {
        fc.assert(
            fc.property(arbConfig, (config) => {
                const t = plan(config);
                for (const r of t.routes) {
                    for (const c of r.consume) {
                        expect(topicsOn(t, c.broker).has(c.topic), `${c.service} reads ${c.topic} on ${c.broker}`).toBe(true);
                    }
                    for (const p of r.produce) {
                        expect(topicsOn(t, p.broker).has(p.topic), `${r.stream} produces to ${p.topic} on ${p.broker}`).toBe(true);
                    }
                }
            }),
            { numRuns: 150 },
        );
    });

    it("no stream is left without a readable source: a Kafka reader of a moved stream is fed by a sink", () => {
        fc.assert(
            fc.property(arbConfig, (config) => {
                const t = plan(config);
                for (const r of t.routes) {
                    const producedTo = new Set(r.produce.map((p) => p.broker));
                    for (const c of r.consume) {
                        const fed = producedTo.has(c.broker) || (c.broker === "kafka" && r.sink !== undefined && t.sinks.some((s) => s.name === r.sink));
                        expect(fed, `${c.service} on ${r.stream} (${r.state}) reads ${c.broker} which nothing writes`).toBe(true);
                    }
                }
            }),
            { numRuns: 150 },
        );
    });

    it("every service has exactly the Kafka ACLs and Pulsar permissions its routes need, nothing broader", () => {
        fc.assert(
            fc.property(arbConfig, (config) => {
                const t = plan(config);
                const expectedAcls = new Set<string>();
                const expectedPerms = new Set<string>();
                const spec = new Map(config.streams.map((s) => [s.name, s]));
                // A Kafka Connect sink commits as `connect-<connector>`; Confluent's managed one as `connect-lcc-<id>`,
                // granted by prefix. Everyone else commits under its own name.
                const groupOf = (svc: string) =>
                    svc === "audit-archiver" && t.archive
                        ? t.archive.runtime === "confluent-managed" ? "connect-lcc- (prefixed)" : "connect-audit-archiver"
                        : svc;
                if (t.archive) {
                    // The archive's own topics: the dead-letter topic it writes (Confluent's is its own, by prefix) and
                    // the Strimzi workers' group and internal topics.
                    const dlq = t.archive.runtime === "confluent-managed" ? "dlq-lcc- (prefixed)" : "audit-archiver-dlq";
                    expectedAcls.add(`User:audit-archiver Write Topic ${dlq}`);
                    expectedAcls.add(`User:audit-archiver Describe Topic ${dlq}`);
                    if (t.archive.runtime === "strimzi") {
                        expectedAcls.add("User:audit-archiver Read Group messaging-connect");
                        for (const topic of ["messaging-connect-offsets", "messaging-connect-configs", "messaging-connect-status"]) {
                            for (const op of ["Read", "Write", "Describe"]) {
                                expectedAcls.add(`User:audit-archiver ${op} Topic ${topic}`);
                            }
                        }
                    }
                }
                for (const r of t.routes) {
                    const s = spec.get(r.stream);
                    if (!s) throw new Error(r.stream);
                    for (const p of r.produce) {
                        for (const svc of s.producers) {
                            if (p.broker === "kafka") {
                                expectedAcls.add(`${kafkaPrincipal(svc)} Write Topic ${p.topic}`);
                                expectedAcls.add(`${kafkaPrincipal(svc)} Describe Topic ${p.topic}`);
                            }
                        }
                    }
                    for (const c of r.consume.filter((x) => x.broker === "kafka")) {
                        expectedAcls.add(`${kafkaPrincipal(c.service)} Read Topic ${c.topic}`);
                        expectedAcls.add(`${kafkaPrincipal(c.service)} Describe Topic ${c.topic}`);
                        expectedAcls.add(`${kafkaPrincipal(c.service)} Read Group ${groupOf(c.service)}`);
                        // The lag exporter only describes: committed offsets of the group, log ends of the topic.
                        if (config.observability.enabled && c.protocol === "kafka") {
                            expectedAcls.add(`User:kafka-exporter Describe Topic ${c.topic}`);
                            expectedAcls.add(`User:kafka-exporter Describe Group ${groupOf(c.service)}`);
                        }
                    }
                    if (r.sink) {
                        expectedAcls.add(`User:kafka-sink Write Topic ${s.kafkaTopic}`);
                        expectedAcls.add(`User:kafka-sink Describe Topic ${s.kafkaTopic}`);
                    }
                    const pulsarTopics = (t.pulsar?.topics ?? []).filter((x) => x.stream === s.name);
                    // The shared services (Deployments, the one matcher Function) serve every tenant with one role each.
                    const sharedRole = (svc: string) => pulsarRole("public", svc);
                    // In a declared tenant's own namespace the grant is on the namespace; elsewhere on the topic.
                    const tenantNamespaces = new Set(t.pulsar?.tenants.filter((x) => x.name !== "public").map((x) => `${x.name}/orchestrator`));
                    for (const topic of pulsarTopics) {
                        const pt = { ...topic, name: tenantNamespaces.has(topic.namespace) ? topic.namespace : topic.name };
                        const tenant = pt.namespace.split("/")[0] as string;
                        if (r.produce.some((p) => p.broker === "pulsar")) {
                            s.producers.forEach((svc) => expectedPerms.add(`${sharedRole(svc)} produce ${pt.name}`));
                        }
                        r.consume.filter((c) => c.broker === "pulsar").forEach((c) => expectedPerms.add(`${sharedRole(c.service)} consume ${pt.name}`));
                        if (r.sink && tenant === s.pulsarTopic.tenant && pt.namespace === `${s.pulsarTopic.tenant}/${s.pulsarTopic.namespace}`) {
                            expectedPerms.add(`${pulsarRole(tenant, "kafka-sink")} consume ${pt.name}`);
                        }
                        // KoP authorizes offset and log-end reads by consume: the KoP lag exporter's one grant.
                        if (config.observability.enabled && r.state === "kop" && tenant === "public") {
                            expectedPerms.add(`${pulsarRole(tenant, "kafka-exporter")} consume ${pt.name}`);
                        }
                    }
                }
                // Each accepted edge site's replicator may produce to the telemetry topic it replicates, nothing else.
                for (const site of t.edgePairing?.sites ?? []) {
                    expectedPerms.add(`${site.replicatorRole} produce persistent://public/observatories/telescope-telemetry`);
                }
                const actualAcls = new Set(
                    (t.kafka?.acls ?? []).map((a) => `${a.principal} ${a.operation} ${a.resourceType} ${a.resourceName}${a.patternType === "Prefixed" ? " (prefixed)" : ""}`),
                );
                const actualPerms = new Set((t.pulsar?.permissions ?? []).flatMap((p) => p.actions.map((a) => `${p.role} ${a} ${p.resourceName}`)));
                expect([...actualAcls].sort()).toEqual(t.kafka ? [...expectedAcls].sort() : []);
                expect([...actualPerms].sort()).toEqual([...expectedPerms].sort());
                // No wildcards anywhere.
                expect([...actualAcls].some((a) => a.includes("*"))).toBe(false);
                // Kafka-only services never get Pulsar permissions; nobody gets Kafka ACLs for a stream it does not use.
                for (const p of t.pulsar?.permissions ?? []) {
                    const svc = p.role.slice(p.role.indexOf(".") + 1);
                    expect(clientOf.get(svc)).not.toBe("kafka-only");
                }
            }),
            { numRuns: 150 },
        );
    });

    it("a rollback N -> N-1 never drops a topic, namespace, queue or bucket that holds data without retaining it", () => {
        fc.assert(
            fc.property(arbConfig.filter((c) => c.phase > 0 && !c.kafka.decommission), (config) => {
                const now = plan(config);
                let previous: Topology;
                try {
                    previous = plan(validateConfig({ values: { ...configValues(config), phase: config.phase - 1 }, secretKeys: new Set(["rabbitmqPassword"]) }));
                } catch (err) {
                    if (err instanceof ConfigError) return; // e.g. decommission is valid only at phase 3
                    throw err;
                }
                const d = diffTopology(now, previous);
                for (const area of d.areas) {
                    for (const removed of area.removed) {
                        if (removed.holdsData) {
                            expect(removed.retained, `${area.area}: ${removed.id}`).toBe(true);
                        }
                    }
                }
                expect(d.clusters.kafka).not.toBe("removed");
            }),
            { numRuns: 100 },
        );
    });

    it("there is always exactly one matcher: a Deployment, or one Function that reads every orchestrator namespace", () => {
        fc.assert(
            fc.property(arbConfig, (config) => {
                const t = plan(config);
                const deployment = t.deployments.some((d) => d.service === "mcp-matcher");
                const functions = t.functions.filter((f) => f.service === "mcp-matcher");
                expect(deployment !== functions.length > 0).toBe(true);
                expect(functions.length).toBeLessThanOrEqual(1);
                const inputNamespaces = new Set((functions[0]?.inputs ?? []).map((i) => i.replace("persistent://", "").split("/").slice(0, 2).join("/")));
                const orchestratorNamespaces = (t.pulsar?.topics ?? []).filter((x) => x.stream === "user-requests").map((x) => x.namespace);
                if (functions.length === 1) {
                    expect([...inputNamespaces].sort()).toEqual([...new Set(orchestratorNamespaces)].sort());
                }
            }),
            { numRuns: 100 },
        );
    });
});

/** Rebuilds raw config values from a resolved config (the inverse of the defaults, close enough for re-validation). */
function configValues(c: PlatformConfig): Record<string, unknown> {
    const { streams, ...rest } = c;
    const overrides = Object.fromEntries(
        streams
            .filter((s) => s.bridge === "dual-publish")
            .map((s) => [s.name, { partitions: s.partitions, pulsarFrom: s.pulsarFrom, cutoverAt: s.cutoverAt, consumers: s.consumers }]),
    );
    const pulsar = { ...rest.pulsar, kop: { ...rest.pulsar.kop } };
    return { ...rest, pulsar, streams: overrides };
}
