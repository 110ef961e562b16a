/**
 * PulsarTenancy: tenants, namespaces (with their policies), topics (with schemas) and permissions, as custom
 * resources of the Pulsar resources operator (`resource.streamnative.io/v1alpha1`), from `topology.pulsar`. Only the
 * declared topics become PulsarTopics: a tenant's own namespace creates its topics on first use (automaticTopicsSpec).
 *
 * Data-holding objects (tenants, namespaces, topics) carry `lifecyclePolicy: KeepAfterDeletion`, so removing the CR
 * (a rollback) leaves the Pulsar object and its messages in place (operator docs/pulsar_resource_lifecycle.md; the
 * default is CleanUpAfterDeletion), and `retainOnDelete` so Pulumi does not delete the CR either. Permissions are the
 * exception on purpose: a grant that leaves the plan must be revoked (least privilege after a rollback).
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AUTOMATIC_TOPICS_PROPERTY, avroRecordFromJsonSchema, type JsonSchemaNode, type PulsarPlan, type Topology } from "../topology";
import type { SecretKeyRef } from "./pulsar-cluster";

export const PULSAR_RESOURCES_API = "resource.streamnative.io/v1alpha1";
/** Name of the PulsarConnection every other CR refers to. */
export const PULSAR_CONNECTION_NAME = "pulsar";
const KEEP = "KeepAfterDeletion";

export interface PulsarTenancyArgs {
    /** The planned topology. Its `pulsar` must be set. */
    topology: Topology;
    /**
     * The admin token the operator authenticates with (`PulsarCluster.adminTokenSecret`). Required when the plan
     * has token auth.
     * @default undefined (no authentication)
     */
    adminToken?: SecretKeyRef;
    /**
     * Folder of the JSON schema files the plan names (`PulsarTopicPlan.schema`).
     * @default "<repo>/schemas"
     */
    schemasDir?: string;
}

/**
 * A DNS-1123 label (<= 63 characters) derived deterministically from a Pulsar name: lowercased, every run of other
 * characters turned into `-`, the `persistent://` scheme dropped. When that loses information (characters were
 * replaced) or is too long, a 8-hex hash of the original name is appended so distinct names never collide.
 * Pure; exported for testing.
 */
