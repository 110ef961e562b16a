/**
 * Orchestrator: a ServiceAccount, Deployment and Service per `topology.deployments` entry. Which services exist
 * and the environment each gets are the plan's (e.g. mcp-matcher's Deployment is absent once it runs as a Function);
 * credentials are only ever Secret references.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { SECRETS_CHECKSUM_ANNOTATION, workloadChecksum } from "./credentials";
import type { DeploymentPlan, EnvVarPlan, Topology } from "../topology";

export interface OrchestratorResources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

export interface OrchestratorArgs {
    /** The planned topology. */
    topology: Topology;
    /**
     * Kafka bootstrap servers of a provisioned cluster (`KafkaPlatform.bootstrapServers`), for env entries the plan
     * marks `fromOutput: "kafkaBootstrap"`. Required when any deployment has such an entry.
     * @default undefined
     */
    kafkaBootstrap?: pulumi.Input<string>;
    /**
     * Annotations per service's ServiceAccount, e.g. `eks.amazonaws.com/role-arn` for MSK IAM (KafkaPlatform.serviceRoleArns).
     * @default {}
     */
    serviceAccountAnnotations?: Record<string, Record<string, pulumi.Input<string>>>;
    /**
     * The content checksum of each Secret by name (ServiceCredentials.checksums): a Deployment's pods roll when a Secret
     * they read changes.
     * @default {} (no checksum annotation)
     */
    secretChecksums?: Record<string, pulumi.Input<string>>;
    /**
     * CPU/memory per container.
     * @default { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } }
     */
    resources?: OrchestratorResources;
    /**
     * HTTP path of the readiness probe.
     * @default "/ready"
     */
    readinessPath?: string;
    /**
     * HTTP path of the liveness probe.
     * @default "/health"
     */
    livenessPath?: string;
    /**
     * UID the containers run as (non-root).
     * @default 10001
     */
    runAsUser?: number;
}

/** Every default of the args, in one place. */
export const ORCHESTRATOR_DEFAULTS = {
    resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    readinessPath: "/ready",
    livenessPath: "/health",
    runAsUser: 10001,
} as const;

/** Labels of one service's objects; `component: orchestrator` is what the ServiceMonitor selects. */
export function orchestratorLabels(service: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": service,
        "app.kubernetes.io/component": "orchestrator",
        "app.kubernetes.io/part-of": "messaging-platform",
    };
}

/**
 * The container env for a planned deployment. Pure; exported for testing.
 * @param env the plan's env entries
 * @param kafkaBootstrap value for `fromOutput: "kafkaBootstrap"` entries
 */
export function containerEnv(
    service: string,
    env: EnvVarPlan[],
    kafkaBootstrap?: pulumi.Input<string>,
): k8s.types.input.core.v1.EnvVar[] {
    return env.map((e) => {
        if ("secretRef" in e) {
            return { name: e.name, valueFrom: { secretKeyRef: { name: e.secretRef.name, key: e.secretRef.key } } };
        }
        if ("fromOutput" in e) {
            if (kafkaBootstrap === undefined) {
                throw new Error(
                    `Orchestrator: ${service} needs ${e.name} from the provisioned Kafka cluster's bootstrap servers, ` +
                        `but kafkaBootstrap is missing: pass KafkaPlatform.bootstrapServers`,
                );
            }
            return { name: e.name, value: kafkaBootstrap };
        }
        return { name: e.name, value: e.value };
    });
}

type Resolved = Required<Omit<OrchestratorArgs, "topology" | "kafkaBootstrap" | "serviceAccountAnnotations" | "secretChecksums">>;

/** The Deployment spec of one planned service. Pure; exported for testing. */
/**
 * The pod annotation that mirrors the ServiceAccount's cloud role: the role is injected into a pod when it is created
 * (EKS IRSA's webhook), so a changed role must change the pod template to reach running pods.
 */
export const SERVICE_ACCOUNT_ROLE_ANNOTATION = "messaging-platform/service-account-role";

/**
 * The pod template's annotations: the ServiceAccount's cloud role (injected at pod creation) and a checksum of the
 * Secrets the pod reads (an env var from a Secret never changes in a running pod), so a change to either rolls it.
 */
