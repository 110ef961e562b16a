/**
 * The whole platform for one stack: providers plus every component, wired from a planned Topology.
 * index.ts only loads config, checks it, plans and constructs this; tests construct it under mocks for
 * every stack and phase.
 */
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import { ARCHIVER, streamRouteOutputs, type PlatformConfig, type Topology } from "../topology";
import { Archive } from "./archive";
import { KafkaPlatform } from "./kafka";
import { declareKubernetesWorkloads } from "./kubernetes-workloads";
import { OffloadBucket } from "./offload-bucket";
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

        // Providers: explicit everywhere (stacks set pulumi:disable-default-providers); the kubernetes one is the
        // Kubernetes half's (components/kubernetes-workloads.ts).
        const rabbitProvider = new rabbitmq.Provider(
            `${name}-rabbitmq`,
            {
                endpoint: platform.rabbitmq.managementEndpoint,
                username: platform.rabbitmq.username,
                password: pulumi.secret(platform.rabbitmqPassword ?? ""),
            },
            parent,
        );
        const needsAws = topology.cloud === "aws" && (topology.kafka?.provider === "msk" || topology.offload !== null || topology.archive !== null);
        const awsProvider = needsAws
            ? new aws.Provider(`${name}-aws`, { region: cloud.awsRegion as aws.Region | undefined }, parent)
            : undefined;
        const gcpProvider =
            topology.offload?.driver === "google-cloud-storage" || topology.archive?.bucket.store === "gcs"
                ? new gcp.Provider(`${name}-gcp`, { project: cloud.gcpProject, region: cloud.gcpRegion }, parent)
                : undefined;
        // Credentials come from CONFLUENT_CLOUD_API_KEY / CONFLUENT_CLOUD_API_SECRET in the environment.
        const confluentProvider =
            topology.kafka?.provider === "confluent" ? new confluentcloud.Provider(`${name}-confluent`, {}, parent) : undefined;
        const cloudProviders = [awsProvider, gcpProvider, confluentProvider].filter((p): p is NonNullable<typeof p> => p !== undefined);

        // Per-service passwords (RabbitMQ users, MSK SCRAM users) are HMACs of this secret seed (components/derived-password.ts).
        const servicePasswordSeed = pulumi.secret(platform.credentialSeed ?? "");

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

        const workloads = declareKubernetesWorkloads(this, name, {
            topology,
            platform,
            servicePasswordSeed,
            ...(cloud.awsRegion ? { awsRegion: cloud.awsRegion } : {}),
            ...(kafka ? { kafka: { ready: kafka, bootstrapServers: kafka.bootstrapServers, credentials: kafka.credentials, serviceRoleArns: kafka.serviceRoleArns } } : {}),
            ...(bucket ? { bucket: { brokerIdentity: bucket.brokerIdentity, ...(bucket.brokerKey ? { brokerKey: bucket.brokerKey } : {}) } } : {}),
        });

        const archive =
            topology.archive && kafka
                ? new Archive(
                      `${name}-archive`,
                      {
                          topology,
                          kafkaBootstrap: kafka.bootstrapServers,
                          ...archiveLogin(platform, kafka),
                          ...(kafka.clusterArn && platform.kafka.provider === "msk"
                              ? { msk: { clusterArn: kafka.clusterArn, subnetIds: platform.kafka.subnetIds, securityGroupIds: platform.kafka.securityGroupIds } }
                              : {}),
                          ...(kafka.confluentCloud ? { confluent: confluentArchiver(kafka.confluentCloud) } : {}),
                          ...(platform.kubernetes.oidcProviderArn ? { oidcProviderArn: platform.kubernetes.oidcProviderArn } : {}),
                          ...(platform.kubernetes.oidcProviderUrl ? { oidcProviderUrl: platform.kubernetes.oidcProviderUrl } : {}),
                          ...(topology.archive.bucket.store === "gcs" && cloud.gcpProject ? { gcpProject: cloud.gcpProject } : {}),
                          kubernetesDependsOn: [workloads.namespace, ...workloads.credentials],
                          ...(platform.archive.mskConnectPlugin ? { mskConnectPlugin: platform.archive.mskConnectPlugin } : {}),
                          ...(platform.archive.connectImage ? { connectImage: platform.archive.connectImage } : {}),
                          ...(platform.archive.connectImagePushSecret ? { connectImagePushSecret: platform.archive.connectImagePushSecret } : {}),
                      },
                      { parent: this, providers: [...archiveCloudProviders(topology, awsProvider, gcpProvider, confluentProvider), workloads.provider] },
                  )
                : undefined;

        // Absent things are left out rather than exported as undefined (the engine warns "Undefined value (bucketName)
        // will not show as a stack output" on every run for those).
        this.outputs = withoutUndefined({
            phase: topology.phase,
            phaseName: topology.phaseName,
            /** Read back by the next update (topology/update.ts): the gates this update deployed. */
            gates: { ...platform.gates },
            /** Set in a staged transition's prepare and switch updates: read back to order the next one. */
            transition: topology.transition,
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
            /** Read by the edge sites this stack accepts (edge/: their StackReference to it). */
            edgeReplication: workloads.edgeReplication,
            /** The audit and telemetry archive's bucket (the smoke tool's last hop). */
            archiveBucket: archive ? archive.bucketName : undefined,
            /** Read back by the next update (index.ts): offloaded ledgers keep the bucket and driver at any phase. */
            offloadActive: topology.offload !== null,
            // Service credentials are not stack outputs: policies (and anyone with `stack output --show-secrets`)
            // would see them decrypted. Services read them from their Kubernetes Secrets / AWS Secrets Manager.
        });
        this.registerOutputs(this.outputs);
    }
}

/** The archiver's Kafka user name for Strimzi's `authentication.username`: its own (MSK SCRAM), or the cluster's shared SASL user (external). */
function archiveLogin(platform: PlatformConfig, kafka: KafkaPlatform): { kafkaUsername?: pulumi.Input<string> } {
    const own = kafka.credentials[ARCHIVER]?.username;
    if (own !== undefined) {
        return { kafkaUsername: own };
    }
    return platform.kafka.provider === "external" && platform.kafka.sasl ? { kafkaUsername: platform.kafka.sasl.username } : {};
}

function confluentArchiver(c: NonNullable<KafkaPlatform["confluentCloud"]>): { environmentId: pulumi.Input<string>; clusterId: pulumi.Input<string>; serviceAccountId: pulumi.Input<string> } {
    const serviceAccountId = c.serviceAccountIds[ARCHIVER];
    if (serviceAccountId === undefined) {
        throw new Error(`MessagingPlatform: the Confluent cluster has no service account for ${ARCHIVER} (it has no ACLs in the plan)`);
    }
    return { environmentId: c.environmentId, clusterId: c.clusterId, serviceAccountId };
}

/** The cloud providers the archive's resources use: the bucket's cloud, and Confluent's for a managed connector. */
function archiveCloudProviders(topology: Topology, aws?: pulumi.ProviderResource, gcp?: pulumi.ProviderResource, confluent?: pulumi.ProviderResource): pulumi.ProviderResource[] {
    const store = topology.archive?.bucket.store;
    return [store === "s3" ? aws : gcp, topology.archive?.runtime === "confluent-managed" ? confluent : undefined].filter((p): p is pulumi.ProviderResource => p !== undefined);
}
