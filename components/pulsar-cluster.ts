/**
 * PulsarCluster: the brokers with Kafka-on-Pulsar, as `topology.pulsar` says.
 *
 * - mode `helm` (dev/prod): the Apache Pulsar chart as a `helm.v3.Release`, which runs the chart's hooks (StatefulSet
 *   upgrade jobs) that `helm.v3.Chart` would skip (research/anchors-mission.md 1.7); values from
 *   components/pulsar-chart-values.ts.
 * - mode `standalone` (local): one StatefulSet running `bin/pulsar standalone`; nothing is fetched at preview time,
 *   so the local stack renders offline.
 *
 * Both modes enable KoP the same way: the plan's `kop.brokerConfig` as broker.conf entries, the handler in the
 * broker image's protocols directory (or, with `kop.source: download`, fetched and checksum-verified by an init
 * container), and a `pulsar-kafka` Service for the Kafka listener. With TLS, the platform's CA
 * (components/pulsar-ca.ts) signs the chart's certificates and the KoP listener's.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { workloadChecksum } from "./credentials";
import { PLATFORM_ADMIN_ROLE, PULSAR_RELEASE, pulsarMem, type KopTlsPlan, type PulsarPlan, type SecretKeyRef, type Topology } from "../topology";
import { PulsarCertificateAuthority } from "./pulsar-ca";
import { PROTOCOLS_DIR, kopInitContainer, pulsarHelmValues } from "./pulsar-chart-values";

export { AUTHENTICATION_PROVIDERS_WITH_TLS, PROTOCOLS_DIR, kopInitContainer, pulsarHelmValues, workloadIdentityAnnotation } from "./pulsar-chart-values";
/** The Helm release name (the plan's, since its endpoints and Secret names assume it). */
export { PULSAR_RELEASE };
export const PULSAR_CHART_REPO = "https://pulsar.apache.org/charts";

export type { SecretKeyRef };

export interface PulsarClusterArgs {
    /** The planned topology. Its `pulsar` must be set (index.ts constructs the cluster only then). */
    topology: Topology;
    /**
     * The brokers' cloud identity for tiered-storage offload (EKS: the IAM role ARN; GCS: the service-account key's
     * id), from `OffloadBucket.brokerIdentity`. Required when `topology.offload` is set; ignored otherwise.
     * @default undefined
     */
    brokerIdentity?: pulumi.Input<string>;
    /**
     * The GCS offloader's service-account key (the JSON, base64), from `OffloadBucket.brokerKey`. Required when the
     * plan's offload reads a key file; ignored otherwise.
     * @default undefined
     */
    offloadKey?: pulumi.Input<string>;
    /**
     * The content checksum of each Secret by name (ServiceCredentials.checksums). The brokers, proxies and toolset
     * read the signing key, their tokens and the KoP keystore password when they start: a change rolls them.
     * @default {} (no checksum annotation)
     */
    secretChecksums?: Record<string, pulumi.Input<string>>;
    /**
     * Storage class of the standalone data volume (mode `standalone` only).
     * @default undefined (the cluster's default storage class)
     */
    standaloneStorageClass?: string;
}

/** The Secrets the chart's pods read when they start: the JWT signing key, the super-users' tokens, the KoP keystore password. */
export function secretsReadAtStart(p: PulsarPlan): string[] {
    return [...(p.auth ? [p.auth.signingKey.name, ...p.auth.superUserTokens.map((t) => t.secret)] : []), ...(p.kop.tls ? [p.kop.tls.password.name] : [])];
}

/** Labels of the standalone broker pods (the chart's own broker labels are `app`/`release`/`component`). */
export const STANDALONE_LABELS = { app: "pulsar", release: PULSAR_RELEASE, component: "broker" } as const;
/** Labels the chart puts on broker pods (`pulsar.matchLabels` + `component`), for Services and monitors. */
export const CHART_BROKER_LABELS = { app: "pulsar", release: PULSAR_RELEASE, component: "broker" } as const;

