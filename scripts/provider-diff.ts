/**
 * How the engine and the providers decide what an update does to each resource: create, update in place, replace,
 * delete, or forget (retainOnDelete). `npm run plan -- --from M --resources` predicts the engine's step summary with
 * it; the tests check that no data-holding resource is replaced on any adjacent transition of any stack.
 *
 * The rules, each from the source the real run uses:
 * - Kubernetes (pulumi/pulumi-kubernetes provider/v4 at v4.0.0-20260115033456-f47bc2d6f199, the plugin built here):
 *   `pkg/provider/diff.go` `forceNew` lists the fields whose change replaces an object, per kind (StatefulSet
 *   `.spec.selector/.serviceName/.volumeClaimTemplates/.podManagementPolicy/.revisionHistoryLimit`, Deployment
 *   `.spec.selector`, Service `.spec.clusterIP`, Job `.spec.template`..., every kind `.metadata.name/.namespace`);
 *   `forceNewProperties`: a ConfigMap's `.data/.binaryData` and a Secret's `.type/.data/.stringData` replace it unless
 *   the provider sets enableConfigMapMutable / enableSecretMutable (this program sets neither). `Diff` in
 *   `pkg/provider/provider.go`: the replacement is delete-before-replace when the object has an explicit name that
 *   stays the same. Helm releases (`helm_release.go` `Diff`): only `.name` and `.namespace` replace.
 * - The engine (pulumi/pulumi pkg/v3@v3.274.1 `resource/deploy/step_generator.go` `calculateDependentReplacements`):
 *   when a resource is replaced delete-before-replace, every resource with an input property that depends on it
 *   (its property dependencies) is diffed with that property unknown; if the provider then replaces it, it is
 *   replaced too, transitively. A StatefulSet whose `spec` reads a fixed-name ConfigMap is replaced when that ConfigMap
 *   is: what the engine run of the local stack found at phase 2 <-> 3.
 * - Terraform-bridged providers, from the Terraform schemas they wrap (ForceNew attributes): Mongey/
 *   terraform-provider-kafka v0.13.1 (`kafka_topic`: name, partitions decreasing (CustomizeDiff); `kafka_acl`: every
 *   attribute) and cyrilgdn/terraform-provider-rabbitmq v1.8.0 (queue and exchange: name, vhost, settings; binding:
 *   every attribute; policy, operator policy: name, vhost; permissions: user, vhost; user, vhost: name).
 * Types with no modelled rules report a changed input as `update` with `rules: "unmodelled"`, never silently.
 */
import { STATEFUL_TYPES } from "../policies/rules/migration";

export interface DiffResource {
    type: string;
    name: string;
    urn: string;
    /** Inputs as plain data (secrets unwrapped). */
    inputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    /** Input property -> URNs its value depends on. */
    propertyDependencies: Record<string, string[]>;
}

export type ChangeKind = "create" | "update" | "replace" | "delete" | "forget";

export interface ResourceChange<R extends DiffResource = DiffResource> {
    kind: ChangeKind;
    resource: R;
    /** Input paths that differ (update and replace). */
    paths?: string[];
    /** Why it is replaced: the force-new paths that changed, or the replaced resource it depends on. */
    because?: string[];
    /** Replaced by deleting the old object first (the name stays the same). */
    deleteBeforeReplace?: boolean;
    /** The old object of a replacement is left in place (retainOnDelete): two objects of one name. */
    oldRetained?: boolean;
    /** `unmodelled`: no replace rules are known for this type; an update may be a replacement. */
    rules?: "modelled" | "unmodelled";
}

/** Resources whose replacement or deletion loses data or state (the policies' list, plus workloads that hold it). */
export const DATA_HOLDING_TYPES: ReadonlySet<string> = new Set(STATEFUL_TYPES);

interface ReplaceRules {
    /** Paths (`.a.b`, `[*]` for any array element) whose change replaces the resource. */
    forceNew: string[];
    /** Replacement deletes first: computed from the inputs (Kubernetes: an explicit, unchanged name). */
    deleteBeforeReplace?: (before: Record<string, unknown>, after: Record<string, unknown>) => boolean;
    /** Extra replace decisions that depend on the values (e.g. a Kafka topic's partitions going down). */
    custom?: (before: Record<string, unknown>, after: Record<string, unknown>) => string[];
}

const labelSelector = (p: string) => [p, `${p}.matchExpressions`, `${p}.matchLabels`];
const K8S_METADATA = [".metadata.name", ".metadata.namespace"];

function named(inputs: Record<string, unknown>): string | undefined {
    const m = inputs.metadata as { name?: unknown } | undefined;
    return typeof m?.name === "string" && m.name !== "" ? m.name : undefined;
}

/** pulumi-kubernetes `Diff`: delete-before-replace when the object is named by the user and keeps its name. */
function k8sDeleteBeforeReplace(before: Record<string, unknown>, after: Record<string, unknown>): boolean {
    const ns = (x: Record<string, unknown>) => (x.metadata as { namespace?: unknown } | undefined)?.namespace;
    return named(after) !== undefined && named(after) === named(before) && ns(after) === ns(before);
}

