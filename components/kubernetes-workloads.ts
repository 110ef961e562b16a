/**
 * The Kubernetes half of the platform: the namespace, the service credentials, the Pulsar cluster with its tenancy,
 * functions and sinks, the orchestrator and the monitors, wired from the plan as MessagingPlatform wires them (it
 * calls this). The resources are children of the given host component, so their URNs are MessagingPlatform's.
 *
 * test/engine runs exactly this through a real Pulumi engine: the kubernetes provider plugin can be built here, the
 * kafka and rabbitmq ones cannot (README, "Set up").
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PlatformConfig, Topology } from "../topology";
import { AuditBridge } from "./audit-bridge";
import { EdgeSiteTrust } from "./edge-sites";
import { ServiceCredentials } from "./credentials";
import type { KafkaCredential } from "./kafka";
import { kubernetesProvider } from "./kubernetes-provider";
import { Observability } from "./observability";
import { Orchestrator } from "./orchestrator";
import { PulsarCluster } from "./pulsar-cluster";
import { PulsarFunctions } from "./pulsar-functions";
import { PulsarTenancy } from "./pulsar-tenancy";

/** What the Kubernetes half takes from the other half (a provisioned Kafka cluster, the offload bucket). */
export interface KubernetesWorkloadsInputs {
    topology: Topology;
    platform: PlatformConfig;
    /** The secret seed of every derived credential (credentialSeed). */
    servicePasswordSeed: pulumi.Input<string>;
    /** A provisioned Kafka cluster (KafkaPlatform); undefined for an external cluster or none. */
    kafka?: {
        /** What the services need on Kafka before they roll (the cluster, its topics and ACLs: KafkaPlatform). */
        ready?: pulumi.Resource;
        bootstrapServers: pulumi.Input<string>;
        credentials: Record<string, KafkaCredential>;
        serviceRoleArns: Record<string, pulumi.Input<string>>;
    };
    /** The stack's aws:region (the audit bridge signs MSK IAM tokens for it). */
    awsRegion?: string;
    /** The offload bucket's broker identity and (GCS) key (OffloadBucket). */
    bucket?: { brokerIdentity: pulumi.Input<string>; brokerKey?: pulumi.Input<string> };
}

export interface KubernetesWorkloads {
    provider: k8s.Provider;
    namespace: k8s.core.v1.Namespace;
    /** What this stack exports for its edge sites (`edgeReplication`), when it accepts any. */
    edgeReplication?: pulumi.Output<Record<string, unknown>>;
    /** The credential Secrets (what a workload declared elsewhere, such as the archive's Connect workers, waits on). */
    credentials: pulumi.Resource[];
}

