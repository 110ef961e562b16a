/**
 * TLS guard rails, as a TLS client decides (RFC 6125 / RFC 9525): the server's certificate must name the host the
 * client dialled, a `*` standing for exactly one whole left-most label; and the client must trust the CA that signed
 * it. Both are checked for every in-cluster TLS endpoint a stack's clients are configured with, and for the hosts
 * the brokers send clients on to (a Pulsar lookup and a Kafka metadata response both answer with the broker's
 * advertisedAddress).
 *
 * The servers: the Pulsar chart's broker and proxy certificates (chart 4.7.0 templates/_certs.tpl: SANs
 * `*.<release>-broker-headless.<ns>.svc.<domain>`, `*.<release>-broker.<ns>.svc.<domain>`, `<release>-broker`, plus
 * `tls.broker.dnsNames`; the proxy the same without the headless name), and the KoP listener's keystore, a
 * cert-manager Certificate mounted into the brokers.
 */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { TYPES, list, ofType, record, type Container } from "./common";
import { allContainers, envValue, expandEnv, pulsarValues, stackPods } from "./pods";

export const CERTIFICATE_TYPE = "kubernetes:cert-manager.io/v1:Certificate";
export const PULSAR_CONNECTION_TYPE = "kubernetes:resource.streamnative.io/v1alpha1:PulsarConnection";
const CLUSTER_DOMAIN = "cluster.local";

/** Whether a certificate name covers a host (RFC 6125 6.4.3: a wildcard is a whole left-most label, matching one label). */
export function nameCovers(name: string, host: string): boolean {
    const n = name.toLowerCase();
    const h = host.toLowerCase().replace(/\.$/, "");
    if (!n.startsWith("*.")) {
        return n === h;
    }
    const dot = h.indexOf(".");
    return dot > 0 && h.slice(dot + 1) === n.slice(2);
}

/** A host a pod resolves inside the cluster (a Service, a pod under a headless Service, or a bare Service name). */
export function inCluster(host: string): boolean {
    return !host.includes(".") || /\.svc(\.cluster\.local)?$/.test(host);
}

type Listener = "pulsar" | "kop";

interface Endpoint {
    where: string;
    urn: string;
    listener: Listener;
    host: string;
}

interface Trust {
    where: string;
    urn: string;
    listener: Listener;
    /** The Secret the trusted CA file comes from, when the client is a pod we can see into. */
    secret?: string;
    /** Why the client trusts nothing (or trusts anything). */
    problem?: string;
}

/** The names each TLS listener of the cluster presents; undefined when that listener has no TLS. */
export interface Presented {
    pulsar?: string[];
    proxy?: string[];
    kop?: string[];
    /** Hosts the brokers send clients to (advertisedAddress), for each listener. */
    advertised: string[];
    release: string;
    namespace: string;
    /** Secrets holding the cluster CA's certificate (what a client may trust). */
    trustSecrets: Set<string>;
}

