/**
 * The whole platform for one stack: providers plus every component, wired from a planned Topology.
 * index.ts only loads config, checks it, plans and constructs this; tests construct it under mocks for
 * every stack and phase.
 */
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { streamRouteOutputs, type PlatformConfig, type Topology } from "../topology";
import { ServiceCredentials } from "./credentials";
import { KafkaPlatform } from "./kafka";
import { kubernetesProvider } from "./kubernetes-provider";
import { Observability } from "./observability";
import { OffloadBucket } from "./offload-bucket";
import { Orchestrator } from "./orchestrator";
import { PulsarCluster } from "./pulsar-cluster";
import { PulsarFunctions } from "./pulsar-functions";
import { PulsarTenancy } from "./pulsar-tenancy";
import { RabbitControlPlane } from "./rabbit-control-plane";

/** A copy of plain objects without their undefined entries, at any depth (Outputs and arrays are kept as they are). Pure. */
export function withoutUndefined<T extends Record<string, unknown>>(o: T): T {
    const isPlain = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v) && !pulumi.Output.isInstance(v) && Object.getPrototypeOf(v) === Object.prototype;
    return Object.fromEntries(
        Object.entries(o)
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, isPlain(v) ? withoutUndefined(v) : v]),
    ) as T;
}

export interface MessagingPlatformArgs {
    /** The validated stack config (endpoints and secrets the plan does not carry). */
    platform: PlatformConfig;
    /** The planned topology this stack realises. */
    topology: Topology;
    /** Cloud provider settings (`aws:region`, `gcp:project`, `gcp:region`). @default read from stack config */
    cloud?: { awsRegion?: string; gcpProject?: string; gcpRegion?: string };
}

export class MessagingPlatform extends pulumi.ComponentResource {
    /** The stack outputs: endpoints, routes, bucket; credentials as secrets. */
    readonly outputs: Record<string, unknown>;

