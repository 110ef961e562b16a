/**
 * PulsarCertificateAuthority: the platform's TLS trust anchor, as cert-manager objects (cert-manager.io/v1).
 *
 * A self-signed ClusterIssuer issues a CA certificate whose Secret lives in cert-manager's namespace (where a
 * ClusterIssuer of type CA must find it); the CA ClusterIssuer the plan names signs every Pulsar certificate (the
 * chart's broker and proxy certificates, the KoP listener's). Because it is cluster-wide, it can issue into every
 * namespace whose clients must trust the CA: one small certificate per namespace, whose Secret carries `ca.crt` (the
 * CA issuer writes the CA certificate into every Secret it issues). Pods mount that Secret; the chart's brokers and
 * proxies read it through `certs.issuers.ca.secretName`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PulsarTlsPlan } from "../topology";

const API = "cert-manager.io/v1";

/** The CA's own Secret (and Certificate), in cert-manager's namespace: named after the issuer, one per cluster CA. */
export function caSecretName(t: PulsarTlsPlan): string {
    return `${t.issuer}-ca`;
}

/**
 * The CA's certificate (PEM, public), read from the CA's own Secret in cert-manager's namespace; the private key in the
 * same Secret is never read out. Empty while cert-manager has not issued it.
 */
export function readCaCertificate(name: string, t: PulsarTlsPlan, opts: pulumi.CustomResourceOptions): pulumi.Output<string> {
    const secret = k8s.core.v1.Secret.get(name, `${t.certManagerNamespace}/${caSecretName(t)}`, opts);
    return pulumi.unsecret(secret.data.apply((d) => Buffer.from(d?.["ca.crt"] ?? "", "base64").toString("utf8")));
}

/** The spec of the CA certificate. Pure; exported for testing. */
export function caCertificateSpec(t: PulsarTlsPlan, selfSigned: string): Record<string, unknown> {
    return {
        isCA: true,
        commonName: "messaging-platform Pulsar CA",
        secretName: caSecretName(t),
        // Ten years, renewed a month before: a CA rotation re-issues every certificate below it.
        duration: "87600h",
        renewBefore: "720h",
        privateKey: { algorithm: "RSA", size: 4096, rotationPolicy: "Never" },
        issuerRef: { name: selfSigned, kind: "ClusterIssuer", group: "cert-manager.io" },
    };
}

/** The spec of a namespace's trust certificate (its Secret's `ca.crt` is what clients read). Pure; exported for testing. */
export function trustCertificateSpec(t: PulsarTlsPlan, namespace: string): Record<string, unknown> {
    return {
        secretName: t.trust.secret,
        commonName: `pulsar-ca-trust.${namespace}`,
        usages: ["client auth"],
        duration: "2160h",
        renewBefore: "360h",
        privateKey: { algorithm: "ECDSA", size: 256 },
        issuerRef: { name: t.issuer, kind: "ClusterIssuer", group: "cert-manager.io" },
    };
}

export interface PulsarCertificateAuthorityArgs {
    tls: PulsarTlsPlan;
}

export class PulsarCertificateAuthority extends pulumi.ComponentResource {
    /** The CA ClusterIssuer every Pulsar certificate references, for `dependsOn`. */
    readonly issuer: pulumi.Resource;
    /** The trust Secrets' Certificates, one per namespace, for `dependsOn`. */
    readonly trust: pulumi.Resource[];

    constructor(name: string, args: PulsarCertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:pulsar:PulsarCertificateAuthority", name, {}, opts);
        const t = args.tls;
        const labels = { "app.kubernetes.io/part-of": "messaging-platform" };
        const selfSignedName = `${t.issuer}-selfsigned`;
        const selfSigned = new k8s.apiextensions.CustomResource(
            `${name}-selfsigned`,
            { apiVersion: API, kind: "ClusterIssuer", metadata: { name: selfSignedName, labels }, spec: { selfSigned: {} } },
            { parent: this },
        );
        // The CA key signs every certificate of the cluster: losing it (a deletion) would break every TLS client.
        const ca = new k8s.apiextensions.CustomResource(
            `${name}-ca`,
            { apiVersion: API, kind: "Certificate", metadata: { name: caSecretName(t), namespace: t.certManagerNamespace, labels }, spec: caCertificateSpec(t, selfSignedName) },
            { parent: this, dependsOn: [selfSigned], retainOnDelete: true },
        );
        this.issuer = new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            { apiVersion: API, kind: "ClusterIssuer", metadata: { name: t.issuer, labels }, spec: { ca: { secretName: caSecretName(t) } } },
            { parent: this, dependsOn: [ca] },
        );
        this.trust = t.trust.namespaces.map(
            (namespace) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-trust-${namespace}`,
                    {
                        apiVersion: API,
                        kind: "Certificate",
                        metadata: { name: t.trust.secret, namespace, labels },
                        spec: trustCertificateSpec(t, namespace),
                    },
                    { parent: this, dependsOn: [this.issuer] },
                ),
        );
        this.registerOutputs({});
    }
}