function hostsOf(list: string): string[] {
    return list
        .split(",")
        .map((s) => s.trim().replace(/^[a-z+]+:\/\//, ""))
        .filter((s) => s !== "")
        .map((s) => s.replace(/:\d+\/?.*$/, ""));
}

/** What the Pulsar release's listeners present, or undefined without a Pulsar release. Exported for testing. */
export function presentedNames(resources: PolicyResource[]): Presented | undefined {
    const release = resources.find((r) => pulsarValues(r) !== undefined);
    if (!release) {
        return undefined;
    }
    const values = pulsarValues(release) as Record<string, unknown>;
    const name = typeof release.props.name === "string" ? release.props.name : "pulsar";
    const namespace = typeof release.props.namespace === "string" ? release.props.namespace : "default";
    const svc = (s: string) => `${name}-${s}.${namespace}.svc.${CLUSTER_DOMAIN}`;
    const tls = record(values.tls) ?? {};
    const on = (c: string) => tls.enabled === true && record(tls[c])?.enabled === true;
    const extra = (c: string) => list(record(tls[c])?.dnsNames).filter((x): x is string => typeof x === "string");
    const broker = record(values.broker) ?? {};
    const config = record(broker.configData) ?? {};
    // advertisedAddress from the brokers' env (PULSAR_PREFIX_ keys reach broker.conf), $(POD_NAME) as the first pod; unset,
    // the broker uses its canonical host name: the pod's FQDN under the StatefulSet's headless Service (chart >= 4.6).
    const advertisedEnv = (list(broker.extraEnvs) as { name?: string; value?: string }[]).find((e) => e.name === "PULSAR_PREFIX_advertisedAddress")?.value;
    const pod0 = `${name}-broker-0`;
    const advertised = advertisedEnv ? advertisedEnv.replace("$(POD_NAME)", pod0) : `${pod0}.${name}-broker-headless.${namespace}.svc.${CLUSTER_DOMAIN}`;
    const presented: Presented = { advertised: [advertised], release: name, namespace, trustSecrets: new Set() };
    if (on("broker")) {
        presented.pulsar = [`*.${svc("broker-headless")}`, `*.${svc("broker")}`, `${name}-broker`, ...extra("broker")];
    }
    if (on("proxy")) {
        presented.proxy = [`*.${svc("proxy")}`, `${name}-proxy`, ...extra("proxy")];
    }
    const protocolMap = String(config.PULSAR_PREFIX_kafkaProtocolMap ?? "");
    if (/SSL/.test(protocolMap)) {
        // The keystore's folder is mounted from a Secret: the Certificate that fills that Secret is what KoP presents.
        const location = String(config.PULSAR_PREFIX_kopSslKeystoreLocation ?? "");
        const mount = (list(broker.extraVolumeMounts) as { name: string; mountPath: string }[]).find((m) => location.startsWith(`${m.mountPath}/`));
        const volume = (list(broker.extraVolumes) as { name: string; secret?: { secretName?: string } }[]).find((v) => v.name === mount?.name);
        const cert = ofType(resources, CERTIFICATE_TYPE).find((c) => record(c.props.spec)?.secretName === volume?.secret?.secretName);
        presented.kop = list(record(cert?.props.spec)?.dnsNames).filter((x): x is string => typeof x === "string");
    }
    const certs = record(values.certs) ?? {};
    const ca = record(record(certs.issuers)?.ca) ?? {};
    if (record(certs.internal_issuer)?.enabled !== true && typeof ca.secretName === "string") {
        presented.trustSecrets.add(ca.secretName);
    }
    for (const c of ofType(resources, CERTIFICATE_TYPE)) {
        const spec = record(c.props.spec) ?? {};
        if (record(spec.issuerRef)?.name === ca.name && typeof spec.secretName === "string") {
            presented.trustSecrets.add(spec.secretName);
        }
    }
    return presented;
}

/** The Secret a file path in a container comes from, through its volume mounts. */
function secretOfFile(pod: { volumes?: { name: string; secret?: { secretName?: string } }[] }, c: Container, file: string | undefined): string | undefined {
    if (!file) {
        return undefined;
    }
    const mount = (c.volumeMounts ?? []).find((m) => file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`));
    return (pod.volumes ?? []).find((v) => v.name === mount?.name)?.secret?.secretName;
}

/** Every in-cluster TLS endpoint the stack's clients dial, and how each client trusts it. Exported for testing. */
export function tlsClients(resources: PolicyResource[]): { endpoints: Endpoint[]; trusts: Trust[] } {
    const endpoints: Endpoint[] = [];
    const trusts: Trust[] = [];
    for (const view of stackPods(resources).filter((v) => v.kind !== "chart")) {
        for (const c of allContainers(view.pod)) {
            const where = `${view.label} container ${c.name ?? "?"}`;
            const pulsarHosts = (c.env ?? [])
                .map((e) => e.value)
                .filter((v): v is string => typeof v === "string" && /^(pulsar\+ssl|https):\/\//.test(v))
                .flatMap(hostsOf)
                .filter(inCluster);
            if (pulsarHosts.length > 0) {
                pulsarHosts.forEach((host) => endpoints.push({ where, urn: view.urn, listener: "pulsar", host }));
                const file = envValue(c, "PULSAR_TLS_TRUST_CERTS_FILE_PATH");
                trusts.push({ where, urn: view.urn, listener: "pulsar", ...trustOf(view.pod, c, file, "PULSAR_TLS_TRUST_CERTS_FILE_PATH") });
            }
            const protocol = envValue(c, "KAFKA_SECURITY_PROTOCOL") ?? "";
            const brokers = envValue(c, "KAFKA_BROKERS");
            const exporterServers = (c.args ?? [])
                .filter((a) => a.startsWith("--kafka.server="))
                .map((a) => expandEnv(c, a.slice("--kafka.server=".length)))
                .filter((a): a is string => a !== undefined);
            const exporterTls = (c.args ?? []).includes("--tls.enabled");
            const kafkaHosts = [
                ...(/SSL/.test(protocol) && brokers ? hostsOf(brokers) : []),
                ...(exporterTls ? exporterServers.flatMap(hostsOf) : []),
            ].filter(inCluster);
            if (kafkaHosts.length > 0) {
                kafkaHosts.forEach((host) => endpoints.push({ where, urn: view.urn, listener: "kop", host }));
                const file = envValue(c, "KAFKA_SSL_CA_LOCATION") ?? (c.args ?? []).find((a) => a.startsWith("--tls.ca-file="))?.slice("--tls.ca-file=".length);
                trusts.push({ where, urn: view.urn, listener: "kop", ...trustOf(view.pod, c, file, "KAFKA_SSL_CA_LOCATION (or --tls.ca-file)") });
            }
        }
    }
    for (const conn of ofType(resources, PULSAR_CONNECTION_TYPE)) {
        const spec = record(conn.props.spec) ?? {};
        const where = `PulsarConnection ${String(record(conn.props.metadata)?.name ?? conn.name)}`;
        const secure = [spec.adminServiceSecureURL, spec.brokerServiceSecureURL].filter((u): u is string => typeof u === "string").flatMap(hostsOf).filter(inCluster);
        if (secure.length > 0) {
            secure.forEach((host) => endpoints.push({ where, urn: conn.urn, listener: "pulsar", host }));
            const problem =
                spec.tlsAllowInsecureConnection === true
                    ? "sets tlsAllowInsecureConnection: it accepts any certificate"
                    : typeof spec.tlsTrustCertsFilePath !== "string" || spec.tlsTrustCertsFilePath === ""
                      ? "sets no tlsTrustCertsFilePath: the operator then trusts only the JVM's public CAs and refuses the cluster's certificate"
                      : undefined;
            // The file is in the operator's pod (README prerequisite: it mounts the trust Secret there).
            trusts.push({ where, urn: conn.urn, listener: "pulsar", ...(problem ? { problem } : {}) });
        }
    }
    const configMaps = new Map(ofType(resources, TYPES.configMap).map((m) => [record(m.props.metadata)?.name, record(m.props.data) ?? {}]));
    for (const fn of [...ofType(resources, TYPES.pulsarFunction), ...ofType(resources, TYPES.pulsarSink)]) {
        const pulsar = record(record(fn.props.spec)?.pulsar) ?? {};
        const data = configMaps.get(pulsar.pulsarConfig) ?? {};
        const where = `${fn.type.split(":").pop()} ${String(record(fn.props.metadata)?.name ?? fn.name)}`;
        const secure = Object.values(data).filter((u): u is string => typeof u === "string" && /^(pulsar\+ssl|https):\/\//.test(u)).flatMap(hostsOf).filter(inCluster);
        if (secure.length > 0) {
            secure.forEach((host) => endpoints.push({ where, urn: fn.urn, listener: "pulsar", host }));
            const t = record(pulsar.tlsConfig) ?? {};
            const problem =
                t.enabled !== true
                    ? "has no pulsar.tlsConfig (enabled): its instances cannot verify the brokers"
                    : t.allowInsecure === true
                      ? "sets pulsar.tlsConfig.allowInsecure: it accepts any certificate"
                      : typeof t.certSecretName !== "string"
                        ? "sets no pulsar.tlsConfig.certSecretName"
                        : undefined;
            trusts.push({ where, urn: fn.urn, listener: "pulsar", ...(problem ? { problem } : { secret: t.certSecretName as string }) });
        }
    }
    return { endpoints, trusts };
}

function trustOf(pod: Parameters<typeof secretOfFile>[0], c: Container, file: string | undefined, variable: string): { secret?: string; problem?: string } {
    if (!file) {
        return { problem: `sets no ${variable}: the client trusts only its system CAs and refuses the cluster's certificate` };
    }
    const secret = secretOfFile(pod, c, file);
    return secret ? { secret } : { problem: `reads its CA from ${file}, which no Secret volume of the pod provides` };
}

export function tlsNamesCoverEndpoints(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "tls-names-cover-endpoints",
        description:
            "Every in-cluster host a TLS client is configured with, or sent to by a broker (advertisedAddress), is named by the certificate of the listener it reaches.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const presented = presentedNames(args.resources);
            if (!presented) {
                return;
            }
            const { endpoints } = tlsClients(args.resources);
            const advertisedFor = new Set(endpoints.map((e) => e.listener));
            const all = [
                ...endpoints,
                ...[...advertisedFor].flatMap((listener) => presented.advertised.map((host) => ({ where: `the brokers' advertisedAddress (${listener} clients are sent there)`, urn: "", listener, host }))),
            ];
            const seen = new Set<string>();
            for (const e of all) {
                const viaProxy = e.listener === "pulsar" && e.host.startsWith(`${presented.release}-proxy`);
                const names = viaProxy ? presented.proxy : presented[e.listener];
                const key = `${e.where}|${e.listener}|${e.host}`;
                if (seen.has(key)) {
                    continue;
                }
                seen.add(key);
                const label = viaProxy ? "the Pulsar proxies' certificate (tls.proxy)" : e.listener === "pulsar" ? "the Pulsar brokers' TLS certificate (tls.broker)" : "the KoP listener's certificate";
                if (names === undefined) {
                    report(`${e.where}: dials ${e.host} over TLS, but ${e.listener === "pulsar" ? "the chart's broker TLS is off" : "KoP has no TLS listener"}`, e.urn || undefined);
                } else if (!names.some((n) => nameCovers(n, e.host))) {
                    report(`${e.where}: ${e.host} is not named by ${label} (${names.join(", ")}): the client's hostname check refuses the connection`, e.urn || undefined);
                }
            }
        },
    };
}

export function tlsClientsTrustCa(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "tls-clients-trust-ca",
        description: "Every TLS client of the cluster trusts the CA that signs its certificates (a file from a Secret that CA fills), and none accepts any certificate.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const presented = presentedNames(args.resources);
            if (!presented) {
                return;
            }
            for (const t of tlsClients(args.resources).trusts) {
                if (t.problem) {
                    report(`${t.where}: ${t.problem}`, t.urn);
                } else if (t.secret !== undefined && !presented.trustSecrets.has(t.secret)) {
                    report(
                        `${t.where}: trusts the CA in Secret ${t.secret}, which nothing the cluster's CA issuer fills (${[...presented.trustSecrets].join(", ") || "none"}): the chain does not verify`,
                        t.urn,
                    );
                }
            }
        },
    };
}

export function tlsPolicies(level: EnforcementLevel): StackValidationPolicy[] {
    return [tlsNamesCoverEndpoints(level), tlsClientsTrustCa(level)];
}
