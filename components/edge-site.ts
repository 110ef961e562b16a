/**
 * EdgeSite: one remote telescope site (topology/edge-plan.ts), the edge project's whole program. Its Pulsar is built by
 * the same components as central's (ServiceCredentials, PulsarCluster with its CA, PulsarTenancy) from the site's
 * plan; on top, once central accepts the site, what replicates the ingest namespace to central over mutual TLS:
 *
 * - central's CA as a Secret the brokers mount (the cluster entry's brokerClientTrustCertsFilePath);
 * - the replicator's client certificate (cert-manager, from the site's CA; CN = its role at central), mounted too;
 * - a PulsarConnection to central's proxy and a PulsarGeoReplication from the site's connection to it, whose cluster
 *   entry authenticates with AuthenticationTls (`clusterParamsOverride.authentication`; the operator itself would only
 *   copy token auth: pulsar-resources-operator pkg/admin/impl.go CreateCluster);
 * - the namespace's geoReplicationRefs (PulsarTenancy, from the plan).
 *
 * It exports its CA certificate (`edgeCaCertificate`) for central to trust the replicator by, read from the CA Secret
 * cert-manager writes; on the site's first update that Secret may not be issued yet, so the site exports it from its
 * second update on (the first records `caIssued`).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { EdgeSitePlan, PulsarTlsPlan } from "../topology";
import { ServiceCredentials } from "./credentials";
import { EDGE_CA_OUTPUT } from "./edge-sites";
import { kubernetesProvider } from "./kubernetes-provider";
import { readCaCertificate } from "./pulsar-ca";
import { PulsarCluster } from "./pulsar-cluster";
import { PULSAR_CONNECTION_NAME, PULSAR_RESOURCES_API, PulsarTenancy } from "./pulsar-tenancy";

export interface EdgeSiteArgs {
    plan: EdgeSitePlan;
    /** The secret seed of the site's derived credentials (its Pulsar signing key). */
    seed?: pulumi.Input<string>;
    /** Whether the site's previous update already created its CA (its `caIssued` output): then it exports the CA. */
    caIssued: boolean;
}

/** The replicator certificate's spec (cert-manager Certificate). Pure; exported for testing. */
export function replicatorCertificateSpec(plan: EdgeSitePlan, tls: PulsarTlsPlan): Record<string, unknown> {
    const r = plan.replication as NonNullable<EdgeSitePlan["replication"]>;
    return {
        secretName: r.client.secret,
        commonName: r.client.commonName,
        usages: ["client auth"],
        duration: "2160h",
        renewBefore: "360h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { name: tls.issuer, kind: "ClusterIssuer", group: "cert-manager.io" },
    };
}

/** The PulsarConnection to central and the PulsarGeoReplication to it. Pure; exported for testing. */
export function replicationSpecs(plan: EdgeSitePlan): { connection: Record<string, unknown>; geoReplication: Record<string, unknown> } {
    const r = plan.replication as NonNullable<EdgeSitePlan["replication"]>;
    return {
        connection: {
            adminServiceSecureURL: r.central.adminServiceSecureURL,
            brokerServiceSecureURL: r.central.brokerServiceSecureURL,
            clusterName: r.central.clusterName,
            // The cluster entry's trust for the replicator (a path in the site's brokers, where central's CA is mounted).
            brokerClientTrustCertsFilePath: r.centralCa.file,
            tlsAllowInsecureConnection: false,
            tlsEnableHostnameVerification: true,
        },
        geoReplication: {
            connectionRef: { name: PULSAR_CONNECTION_NAME },
            destinationConnectionRef: { name: r.connection },
            clusterParamsOverride: { authentication: { authPlugin: r.authPlugin, authParameters: r.authParameters } },
            // Keep central's cluster entry on the site if the CR goes: the namespace's replication must not drop.
            lifecyclePolicy: "KeepAfterDeletion",
        },
    };
}