/** Declares the Kubernetes half as children of `host`, named `${name}-...` (MessagingPlatform passes itself). */
export function declareKubernetesWorkloads(host: pulumi.ComponentResource, name: string, args: KubernetesWorkloadsInputs): KubernetesWorkloads {
    const { topology, platform, kafka, bucket } = args;
    const provider = kubernetesProvider(`${name}-kubernetes`, topology, { parent: host });
    const namespace = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        { metadata: { name: topology.kubernetes.namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } } },
        // Deleting a namespace deletes every volume in it.
        { parent: host, provider, retainOnDelete: true, protect: topology.protectData },
    );
    const onKubernetes: pulumi.ComponentResourceOptions = { parent: host, providers: { kubernetes: provider }, dependsOn: [namespace] };

    // The Secrets every workload reads (Kafka logins, Pulsar tokens) and the Pulsar signing key.
    const externalSasl = platform.kafka.provider === "external" ? platform.kafka.sasl : undefined;
    const credentials = new ServiceCredentials(
        `${name}-credentials`,
        {
            topology,
            seed: args.servicePasswordSeed,
            ...(kafka ? { kafkaCredentials: kafka.credentials } : {}),
            ...(externalSasl ? { externalKafkaLogin: { username: externalSasl.username, password: pulumi.secret(platform.kafkaSaslPassword ?? "") } } : {}),
        },
        onKubernetes,
    );
    const withCredentials: pulumi.ComponentResourceOptions = { ...onKubernetes, dependsOn: [namespace, ...credentials.resources] };
    // The cluster's bootstrap for workloads, unless the plan names the addresses pods use (an external cluster).
    const kafkaBootstrap = kafka && !topology.kafka?.clientBootstrapServers ? { kafkaBootstrap: kafka.bootstrapServers } : {};

    // What a service's new env points at must exist before its pods roll: the brokers, the tenants, namespaces, topics
    // and grants, the mirrors and sinks of the overlap (topology/choreography.ts), and the Kafka topics and ACLs.
    // dependsOn orders the updates' steps; that the Pulsar operators have reconciled the CRs is what `npm run handover`
    // checks between the prepare and switch updates (it creates subscriptions on the topics).
    const servicesNeed: pulumi.Resource[] = [namespace, ...credentials.resources, ...(kafka?.ready ? [kafka.ready] : [])];
    // The edge sites' CAs must exist before the brokers mount them (the chart's cacerts).
    const edgeTrust =
        topology.edgePairing && topology.pulsar?.tls
            ? new EdgeSiteTrust(`${name}-edge-sites`, { pairing: topology.edgePairing, tls: topology.pulsar.tls, namespace: topology.kubernetes.namespace }, onKubernetes)
            : undefined;
    if (topology.pulsar) {
        const cluster = new PulsarCluster(
            `${name}-pulsar`,
            {
                topology,
                secretChecksums: credentials.checksums,
                ...(bucket ? { brokerIdentity: bucket.brokerIdentity, ...(bucket.brokerKey ? { offloadKey: bucket.brokerKey } : {}) } : {}),
            },
            // With token auth the chart mounts the signing key Secret: it must exist before the release installs.
            edgeTrust ? { ...withCredentials, dependsOn: [namespace, ...credentials.resources, ...edgeTrust.trustSecrets] } : withCredentials,
        );
        const tenancy = new PulsarTenancy(
            `${name}-pulsar-tenancy`,
            { topology, ...(cluster.adminTokenSecret ? { adminToken: cluster.adminTokenSecret } : {}) },
            { ...onKubernetes, dependsOn: [namespace, cluster] },
        );
        servicesNeed.push(cluster, tenancy);
        if (topology.functions.length > 0 || topology.sinks.length > 0 || topology.mirrors.length > 0) {
            // Functions, sinks and mirrors read and write topics the tenancy declares, with its grants.
            const functions = new PulsarFunctions(
                `${name}-pulsar-functions`,
                { topology, ...kafkaBootstrap },
                { ...onKubernetes, dependsOn: [namespace, cluster, tenancy, ...credentials.resources, ...(kafka?.ready ? [kafka.ready] : [])] },
            );
            servicesNeed.push(functions);
        }
    }

    // MSK IAM: each service's ServiceAccount assumes its role (IRSA); empty for every other cluster.
    const serviceAccountAnnotations = Object.fromEntries(
        Object.entries(kafka?.serviceRoleArns ?? {}).map(([service, arn]) => [service, { "eks.amazonaws.com/role-arn": arn }]),
    );
    new Orchestrator(
        `${name}-orchestrator`,
        { topology, serviceAccountAnnotations, secretChecksums: credentials.checksums, ...(kafka ? { kafkaBootstrap: kafka.bootstrapServers } : {}) },
        { ...onKubernetes, dependsOn: servicesNeed },
    );

    if (topology.auditBridge) {
        // Its destination (the Kafka topic and its ACLs, or the Pulsar topic and its grant) exists before it starts.
        const account = serviceAccountAnnotations[topology.auditBridge.service];
        new AuditBridge(
            `${name}-audit-bridge`,
            {
                topology,
                secretChecksums: credentials.checksums,
                ...(account ? { serviceAccountAnnotations: account } : {}),
                ...(args.awsRegion ? { awsRegion: args.awsRegion } : {}),
                ...(kafka ? { kafkaBootstrap: kafka.bootstrapServers } : {}),
            },
            { ...onKubernetes, dependsOn: servicesNeed },
        );
    }

    if (topology.observability.enabled) {
        new Observability(`${name}-observability`, { topology, secretChecksums: credentials.checksums, ...kafkaBootstrap }, withCredentials);
    }
    return { provider, namespace, credentials: credentials.resources, ...(edgeTrust ? { edgeReplication: edgeTrust.view } : {}) };
}
