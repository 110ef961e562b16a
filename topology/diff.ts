/**
 * What a phase bump (or rollback) changes, computed from two planned topologies: per stream, per cluster and
 * per kind of resource. Pure; `npm run plan -- --from M` prints it.
 */
import { archiveConnectTopics } from "./archive-plan";
import type { Topology } from "./model";
import type { PhaseId } from "./phases";

export interface RemovedItem {
    id: string;
    /** It holds messages or objects. */
    holdsData: boolean;
    /** Left in place on the broker/cloud when it leaves the program (retainOnDelete / KeepAfterDeletion). */
    retained: boolean;
}

export interface AreaDiff {
    area: string;
    added: string[];
    removed: RemovedItem[];
    changed: string[];
}

export interface TopologyDiff {
    from: PhaseId;
    to: PhaseId;
    clusters: { kafka: Presence; pulsar: Presence };
    streams: { stream: string; from: string; to: string }[];
    areas: AreaDiff[];
}

export type Presence = "kept" | "added" | "removed" | "absent";

interface Keyed {
    id: string;
    fingerprint: string;
}

/** The resources of a topology, by area, each with a stable id and a fingerprint of its settings. */
export function inventory(t: Topology): { area: string; holdsData: boolean; items: Keyed[] }[] {
    const fp = (o: unknown) => JSON.stringify(o);
    return [
        { area: "kafka topics", holdsData: true, items: (t.kafka?.topics ?? []).map((x) => ({ id: x.name, fingerprint: fp(x) })) },
        { area: "kafka connect topics", holdsData: true, items: archiveConnectTopics(t.archive).map((x) => ({ id: x.name, fingerprint: fp(x) })) },
        {
            area: "kafka acls",
            holdsData: false,
            items: (t.kafka?.acls ?? []).map((a) => ({ id: `${a.principal} ${a.operation} ${a.resourceType}:${a.resourceName}`, fingerprint: "" })),
        },
        { area: "pulsar tenants", holdsData: true, items: (t.pulsar?.tenants ?? []).map((x) => ({ id: x.name, fingerprint: fp(x) })) },
        { area: "pulsar namespaces", holdsData: true, items: (t.pulsar?.namespaces ?? []).map((x) => ({ id: x.name, fingerprint: fp(x) })) },
        { area: "pulsar topics", holdsData: true, items: (t.pulsar?.topics ?? []).map((x) => ({ id: x.name, fingerprint: fp(x) })) },
        {
            area: "pulsar permissions",
            holdsData: false,
            items: (t.pulsar?.permissions ?? []).map((p) => ({ id: `${p.role} on ${p.resourceName}`, fingerprint: fp(p.actions) })),
        },
        { area: "pulsar functions", holdsData: false, items: t.functions.map((f) => ({ id: f.name, fingerprint: fp(f) })) },
        { area: "pulsar->kafka sinks", holdsData: false, items: t.sinks.map((s) => ({ id: s.name, fingerprint: fp(s) })) },
        { area: "deployments", holdsData: false, items: t.deployments.map((d) => ({ id: d.service, fingerprint: fp(d) })) },
        { area: "offload bucket", holdsData: true, items: t.offload ? [{ id: t.offload.bucket, fingerprint: fp(t.offload) }] : [] },
        { area: "archive bucket", holdsData: true, items: t.archive ? [{ id: t.archive.bucket.name, fingerprint: fp(t.archive.bucket) }] : [] },
        {
            area: "archive connector",
            holdsData: false,
            items: t.archive ? [{ id: `${t.archive.connector} (${t.archive.runtime})`, fingerprint: fp({ class: t.archive.connectorClass, config: t.archive.config }) }] : [],
        },
        { area: "audit bridge", holdsData: false, items: t.auditBridge ? [{ id: t.auditBridge.service, fingerprint: fp(t.auditBridge.deployment) }] : [] },
        { area: "rabbitmq queues", holdsData: true, items: t.rabbitmq.queues.map((q) => ({ id: q.name, fingerprint: fp(q) })) },
    ];
}

function presence(before: boolean, after: boolean): Presence {
    return before && after ? "kept" : after ? "added" : before ? "removed" : "absent";
}

/**
 * @param before the topology the stack has now (phase M)
 * @param after the topology it moves to
 */
export function diffTopology(before: Topology, after: Topology): TopologyDiff {
    const a = inventory(before);
    const b = inventory(after);
    // When Kafka is decommissioned (explicitly confirmed), its topics are deleted, not retained.
    const kafkaDeleted = before.kafka !== null && after.kafka === null;
    const areas: AreaDiff[] = a.map((area, i) => {
        const next = b[i] as (typeof b)[number];
        const beforeById = new Map(area.items.map((x) => [x.id, x]));
        const afterById = new Map(next.items.map((x) => [x.id, x]));
        const retained = area.holdsData && !(area.area === "kafka topics" && kafkaDeleted);
        return {
            area: area.area,
            added: next.items.filter((x) => !beforeById.has(x.id)).map((x) => x.id),
            removed: area.items
                .filter((x) => !afterById.has(x.id))
                .map((x) => ({ id: x.id, holdsData: area.holdsData, retained })),
            changed: next.items
                .filter((x) => beforeById.has(x.id) && beforeById.get(x.id)?.fingerprint !== x.fingerprint)
                .map((x) => x.id),
        };
    });
    const beforeStates = new Map(before.routes.map((r) => [r.stream, r.state]));
    return {
        from: before.phase,
        to: after.phase,
        clusters: {
            kafka: presence(before.kafka !== null, after.kafka !== null),
            pulsar: presence(before.pulsar !== null, after.pulsar !== null),
        },
        streams: after.routes
            .filter((r) => beforeStates.get(r.stream) !== r.state)
            .map((r) => ({ stream: r.stream, from: beforeStates.get(r.stream) ?? "absent", to: r.state })),
        areas,
    };
}
