/**
 * Workload guard rails: rules of how the kubelet and the JVM treat a pod, applied to every pod the stack declares
 * (Deployments, StatefulSets and the Pulsar chart's components, policies/rules/pods.ts).
 *
 * - A container under runAsNonRoot has a numeric, non-zero user: with no runAsUser the kubelet reads the image's USER,
 *   and refuses to start a named one ("container has runAsNonRoot and image has non-numeric user (curl_user), cannot
 *   verify user is non-root"; kubernetes pkg/kubelet/kuberuntime/security_context_others.go verifyRunAsNonRoot).
 * - A JVM's heap plus direct memory plus its non-heap overhead fits the container's memory limit (topology/sizing.ts).
 * - What a pod reads when it starts rolls the pod when it changes: a ConfigMap is read into env at container start,
 *   and a ServiceAccount's IRSA role is injected at pod creation; neither reaches a running pod.
 * - prod runs images by digest; a replicated Deployment in prod has a disruption budget and a zone spread; every
 *   Deployment's pods are selected by a NetworkPolicy.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { jvmFitProblem } from "../../topology/sizing";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, list, ofType, record, type Container, type UserContext } from "./common";
import { allContainers, chartImage, enabledChartComponents, envValue, podViews, pulsarValues, stackPods, type PodView } from "./pods";

export const PDB_TYPE = "kubernetes:policy/v1:PodDisruptionBudget";
export const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
export const SERVICE_ACCOUNT_TYPE = "kubernetes:core/v1:ServiceAccount";
const SECRET_TYPE = "kubernetes:core/v1:Secret";
/** ServiceAccount annotations that give its pods a cloud identity when they are created (EKS IRSA, GKE Workload Identity). */
export const IDENTITY_ANNOTATIONS = ["eks.amazonaws.com/role-arn", "iam.gke.io/gcp-service-account"] as const;

