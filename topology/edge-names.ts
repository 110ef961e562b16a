/**
 * Names the edge sites and the central stack agree on (seed 004's edge -> central replication). Pure.
 */

/**
 * The central cluster's Pulsar cluster name: the chart's default, the release fullname (`pulsar.cluster.name` in the
 * chart's _helpers.tpl: `.Values.clusterName`, else `pulsar.fullname`), which the central stack never overrides: a
 * running cluster's name keys its metadata (namespaces' replication clusters), so it cannot change.
 */
export const CENTRAL_CLUSTER_NAME = "pulsar";

/** An edge site's Pulsar cluster name (the chart's `clusterName` on the site, the cluster entry central knows it by). */
export function edgeClusterName(site: string): string {
    return `edge-${site}`;
}

/**
 * The role an edge site's replicator has at central: the CN of its client certificate (AuthenticationProviderTls takes
 * the role from it). A role of tenant `public`, whose namespace it writes, by the platform's `<tenant>.<name>` rule
 * (policies/rules/isolation.ts pulsar-permission-own-tenant).
 */
export function replicatorRole(site: string): string {
    return `public.${edgeClusterName(site)}-replicator`;
}

/** The namespace the edge ingests into and replicates: the telescope telemetry's (topology/catalog.ts). */
export const EDGE_INGEST_STREAM = "telescope-telemetry";