const k8s = (fields: string[]): ReplaceRules => ({ forceNew: [...K8S_METADATA, ...fields], deleteBeforeReplace: k8sDeleteBeforeReplace });

/** pulumi-kubernetes `forceNew` (diff.go) for the kinds this program registers. */
const KUBERNETES_KINDS: Record<string, ReplaceRules> = {
    "apps/v1:StatefulSet": k8s([".spec.podManagementPolicy", ".spec.revisionHistoryLimit", ".spec.serviceName", ".spec.volumeClaimTemplates", ...labelSelector(".spec.selector")]),
    "apps/v1:Deployment": k8s(labelSelector(".spec.selector")),
    "apps/v1:DaemonSet": k8s(labelSelector(".spec.selector")),
    "batch/v1:Job": k8s([".spec.completions", ".spec.parallelism", ".spec.template", ...labelSelector(".spec.selector")]),
    "core/v1:Service": k8s([".spec.clusterIP"]),
    // forceNewProperties: with enableSecretMutable (components/kubernetes-provider.ts sets it) a Secret is replaced
    // only when its type changes; ConfigMap data replaces (enableConfigMapMutable is not set).
    "core/v1:Secret": k8s([".type"]),
    "core/v1:ConfigMap": k8s([".data", ".binaryData"]),
    "core/v1:PersistentVolumeClaim": k8s([".spec.accessModes", ".spec.storageClassName", ".spec.volumeName", ...labelSelector(".spec.selector")]),
    "rbac.authorization.k8s.io/v1:RoleBinding": k8s([".roleRef"]),
    "rbac.authorization.k8s.io/v1:ClusterRoleBinding": k8s([".roleRef"]),
    "storage.k8s.io/v1:StorageClass": k8s([".parameters", ".provisioner"]),
    // Kinds with no kind-specific entry: only their identity replaces them.
    "core/v1:Namespace": k8s([]),
    "core/v1:ServiceAccount": k8s([]),
    "policy/v1:PodDisruptionBudget": k8s([]),
    "networking.k8s.io/v1:NetworkPolicy": k8s([]),
};

/** Terraform ForceNew attributes, in the Pulumi (camelCase) spelling of the bridged SDKs. */
const BRIDGED: Record<string, ReplaceRules> = {
    "kafka:index/topic:Topic": {
        forceNew: [".name"],
        custom: (b, a) => [
            ...(typeof b.partitions === "number" && typeof a.partitions === "number" && a.partitions < b.partitions ? [".partitions (decreased)"] : []),
            // In place only where the broker offers partition reassignment (API keys 45/46, `CanAlterReplicationFactor`);
            // KoP does not: counted as a replacement, the safe reading.
            ...(b.replicationFactor !== a.replicationFactor ? [".replicationFactor (replaced where the broker cannot reassign partitions)"] : []),
        ],
    },
    "kafka:index/acl:Acl": {
        forceNew: [".aclPrincipal", ".aclHost", ".aclOperation", ".aclPermissionType", ".aclResourceType", ".aclResourceName", ".resourcePatternTypeFilter"],
    },
    "rabbitmq:index/queue:Queue": { forceNew: [".name", ".vhost", ".settings"] },
    "rabbitmq:index/exchange:Exchange": { forceNew: [".name", ".vhost", ".settings"] },
    "rabbitmq:index/binding:Binding": { forceNew: [".source", ".vhost", ".destination", ".destinationType", ".routingKey", ".arguments", ".argumentsJson"] },
    "rabbitmq:index/policy:Policy": { forceNew: [".name", ".vhost"] },
    "rabbitmq:index/operatorPolicy:OperatorPolicy": { forceNew: [".name", ".vhost"] },
    "rabbitmq:index/permissions:Permissions": { forceNew: [".user", ".vhost"] },
    "rabbitmq:index/topicPermissions:TopicPermissions": { forceNew: [".user", ".vhost"] },
    "rabbitmq:index/user:User": { forceNew: [".name"] },
    "rabbitmq:index/vHost:VHost": { forceNew: [".name"] },
};

/** The replace rules of a resource type, or undefined when none are modelled. */
export function replaceRules(type: string): ReplaceRules | undefined {
    if (type === "kubernetes:helm.sh/v3:Release") {
        return { forceNew: [".name", ".namespace"] };
    }
    if (type.startsWith("kubernetes:")) {
        const kind = type.slice("kubernetes:".length);
        // Custom resources (and any kind without an entry in `forceNew`) are replaced only when their identity changes.
        return KUBERNETES_KINDS[kind] ?? k8s([]);
    }
    if (type.startsWith("pulumi:providers:")) {
        return { forceNew: [] };
    }
    return BRIDGED[type];
}