export function podAnnotations(
    d: DeploymentPlan,
    accountAnnotations: Record<string, pulumi.Input<string>> | undefined,
    secretChecksums: Record<string, pulumi.Input<string>> | undefined,
): Record<string, pulumi.Input<string>> {
    const role = accountAnnotations ? Object.values(accountAnnotations)[0] : undefined;
    const read = [...d.env.flatMap((e) => ("secretRef" in e ? [e.secretRef.name] : [])), ...d.secretVolumes.map((v) => v.secret)];
    const checksum = secretChecksums ? workloadChecksum(secretChecksums, read) : undefined;
    return { ...(role !== undefined ? { [SERVICE_ACCOUNT_ROLE_ANNOTATION]: role } : {}), ...(checksum ? { [SECRETS_CHECKSUM_ANNOTATION]: checksum } : {}) };
}

export function deploymentSpec(
    d: DeploymentPlan,
    r: Resolved,
    kafkaBootstrap?: pulumi.Input<string>,
    annotations: Record<string, pulumi.Input<string>> = {},
): k8s.types.input.apps.v1.DeploymentSpec {
    const labels = orchestratorLabels(d.service);
    const probe = (path: string, initialDelaySeconds: number) => ({
        httpGet: { path, port: "http" },
        initialDelaySeconds,
        periodSeconds: 10,
        timeoutSeconds: 3,
        failureThreshold: 3,
    });
    const selector = { matchLabels: { "app.kubernetes.io/name": d.service } };
    return {
        replicas: d.replicas,
        selector,
        template: {
            metadata: { labels, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
            spec: {
                // Replicas spread over zones and hosts where the cluster has them (ScheduleAnyway: a single-zone
                // cluster still schedules); with a PodDisruptionBudget, a drain never takes every replica at once.
                topologySpreadConstraints: ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
                    maxSkew: 1,
                    topologyKey,
                    whenUnsatisfiable: "ScheduleAnyway",
                    labelSelector: selector,
                })),
                serviceAccountName: d.service,
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: r.runAsUser, runAsGroup: r.runAsUser, fsGroup: r.runAsUser, seccompProfile: { type: "RuntimeDefault" } },
                containers: [
                    {
                        name: d.service,
                        image: d.image,
                        imagePullPolicy: "IfNotPresent",
                        ports: [{ name: "http", containerPort: d.port, protocol: "TCP" }],
                        env: containerEnv(d.service, d.env, kafkaBootstrap),
                        resources: structuredClone(r.resources),
                        readinessProbe: probe(r.readinessPath, 5),
                        livenessProbe: probe(r.livenessPath, 15),
                        securityContext: {
                            runAsNonRoot: true,
                            allowPrivilegeEscalation: false,
                            readOnlyRootFilesystem: true,
                            capabilities: { drop: ["ALL"] },
                        },
                        // The root filesystem is read-only; /tmp is the only writable place.
                        volumeMounts: [
                            { name: "tmp", mountPath: "/tmp" },
                            ...d.secretVolumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: true })),
                            // No subPath: the kubelet refreshes the files of a ConfigMap mounted as a directory.
                            ...d.configVolumes.map((v) => ({ name: v.name, mountPath: v.mountPath, readOnly: true })),
                        ],
                    },
                ],
                volumes: [
                    { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
                    ...d.secretVolumes.map((v) => ({
                        name: v.name,
                        // Owner read-only: the files are tokens.
                        secret: { secretName: v.secret, items: v.items.map((i) => ({ ...i })), defaultMode: 0o400 },
                    })),
                    ...d.configVolumes.map((v) => ({ name: v.name, configMap: { name: v.configMap } })),
                ],
            },
        },
    };
}

/** The services other workloads call from outside the namespace (ingress controllers, clients). */
export const PUBLIC_SERVICES: readonly string[] = ["ingress-gateway"];
/** Namespaces with this label may scrape every service's metrics port (the monitoring namespace). */
export const SCRAPE_NAMESPACE_LABEL = { "messaging-platform/scrape": "true" } as const;

