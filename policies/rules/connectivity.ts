/**
 * Connectivity guard rails: an address a pod is given must be one it can reach.
 *
 * - Every in-cluster host:port a client is configured with, or sent to by a broker (KoP's advertised listener), is a
 *   port of the Service that name resolves to (a ClusterIP Service forwards only its declared ports), or a port the
 *   pods under a headless Service listen on.
 * - No pod is given a loopback address for a broker: inside a pod 127.0.0.1 is the pod itself.
 * - The stack's Kubernetes provider names its cluster (kubeconfig context), so an update never lands on whichever
 *   cluster happens to be current on the machine that runs it.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { isLoopback } from "../../topology/config-rules";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, list, ofType, record } from "./common";
import { allContainers, envValue, expandEnv, pulsarValues, stackPods } from "./pods";
import { PULSAR_CONNECTION_TYPE, inCluster } from "./tls";

export const SERVICE_TYPE = "kubernetes:core/v1:Service";
export const KUBERNETES_PROVIDER_TYPE = "pulumi:providers:kubernetes";

interface Dialled {
    where: string;
    urn: string;
    host: string;
    port: number;
    /** The namespace a bare Service name resolves in. */
    namespace: string | undefined;
}

/** host:port pairs of a URL, a `host:port` list, or a Kafka listener list (`name://host:port,...`). */
export function hostPorts(value: string): { host: string; port: number }[] {
    return value
        .split(",")
        .map((s) => s.trim().replace(/^[a-z_+]+:\/\//, "").replace(/\/.*$/, ""))
        .map((s) => /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(s))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ host: m[1] as string, port: Number(m[2]) }));
}

/** The default port of a URL scheme a client may leave out. */
const SCHEME_PORT: Record<string, number> = { "pulsar:": 6650, "pulsar+ssl:": 6651, "http:": 80, "https:": 443 };

function urlHostPort(value: string): { host: string; port: number } | undefined {
    try {
        const u = new URL(value);
        const port = u.port !== "" ? Number(u.port) : SCHEME_PORT[u.protocol];
        return port === undefined || u.hostname === "" ? undefined : { host: u.hostname, port };
    } catch {
        return undefined;
    }
}

/** What a client value dials: a URL, or a `host:port[,host:port]` list. */
function dialled(value: string): { host: string; port: number }[] {
    if (/^[a-z+]+:\/\//.test(value) && !value.includes(",")) {
        const one = urlHostPort(value);
        return one ? [one] : [];
    }
    return /^[A-Za-z0-9_.\-[\]:,]+$/.test(value) && /:\d+/.test(value) ? hostPorts(value) : [];
}

/** Env names whose value is an address a client dials (not a listen address or an advertised name). */
const CLIENT_ENV = /(_URL|_BROKERS|_BOOTSTRAP|_SERVERS|_ENDPOINT|_ADDRESS)$/;

