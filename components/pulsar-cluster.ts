/**
 * PulsarCluster: the brokers with Kafka-on-Pulsar, as `topology.pulsar` says.
 *
 * - mode `helm` (dev/prod): the Apache Pulsar chart as a `helm.v3.Release`, which runs the chart's hooks (JWT secret
 *   generation, StatefulSet upgrade jobs) that `helm.v3.Chart` would skip (research/anchors-mission.md 1.7).
 * - mode `standalone` (local): one StatefulSet running `bin/pulsar standalone`; nothing is fetched at preview time,
 *   so the local stack renders offline.
 *
 * Both modes enable KoP the same way: the plan's `kop.brokerConfig` as broker.conf entries, the handler's NAR
 * downloaded by an init container into an emptyDir mounted at the broker's `protocols` directory (the chart ships no
 * NAR and no Kafka port: anchors-mission.md 1.8), and a `pulsar-kafka` Service for the Kafka listener.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_ADMIN_ROLE, PULSAR_RELEASE, type KopTlsPlan, type OffloadPlan, type PulsarPlan, type SecretKeyRef, type Topology } from "../topology";

/** The Helm release name (the plan's, since its endpoints and Secret names assume it). */
export { PULSAR_RELEASE };
export const PULSAR_CHART_REPO = "https://pulsar.apache.org/charts";
/** Where the broker (and standalone) image looks for protocol handlers: `protocolHandlerDirectory=./protocols` under /pulsar. */
export const PROTOCOLS_DIR = "/pulsar/protocols";
const KOP_VOLUME = "kop-protocols";

export type { SecretKeyRef };

