/**
 * The pods a stack declares, whoever renders them: Deployments and StatefulSets directly, and the Pulsar chart's
 * components through the Helm release's values (what of their pod spec the values decide). Several rules read pods
 * the same way (user, memory, restart, images), so they read them through this view. Pure.
 */
import type { PolicyResource } from "@pulumi/policy";
import { TYPES, list, objectName, podSpecOf, record, type Container, type PodSpec } from "./common";
import { isPulsarRelease } from "./security";

export interface PodView {
    /** `Deployment ingress-gateway`, `chart broker`... */
    label: string;
    urn: string;
    kind: "Deployment" | "StatefulSet" | "chart";
    pod: PodSpec;
    /** The pod template's annotations. */
    annotations: Record<string, unknown>;
    labels: Record<string, unknown>;
    namespace: string | undefined;
    replicas: number;
}

/**
 * The chart's components with pods, their key in values.yaml, the JVM options variable their image reads and the
 * chart's own default of it (values.yaml 4.7.0: zookeeper L672, bookkeeper L999, autorecovery L1114 BOOKIE_MEM,
 * broker L1424, proxy L1858, toolset), and whether `components.<key>` enables them by default.
 */
export const CHART_COMPONENTS = [
    { key: "zookeeper", label: "zookeeper", memVar: "PULSAR_MEM", chartDefault: "-Xms64m -Xmx128m" },
    { key: "bookkeeper", label: "bookie", memVar: "PULSAR_MEM", chartDefault: "-Xms128m -Xmx256m -XX:MaxDirectMemorySize=256m" },
    { key: "autorecovery", label: "recovery", memVar: "BOOKIE_MEM", chartDefault: "-Xms64m -Xmx128m" },
    { key: "broker", label: "broker", memVar: "PULSAR_MEM", chartDefault: "-Xms128m -Xmx256m -XX:MaxDirectMemorySize=256m" },
    { key: "proxy", label: "proxy", memVar: "PULSAR_MEM", chartDefault: "-Xms64m -Xmx128m -XX:MaxDirectMemorySize=128m" },
    { key: "toolset", label: "toolset", memVar: "PULSAR_MEM", chartDefault: "-Xms64M -Xmx128M -XX:MaxDirectMemorySize=128M" },
] as const;

export type ChartComponent = (typeof CHART_COMPONENTS)[number];

/** The chart's image for every component: `<defaultPulsarImageRepository>:<defaultPulsarImageTag>`. */
export function chartImage(values: Record<string, unknown>): string | undefined {
    const repo = values.defaultPulsarImageRepository;
    const tag = values.defaultPulsarImageTag;
    return typeof repo === "string" && typeof tag === "string" ? `${repo}:${tag}` : undefined;
}

/** The enabled chart components of a release's values (`components.<key>`, on by default for these). */
export function enabledChartComponents(values: Record<string, unknown>): ChartComponent[] {
    const components = record(values.components) ?? {};
    return CHART_COMPONENTS.filter((c) => components[c.key] !== false);
}

/** A release's values, when it is the Pulsar chart. */
export function pulsarValues(r: { type: string; props: Record<string, unknown> }): Record<string, unknown> | undefined {
    return r.type === TYPES.helmRelease && isPulsarRelease(r.props) ? (record(r.props.values) ?? {}) : undefined;
}

/** The pods of one resource (none for resources that declare no pod). */
export function podViews(r: { type: string; name: string; urn: string; props: Record<string, unknown> }): PodView[] {
    if (r.type === TYPES.deployment || r.type === TYPES.statefulSet) {
        const spec = record(r.props.spec) ?? {};
        const template = record(spec.template) ?? {};
        const meta = record(template.metadata) ?? {};
        return [
            {
                label: `${r.type === TYPES.deployment ? "Deployment" : "StatefulSet"} ${objectName(r.props, r.name)}`,
                urn: r.urn,
                kind: r.type === TYPES.deployment ? "Deployment" : "StatefulSet",
                pod: podSpecOf(r.props),
                annotations: record(meta.annotations) ?? {},
                labels: record(meta.labels) ?? {},
                namespace: record(r.props.metadata)?.namespace as string | undefined,
                replicas: typeof spec.replicas === "number" ? spec.replicas : 1,
            },
        ];
    }
    const values = pulsarValues(r);
    if (!values) {
        return [];
    }
    const image = chartImage(values);
    return enabledChartComponents(values).map((c) => {
        const v = record(values[c.key]) ?? {};
        const container: Container = {
            name: c.label,
            ...(image ? { image } : {}),
            env: list(v.extraEnvs) as Container["env"],
            ...(record(v.resources) ? { resources: v.resources as Container["resources"] } : {}),
        };
        return {
            label: `chart ${c.key}`,
            urn: r.urn,
            kind: "chart" as const,
            pod: {
                containers: [container],
                initContainers: list(v.initContainers) as Container[],
                // The chart's pod securityContext (values.yaml: fsGroup and fsGroupChangePolicy only).
                securityContext: (record(v.securityContext) ?? {}) as PodSpec["securityContext"],
            },
            annotations: record(v.annotations) ?? {},
            labels: { app: "pulsar", release: r.props.name ?? "pulsar", component: c.label },
            namespace: r.props.namespace as string | undefined,
            replicas: typeof v.replicaCount === "number" ? v.replicaCount : 1,
        };
    });
}

/** Every pod of a stack. */
export function stackPods(resources: PolicyResource[]): PodView[] {
    return resources.flatMap((r) => podViews(r));
}

/** Every container of a pod, init containers first. */
export function allContainers(pod: PodSpec): Container[] {
    return [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
}

/** An env var's literal value in a container, or undefined. */
export function envValue(c: Container, name: string): string | undefined {
    const e = (c.env ?? []).find((x) => x.name === name);
    return typeof e?.value === "string" ? e.value : undefined;
}

/**
 * A value with its `$(VAR)` references expanded from the container's literal env, as the kubelet expands them; undefined
 * when one refers to a variable whose value the stack does not show (from a Secret, a field or a provider output).
 */
export function expandEnv(c: Container, value: string): string | undefined {
    let unresolved = false;
    const out = value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name: string) => {
        const v = envValue(c, name);
        if (v === undefined) {
            unresolved = true;
            return "";
        }
        return v;
    });
    return unresolved ? undefined : out;
}