/** Every address the stack's clients dial, and what the brokers advertise to them. Exported for testing. */
export function dialledAddresses(resources: PolicyResource[]): Dialled[] {
    const out: Dialled[] = [];
    for (const view of stackPods(resources).filter((v) => v.kind !== "chart")) {
        for (const c of allContainers(view.pod)) {
            const where = `${view.label} container ${c.name ?? "?"}`;
            for (const e of c.env ?? []) {
                if (typeof e.value === "string" && CLIENT_ENV.test(e.name) && !e.name.startsWith("PULSAR_PREFIX_")) {
                    dialled(e.value).forEach((hp) => out.push({ where: `${where} ${e.name}`, urn: view.urn, namespace: view.namespace, ...hp }));
                }
            }
            for (const a of c.args ?? []) {
                const server = a.startsWith("--kafka.server=") ? expandEnv(c, a.slice("--kafka.server=".length)) : undefined;
                if (server !== undefined) {
                    dialled(server).forEach((hp) => out.push({ where: `${where} ${a.split("=")[0]}`, urn: view.urn, namespace: view.namespace, ...hp }));
                }
            }
            // A standalone broker's advertised Kafka listener: what KoP tells clients to connect to.
            const advertised = envValue(c, "PULSAR_PREFIX_kafkaAdvertisedListeners");
            if (advertised) {
                const address = envValue(c, "PULSAR_PREFIX_advertisedAddress");
                for (const hp of hostPorts(advertised.replace(/advertisedAddress/g, address ?? "advertisedAddress"))) {
                    out.push({ where: `${view.label}: KoP's advertised listener`, urn: view.urn, namespace: view.namespace, ...hp });
                }
            }
        }
    }
    for (const r of resources) {
        const values = pulsarValues(r);
        const broker = record(values?.broker) ?? {};
        const advertised = record(broker.configData)?.PULSAR_PREFIX_kafkaAdvertisedListeners;
        if (typeof advertised === "string") {
            const release = typeof r.props.name === "string" ? r.props.name : "pulsar";
            const env = (list(broker.extraEnvs) as { name?: string; value?: string }[]).find((e) => e.name === "PULSAR_PREFIX_advertisedAddress")?.value;
            const address = (env ?? `$(POD_NAME).${release}-broker-headless.${String(r.props.namespace)}.svc.cluster.local`).replace("$(POD_NAME)", `${release}-broker-0`);
            for (const hp of hostPorts(advertised.replace(/advertisedAddress/g, address))) {
                out.push({ where: "the chart brokers' advertised Kafka listener", urn: r.urn, namespace: r.props.namespace as string | undefined, ...hp });
            }
        }
    }
    for (const conn of ofType(resources, PULSAR_CONNECTION_TYPE)) {
        const spec = record(conn.props.spec) ?? {};
        for (const key of ["adminServiceURL", "adminServiceSecureURL", "brokerServiceURL", "brokerServiceSecureURL"]) {
            const v = spec[key];
            const hp = typeof v === "string" ? urlHostPort(v) : undefined;
            if (hp) {
                out.push({ where: `PulsarConnection ${key}`, urn: conn.urn, namespace: record(conn.props.metadata)?.namespace as string | undefined, ...hp });
            }
        }
    }
    for (const m of ofType(resources, TYPES.configMap)) {
        for (const [key, v] of Object.entries(record(m.props.data) ?? {})) {
            const hp = typeof v === "string" && /^[a-z+]+:\/\//.test(v) ? urlHostPort(v) : undefined;
            if (hp) {
                out.push({ where: `ConfigMap ${String(record(m.props.metadata)?.name)} ${key}`, urn: m.urn, namespace: record(m.props.metadata)?.namespace as string | undefined, ...hp });
            }
        }
    }
    for (const s of ofType(resources, TYPES.pulsarSink)) {
        const servers = record(record(s.props.spec)?.sinkConfig)?.bootstrapServers;
        if (typeof servers === "string") {
            dialled(servers).forEach((hp) => out.push({ where: `Sink ${String(record(s.props.metadata)?.name)} bootstrapServers`, urn: s.urn, namespace: record(s.props.metadata)?.namespace as string | undefined, ...hp }));
        }
    }
    return out;
}

interface ServiceView {
    name: string;
    namespace: string | undefined;
    ports: number[];
    /** Headless: its pods' own ports are reachable by pod name. */
    podPorts: number[];
}