function podPolicy(level: EnforcementLevel, name: string, description: string, check: (p: PodView) => string[]): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: level,
        validateResource: (args, report) => {
            for (const view of podViews({ type: args.type, name: args.name, urn: args.urn, props: args.props })) {
                for (const problem of check(view)) {
                    report(`${view.label}: ${problem}`);
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The kubelet's user check.

/** Why the kubelet would refuse a container's user, or undefined. Pure; exported for testing. */
export function userProblem(pod: UserContext | undefined, c: Container): string | undefined {
    const nonRoot = c.securityContext?.runAsNonRoot ?? pod?.runAsNonRoot;
    if (nonRoot !== true) {
        return undefined;
    }
    const user = c.securityContext?.runAsUser ?? pod?.runAsUser;
    if (user === undefined) {
        return (
            `container ${c.name ?? "?"} (${c.image ?? "no image"}) runs under runAsNonRoot with no runAsUser: the kubelet then checks the image's USER ` +
            `and refuses a name ("image has non-numeric user ... cannot verify user is non-root"); set runAsUser and runAsGroup to the image's numeric user`
        );
    }
    if (user === 0) {
        return `container ${c.name ?? "?"} sets runAsUser 0 under runAsNonRoot: the kubelet refuses to start it; use the image's non-root uid`;
    }
    return undefined;
}

export function runAsNonRootNumericUser(level: EnforcementLevel): ResourceValidationPolicy {
    return podPolicy(
        level,
        "run-as-non-root-numeric-user",
        "A container under runAsNonRoot names a numeric, non-zero runAsUser (the kubelet cannot verify a named image USER).",
        (v) => allContainers(v.pod).flatMap((c) => userProblem(v.pod.securityContext, c) ?? []),
    );
}

// ---------------------------------------------------------------------------------------------
// JVM memory.

/** The standalone broker's JVM options when PULSAR_MEM is not set (apache/pulsar conf/pulsar_env.sh). */
export const PULSAR_ENV_DEFAULT_MEM = "-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g";

/** A container that runs a Pulsar JVM from `bin/pulsar` (the standalone, a hand-written broker). */
function runsPulsarJvm(c: Container): boolean {
    return [...(c.command ?? []), ...(c.args ?? [])].some((a) => /bin\/(pulsar|bookkeeper)\b/.test(a));
}

export function jvmFitsMemoryLimit(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "jvm-fits-memory-limit",
        description: "Every Pulsar JVM sets its heap and direct memory, and they fit its container's memory limit with room for the rest of the JVM.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            const values = pulsarValues(args);
            if (values) {
                for (const c of enabledChartComponents(values)) {
                    const v = record(values[c.key]) ?? {};
                    const set = record(v.configData)?.[c.memVar];
                    const options = typeof set === "string" ? set : c.chartDefault;
                    const limit = record(record(v.resources)?.limits)?.memory;
                    const problem = jvmFitProblem(options, typeof limit === "string" ? limit : undefined);
                    if (problem) {
                        const source = typeof set === "string" ? `${c.key}.configData.${c.memVar}` : `the chart's default ${c.memVar} "${c.chartDefault}"`;
                        report(`chart ${c.key}: the JVM (${source}) ${problem}: set pulsar.sizing.${c.key === "bookkeeper" ? "bookie" : c.key}`);
                    }
                }
                return;
            }
            for (const view of podViews(args)) {
                for (const c of view.pod.containers ?? []) {
                    if (!runsPulsarJvm(c)) {
                        continue;
                    }
                    const set = envValue(c, "PULSAR_MEM");
                    const problem = jvmFitProblem(set ?? PULSAR_ENV_DEFAULT_MEM, c.resources?.limits?.memory);
                    if (problem) {
                        report(`${view.label}: container ${c.name ?? "?"} ${set === undefined ? `sets no PULSAR_MEM, so conf/pulsar_env.sh's "${PULSAR_ENV_DEFAULT_MEM}" applies, and ` : ""}${problem}`);
                    }
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Settings read at start.

export function startTimeConfigRollsPods(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "start-time-config-rolls-pods",
        description:
            "What a pod reads only when it starts rolls it when it changes: the chart's component ConfigMaps (restartPodsOnConfigMapChange), " +
            "ConfigMaps and Secrets read into env (a checksum annotation on the pod template), and a ServiceAccount's IRSA role (mirrored on the pods).",
        enforcementLevel: level,
        validateStack: (args, report) => {
            for (const r of args.resources) {
                const values = pulsarValues(r);
                if (values) {
                    for (const c of enabledChartComponents(values)) {
                        const v = record(values[c.key]) ?? {};
                        if (Object.keys(record(v.configData) ?? {}).length > 0 && v.restartPodsOnConfigMapChange !== true) {
                            report(
                                `chart ${c.key}: sets configData but not restartPodsOnConfigMapChange: the ConfigMap changes and no running pod reads it ` +
                                    `(broker.conf is rendered from it at container start); set ${c.key}.restartPodsOnConfigMapChange: true`,
                                r.urn,
                            );
                        }
                        const identity = record(record(v.service_account)?.annotations) ?? {};
                        const onPods = new Set(Object.values(record(v.annotations) ?? {}));
                        for (const [key, value] of Object.entries(identity)) {
                            if (!onPods.has(value)) {
                                report(
                                    `chart ${c.key}: the ServiceAccount's ${key} is not on the pod template: the role is injected when a pod is created, ` +
                                        `so a change reaches no running pod; annotate ${c.key}.annotations with it`,
                                    r.urn,
                                );
                            }
                        }
                    }
                }
            }
            const accounts = new Map(ofType(args.resources, SERVICE_ACCOUNT_TYPE).map((a) => [record(a.props.metadata)?.name, record(record(a.props.metadata)?.annotations) ?? {}]));
            for (const view of stackPods(args.resources).filter((v) => v.kind !== "chart")) {
                const account = accounts.get(record(view.pod as Record<string, unknown>)?.serviceAccountName) ?? {};
                const onPods = new Set(Object.values(view.annotations));
                for (const key of IDENTITY_ANNOTATIONS.filter((k) => account[k] !== undefined && !onPods.has(account[k]))) {
                    report(
                        `${view.label}: its ServiceAccount's ${key} is not on the pod template: the role is injected when a pod is created, so a change ` +
                            `reaches no running pod; annotate the pod template with it`,
                        view.urn,
                    );
                }
            }
            // A ConfigMap or Secret read into env is read once, when the container starts (a mounted file would update).
            const declared = new Set([...ofType(args.resources, TYPES.configMap), ...ofType(args.resources, SECRET_TYPE)].map((c) => `${c.type}|${String(record(c.props.metadata)?.name)}`));
            for (const view of stackPods(args.resources)) {
                const read = allContainers(view.pod).flatMap((c) => [
                    ...(c.envFrom ?? []).flatMap((e) => [
                        ...(e.configMapRef?.name ? [`${TYPES.configMap}|${e.configMapRef.name}`] : []),
                        ...(e.secretRef?.name ? [`${SECRET_TYPE}|${e.secretRef.name}`] : []),
                    ]),
                    ...(c.env ?? []).flatMap((e) => {
                        const from = record(e.valueFrom);
                        const cm = record(from?.configMapKeyRef)?.name;
                        const sec = record(from?.secretKeyRef)?.name;
                        return [...(cm ? [`${TYPES.configMap}|${String(cm)}`] : []), ...(sec ? [`${SECRET_TYPE}|${String(sec)}`] : [])];
                    }),
                ]);
                const ours = [...new Set(read.filter((n) => declared.has(n)))].map((n) => `${n.startsWith(SECRET_TYPE) ? "Secret" : "ConfigMap"} ${n.split("|")[1]}`);
                const checksums = Object.keys(view.annotations).filter((k) => /checksum/.test(k));
                if (ours.length > 0 && checksums.length === 0) {
                    report(
                        `${view.label}: reads ${ours.join(", ")} into its environment, which a container reads only when it starts, and has no checksum ` +
                            `annotation on its pod template: a change (a rotated credential) would reach no running pod`,
                        view.urn,
                    );
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Images by digest (prod).

/** Every image a resource runs: pod containers, the chart's image, Function Mesh `spec.image`. */
function imagesOf(r: { type: string; name: string; urn: string; props: Record<string, unknown> }): { where: string; image: string | undefined }[] {
    if (r.type === TYPES.pulsarFunction || r.type === TYPES.pulsarSink) {
        const image = record(r.props.spec)?.image;
        return [{ where: `${r.type.split(":").pop()} ${String(record(r.props.metadata)?.name ?? r.name)}`, image: typeof image === "string" ? image : undefined }];
    }
    const values = pulsarValues(r);
    if (values) {
        const inits = enabledChartComponents(values).flatMap((c) => list(record(values[c.key])?.initContainers) as Container[]);
        return [{ where: "the Pulsar chart", image: chartImage(values) }, ...inits.map((c) => ({ where: `chart init container ${c.name ?? "?"}`, image: c.image }))];
    }
    return podViews(r).flatMap((v) => allContainers(v.pod).map((c) => ({ where: `${v.label} container ${c.name ?? "?"}`, image: c.image })));
}

export function prodImagesByDigest(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "prod-images-by-digest",
        description: "In prod every image runs by digest (`<repository>:<tag>@sha256:<64 hex>`): a tag can be moved to other content, a digest cannot.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (environmentOf(args) !== "prod") {
                return;
            }
            for (const { where, image } of imagesOf(args)) {
                if (!image || !/@sha256:[0-9a-f]{64}$/.test(image)) {
                    report(`${where}: image ${image ?? "(none)"} is not pinned by digest; prod runs <repository>:<tag>@sha256:<64 hex> (orchestrator.digests, pulsar.imageDigest)`);
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Availability and isolation.

/** Whether a label selector (`matchLabels` only) selects pods with these labels; an empty selector selects all. */
export function selects(selector: unknown, labels: Record<string, unknown>): boolean {
    const match = record(record(selector)?.matchLabels) ?? {};
    const expressions = list(record(selector)?.matchExpressions);
    return expressions.length === 0 && Object.entries(match).every(([k, v]) => labels[k] === v);
}

function sameNamespace(r: PolicyResource, namespace: string | undefined): boolean {
    const ns = record(r.props.metadata)?.namespace;
    return namespace === undefined || ns === undefined || ns === namespace;
}

export function orchestratorAvailability(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "replicated-deployments-survive-disruption",
        description:
            "In prod a Deployment with more than one replica has a PodDisruptionBudget selecting its pods and a topology spread over zones, so a node drain or a zone loss leaves it serving.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateStack: (args, report) => {
            if (environmentOf(args) !== "prod") {
                return;
            }
            const budgets = ofType(args.resources, PDB_TYPE);
            for (const view of stackPods(args.resources).filter((v) => v.kind === "Deployment" && v.replicas > 1)) {
                if (!budgets.some((b) => sameNamespace(b, view.namespace) && selects(record(b.props.spec)?.selector, view.labels))) {
                    report(`${view.label}: ${view.replicas} replicas and no PodDisruptionBudget selecting them: a node drain may evict them all at once`, view.urn);
                }
                const spread = list(record(view.pod as Record<string, unknown>)?.topologySpreadConstraints).map((t) => record(t)?.topologyKey);
                if (!spread.includes("topology.kubernetes.io/zone")) {
                    report(`${view.label}: no topologySpreadConstraints over topology.kubernetes.io/zone: its replicas may share one zone`, view.urn);
                }
            }
        },
    };
}

export function deploymentsHaveNetworkPolicy(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "deployments-have-network-policy",
        description: "Every Deployment's pods are selected by a NetworkPolicy (what may reach them is declared, not everything in the cluster).",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const policies = ofType(args.resources, NETWORK_POLICY_TYPE);
            for (const view of stackPods(args.resources).filter((v) => v.kind === "Deployment")) {
                if (!policies.some((p) => sameNamespace(p, view.namespace) && selects(record(p.props.spec)?.podSelector, view.labels))) {
                    report(`${view.label}: no NetworkPolicy selects its pods: any pod in the cluster can reach them`, view.urn);
                }
            }
        },
    };
}

export function workloadPolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        runAsNonRootNumericUser(level),
        jvmFitsMemoryLimit(level),
        startTimeConfigRollsPods(level),
        prodImagesByDigest(level),
        orchestratorAvailability(level),
        deploymentsHaveNetworkPolicy(level),
    ];
}