    constructor(name: string, args: MessagingPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:index:MessagingPlatform", name, {}, opts);
        const { platform, topology } = args;
        const cloud = args.cloud ?? {
            awsRegion: new pulumi.Config("aws").get("region"),
            gcpProject: new pulumi.Config("gcp").get("project"),
            gcpRegion: new pulumi.Config("gcp").get("region"),
        };
        const parent = { parent: this };

        // Providers: explicit everywhere (stacks set pulumi:disable-default-providers).
        const kubernetes = kubernetesProvider(`${name}-kubernetes`, topology, parent);
        const rabbitProvider = new rabbitmq.Provider(
            `${name}-rabbitmq`,
            {
                endpoint: platform.rabbitmq.managementEndpoint,
                username: platform.rabbitmq.username,
                password: pulumi.secret(platform.rabbitmqPassword ?? ""),
            },
            parent,
        );
        const needsAws = topology.cloud === "aws" && (topology.kafka?.provider === "msk" || topology.offload !== null);
        const awsProvider = needsAws
            ? new aws.Provider(`${name}-aws`, { region: cloud.awsRegion as aws.Region | undefined }, parent)
            : undefined;
        const gcpProvider =
            topology.offload?.driver === "google-cloud-storage"
                ? new gcp.Provider(`${name}-gcp`, { project: cloud.gcpProject, region: cloud.gcpRegion }, parent)
                : undefined;
        // Credentials come from CONFLUENT_CLOUD_API_KEY / CONFLUENT_CLOUD_API_SECRET in the environment.
        const confluentProvider =
            topology.kafka?.provider === "confluent" ? new confluentcloud.Provider(`${name}-confluent`, {}, parent) : undefined;
        const cloudProviders = [awsProvider, gcpProvider, confluentProvider].filter((p): p is NonNullable<typeof p> => p !== undefined);

        // Per-service passwords (RabbitMQ users, MSK SCRAM users) are HMACs of this secret seed (components/derived-password.ts).
        const servicePasswordSeed = pulumi.secret(platform.credentialSeed ?? "");

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            { metadata: { name: topology.kubernetes.namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } } },
            // Deleting a namespace deletes every volume in it.
            { parent: this, provider: kubernetes, retainOnDelete: true, protect: topology.protectData },
        );
        const onKubernetes: pulumi.ComponentResourceOptions = { parent: this, providers: { kubernetes }, dependsOn: [namespace] };

        const kafka = topology.kafka
            ? new KafkaPlatform(
                  `${name}-kafka`,
                  {
                      topology,
                      ...(platform.kafkaSaslPassword !== undefined ? { kafkaPassword: pulumi.secret(platform.kafkaSaslPassword) } : {}),
                      servicePasswordSeed,
                      ...(platform.kubernetes.oidcProviderArn ? { oidcProviderArn: platform.kubernetes.oidcProviderArn } : {}),
                      ...(platform.kubernetes.oidcProviderUrl ? { oidcProviderUrl: platform.kubernetes.oidcProviderUrl } : {}),
                  },
                  { parent: this, providers: cloudProviders },
              )
            : undefined;

        // The Secrets every workload reads (Kafka logins, Pulsar tokens) and the Pulsar signing key.
        const externalSasl = platform.kafka.provider === "external" ? platform.kafka.sasl : undefined;
        const credentials = new ServiceCredentials(
            `${name}-credentials`,
            {
                topology,
                seed: servicePasswordSeed,
                ...(kafka ? { kafkaCredentials: kafka.credentials } : {}),
                ...(externalSasl ? { externalKafkaLogin: { username: externalSasl.username, password: pulumi.secret(platform.kafkaSaslPassword ?? "") } } : {}),
            },
            onKubernetes,
        );
        const withCredentials: pulumi.ComponentResourceOptions = { ...onKubernetes, dependsOn: [namespace, ...credentials.resources] };

        new RabbitControlPlane(`${name}-control-plane`, { topology, servicePasswordSeed }, { parent: this, provider: rabbitProvider });

        const bucket = topology.offload
            ? new OffloadBucket(
                  `${name}-offload`,
                  {
                      topology,
                      kubernetesNamespace: topology.kubernetes.namespace,
                      ...(platform.kubernetes.oidcProviderArn ? { oidcProviderArn: platform.kubernetes.oidcProviderArn } : {}),
                      ...(platform.kubernetes.oidcProviderUrl ? { oidcProviderUrl: platform.kubernetes.oidcProviderUrl } : {}),
                      ...(topology.offload.driver === "google-cloud-storage" && cloud.gcpProject ? { gcpProject: cloud.gcpProject } : {}),
                  },
                  { parent: this, providers: cloudProviders },
              )
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
                withCredentials,
            );
            new PulsarTenancy(
                `${name}-pulsar-tenancy`,
                { topology, ...(cluster.adminTokenSecret ? { adminToken: cluster.adminTokenSecret } : {}) },
                { ...onKubernetes, dependsOn: [namespace, cluster] },
            );
            if (topology.functions.length > 0 || topology.sinks.length > 0) {
                new PulsarFunctions(
                    `${name}-pulsar-functions`,
                    {
                        topology,
                        ...(kafka && !topology.kafka?.clientBootstrapServers ? { kafkaBootstrap: kafka.bootstrapServers } : {}),
                    },
                    { ...onKubernetes, dependsOn: [namespace, cluster, ...credentials.resources] },
                );
            }
        }

        // MSK IAM: each service's ServiceAccount assumes its role (IRSA); empty for every other cluster.
        const serviceAccountAnnotations = Object.fromEntries(
            Object.entries(kafka?.serviceRoleArns ?? {}).map(([service, arn]) => [service, { "eks.amazonaws.com/role-arn": arn }]),
        );
        new Orchestrator(
            `${name}-orchestrator`,
            { topology, serviceAccountAnnotations, secretChecksums: credentials.checksums, ...(kafka ? { kafkaBootstrap: kafka.bootstrapServers } : {}) },
            withCredentials,
        );

        if (topology.observability.enabled) {
            new Observability(
                `${name}-observability`,
                { topology, secretChecksums: credentials.checksums, ...(kafka && !topology.kafka?.clientBootstrapServers ? { kafkaBootstrap: kafka.bootstrapServers } : {}) },
                withCredentials,
            );
        }

        // Absent things are left out rather than exported as undefined (the engine warns "Undefined value (bucketName)
        // will not show as a stack output" on every run for those).
        this.outputs = withoutUndefined({
            phase: topology.phase,
            phaseName: topology.phaseName,
            endpoints: {
                kafkaBootstrap: kafka ? kafka.bootstrapServers : undefined,
                kopBootstrap: topology.pulsar?.endpoints.kopBootstrap,
                pulsarServiceUrl: topology.pulsar?.endpoints.serviceUrl,
                pulsarAdminUrl: topology.pulsar?.endpoints.httpUrl,
                rabbitmqManagement: platform.rabbitmq.managementEndpoint,
                rabbitmqAmqp: platform.rabbitmq.amqpEndpoint,
            },
            /** Per stream: its state in this phase and where producers write and consumers read. */
            streamRoutes: streamRouteOutputs(topology.routes),
            bucketName: bucket ? bucket.bucketName : undefined,
            /** Read back by the next update (index.ts): offloaded ledgers keep the bucket and driver at any phase. */
            offloadActive: topology.offload !== null,
            // Service credentials are not stack outputs: policies (and anyone with `stack output --show-secrets`)
            // would see them decrypted. Services read them from their Kubernetes Secrets / AWS Secrets Manager.
        });
        this.registerOutputs(this.outputs);
    }
}