/** The labels that select broker pods in either mode. */
export function brokerSelector(_p: Pick<PulsarPlan, "mode">): Record<string, string> {
    // Both modes use the same labels on purpose, so Services and monitors do not depend on the mode.
    return { ...CHART_BROKER_LABELS };
}

/**
 * The cert-manager Certificate of the KoP listener (cert-manager.io/v1): issued by the platform's ClusterIssuer, with
 * a PKCS#12 keystore and truststore. Profile Modern2023: the default LegacyRC2 is not readable by Java 20+ (the
 * Pulsar 4 images run Java 21; cert-manager CertificateKeystores.pkcs12.profile docs). Pure; exported for testing.
 */
export function kopCertificateSpec(t: KopTlsPlan): Record<string, unknown> {
    return {
        secretName: t.secret,
        commonName: t.dnsNames[0],
        dnsNames: [...t.dnsNames],
        usages: ["server auth"],
        issuerRef: { name: t.issuer, kind: "ClusterIssuer", group: "cert-manager.io" },
        keystores: { pkcs12: { create: true, passwordSecretRef: { name: t.password.name, key: t.password.key }, profile: "Modern2023" } },
    };
}

/** The Secret holding the admin token (provisioned by ServiceCredentials), when token auth is on. */
export function adminTokenSecret(p: PulsarPlan): SecretKeyRef | undefined {
    const token = p.auth?.superUserTokens.find((t) => t.role === PLATFORM_ADMIN_ROLE);
    return token ? { name: token.secret, key: "TOKEN" } : undefined;
}

/**
 * broker.conf entries for the standalone broker, all as PULSAR_PREFIX_ environment variables: the image's
 * `bin/apply-config-from-env.py` adds or overrides the key after the prefix. Pure; exported for testing.
 */
export function standaloneEnvConfig(p: PulsarPlan): Record<string, string> {
    // Lookups answer with the advertised address: the Service, since the pod's own hostname does not resolve.
    const env: Record<string, string> = { PULSAR_PREFIX_advertisedAddress: p.endpoints.advertisedAddress };
    for (const [key, value] of Object.entries(p.kop.brokerConfig)) {
        env[key.startsWith("PULSAR_PREFIX_") ? key : `PULSAR_PREFIX_${key}`] = value;
    }
    return env;
}

/** The standalone broker's Service ports: everything a client is sent to, the Kafka listener included. */
export function standalonePorts(p: PulsarPlan): { name: string; port: number; targetPort: number; protocol: "TCP" }[] {
    return [
        { name: "pulsar", port: 6650, targetPort: 6650, protocol: "TCP" },
        { name: "http", port: 8080, targetPort: 8080, protocol: "TCP" },
        // KoP advertises this Service's host on the Kafka port: it must answer there.
        { name: "kafka", port: p.endpoints.kafkaPort, targetPort: p.endpoints.kafkaPort, protocol: "TCP" },
    ];
}

export class PulsarCluster extends pulumi.ComponentResource {
    /** `pulsar://` (or `pulsar+ssl://`) service URL inside the cluster. */
    readonly serviceUrl: pulumi.Output<string>;
    /** Admin (HTTP) URL inside the cluster. */
    readonly httpUrl: pulumi.Output<string>;
    /** Kafka bootstrap of the KoP listener. */
    readonly kopBootstrap: pulumi.Output<string>;
    /** Admin token Secret (token auth only), for the resources operator and Function Mesh. */
    readonly adminTokenSecret: SecretKeyRef | undefined;
    /** The resources that make up the brokers (and their CA), for `dependsOn`. */
    readonly workload: pulumi.Resource[];

