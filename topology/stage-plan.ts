/**
 * The plans of a staged transition's first two updates, composed from the source plan `a` and the target plan `b`
 * (topology/choreography.ts says why each is what it is). Pure.
 *
 * - **prepare**: the infrastructure of both (brokers, topics, tenants, namespaces, grants, credentials; the target's
 *   cluster settings), the source's workloads (Deployments, Functions, sinks) and routes.
 * - **switch**: the same infrastructure, the target's workloads except the services that move at settle (they keep
 *   their source Deployment or Functions), the sinks of both, and the overlap mirrors with their grants and
 *   credentials. `routes` are the target's.
 * Settle is `b` itself. Nothing either side holds is removed before settle, so an update never deletes what a cursor
 * still reads.
 */
import type { GateName } from "./catalog";
import { planChoreography, type Choreography, type Relay, type StageName } from "./choreography";
import { CredentialBook, type CredentialSecretPlan } from "./credentials";
import { connectorCredentials } from "./functions-plan";
import { allowLiteral } from "./kafka-plan";
import { pulsarTopicParts } from "./naming";
import type { KafkaAclPlan, KafkaPlan, MirrorPlan, PulsarPermissionPlan, PulsarPlan, Topology } from "./model";
import type { LagExporterPlan } from "./observability-plan";

/** Items of both lists, one per key; `b`'s wins. Order: `b`'s, then what only `a` has. */
function union<T>(a: readonly T[], b: readonly T[], key: (t: T) => string): T[] {
    const inB = new Set(b.map(key));
    return [...b, ...a.filter((x) => !inB.has(key(x)))];
}

const aclKey = (x: KafkaAclPlan) => `${x.principal}|${x.resourceType}|${x.resourceName}|${x.operation}`;

function mergeKafka(a: KafkaPlan | null, b: KafkaPlan | null, extraAcls: KafkaAclPlan[], extraPrincipals: string[]): KafkaPlan | null {
    const base = b ?? a;
    if (!base) {
        return null;
    }
    const other = b ? a : null;
    const acls = union(union(other?.acls ?? [], base.acls, aclKey), extraAcls, aclKey).sort((x, y) => aclKey(x).localeCompare(aclKey(y)));
    return {
        ...base,
        topics: union(other?.topics ?? [], base.topics, (t) => t.name),
        acls,
        principals: [...new Set([...base.principals, ...(other?.principals ?? []), ...extraPrincipals])].sort(),
    };
}

function mergePermissions(lists: PulsarPermissionPlan[][]): PulsarPermissionPlan[] {
    const byKey = new Map<string, PulsarPermissionPlan>();
    for (const p of lists.flat()) {
        const key = `${p.resourceName}|${p.role}`;
        const existing = byKey.get(key);
        byKey.set(key, existing ? { ...existing, actions: [...new Set([...existing.actions, ...p.actions])].sort() } : { ...p, actions: [...p.actions] });
    }
    return [...byKey.values()].sort((x, y) => `${x.resourceName}|${x.role}`.localeCompare(`${y.resourceName}|${y.role}`));
}

function mergePulsar(a: PulsarPlan | null, b: PulsarPlan | null, extraPermissions: PulsarPermissionPlan[]): PulsarPlan | null {
    const base = b ?? a;
    if (!base) {
        return null;
    }
    const other = b ? a : null;
    return {
        ...base,
        kop: { ...base.kop, allowedNamespaces: [...new Set([...base.kop.allowedNamespaces, ...(other?.kop.allowedNamespaces ?? [])])] },
        tenants: union(other?.tenants ?? [], base.tenants, (t) => t.name),
        namespaces: union(other?.namespaces ?? [], base.namespaces, (n) => n.name),
        topics: union(other?.topics ?? [], base.topics, (t) => t.name),
        permissions: mergePermissions([other?.permissions ?? [], base.permissions, extraPermissions]),
    };
}

function mergeCredentials(lists: CredentialSecretPlan[][]): CredentialSecretPlan[] {
    const byName = new Map<string, CredentialSecretPlan>();
    for (const s of lists.flat()) {
        const existing = byName.get(s.name);
        byName.set(s.name, existing ? { ...existing, data: { ...existing.data, ...s.data } } : { ...s, data: { ...s.data } });
    }
    return [...byName.values()]
        .map((s) => ({ ...s, data: Object.fromEntries(Object.entries(s.data).sort(([x], [y]) => x.localeCompare(y))) }))
        .sort((x, y) => x.name.localeCompare(y.name));
}

function mergeLagExporters(a: LagExporterPlan[], b: LagExporterPlan[]): LagExporterPlan[] {
    return union(a, b, (e) => e.name).map((e) => {
        const old = a.find((x) => x.name === e.name);
        return old ? { ...e, groups: [...new Set([...e.groups, ...old.groups])].sort(), topics: [...new Set([...e.topics, ...old.topics])].sort() } : e;
    });
}