/** The Services of a stack: declared ones, and the Pulsar chart's (templates/broker-service.yaml, proxy-service.yaml). */
export function services(resources: PolicyResource[]): ServiceView[] {
    const out: ServiceView[] = ofType(resources, SERVICE_TYPE).map((s) => ({
        name: String(record(s.props.metadata)?.name ?? s.name),
        namespace: record(s.props.metadata)?.namespace as string | undefined,
        ports: list(record(s.props.spec)?.ports).map((p) => Number(record(p)?.port)),
        podPorts: [],
    }));
    for (const r of resources) {
        const values = pulsarValues(r);
        if (!values) {
            continue;
        }
        const name = typeof r.props.name === "string" ? r.props.name : "pulsar";
        const namespace = r.props.namespace as string | undefined;
        const tls = record(values.tls) ?? {};
        const brokerTls = tls.enabled === true && record(tls.broker)?.enabled === true;
        // The chart's defaults (values.yaml broker.ports): http 8080, https 8443, pulsar 6650, pulsarssl 6651; the
        // plain ports only without broker TLS, the TLS ports only with it.
        const brokerPorts = brokerTls ? [8080, 8443, 6651] : [8080, 6650];
        const config = record(record(values.broker)?.configData) ?? {};
        const kafkaPorts = hostPorts(String(config.PULSAR_PREFIX_kafkaListeners ?? "")).map((hp) => hp.port);
        out.push({ name: `${name}-broker`, namespace, ports: brokerPorts, podPorts: [] });
        out.push({ name: `${name}-broker-headless`, namespace, ports: brokerPorts, podPorts: [...brokerPorts, ...kafkaPorts] });
        if (record(values.components)?.proxy !== false) {
            const proxyTls = tls.enabled === true && record(tls.proxy)?.enabled === true;
            out.push({ name: `${name}-proxy`, namespace, ports: proxyTls ? [80, 443, 6651] : [80, 6650], podPorts: [] });
        }
    }
    return out;
}

/** The Service a host resolves to and whether it names one pod under it; undefined outside the cluster. */
function resolve(host: string, namespace: string | undefined): { service: string; namespace: string | undefined; pod: boolean } | undefined {
    if (!inCluster(host)) {
        return undefined;
    }
    const labels = host.replace(/\.svc(\.cluster\.local)?$/, "").split(".");
    if (labels.length === 1) {
        return { service: labels[0] as string, namespace, pod: false };
    }
    if (labels.length === 2) {
        return { service: labels[0] as string, namespace: labels[1], pod: false };
    }
    return { service: labels[1] as string, namespace: labels[2], pod: true };
}

export function clientEndpointsServed(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "client-endpoints-served",
        description: "Every in-cluster host:port a client is configured with (or a broker advertises) is a port of the Service it names.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const all = services(args.resources);
            for (const d of dialledAddresses(args.resources)) {
                const target = resolve(d.host, d.namespace);
                if (!target) {
                    continue;
                }
                const svc = all.find((s) => s.name === target.service && (s.namespace === undefined || target.namespace === undefined || s.namespace === target.namespace));
                if (!svc) {
                    report(`${d.where}: ${d.host}:${d.port}: no Service ${target.service} in namespace ${target.namespace ?? "?"} is declared`, d.urn);
                    continue;
                }
                const ports = target.pod ? [...svc.ports, ...svc.podPorts] : svc.ports;
                if (!ports.includes(d.port)) {
                    report(`${d.where}: ${d.host}:${d.port}: Service ${svc.name} serves ports ${ports.join(", ")}, not ${d.port}: the connection is refused`, d.urn);
                }
            }
        },
    };
}

export function noLoopbackEndpoints(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "no-loopback-endpoints",
        description: "No pod or connector is given a loopback address to reach a broker: inside a pod, 127.0.0.1 is the pod itself.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            for (const d of dialledAddresses(args.resources)) {
                if (isLoopback(`${d.host}:${d.port}`)) {
                    report(`${d.where}: ${d.host}:${d.port} is the pod's own loopback, not the broker: give pods the address they reach it at (kafka.clientBootstrapServers)`, d.urn);
                }
            }
        },
    };
}

export function kubernetesContextPinned(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "kubernetes-context-pinned",
        description: "Outside local, the Kubernetes provider names its cluster (context or kubeconfig), or renders to a folder; it never takes the ambient current context.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== KUBERNETES_PROVIDER_TYPE || environmentOf(args) === "local") {
                return;
            }
            const p = args.props;
            if (typeof p.context !== "string" && typeof p.kubeconfig !== "string" && typeof p.renderYamlToDirectory !== "string") {
                report(
                    `Kubernetes provider ${args.name}: sets no context or kubeconfig: it deploys to whatever context is current where pulumi runs (set kubernetes.context)`,
                );
            }
        },
    };
}

export function connectivityPolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [clientEndpointsServed(level), noLoopbackEndpoints(level), kubernetesContextPinned(level)];
}
