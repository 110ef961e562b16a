/**
 * EdgeSiteTrust: central's side of the edge sites it accepts (topology/edge-plan.ts EdgePairingPlan). Each site's CA
 * certificate, read from the site's stack (its `edgeCaCertificate` output) through a StackReference, becomes a Secret
 * the brokers and the proxy trust (the chart's `tls.*.cacerts`), so a site's replicator certificate is accepted; and
 * central's own CA certificate, read from the CA Secret cert-manager keeps, is what central exports for the sites to
 * trust its brokers by (`edgeReplication.caCertificate`).
 *
 * A site that has not exported its CA yet (its first update) gets an empty trust entry and a warning: nothing of it
 * authenticates until its next update and then central's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { edgeCaSecret, type EdgePairingPlan, type PulsarTlsPlan } from "../topology";
import { readCaCertificate } from "./pulsar-ca";

/** The output of an edge site's stack with its CA certificate (components/edge-site.ts exports it). */
export const EDGE_CA_OUTPUT = "edgeCaCertificate";

export interface EdgeSiteTrustArgs {
    pairing: EdgePairingPlan;
    tls: PulsarTlsPlan;
    /** The namespace the brokers run in. */
    namespace: string;
}

export class EdgeSiteTrust extends pulumi.ComponentResource {
    /** The Secrets with the sites' CAs, for the cluster's dependsOn. */
    readonly trustSecrets: k8s.core.v1.Secret[];
    /** What central exports as `edgeReplication`. */
    readonly view: pulumi.Output<Record<string, unknown>>;

    constructor(name: string, args: EdgeSiteTrustArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:edge:EdgeSiteTrust", name, {}, opts);
        const { pairing, namespace } = args;
        this.trustSecrets = pairing.sites.map((site) => {
            const ref = new pulumi.StackReference(`${name}-${site.name}`, { name: site.stack }, { parent: this });
            const ca = ref.getOutput(EDGE_CA_OUTPUT).apply((v: unknown) => {
                if (typeof v !== "string" || !v.includes("BEGIN CERTIFICATE")) {
                    void pulumi.log.warn(`edge site ${site.name} (${site.stack}) exports no ${EDGE_CA_OUTPUT} yet: its replicator is not trusted until it does (update the site, then this stack)`);
                    return "";
                }
                return v;
            });
            return new k8s.core.v1.Secret(
                `${name}-${site.name}-ca`,
                { metadata: { name: edgeCaSecret(site.name), namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } }, stringData: { "ca.crt": ca } },
                { parent: this },
            );
        });
        // Central's CA certificate (public): the `ca.crt` of the CA's own Secret, which cert-manager wrote when the
        // stack first had TLS; the private key in the same Secret is never read out.
        const caCertificate = readCaCertificate(`${name}-central-ca`, args.tls, { parent: this });
        this.view = caCertificate.apply((pem): Record<string, unknown> => ({ ...pairing.view, ...(pem.includes("BEGIN CERTIFICATE") ? { caCertificate: pem } : {}) }));
        this.registerOutputs({ view: this.view });
    }
}