/**
 * Who may reach a service: its own namespace and the monitoring namespace on its HTTP port; the public services from
 * anywhere on it. Nothing else (a NetworkPolicy that selects a pod denies the rest of its ingress). Pure; exported for
 * testing.
 */
export function networkPolicySpec(d: DeploymentPlan): k8s.types.input.networking.v1.NetworkPolicySpec {
    const port = [{ protocol: "TCP", port: d.port }];
    const from = PUBLIC_SERVICES.includes(d.service)
        ? [{ namespaceSelector: {} }]
        : [{ podSelector: {} }, { namespaceSelector: { matchLabels: { ...SCRAPE_NAMESPACE_LABEL } } }];
    return { podSelector: { matchLabels: { "app.kubernetes.io/name": d.service } }, policyTypes: ["Ingress"], ingress: [{ from, ports: port }] };
}

export class Orchestrator extends pulumi.ComponentResource {
    /** Deployed services. */
    readonly services: pulumi.Output<string[]>;
    /** In-cluster URL of each deployed service. */
    readonly serviceUrls: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: OrchestratorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:orchestrator:Orchestrator", name, {}, opts);
        const { topology } = args;
        const resolved: Resolved = {
            resources: args.resources ?? (structuredClone(ORCHESTRATOR_DEFAULTS.resources) as OrchestratorResources),
            readinessPath: args.readinessPath ?? ORCHESTRATOR_DEFAULTS.readinessPath,
            livenessPath: args.livenessPath ?? ORCHESTRATOR_DEFAULTS.livenessPath,
            runAsUser: args.runAsUser ?? ORCHESTRATOR_DEFAULTS.runAsUser,
        };
        const namespace = topology.kubernetes.namespace;
        const urls: Record<string, string> = {};
        const directory = topology.tenantDirectory;
        // The tenant list: created before the pods that mount it; its changes reach them in place.
        const tenants = directory
            ? [
                  new k8s.core.v1.ConfigMap(
                      `${name}-tenants`,
                      { metadata: { name: directory.configMap, namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } }, data: { [directory.key]: directory.tenants.map((t) => `${t}\n`).join("") } },
                      { parent: this },
                  ),
              ]
            : [];
        for (const d of topology.deployments) {
            const labels = orchestratorLabels(d.service);
            const account = new k8s.core.v1.ServiceAccount(
                `${name}-${d.service}-account`,
                {
                    metadata: {
                        name: d.service,
                        namespace,
                        labels,
                        ...(args.serviceAccountAnnotations?.[d.service] ? { annotations: args.serviceAccountAnnotations[d.service] } : {}),
                    },
                    automountServiceAccountToken: false,
                },
                { parent: this },
            );
            new k8s.apps.v1.Deployment(
                `${name}-${d.service}`,
                { metadata: { name: d.service, namespace, labels }, spec: deploymentSpec(d, resolved, args.kafkaBootstrap, podAnnotations(d, args.serviceAccountAnnotations?.[d.service], args.secretChecksums)) },
                { parent: this, dependsOn: [account, ...tenants] },
            );
            if (d.replicas > 1) {
                new k8s.policy.v1.PodDisruptionBudget(
                    `${name}-${d.service}-pdb`,
                    { metadata: { name: d.service, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": d.service } } } },
                    { parent: this },
                );
            }
            new k8s.networking.v1.NetworkPolicy(
                `${name}-${d.service}-ingress`,
                { metadata: { name: d.service, namespace, labels }, spec: networkPolicySpec(d) },
                { parent: this },
            );
            new k8s.core.v1.Service(
                `${name}-${d.service}-service`,
                {
                    metadata: { name: d.service, namespace, labels },
                    spec: {
                        type: "ClusterIP",
                        selector: { "app.kubernetes.io/name": d.service },
                        ports: [{ name: "http", port: d.port, targetPort: "http", protocol: "TCP" }],
                    },
                },
                { parent: this },
            );
            urls[d.service] = `http://${d.service}.${namespace}.svc.cluster.local:${d.port}`;
        }
        this.services = pulumi.output(topology.deployments.map((d) => d.service));
        this.serviceUrls = pulumi.output(urls);
        this.registerOutputs({ services: this.services, serviceUrls: this.serviceUrls });
    }
}
