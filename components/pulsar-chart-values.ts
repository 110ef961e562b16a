/**
 * The Apache Pulsar chart's values for a planned cluster (chart 4.7.0; every key here exists in its values.yaml,
 * reference/pulsar-chart-values.json, except inside the open maps `configData`, `annotations` and
 * `service_account.annotations` and the documented `storageOffload`). Pure.
 *
 * What the values make true on a real cluster, each from the chart's templates:
 * - Brokers restart when what they read at start changes: `restartPodsOnConfigMapChange` puts a checksum of the
 *   component's ConfigMap on its pod template (templates/broker-statefulset.yaml, `checksum/config`); broker.conf is
 *   rendered from that ConfigMap at container start, and without it a configData change updates the ConfigMap and no
 *   broker sees it. Likewise the offload identity (the IRSA role, the GCS key) is read when a pod starts, so it is a
 *   pod annotation too.
 * - Every JVM is sized (`PULSAR_MEM` in configData, the chart's mechanism) and has a memory limit it fits
 *   (topology/sizing.ts); bookies and ZooKeeper keep their volumes on the configured storage class.
 * - Each broker advertises its pod FQDN under the headless Service, which its certificate covers.
 * - TLS certificates come from the platform's ClusterIssuer (components/pulsar-ca.ts) with the Service FQDNs as SANs,
 *   and the brokers and proxies trust the CA from the `pulsar-ca-trust` Secret (`certs.issuers.ca.secretName`).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { pulsarMem, type JvmSizing, type KopTlsPlan, type OffloadPlan, type PulsarPlan } from "../topology";
import { PLATFORM_ADMIN_ROLE } from "../topology";
import { SECRETS_CHECKSUM_ANNOTATION } from "./credentials";

/** Where the broker (and standalone) image looks for protocol handlers: `protocolHandlerDirectory=./protocols` under /pulsar. */
export const PROTOCOLS_DIR = "/pulsar/protocols";
const KOP_VOLUME = "kop-protocols";
const KOP_TLS_VOLUME = "kop-tls";

/** The workload-identity annotation key for the offload driver (EKS IRSA), or the pod annotation of the GCS key. */
export function workloadIdentityAnnotation(driver: OffloadPlan["driver"]): string {
    return driver === "aws-s3" ? "eks.amazonaws.com/role-arn" : "iam.gke.io/gcp-service-account";
}

/** The pod annotation that carries the offload identity, so a changed identity rolls the brokers. */
export const OFFLOAD_IDENTITY_ANNOTATION = "messaging-platform/offload-identity";

/**
 * The init container that downloads the KoP NAR and refuses it unless it matches the pinned checksum
 * (`pulsar.kop.source: download` only). It runs as the fetch image's numeric user: the kubelet cannot verify a named
 * USER against runAsNonRoot. Pure; exported for testing.
 */
export function kopInitContainer(p: PulsarPlan): k8s.types.input.core.v1.Container {
    const h = p.kop.handler;
    if (h.source !== "download") {
        throw new Error("kopInitContainer: the plan's KoP handler comes with the image; no init container fetches it");
    }
    const tmp = `/protocols/.${h.file}.part`;
    return {
        name: "fetch-kop-nar",
        image: h.fetchImage,
        // The URL and checksum go in through the environment so the shell never interprets them; the file is moved
        // into place only once its checksum matches.
        command: [
            "sh",
            "-c",
            `curl -fsSL --retry 5 --retry-delay 3 -o "${tmp}" "$KOP_NAR_URL" && echo "$KOP_NAR_SHA256  ${tmp}" | sha256sum -c - && mv "${tmp}" "/protocols/${h.file}"`,
        ],
        env: [
            { name: "KOP_NAR_URL", value: h.narUrl },
            { name: "KOP_NAR_SHA256", value: h.sha256 },
        ],
        volumeMounts: [{ name: KOP_VOLUME, mountPath: "/protocols" }],
        securityContext: {
            runAsNonRoot: true,
            runAsUser: h.runAsUser,
            runAsGroup: h.runAsGroup,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ["ALL"] },
        },
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { cpu: "200m", memory: "64Mi" } },
    };
}

/** The broker env that carries the KoP keystore password into broker.conf. Pure; exported for testing. */
export function kopTlsPasswordEnv(t: KopTlsPlan): { name: string; valueFrom: { secretKeyRef: { name: string; key: string } } }[] {
    return t.passwordKeys.map((name) => ({ name, valueFrom: { secretKeyRef: { name: t.password.name, key: t.password.key } } }));
}

/**
 * The broker env that sets advertisedAddress to the pod's FQDN under the headless Service: `$(POD_NAME)` is expanded
 * by the kubelet from the env var defined before it (Kubernetes "dependent environment variables"), and
 * apply-config-from-env.py writes PULSAR_PREFIX_ keys into broker.conf at start.
 */