export function kubernetesName(pulsarName: string): string {
    const bare = pulsarName.replace(/^(non-)?persistent:\/\//, "");
    const simple = bare.toLowerCase().replace(/\//g, "-");
    const cleaned = simple.replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-|-$/g, "");
    const lossy = cleaned !== simple || simple !== bare.replace(/\//g, "-");
    if (!lossy && cleaned.length <= 63 && cleaned.length > 0) {
        return cleaned;
    }
    const suffix = createHash("sha256").update(pulsarName).digest("hex").slice(0, 8);
    const head = cleaned.slice(0, 63 - suffix.length - 1).replace(/-$/, "");
    return head ? `${head}-${suffix}` : `x-${suffix}`;
}

/**
 * The PulsarConnection spec for a plan. Pure; exported for testing.
 *
 * With TLS the operator's admin client trusts `tlsTrustCertsFilePath`, a file inside the operator's own pod: the CRD
 * has no Secret-based CA field, and the TLS settings apply only with `adminServiceSecureURL` (pulsar-resources-operator
 * MakePulsarAdminConfig). The program issues the CA into the operator's namespace (`pulsar.tls.trustNamespaces`, the
 * Secret `pulsar-ca-trust`); the operator's Deployment mounts it at /etc/pulsar-ca (README, cluster prerequisites).
 */
export function connectionSpec(p: PulsarPlan, adminToken?: SecretKeyRef): Record<string, unknown> {
    const spec: Record<string, unknown> = p.tls
        ? {
              adminServiceSecureURL: p.endpoints.httpUrl,
              brokerServiceSecureURL: p.endpoints.serviceUrl,
              tlsAllowInsecureConnection: false,
              tlsEnableHostnameVerification: true,
              tlsTrustCertsFilePath: p.tls.trust.file,
          }
        : { adminServiceURL: p.endpoints.httpUrl, brokerServiceURL: p.endpoints.serviceUrl };
    if (p.clusterName) {
        // A geo-replication source connection must name its cluster: the operator sets a replicated namespace's
        // clusters to [destination, this] and resets them to [this] (pulsar-resources-operator reconcile_namespace.go).
        spec.clusterName = p.clusterName;
    }
    if (adminToken) {
        spec.authentication = { token: { secretRef: { name: adminToken.name, key: adminToken.key } } };
    }
    return spec;
}

/**
 * A namespace that creates the catalog's topics on first use: partitioned (KoP serves only partitioned topics, and the
 * broker's own default type is non-partitioned), with the plan's count; producers may register the first schema
 * (PulsarNamespacePlan.automaticTopics). The names go into the namespace's properties, so the policies (and
 * `pulsar-admin namespaces get-properties`) see which topics the namespace is expected to hold.
 */
function automaticTopicsSpec(a: { partitions: number; topics: string[] }) {
    return {
        topicAutoCreationConfig: { allow: true, type: "partitioned", partitions: a.partitions },
        isAllowAutoUpdateSchema: true,
        properties: { [AUTOMATIC_TOPICS_PROPERTY]: a.topics.join(",") },
    };
}

/** The custom resources' specs, by kind, for a plan. Pure (reads the schema files); exported for testing. */
export function tenancySpecs(p: PulsarPlan, schemasDir: string, connectionName = PULSAR_CONNECTION_NAME) {
    const connectionRef = { name: connectionName };
    const tenants = p.tenants.map((t) => ({
        name: kubernetesName(t.name),
        spec: {
            name: t.name,
            connectionRef,
            adminRoles: [...t.adminRoles],
            // Only where the plan names them (an edge site's or central's replicated tenant); else Pulsar's default.
            ...(t.allowedClusters ? { allowedClusters: [...t.allowedClusters] } : {}),
            lifecyclePolicy: KEEP,
        },
    }));
    const namespaces = p.namespaces.map((n) => ({
        name: kubernetesName(n.name),
        tenant: n.tenant,
        spec: {
            name: n.name,
            connectionRef,
            retentionTime: n.retentionTime,
            retentionSize: n.retentionSize,
            messageTTL: n.messageTTL,
            backlogQuotaLimitSize: n.backlogQuotaLimitSize,
            backlogQuotaType: "destination_storage",
            backlogQuotaRetentionPolicy: n.backlogQuotaRetentionPolicy,
            deduplication: n.deduplication,
            schemaCompatibilityStrategy: n.schemaCompatibilityStrategy,
            ...(n.offloadThresholdSize !== undefined ? { offloadThresholdSize: n.offloadThresholdSize } : {}),
            ...(n.offloadThresholdTime !== undefined ? { offloadThresholdTime: n.offloadThresholdTime } : {}),
            // The operator sets the namespace's replication clusters from these (reconcile_namespace.go).
            ...(n.geoReplicationRefs ? { geoReplicationRefs: n.geoReplicationRefs.map((name) => ({ name })) } : {}),
            ...(n.automaticTopics ? automaticTopicsSpec(n.automaticTopics) : {}),
            lifecyclePolicy: KEEP,
        },
    }));
    const topics = p.topics.filter((t) => t.creation === "declared").map((t) => ({
        name: kubernetesName(t.name),
        namespace: t.namespace,
        spec: {
            name: t.name,
            connectionRef,
            persistent: true,
            partitions: t.partitions,
            ...(t.schema !== undefined ? { schemaInfo: pulsarSchemaInfo(schemasDir, t.schema) } : {}),
            lifecyclePolicy: KEEP,
        },
    }));
    const grant = (name: string, resourceType: string, resourceName: string, roles: string[], actions: string[]) => ({
        name: kubernetesName(name),
        spec: {
            connectionRef,
            resourceType,
            resourceName,
            roles,
            actions,
            // Revoke on removal: a grant the plan no longer holds must not survive (see the file comment).
            lifecyclePolicy: "CleanUpAfterDeletion",
        },
    });
    // A namespace's roles with the same actions share one grant (a constant number per tenant). Each role stays in
    // exactly one grant per resource: Pulsar keeps one action set per role and resource (the namespace policies'
    // `auth_policies` map role -> actions; a grant replaces the role's entry: PulsarAuthorizationProvider
    // grantPermissionAsync), so two grants naming one role would overwrite each other.
    const onNamespaces = new Map<string, { resourceName: string; actions: string[]; roles: string[] }>();
    for (const x of p.permissions.filter((y) => y.resourceType === "namespace")) {
        const key = `${x.resourceName}/${x.actions.join("+")}`;
        const g = onNamespaces.get(key) ?? { resourceName: x.resourceName, actions: [...x.actions], roles: [] };
        g.roles.push(x.role);
        onNamespaces.set(key, g);
    }
    const permissions = [
        ...p.permissions.filter((x) => x.resourceType === "topic").map((x) => grant(`${x.resourceName}/${x.role}`, x.resourceType, x.resourceName, [x.role], [...x.actions])),
        ...[...onNamespaces].map(([key, g]) => grant(key, "namespace", g.resourceName, [...g.roles].sort(), g.actions)),
    ];
    return { tenants, namespaces, topics, permissions };
}

/**
 * The Pulsar schema of a topic from its JSON Schema file: type JSON with the Avro record Pulsar checks compatibility
 * with (topology/avro-schema.ts); the JSON Schema's `$id` goes with it as a property, naming the contract.
 */
export function pulsarSchemaInfo(dir: string, file: string): { type: "JSON"; schema: string; properties: Record<string, string> } {
    const path = resolve(dir, file);
    let text: string;
    try {
        text = readFileSync(path, "utf8");
    } catch (e) {
        throw new Error(`schema file ${file} for a Pulsar topic is missing: expected it at ${path}`, { cause: e });
    }
    const doc = JSON.parse(text) as JsonSchemaNode & { $id?: string };
    return {
        type: "JSON",
        schema: JSON.stringify(avroRecordFromJsonSchema(doc, file)),
        properties: { jsonSchema: doc.$id ?? file },
    };
}

export class PulsarTenancy extends pulumi.ComponentResource {
    /** Pulsar tenant names. */
    readonly tenants: pulumi.Output<string[]>;
    /** Pulsar namespaces (`tenant/namespace`). */
    readonly namespaces: pulumi.Output<string[]>;
    /** Full Pulsar topic names. */
    readonly topics: pulumi.Output<string[]>;

    constructor(name: string, args: PulsarTenancyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:pulsar:PulsarTenancy", name, {}, opts);
        const { topology } = args;
        const p = topology.pulsar;
        if (!p) {
            throw new Error(`PulsarTenancy "${name}": topology.pulsar is null (phase ${topology.phase}); construct it only when the plan has Pulsar`);
        }
        if (p.tokenAuth && !args.adminToken) {
            throw new Error(`PulsarTenancy "${name}": the plan has token auth but adminToken is missing: pass PulsarCluster.adminTokenSecret`);
        }
        const namespace = topology.kubernetes.namespace;
        const schemasDir = args.schemasDir ?? resolve(__dirname, "..", "schemas");
        const specs = tenancySpecs(p, schemasDir);
        const labels = { "app.kubernetes.io/part-of": "messaging-platform", "app.kubernetes.io/managed-by": "pulumi" };
        const dataOpts = (dependsOn: pulumi.Resource[]): pulumi.CustomResourceOptions => ({
            parent: this,
            dependsOn,
            retainOnDelete: true,
            protect: topology.protectData,
        });

        const connection = new k8s.apiextensions.CustomResource(
            `${name}-connection`,
            {
                apiVersion: PULSAR_RESOURCES_API,
                kind: "PulsarConnection",
                metadata: { name: PULSAR_CONNECTION_NAME, namespace, labels },
                spec: connectionSpec(p, args.adminToken),
            },
            { parent: this },
        );

        const tenantRes = new Map<string, pulumi.Resource>();
        for (const t of specs.tenants) {
            tenantRes.set(
                t.spec.name,
                new k8s.apiextensions.CustomResource(
                    `${name}-tenant-${t.name}`,
                    { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarTenant", metadata: { name: t.name, namespace, labels }, spec: t.spec },
                    dataOpts([connection]),
                ),
            );
        }
        const nsRes = new Map<string, pulumi.Resource>();
        for (const n of specs.namespaces) {
            const tenant = tenantRes.get(n.tenant);
            nsRes.set(
                n.spec.name,
                new k8s.apiextensions.CustomResource(
                    `${name}-namespace-${n.name}`,
                    { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarNamespace", metadata: { name: n.name, namespace, labels }, spec: n.spec },
                    dataOpts(tenant ? [tenant] : [connection]),
                ),
            );
        }
        const topicRes = new Map<string, pulumi.Resource>();
        for (const t of specs.topics) {
            const ns = nsRes.get(t.namespace);
            topicRes.set(
                t.spec.name,
                new k8s.apiextensions.CustomResource(
                    `${name}-topic-${t.name}`,
                    { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarTopic", metadata: { name: t.name, namespace, labels }, spec: t.spec },
                    dataOpts(ns ? [ns] : [connection]),
                ),
            );
        }
        for (const x of specs.permissions) {
            // After what it grants on: the topic, or (a namespace grant) the namespace.
            const target = topicRes.get(x.spec.resourceName) ?? nsRes.get(x.spec.resourceName);
            new k8s.apiextensions.CustomResource(
                `${name}-permission-${x.name}`,
                { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarPermission", metadata: { name: x.name, namespace, labels }, spec: x.spec },
                { parent: this, dependsOn: target ? [target] : [connection] },
            );
        }

        this.tenants = pulumi.output(p.tenants.map((t) => t.name));
        this.namespaces = pulumi.output(p.namespaces.map((n) => n.name));
        this.topics = pulumi.output(p.topics.map((t) => t.name));
        this.registerOutputs({ tenants: this.tenants, namespaces: this.namespaces, topics: this.topics });
    }
}