export class EdgeSite extends pulumi.ComponentResource {
    readonly outputs: Record<string, unknown>;

    constructor(name: string, args: EdgeSiteArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:edge:EdgeSite", name, {}, opts);
        const { plan } = args;
        const topology = plan.topology;
        const p = topology.pulsar;
        if (!p?.tls) {
            throw new Error("EdgeSite: the site's plan has no TLS (config validation requires pulsar.tls.enabled)");
        }
        const parent = { parent: this };
        const provider = kubernetesProvider(`${name}-kubernetes`, topology, parent);
        const ns = topology.kubernetes.namespace;
        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: ns, labels: { "app.kubernetes.io/part-of": "messaging-platform" } } },
            { parent: this, provider, retainOnDelete: true, protect: topology.protectData },
        );
        const onK8s: pulumi.ComponentResourceOptions = { parent: this, providers: { kubernetes: provider }, dependsOn: [namespace] };
        // Custom resources take `provider`, components `providers`.
        const k8sResource: pulumi.CustomResourceOptions = { parent: this, provider, dependsOn: [namespace] };
        const credentials = new ServiceCredentials(`${name}-credentials`, { topology, ...(args.seed !== undefined ? { seed: args.seed } : {}) }, onK8s);

        const replicationFiles: pulumi.Resource[] = [];
        const r = plan.replication;
        if (r) {
            replicationFiles.push(
                new k8s.core.v1.Secret(`${name}-central-ca`, { metadata: { name: r.centralCa.secret, namespace: ns }, stringData: { [r.centralCa.key]: r.central.caCertificate } }, k8sResource),
                new k8s.apiextensions.CustomResource(
                    `${name}-replicator-certificate`,
                    { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: r.client.certificate, namespace: ns }, spec: replicatorCertificateSpec(plan, p.tls) },
                    k8sResource,
                ),
            );
        }
        const cluster = new PulsarCluster(`${name}-pulsar`, { topology, secretChecksums: credentials.checksums }, { ...onK8s, dependsOn: [namespace, ...credentials.resources, ...replicationFiles] });
        const deps: pulumi.Resource[] = [namespace, cluster];
        if (r) {
            const specs = replicationSpecs(plan);
            const connection = new k8s.apiextensions.CustomResource(
                `${name}-central-connection`,
                { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarConnection", metadata: { name: r.connection, namespace: ns }, spec: specs.connection },
                { ...k8sResource, dependsOn: [cluster] },
            );
            deps.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-geo-replication`,
                    { apiVersion: PULSAR_RESOURCES_API, kind: "PulsarGeoReplication", metadata: { name: r.geoReplication, namespace: ns }, spec: specs.geoReplication },
                    { ...k8sResource, dependsOn: [cluster, connection], retainOnDelete: true },
                ),
            );
        }
        // The tenant and namespace reference the geo-replication (the operator waits for it to exist).
        new PulsarTenancy(`${name}-pulsar-tenancy`, { topology, ...(cluster.adminTokenSecret ? { adminToken: cluster.adminTokenSecret } : {}) }, { ...onK8s, dependsOn: deps });

        const caCertificate = args.caIssued ? readCaCertificate(`${name}-own-ca`, p.tls, { parent: this, provider, dependsOn: [cluster] }) : undefined;
        this.outputs = {
            site: plan.site,
            clusterName: plan.clusterName,
            centralStack: plan.centralStack,
            replicating: r !== null,
            ...(plan.replicationOff ? { replicationOff: plan.replicationOff } : {}),
            pulsarServiceUrl: p.endpoints.serviceUrl,
            /** The site's admin API (npm run smoke checks the ingest topic through it). */
            pulsarAdminUrl: p.endpoints.httpUrl,
            /** Read back by the next update: the CA exists, so its certificate can be exported. */
            caIssued: true,
            ...(caCertificate ? { [EDGE_CA_OUTPUT]: caCertificate } : {}),
        };
        this.registerOutputs(this.outputs);
    }
}