export function advertisedAddressEnv(p: PulsarPlan): k8s.types.input.core.v1.EnvVar[] {
    return [
        { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
        { name: "PULSAR_PREFIX_advertisedAddress", value: p.endpoints.advertisedAddress },
    ];
}

/** A container's memory request = limit (the JVM is sized to it) and CPU request. */
function resources(j: JvmSizing): Record<string, unknown> {
    return { requests: { cpu: j.cpu, memory: `${j.memoryMiB}Mi` }, limits: { memory: `${j.memoryMiB}Mi` } };
}

/** Spread over zones (prod) as well as hosts (the chart's anti-affinity), for the pods of one component. */
function zoneSpread(p: PulsarPlan, component: string): unknown[] {
    if (!p.sizing.zoneSpread) {
        return [];
    }
    return [
        {
            maxSkew: 1,
            topologyKey: "topology.kubernetes.io/zone",
            whenUnsatisfiable: "DoNotSchedule",
            labelSelector: { matchLabels: { app: "pulsar", release: "pulsar", component } },
        },
    ];
}

/** What a component of the chart gets from the sizing: JVM options, resources, restart on config change, spread. */
function component(p: PulsarPlan, j: JvmSizing, chartComponent: string, memVar = "PULSAR_MEM"): Record<string, unknown> {
    return {
        configData: { [memVar]: pulsarMem(j) },
        resources: resources(j),
        restartPodsOnConfigMapChange: true,
        topologySpreadConstraints: zoneSpread(p, chartComponent),
        podMonitor: { enabled: false },
    };
}

/**
 * Helm values for the Apache Pulsar chart. Pure; exported for testing.
 * @param offloadIdentity the brokers' cloud identity for offload: the IRSA role ARN (S3), or the GCS key's id (the key
 *   itself is the Secret the plan names)
 */
export function pulsarHelmValues(
    p: PulsarPlan,
    offload: OffloadPlan | null,
    offloadIdentity?: pulumi.Input<string>,
    secretsChecksum?: pulumi.Input<string>,
): Record<string, unknown> {
    const s = p.sizing;
    const download = p.kop.handler.source === "download";
    const brokerBase = component(p, s.broker, "broker");
    const configData: Record<string, string> = {
        ...(brokerBase.configData as Record<string, string>),
        ...p.kop.brokerConfig,
        ...p.brokerConfig,
        // Every ledger's placement; the chart's broker init container also reads the ensemble from here.
        managedLedgerDefaultEnsembleSize: String(s.ensemble),
        managedLedgerDefaultWriteQuorum: String(s.writeQuorum),
        managedLedgerDefaultAckQuorum: String(s.ackQuorum),
    };
    // The checksum of the Secrets the pods read at start (components/credentials.ts): a rotation rolls them.
    const started: Record<string, pulumi.Input<string>> = secretsChecksum !== undefined ? { [SECRETS_CHECKSUM_ANNOTATION]: secretsChecksum } : {};
    const annotations: Record<string, pulumi.Input<string>> = { ...started };
    const broker: Record<string, unknown> = {
        ...brokerBase,
        replicaCount: p.brokers,
        configData,
        annotations,
        ...(download ? { initContainers: [kopInitContainer(p)] } : {}),
        extraVolumes: [
            ...(download ? [{ name: KOP_VOLUME, emptyDir: {} }] : []),
            ...(p.kop.tls ? [{ name: KOP_TLS_VOLUME, secret: { secretName: p.kop.tls.secret } }] : []),
        ],
        extraVolumeMounts: [
            ...(download ? [{ name: KOP_VOLUME, mountPath: PROTOCOLS_DIR }] : []),
            ...(p.kop.tls ? [{ name: KOP_TLS_VOLUME, mountPath: p.kop.tls.mountPath, readOnly: true }] : []),
        ],
        // advertisedAddress first (POD_NAME before the variable that expands it), then the keystore passwords.
        extraEnvs: [...advertisedAddressEnv(p), ...(p.kop.tls ? kopTlsPasswordEnv(p.kop.tls) : []), ...clientCertAuthEnv(p)],
    };
    for (const m of p.brokerSecretMounts ?? []) {
        (broker.extraVolumes as unknown[]).push({ name: m.name, secret: { secretName: m.secret } });
        (broker.extraVolumeMounts as unknown[]).push({ name: m.name, mountPath: m.mountPath, readOnly: true });
    }
    if (offload) {
        broker.storageOffload = {
            driver: offload.driver,
            bucket: offload.bucket,
            region: offload.region,
            // Rendered as PULSAR_PREFIX_managedLedgerOffloadThresholdInBytes (templates/broker-configmap.yaml).
            managedLedgerOffloadAutoTriggerSizeThresholdBytes: String(offload.thresholdBytes),
            // GCS: the chart mounts this Secret at /pulsar/gcp-service-account and points the offloader at the file.
            ...(offload.credentials.kind === "key-file"
                ? { gcsServiceAccountSecret: offload.credentials.secret, gcsServiceAccountJsonFile: offload.credentials.file }
                : {}),
        };
        // The chart templates no time threshold (anchors-mission.md 1.4): set the broker key directly. Namespaces
        // get both thresholds again from PulsarTenancy.
        configData.PULSAR_PREFIX_managedLedgerOffloadThresholdInSeconds = String(offload.thresholdSeconds);
        if (offloadIdentity !== undefined) {
            if (offload.credentials.kind === "workload-identity") {
                broker.service_account = { annotations: { [workloadIdentityAnnotation(offload.driver)]: offloadIdentity } };
            }
            annotations[OFFLOAD_IDENTITY_ANNOTATION] = offloadIdentity;
        }
    }

    const bookkeeper: Record<string, unknown> = {
        ...component(p, s.bookie, "bookie"),
        replicaCount: p.bookies,
        volumes: {
            journal: { size: `${s.bookie.journalGi}Gi`, ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}) },
            ledgers: { size: `${s.bookie.ledgersGi}Gi`, ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}) },
        },
    };
    const zookeeper: Record<string, unknown> = {
        ...component(p, s.zookeeper, "zookeeper"),
        volumes: { data: { size: `${s.zookeeper.dataGi}Gi`, ...(p.storageClassName ? { storageClassName: p.storageClassName } : {}) } },
    };
    const values: Record<string, unknown> = {
        defaultPulsarImageRepository: imageRepository(p.image),
        // A digest rides on the tag (`<tag>@sha256:...`): the chart writes `<repository>:<tag>`.
        defaultPulsarImageTag: imageTag(p.image),
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
        zookeeper,
        bookkeeper,
        autorecovery: component(p, s.autorecovery, "recovery", "BOOKIE_MEM"),
        proxy: {
            ...component(p, s.proxy, "proxy"),
            ...(secretsChecksum !== undefined ? { annotations: { ...started } } : {}),
            // The sites' replicators connect through the proxy: it authenticates their certificates too.
            ...(p.clientCertAuth ? { extraEnvs: clientCertAuthEnv(p) } : {}),
        },
        toolset: {
            configData: { PULSAR_MEM: pulsarMem(s.toolset) },
            resources: resources(s.toolset),
            restartPodsOnConfigMapChange: true,
            ...(secretsChecksum !== undefined ? { annotations: { ...started } } : {}),
        },
        broker,
        // The chart bundles victoria-metrics-k8s-stack (on by default); this platform brings its own monitoring.
        "victoria-metrics-k8s-stack": { enabled: false },
    };
    if (p.clusterName) {
        // Documented (commented out) in values.yaml; `pulsar.cluster.name` in _helpers.tpl reads it, else the fullname.
        values.clusterName = p.clusterName;
    }
    if (p.tls) {
        // The edge sites' CAs, combined with the platform's into the trust file (templates _certs.tpl: the `cacerts`
        // init container writes /pulsar/certs/cacerts/ca-combined.pem, which tlsTrustCertsFilePath then names).
        const cacerts = p.clientCertAuth
            ? { cacerts: { enabled: true, certs: p.clientCertAuth.trust.map((t) => ({ name: t.name, existingSecret: t.secret, secretKeys: [t.key] })) } }
            : {};
        values.tls = {
            enabled: true,
            broker: { enabled: true, dnsNames: [...p.tls.brokerDnsNames], ...cacerts },
            proxy: { enabled: true, dnsNames: [...p.tls.proxyDnsNames], ...cacerts },
        };
        // The platform's CA (components/pulsar-ca.ts), not the chart's internal self-signed one: a ClusterIssuer can issue
        // the CA certificate into every namespace whose clients must trust it.
        values.certs = {
            internal_issuer: { enabled: false },
            issuers: { ca: { name: p.tls.issuer, kind: "ClusterIssuer", group: "cert-manager.io", secretName: p.tls.trust.secret } },
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

/** The TLS client-certificate provider next to the token one. */
export const AUTHENTICATION_PROVIDERS_WITH_TLS =
    "org.apache.pulsar.broker.authentication.AuthenticationProviderToken,org.apache.pulsar.broker.authentication.AuthenticationProviderTls";

/**
 * authenticationProviders with the TLS provider added, as a container env var: the chart writes the key itself (token
 * only) into the component's ConfigMap, which reaches the container through envFrom, and an `env` entry of the same
 * name takes precedence over envFrom (kubernetes.io, "Define environment variables": "values defined by env ... take
 * precedence"); a second configData key would duplicate the ConfigMap key instead. The chart has no TLS provider
 * setting of its own (values.yaml auth.authentication: jwt, openid only).
 */
export function clientCertAuthEnv(p: PulsarPlan): { name: string; value: string }[] {
    return p.clientCertAuth ? [{ name: "authenticationProviders", value: AUTHENTICATION_PROVIDERS_WITH_TLS }] : [];
}

/** The repository of `repo:tag[@digest]`. */
export function imageRepository(image: string): string {
    const noDigest = image.split("@")[0] as string;
    return noDigest.slice(0, noDigest.lastIndexOf(":"));
}

/** The tag of `repo:tag[@digest]`, with the digest. */
function imageTag(image: string): string {
    return image.slice(imageRepository(image).length + 1);
}