    constructor(name: string, args: PulsarClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:pulsar:PulsarCluster", name, {}, opts);
        const { topology } = args;
        const p = topology.pulsar;
        if (!p) {
            throw new Error(`PulsarCluster "${name}": topology.pulsar is null (phase ${topology.phase}); construct it only when the plan has Pulsar`);
        }
        const offload = topology.offload;
        if (offload && args.brokerIdentity === undefined) {
            throw new Error(
                `PulsarCluster "${name}": topology.offload is set (${offload.driver}, bucket ${offload.bucket}) ` +
                    `but brokerIdentity is missing: pass OffloadBucket.brokerIdentity so the brokers can write to the bucket`,
            );
        }
        if (offload?.credentials.kind === "key-file" && args.offloadKey === undefined) {
            throw new Error(`PulsarCluster "${name}": the ${offload.driver} offloader reads a key file, but offloadKey is missing: pass OffloadBucket.brokerKey`);
        }
        const namespace = topology.kubernetes.namespace;
        const labels = { "app.kubernetes.io/part-of": "messaging-platform" };
        const dataOpts = { parent: this, retainOnDelete: true, protect: topology.protectData };

        const ca = p.tls ? new PulsarCertificateAuthority(`${name}-ca`, { tls: p.tls }, { parent: this }) : undefined;
        const certificates: pulumi.Resource[] = [...(ca ? [ca.issuer, ...ca.trust] : [])];
        if (p.kop.tls) {
            // The brokers mount the keystore Secret: its Certificate comes first (cert-manager fills the Secret).
            certificates.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-kop-certificate`,
                    { apiVersion: "cert-manager.io/v1", kind: "Certificate", metadata: { name: p.kop.tls.certificate, namespace, labels }, spec: kopCertificateSpec(p.kop.tls) },
                    { parent: this, dependsOn: ca ? [ca.issuer] : [] },
                ),
            );
        }
        if (offload?.credentials.kind === "key-file") {
            // The GCS offloader's key, mounted by the chart from this Secret (broker.storageOffload.gcsServiceAccountSecret).
            certificates.push(
                new k8s.core.v1.Secret(
                    `${name}-gcs-offload-key`,
                    { metadata: { name: offload.credentials.secret, namespace, labels }, type: "Opaque", data: { [offload.credentials.file]: args.offloadKey as pulumi.Input<string> } },
                    { parent: this, additionalSecretOutputs: ["data"] },
                ),
            );
        }
        if (p.mode === "helm") {
            this.workload = [
                new k8s.helm.v3.Release(
                    `${name}-release`,
                    {
                        name: PULSAR_RELEASE,
                        namespace,
                        chart: "pulsar",
                        version: p.chartVersion,
                        repositoryOpts: { repo: PULSAR_CHART_REPO },
                        values: pulsarHelmValues(p, offload, args.brokerIdentity, args.secretChecksums ? workloadChecksum(args.secretChecksums, secretsReadAtStart(p)) : undefined),
                        // Bookies and ZooKeeper take minutes to form a cluster.
                        timeout: 1200,
                    },
                    // Bookies and ZooKeeper hold the data: a rollback to phase 0 must not uninstall them.
                    { ...dataOpts, dependsOn: certificates },
                ),
                ...certificates,
            ];
        } else {
            if (p.tls || p.tokenAuth) {
                throw new Error(
                    `PulsarCluster "${name}": the standalone (local) broker supports neither pulsar.tls.enabled nor ` +
                        `pulsar.auth.token (tls: ${p.tls !== null}, token: ${p.tokenAuth}); set both false for the local environment`,
                );
            }
            this.workload = [this.standalone(name, p, namespace, args, dataOpts)];
        }

        new k8s.core.v1.Service(
            `${name}-kafka`,
            {
                metadata: { name: p.endpoints.kafkaService, namespace, labels: { ...brokerSelector(p), ...labels } },
                spec: {
                    type: "ClusterIP",
                    selector: brokerSelector(p),
                    ports: [{ name: "kafka", port: p.endpoints.kafkaPort, targetPort: p.endpoints.kafkaPort, protocol: "TCP" }],
                },
            },
            { parent: this },
        );

        this.serviceUrl = pulumi.output(p.endpoints.serviceUrl);
        this.httpUrl = pulumi.output(p.endpoints.httpUrl);
        this.kopBootstrap = pulumi.output(p.endpoints.kopBootstrap);
        this.adminTokenSecret = adminTokenSecret(p);
        this.registerOutputs({ serviceUrl: this.serviceUrl, httpUrl: this.httpUrl, kopBootstrap: this.kopBootstrap });
    }

    private standalone(name: string, p: PulsarPlan, namespace: string, args: PulsarClusterArgs, dataOpts: pulumi.CustomResourceOptions): pulumi.Resource {
        const labels = { ...STANDALONE_LABELS, "app.kubernetes.io/part-of": "messaging-platform" };
        const j = p.sizing.standalone;
        // The broker settings go into the pod template itself, not a ConfigMap: a fixed-name ConfigMap whose data
        // changes is replaced delete-before-replace (pulumi-kubernetes forceNew: ConfigMap .data), and the engine then
        // replaces every resource whose spec reads it (calculateDependentReplacements): the StatefulSet. In the
        // template, a settings change is an in-place rolling update of the StatefulSet (scripts/provider-diff.ts).
        // PULSAR_MEM sizes the JVM to the container: the image's default (-Xmx2g, 4g direct) would exceed its limit.
        const env = [{ name: "PULSAR_MEM", value: pulsarMem(j) }, ...Object.entries(standaloneEnvConfig(p)).map(([envName, value]) => ({ name: envName, value }))];
        new k8s.core.v1.Service(
            `${name}-service`,
            { metadata: { name: p.endpoints.brokerService, namespace, labels }, spec: { type: "ClusterIP", selector: brokerSelector(p), ports: standalonePorts(p) } },
            { parent: this },
        );
        const download = p.kop.handler.source === "download";
        const kopVolume = { name: "kop-protocols", emptyDir: {} };
        return new k8s.apps.v1.StatefulSet(
            `${name}-standalone`,
            {
                metadata: { name: "pulsar", namespace, labels },
                spec: {
                    serviceName: p.endpoints.brokerService,
                    replicas: 1,
                    selector: { matchLabels: brokerSelector(p) },
                    // Deleting or scaling the StatefulSet keeps the data volume.
                    persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                    template: {
                        metadata: { labels },
                        spec: {
                            // The image runs as uid 10000 in group 0 (as the chart's broker securityContext).
                            securityContext: { runAsNonRoot: true, runAsUser: 10000, fsGroup: 0, seccompProfile: { type: "RuntimeDefault" } },
                            ...(download ? { initContainers: [kopInitContainer(p)] } : {}),
                            containers: [
                                {
                                    name: "pulsar",
                                    image: p.image,
                                    command: ["sh", "-c"],
                                    // -nfw/-nss: no embedded function worker or stream storage (Functions run on Function Mesh).
                                    args: ["bin/apply-config-from-env.py conf/standalone.conf && exec bin/pulsar standalone -nfw -nss"],
                                    env,
                                    ports: [
                                        { name: "pulsar", containerPort: 6650 },
                                        { name: "http", containerPort: 8080 },
                                        { name: "kafka", containerPort: p.endpoints.kafkaPort },
                                    ],
                                    readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 12 },
                                    livenessProbe: { tcpSocket: { port: 6650 }, initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 },
                                    resources: { requests: { cpu: j.cpu, memory: `${j.memoryMiB}Mi` }, limits: { cpu: "2", memory: `${j.memoryMiB}Mi` } },
                                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [{ name: "data", mountPath: "/pulsar/data" }, ...(download ? [{ name: kopVolume.name, mountPath: PROTOCOLS_DIR }] : [])],
                                },
                            ],
                            volumes: download ? [kopVolume] : [],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data" },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                ...(args.standaloneStorageClass ? { storageClassName: args.standaloneStorageClass } : {}),
                                resources: { requests: { storage: `${j.dataGi}Gi` } },
                            },
                        },
                    ],
                },
            },
            dataOpts,
        );
    }
}
