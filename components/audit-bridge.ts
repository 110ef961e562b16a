/**
 * AuditBridge: the control-event mirror's workload (topology/audit-plan.ts, bridge/audit-bridge.ts) as a ServiceAccount
 * and a Deployment built like the orchestrator's (components/orchestrator.ts deploymentSpec: non-root, read-only root
 * filesystem, no service-account token), probed on /healthz. No Service: nothing calls it. Its RabbitMQ password,
 * Kafka login or KoP token are Secret references only.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AuditBridgePlan, Topology } from "../topology";
import { ORCHESTRATOR_DEFAULTS, deploymentSpec, networkPolicySpec, orchestratorLabels, podAnnotations } from "./orchestrator";

export interface AuditBridgeArgs {
    /** The planned topology; its `auditBridge` must be set. */
    topology: Topology;
    /** Bootstrap servers of a provisioned Kafka cluster, for a `fromOutput: "kafkaBootstrap"` entry. @default undefined */
    kafkaBootstrap?: pulumi.Input<string>;
    /** The ServiceAccount's annotations (the IRSA role of MSK IAM). @default {} */
    serviceAccountAnnotations?: Record<string, pulumi.Input<string>>;
    /** The region the MSK IAM signer signs for (a destination with `awsIam`). @default undefined */
    awsRegion?: string;
    /** Secret checksums (ServiceCredentials.checksums): the pods roll when a Secret they read changes. @default {} */
    secretChecksums?: Record<string, pulumi.Input<string>>;
}

/** The bridge's Deployment as planned, with AWS_REGION added where a destination signs MSK IAM tokens. Pure; exported for testing. */
export function bridgeDeployment(plan: AuditBridgePlan, awsRegion: string | undefined): AuditBridgePlan["deployment"] {
    const d = plan.deployment;
    if (!plan.destinations.some((x) => x.awsIam)) {
        return d;
    }
    if (!awsRegion) {
        throw new Error("AuditBridge: the audit bridge signs MSK IAM tokens for the stack's region, but aws:region is not set");
    }
    return { ...d, env: [...d.env, { name: "AWS_REGION", value: awsRegion }] };
}

export class AuditBridge extends pulumi.ComponentResource {
    constructor(name: string, args: AuditBridgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:audit:AuditBridge", name, {}, opts);
        const plan = args.topology.auditBridge;
        if (!plan) {
            throw new Error("AuditBridge: the topology has no audit bridge (construct this component only when topology.auditBridge is set)");
        }
        const namespace = args.topology.kubernetes.namespace;
        const d = bridgeDeployment(plan, args.awsRegion);
        const labels = { ...orchestratorLabels(d.service), "app.kubernetes.io/component": "audit-bridge" };
        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            { metadata: { name: d.service, namespace, labels, ...(args.serviceAccountAnnotations ? { annotations: args.serviceAccountAnnotations } : {}) }, automountServiceAccountToken: false },
            { parent: this },
        );
        const spec = deploymentSpec(
            d,
            // The orchestrator's sizing and user; the bridge's one HTTP path answers both probes (bridge/main.ts).
            { ...structuredClone(ORCHESTRATOR_DEFAULTS), readinessPath: "/healthz", livenessPath: "/healthz" },
            args.kafkaBootstrap,
            podAnnotations(d, args.serviceAccountAnnotations, args.secretChecksums),
        );
        new k8s.apps.v1.Deployment(`${name}-deployment`, { metadata: { name: d.service, namespace, labels }, spec }, { parent: this, dependsOn: [account] });
        // Nothing calls it: its health port is open to its namespace and the monitoring namespace only.
        new k8s.networking.v1.NetworkPolicy(`${name}-ingress`, { metadata: { name: d.service, namespace, labels }, spec: networkPolicySpec(d) }, { parent: this });
        if (d.replicas > 1) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                { metadata: { name: d.service, namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: { "app.kubernetes.io/name": d.service } } } },
                { parent: this },
            );
        }
        this.registerOutputs({});
    }
}
