/**
 * Orchestrator: a ServiceAccount, Deployment and Service per `topology.deployments` entry. Which services exist
 * and the environment each gets are the plan's (e.g. mcp-matcher's Deployment is absent once it runs as a Function);
 * credentials are only ever Secret references.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
    serviceAccountAnnotations?: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;
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

type Resolved = Required<Omit<OrchestratorArgs, "topology" | "kafkaBootstrap" | "serviceAccountAnnotations">>;

/** The Deployment spec of one planned service. Pure; exported for testing. */
export function deploymentSpec(d: DeploymentPlan, r: Resolved, kafkaBootstrap?: pulumi.Input<string>): k8s.types.input.apps.v1.DeploymentSpec {
    const labels = orchestratorLabels(d.service);
    const probe = (path: string, initialDelaySeconds: number) => ({
        httpGet: { path, port: "http" },
        initialDelaySeconds,
        periodSeconds: 10,
        timeoutSeconds: 3,
        failureThreshold: 3,
    });
    return {
        replicas: d.replicas,
        selector: { matchLabels: { "app.kubernetes.io/name": d.service } },
        template: {
            metadata: { labels },
            spec: {
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
                ],
            },
        },
    };
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
                { metadata: { name: d.service, namespace, labels }, spec: deploymentSpec(d, resolved, args.kafkaBootstrap) },
                { parent: this, dependsOn: [account] },
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