export interface PulsarClusterArgs {
    /** The planned topology. Its `pulsar` must be set (index.ts constructs the cluster only then). */
    topology: Topology;
    /**
     * The brokers' cloud identity for tiered-storage offload (GKE: the Google service account email; EKS: the IAM
     * role ARN), from `OffloadBucket.brokerIdentity`. Required when `topology.offload` is set; ignored otherwise.
     * @default undefined (no workload-identity annotation)
     */
    brokerIdentity?: pulumi.Input<string>;
    /**
     * Size of the standalone broker's data volume (mode `standalone` only).
     * @default "10Gi"
     */
    standaloneDataSize?: string;
    /**
     * Storage class of the standalone data volume (mode `standalone` only).
     * @default undefined (the cluster's default storage class)
     */
    standaloneStorageClass?: string;
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

/** The image repository of `repo:tag`. */
function imageRepository(image: string): string {
    return image.slice(0, image.lastIndexOf(":"));
}

/** The NAR's file name in the protocols directory. */
export function narFileName(narUrl: string): string {
    const last = narUrl.split("?")[0]?.split("/").pop() ?? "";
    return last.endsWith(".nar") ? last : "pulsar-protocol-handler-kafka.nar";
}

/** The init container that downloads the KoP NAR into the shared protocols volume. */
export function kopInitContainer(p: PulsarPlan): k8s.types.input.core.v1.Container {
    const file = narFileName(p.kop.narUrl);
    return {
        name: "fetch-kop-nar",
        image: p.kop.fetchImage,
        // The URL goes in through the environment so the shell never interprets it.
        command: ["sh", "-c", `curl -fsSL --retry 5 --retry-delay 3 -o "/protocols/${file}" "$KOP_NAR_URL"`],
        env: [{ name: "KOP_NAR_URL", value: p.kop.narUrl }],
        volumeMounts: [{ name: KOP_VOLUME, mountPath: "/protocols" }],
        securityContext: {
            runAsNonRoot: true,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    };
}

const kopVolume = { name: KOP_VOLUME, emptyDir: {} };
const KOP_TLS_VOLUME = "kop-tls";

/** The broker env that carries the KoP keystore password into broker.conf. Pure; exported for testing. */
export function kopTlsPasswordEnv(t: KopTlsPlan): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
    return t.passwordKeys.map((name) => ({ name, valueFrom: { secretKeyRef: { name: t.password.name, key: t.password.key } } }));
}

/**
 * The cert-manager Certificate of the KoP listener (cert-manager.io/v1): issued by the chart's CA issuer, with a
 * PKCS#12 keystore and truststore. Profile Modern2023: the default LegacyRC2 is not readable by Java 20+ (the
 * Pulsar 4 images run Java 21; cert-manager CertificateKeystores.pkcs12.profile docs). Pure; exported for testing.
 */
export function kopCertificateSpec(t: KopTlsPlan): Record<string, unknown> {
    return {
        secretName: t.secret,
        commonName: t.dnsNames[0],
        dnsNames: [...t.dnsNames],
        usages: ["server auth"],
        issuerRef: { name: t.issuer, kind: "Issuer", group: "cert-manager.io" },
        keystores: { pkcs12: { create: true, passwordSecretRef: { name: t.password.name, key: t.password.key }, profile: "Modern2023" } },
    };
}
const kopVolumeMount = { name: KOP_VOLUME, mountPath: PROTOCOLS_DIR };

/** The workload-identity annotation key for the offload driver (GKE Workload Identity / EKS IRSA). */
export function workloadIdentityAnnotation(driver: OffloadPlan["driver"]): string {
    return driver === "aws-s3" ? "eks.amazonaws.com/role-arn" : "iam.gke.io/gcp-service-account";
}

/**
 * Helm values for the Apache Pulsar chart (charts/pulsar/values.yaml of chart 4.7.0; every key here exists there,
 * except inside the open maps `configData`, `service_account.annotations` and the documented `storageOffload`).
 * Pure; exported for testing.
 */
export function pulsarHelmValues(
    p: PulsarPlan,
    offload: OffloadPlan | null,
    brokerIdentity?: pulumi.Input<string>,
): Record<string, unknown> {
    const configData: Record<string, string> = { ...p.kop.brokerConfig };
    const broker: Record<string, unknown> = {
        replicaCount: p.brokers,
        configData,
        initContainers: [kopInitContainer(p)],
        extraVolumes: [kopVolume, ...(p.kop.tls ? [{ name: KOP_TLS_VOLUME, secret: { secretName: p.kop.tls.secret } }] : [])],
        extraVolumeMounts: [kopVolumeMount, ...(p.kop.tls ? [{ name: KOP_TLS_VOLUME, mountPath: p.kop.tls.mountPath, readOnly: true }] : [])],
        // The keystore passwords, from their Secret into broker.conf (apply-config-from-env.py reads PULSAR_PREFIX_*).
        ...(p.kop.tls ? { extraEnvs: kopTlsPasswordEnv(p.kop.tls) } : {}),
        // Monitors come from the Observability component (when enabled), not from the chart.
        podMonitor: { enabled: false },
    };
    if (offload) {
        broker.storageOffload = {
            driver: offload.driver,
            bucket: offload.bucket,
            region: offload.region,
            // Rendered as PULSAR_PREFIX_managedLedgerOffloadThresholdInBytes (templates/broker-configmap.yaml).
            managedLedgerOffloadAutoTriggerSizeThresholdBytes: String(offload.thresholdBytes),
        };
        // The chart templates no time threshold (anchors-mission.md 1.4): set the broker key directly. Namespaces
        // get both thresholds again from PulsarTenancy.
        configData.PULSAR_PREFIX_managedLedgerOffloadThresholdInSeconds = String(offload.thresholdSeconds);
        // No key file: the offloader authenticates as the workload identity below. Note the chart still renders
        // gcsManagedLedgerOffloadServiceAccountKeyFile for GCS (a path with no file name when
        // gcsServiceAccountJsonFile is unset), see the report of this component.
        if (brokerIdentity !== undefined) {
            broker.service_account = { annotations: { [workloadIdentityAnnotation(offload.driver)]: brokerIdentity } };
        }
    }

    const values: Record<string, unknown> = {
        defaultPulsarImageRepository: imageRepository(p.image),
        defaultPulsarImageTag: p.version,
        components: {
            zookeeper: true,
            oxia: false,
            bookkeeper: true,
            autorecovery: true,
            broker: true,
            functions: false,
            function_worker: false,
            proxy: true,
            toolset: true,
            pulsar_manager: false,
            dekaf: false,
        },
        bookkeeper: { replicaCount: p.bookies, podMonitor: { enabled: false } },
        zookeeper: { podMonitor: { enabled: false } },
        autorecovery: { podMonitor: { enabled: false } },
        proxy: { podMonitor: { enabled: false } },
        broker,
        // The chart bundles victoria-metrics-k8s-stack (on by default); this platform brings its own monitoring.
        "victoria-metrics-k8s-stack": { enabled: false },
    };
    if (p.tls.enabled) {
        values.tls = { enabled: true, broker: { enabled: true }, proxy: { enabled: true } };
        // The chart's internal cert-manager CA: a self-signed root whose CA issuer carries the configured name
        // (templates/_certs.tpl, "pulsar.certs.issuers.ca.name"); its CA lands in the Secret `<release>-ca-tls`.
        values.certs = {
            internal_issuer: { enabled: true, type: "selfsigning" },
            issuers: { selfsigning: { name: p.tls.certManagerIssuer } },
        };
    }
    if (p.tokenAuth) {
        values.auth = {
            authentication: {
                enabled: true,
                // The program provisions the HS256 key and every token (components/credentials.ts: services need
                // tokens for their own roles, which the chart's generateSecrets hook does not mint), so the hook is off.
                jwt: { enabled: true, usingSecretKey: true, generateSecrets: { enabled: false } },
            },
            authorization: { enabled: true },
            // The program's admin role: its token Secret is `<release>-token-platform-admin` (key TOKEN).
            superUsers: { client: PLATFORM_ADMIN_ROLE },
        };
    }
    return values;
}

/** The Secret holding the admin token (provisioned by ServiceCredentials), when token auth is on. */
export function adminTokenSecret(p: PulsarPlan): SecretKeyRef | undefined {
    const token = p.auth?.superUserTokens.find((t) => t.role === PLATFORM_ADMIN_ROLE);
    return token ? { name: token.secret, key: "TOKEN" } : undefined;
}

/** The Secret holding the cluster CA certificate, when TLS is on (`<release>-<tls.ca_suffix>`). */
export function caSecret(p: PulsarPlan): SecretKeyRef | undefined {
    return p.tls.enabled ? { name: `${PULSAR_RELEASE}-ca-tls`, key: "ca.crt" } : undefined;
}

/**
 * broker.conf entries for the standalone broker, all as PULSAR_PREFIX_ environment variables: the image's
 * `bin/apply-config-from-env.py` adds or overrides the key after the prefix. Pure; exported for testing.
 */
export function standaloneEnvConfig(p: PulsarPlan): Record<string, string> {
    // Lookups answer with the advertised address: the Service, since the pod's own hostname does not resolve.
    const env: Record<string, string> = { PULSAR_PREFIX_advertisedAddress: new URL(p.endpoints.serviceUrl).hostname };
    for (const [key, value] of Object.entries(p.kop.brokerConfig)) {
        env[key.startsWith("PULSAR_PREFIX_") ? key : `PULSAR_PREFIX_${key}`] = value;
    }
    return env;
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
    /** CA certificate Secret (TLS only). */
    readonly caSecret: SecretKeyRef | undefined;
    /** The Kubernetes resources that make up the brokers, for `dependsOn`. */
    readonly workload: pulumi.Resource;

    constructor(name: string, args: PulsarClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:pulsar:PulsarCluster", name, {}, opts);
        const { topology } = args;
        const p = topology.pulsar;
        if (!p) {
            throw new Error(`PulsarCluster "${name}": topology.pulsar is null (phase ${topology.phase}); construct it only when the plan has Pulsar`);
        }
        if (topology.offload && args.brokerIdentity === undefined) {
            throw new Error(
                `PulsarCluster "${name}": topology.offload is set (${topology.offload.driver}, bucket ${topology.offload.bucket}) ` +
                    `but brokerIdentity is missing: pass OffloadBucket.brokerIdentity so the brokers can write to the bucket`,
            );
        }
        const namespace = topology.kubernetes.namespace;
        const dataOpts = { parent: this, retainOnDelete: true, protect: topology.protectData };

        // The brokers mount the keystore Secret: its Certificate comes first (cert-manager fills the Secret).
        const kopCertificate = p.kop.tls
            ? [
                  new k8s.apiextensions.CustomResource(
                      `${name}-kop-certificate`,
                      {
                          apiVersion: "cert-manager.io/v1",
                          kind: "Certificate",
                          metadata: { name: p.kop.tls.certificate, namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } },
                          spec: kopCertificateSpec(p.kop.tls),
                      },
                      { parent: this },
                  ),
              ]
            : [];
        if (p.mode === "helm") {
            this.workload = new k8s.helm.v3.Release(
                `${name}-release`,
                {
                    name: PULSAR_RELEASE,
                    namespace,
                    chart: "pulsar",
                    version: p.chartVersion,
                    repositoryOpts: { repo: PULSAR_CHART_REPO },
                    values: pulsarHelmValues(p, topology.offload, args.brokerIdentity),
                    // Bookies and ZooKeeper take minutes to form a cluster.
                    timeout: 1200,
                },
                // Bookies and ZooKeeper hold the data: a rollback to phase 0 must not uninstall them.
                { ...dataOpts, dependsOn: kopCertificate },
            );
        } else {
            if (p.tls.enabled || p.tokenAuth) {
                throw new Error(
                    `PulsarCluster "${name}": the standalone (local) broker supports neither pulsar.tls.enabled nor ` +
                        `pulsar.auth.token (tls: ${p.tls.enabled}, token: ${p.tokenAuth}); set both false for the local environment`,
                );
            }
            this.workload = this.standalone(name, p, namespace, args, dataOpts);
        }

        new k8s.core.v1.Service(
            `${name}-kafka`,
            {
                metadata: { name: p.endpoints.kafkaService, namespace, labels: { ...brokerSelector(p), "app.kubernetes.io/part-of": "messaging-platform" } },
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
        this.caSecret = caSecret(p);
        this.registerOutputs({ serviceUrl: this.serviceUrl, httpUrl: this.httpUrl, kopBootstrap: this.kopBootstrap });
    }

    private standalone(
        name: string,
        p: PulsarPlan,
        namespace: string,
        args: PulsarClusterArgs,
        dataOpts: pulumi.CustomResourceOptions,
    ): pulumi.Resource {
        const labels = { ...STANDALONE_LABELS, "app.kubernetes.io/part-of": "messaging-platform" };
        // The broker settings go into the pod template itself, not a ConfigMap: a fixed-name ConfigMap whose data
        // changes is replaced delete-before-replace (pulumi-kubernetes forceNew: ConfigMap .data), and the engine then
        // replaces every resource whose spec reads it (calculateDependentReplacements): the StatefulSet. In the
        // template, a settings change is an in-place rolling update of the StatefulSet (scripts/provider-diff.ts).
        const env = Object.entries(standaloneEnvConfig(p)).map(([envName, value]) => ({ name: envName, value }));
        new k8s.core.v1.Service(
            `${name}-service`,
            {
                metadata: { name: p.endpoints.brokerService, namespace, labels },
                spec: {
                    type: "ClusterIP",
                    selector: brokerSelector(p),
                    ports: [
                        { name: "pulsar", port: 6650, targetPort: 6650, protocol: "TCP" },
                        { name: "http", port: 8080, targetPort: 8080, protocol: "TCP" },
                    ],
                },
            },
            { parent: this },
        );
        const ports = [
            { name: "pulsar", containerPort: 6650 },
            { name: "http", containerPort: 8080 },
            { name: "kafka", containerPort: p.endpoints.kafkaPort },
        ];
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
                            initContainers: [kopInitContainer(p)],
                            containers: [
                                {
                                    name: "pulsar",
                                    image: p.image,
                                    command: ["sh", "-c"],
                                    // -nfw/-nss: no embedded function worker or stream storage (Functions run on Function Mesh).
                                    args: ["bin/apply-config-from-env.py conf/standalone.conf && exec bin/pulsar standalone -nfw -nss"],
                                    env,
                                    ports,
                                    readinessProbe: { tcpSocket: { port: 8080 }, initialDelaySeconds: 20, periodSeconds: 10, failureThreshold: 12 },
                                    livenessProbe: { tcpSocket: { port: 6650 }, initialDelaySeconds: 60, periodSeconds: 20, failureThreshold: 6 },
                                    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "2Gi" } },
                                    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                                    volumeMounts: [{ name: "data", mountPath: "/pulsar/data" }, kopVolumeMount],
                                },
                            ],
                            volumes: [kopVolume],
                        },
                    },
                    volumeClaimTemplates: [
                        {
                            metadata: { name: "data" },
                            spec: {
                                accessModes: ["ReadWriteOnce"],
                                ...(args.standaloneStorageClass ? { storageClassName: args.standaloneStorageClass } : {}),
                                resources: { requests: { storage: args.standaloneDataSize ?? "10Gi" } },
                            },
                        },
                    ],
                },
            },
            dataOpts,
        );
    }
}