/** The overlap mirrors of a choreography as connectors, with the grants and credentials they need. Pure. */
export function planMirrors(relays: Relay[], pulsar: PulsarPlan, kafka: KafkaPlan): { mirrors: MirrorPlan[]; acls: KafkaAclPlan[]; permissions: PulsarPermissionPlan[]; credentials: CredentialSecretPlan[] } {
    const book = new CredentialBook();
    const acls: KafkaAclPlan[] = [];
    const permissions: PulsarPermissionPlan[] = [];
    const mirrors = relays.map((r): MirrorPlan => {
        const toPulsar = r.to.broker === "pulsar";
        const pulsarTopic = toPulsar ? r.to.topic : r.from.log.topic;
        const kafkaTopic = toPulsar ? r.from.log.topic : r.to.topic;
        const { tenant } = pulsarTopicParts(pulsarTopic);
        const identity = connectorCredentials(r.name, tenant, pulsar, kafka.clientSecurity, book);
        const acl = (resourceType: "Topic" | "Group", resourceName: string, operation: KafkaAclPlan["operation"]) => allowLiteral(identity.principal, resourceType, resourceName, operation);
        if (toPulsar) {
            // The source reads the Kafka topic with its own group and publishes to the Pulsar topic.
            acls.push(acl("Topic", kafkaTopic, "Read"), acl("Topic", kafkaTopic, "Describe"), acl("Group", r.name, "Read"));
            permissions.push({ resourceType: "topic", resourceName: pulsarTopic, role: identity.role, actions: ["produce"] });
        } else {
            acls.push(acl("Topic", kafkaTopic, "Write"), acl("Topic", kafkaTopic, "Describe"));
            permissions.push({ resourceType: "topic", resourceName: pulsarTopic, role: identity.role, actions: ["consume"] });
        }
        return {
            name: r.name,
            stream: r.stream,
            direction: toPulsar ? "kafka-to-pulsar" : "pulsar-to-kafka",
            kafkaTopic,
            pulsarTopic,
            className: toPulsar ? "org.apache.pulsar.io.kafka.KafkaBytesSource" : "org.apache.pulsar.io.kafka.KafkaBytesSink",
            ...identity,
        };
    });
    return { mirrors, acls, permissions, credentials: book.list() };
}

/**
 * The plan of one staged update of the transition from `a` (deployed, with `fromGates`) to `b`. Pure.
 * @param choreography `planChoreography(a, b)`, when the caller has it
 */
export function stageTopology(a: Topology, b: Topology, stage: StageName, fromGates: Record<GateName, boolean>, choreography: Choreography = planChoreography(a, b)): Topology {
    const settleMovers = Object.entries(choreography.services)
        .filter(([, when]) => when === "settle")
        .map(([s]) => s)
        .sort();
    const relays = stage === "switch" ? choreography.streams.flatMap((s) => s.mirrors) : [];
    const kafkaAny = b.kafka ?? a.kafka;
    const pulsarAny = b.pulsar ?? a.pulsar;
    if (relays.length > 0 && (!kafkaAny || !pulsarAny)) {
        throw new Error(`stageTopology: the mirrors ${relays.map((r) => r.name).join(", ")} need both Kafka and Pulsar in the plans`);
    }
    const m = relays.length > 0 ? planMirrors(relays, pulsarAny as PulsarPlan, kafkaAny as KafkaPlan) : { mirrors: [], acls: [], permissions: [], credentials: [] };
    const mirrorPrincipals = [...new Set(m.mirrors.map((x) => x.principal.replace(/^User:/, "")))];
    const switching = stage === "switch";
    const keepsSource = (service: string) => !switching || settleMovers.includes(service);
    const deployments = [
        ...a.deployments.filter((d) => keepsSource(d.service)),
        ...(switching ? b.deployments.filter((d) => !settleMovers.includes(d.service)) : []),
    ];
    const functions = [
        ...a.functions.filter((f) => keepsSource(f.service)),
        ...(switching ? b.functions.filter((f) => !settleMovers.includes(f.service)) : []),
    ];
    return {
        ...b,
        kafka: mergeKafka(a.kafka, b.kafka, m.acls, mirrorPrincipals),
        pulsar: mergePulsar(a.pulsar, b.pulsar, m.permissions),
        routes: switching ? b.routes : a.routes,
        deployments,
        // The services that keep their source env mount the source's tenant list until they move.
        tenantDirectory: b.tenantDirectory ?? (deployments.some((d) => d.configVolumes.length > 0) ? a.tenantDirectory : null),
        functions,
        sinks: switching ? union(a.sinks, b.sinks, (s) => s.name) : a.sinks,
        mirrors: m.mirrors,
        offload: b.offload ?? a.offload,
        credentials: mergeCredentials([a.credentials, b.credentials, m.credentials]),
        observability: { ...b.observability, lagExporters: mergeLagExporters(a.observability.lagExporters, b.observability.lagExporters) },
        transition: { stage, from: { phase: a.phase, gates: { ...fromGates } }, settleMovers },
    };
}