/** Leaf paths where two plain values differ; a value that changes shape (object <-> other, absent) is one path. */
export function changedPaths(before: unknown, after: unknown, path = ""): string[] {
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(before) && isObj(after)) {
        const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
        return [...keys].sort().flatMap((k) => changedPaths(before[k], after[k], `${path}.${k}`));
    }
    if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
        return before.flatMap((v, i) => changedPaths(v, after[i], `${path}[${i}]`));
    }
    return JSON.stringify(before) === JSON.stringify(after) ? [] : [path || "."];
}

/** Whether a change at `path` touches the force-new `field`: one lies under the other (array indices match `[*]`). */
function touches(path: string, field: string): boolean {
    const p = path.replace(/\[\d+\]/g, "[*]");
    const under = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`);
    return under(p, field) || under(field, p);
}

/** The force-new fields a set of changed paths touches. */
function forceNewHits(rules: ReplaceRules, paths: string[], before: Record<string, unknown>, after: Record<string, unknown>): string[] {
    const hits = rules.forceNew.filter((f) => paths.some((p) => touches(p, f)));
    return [...new Set([...hits, ...(rules.custom?.(before, after) ?? [])])];
}

/**
 * The steps of an update from `before` (the deployed resources) to `after` (the program's new registrations), keyed
 * by URN, as the engine would plan them. Pure.
 */
export function predictChanges<R extends DiffResource>(before: R[], after: R[]): ResourceChange<R>[] {
    const was = new Map(before.map((r) => [r.urn, r]));
    const now = new Map(after.map((r) => [r.urn, r]));
    const changes = new Map<string, ResourceChange<R>>();
    for (const r of after) {
        const old = was.get(r.urn);
        if (!old) {
            changes.set(r.urn, { kind: "create", resource: r });
            continue;
        }
        const paths = changedPaths(old.inputs, r.inputs);
        if (paths.length === 0) {
            continue;
        }
        const rules = replaceRules(r.type);
        if (!rules) {
            changes.set(r.urn, { kind: "update", resource: r, paths, rules: "unmodelled" });
            continue;
        }
        const hits = forceNewHits(rules, paths, old.inputs, r.inputs);
        changes.set(
            r.urn,
            hits.length > 0
                ? replacement(r, paths, hits, rules.deleteBeforeReplace?.(old.inputs, r.inputs) ?? false)
                : { kind: "update", resource: r, paths, rules: "modelled" },
        );
    }
    // The engine's dependent replacements: each delete-before-replace makes the inputs that depend on it unknown.
    const queue = [...changes.values()].filter((c) => c.kind === "replace" && c.deleteBeforeReplace).map((c) => c.resource.urn);
    const seen = new Set(queue);
    while (queue.length > 0) {
        const replacedUrn = queue.shift() as string;
        for (const r of after) {
            const props = Object.entries(r.propertyDependencies).filter(([, urns]) => urns.includes(replacedUrn)).map(([p]) => p);
            const rules = replaceRules(r.type);
            if (props.length === 0 || !rules || !was.has(r.urn) || changes.get(r.urn)?.kind === "replace") {
                continue;
            }
            const old = was.get(r.urn) as R;
            const hits = forceNewHits(rules, props.map((p) => `.${p}`), old.inputs, r.inputs);
            if (hits.length === 0) {
                continue;
            }
            const dbr = rules.deleteBeforeReplace?.(old.inputs, r.inputs) ?? false;
            const because = props.map((p) => `.${p} depends on ${describe(replacedUrn)}, replaced delete-before-replace (unknown during the update)`);
            changes.set(r.urn, replacement(r, changedPaths(old.inputs, r.inputs), because, dbr));
            if (dbr && !seen.has(r.urn)) {
                seen.add(r.urn);
                queue.push(r.urn);
            }
        }
    }
    for (const r of before) {
        if (!now.has(r.urn)) {
            changes.set(r.urn, { kind: r.retainOnDelete ? "forget" : "delete", resource: r });
        }
    }
    return [...changes.values()];
}

function replacement<R extends DiffResource>(r: R, paths: string[], because: string[], deleteBeforeReplace: boolean): ResourceChange<R> {
    return { kind: "replace", resource: r, paths, because, deleteBeforeReplace, oldRetained: r.retainOnDelete, rules: "modelled" };
}

/** `Type name` of a URN. */
function describe(urn: string): string {
    const [types = "", name = ""] = urn.split("::").slice(-2);
    return `${types.split("$").pop() ?? types} ${name}`;
}

/** Changes that would lose data: a data-holding resource replaced or deleted (not merely forgotten). Pure. */
export function dataLosingChanges<R extends DiffResource>(changes: ResourceChange<R>[]): ResourceChange<R>[] {
    return changes.filter((c) => DATA_HOLDING_TYPES.has(c.resource.type) && (c.kind === "replace" || c.kind === "delete" || (c.kind === "update" && c.rules === "unmodelled")));
}
