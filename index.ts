/**
 * messaging-platform: load config -> plan the topology -> build the components -> export outputs.
 *
 * Config is validated and planned before any resource is registered, so a bad value fails the preview with one
 * error that lists every problem (topology/config.ts). Everything the phase changes is in the plan; this file only
 * wires components together.
 */
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as rabbitmq from "@pulumi/rabbitmq";
import {
    KafkaPlatform,
    Observability,
    OffloadBucket,
    Orchestrator,
    PulsarCluster,
    PulsarFunctions,
    PulsarTenancy,
    RabbitControlPlane,
    kubernetesProvider,
} from "./components";
import { SECRET_KEYS, configSchema, plan, validateConfig, type RawConfig } from "./topology";

/** `Config.get` returns the stored string; structured and numeric values are JSON in it. */
function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** `isConfigSecret` is exported by the SDK's runtime (runtime/config.js) but marked @internal in its typings. */
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

/** Reads every key of the config schema from the stack, with which of them are secret. */
export function readRawConfig(config: pulumi.Config = new pulumi.Config()): RawConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const key of Object.keys(configSchema.shape)) {
        const text = config.get(key);
        if (text === undefined) {
            continue;
        }
        // Secrets stay strings: a numeric-looking password must not become a number.
        values[key] = key in SECRET_KEYS ? text : parseValue(text);
        if (isConfigSecret?.(`${config.name}:${key}`)) {
            secretKeys.add(key);
        }
    }
    return { values, secretKeys };
}

const platform = validateConfig(readRawConfig());
const topology = plan(platform);

// ---------------------------------------------------------------------------------------------
// Providers: explicit everywhere (stacks set pulumi:disable-default-providers).

const kubernetes = kubernetesProvider("kubernetes", topology);
const rabbitProvider = new rabbitmq.Provider("rabbitmq", {
    endpoint: platform.rabbitmq.managementEndpoint,
    username: platform.rabbitmq.username,
    password: pulumi.secret(platform.rabbitmqPassword ?? ""),
});
const needsAws = topology.cloud === "aws" && (topology.kafka?.provider === "msk" || topology.offload !== null);
const awsProvider = needsAws ? new aws.Provider("aws", { region: new pulumi.Config("aws").get("region") as aws.Region | undefined }) : undefined;
const gcpConfig = new pulumi.Config("gcp");
const gcpProvider =
    topology.offload?.driver === "google-cloud-storage"
        ? new gcp.Provider("gcp", { project: gcpConfig.get("project"), region: gcpConfig.get("region") })
        : undefined;
// Credentials come from CONFLUENT_CLOUD_API_KEY / CONFLUENT_CLOUD_API_SECRET in the environment.
const confluentProvider = topology.kafka?.provider === "confluent" ? new confluentcloud.Provider("confluent", {}) : undefined;

// Service passwords (RabbitMQ users, MSK SCRAM users) are derived from a secret seed; until the config contract has
// a key of its own for it, the RabbitMQ admin password is that seed.
const servicePasswordSeed = pulumi.secret(platform.rabbitmqPassword ?? "");

// ---------------------------------------------------------------------------------------------
// Components.

const namespace = new k8s.core.v1.Namespace(
    "namespace",
    { metadata: { name: topology.kubernetes.namespace, labels: { "app.kubernetes.io/part-of": "messaging-platform" } } },
    // Deleting a namespace deletes every volume in it.
    { provider: kubernetes, retainOnDelete: true, protect: topology.protectData },
);
const onKubernetes: pulumi.ComponentResourceOptions = { providers: { kubernetes }, dependsOn: [namespace] };

const kafka = topology.kafka
    ? new KafkaPlatform(
          "kafka",
          {
              topology,
              ...(platform.kafkaSaslPassword !== undefined ? { kafkaPassword: pulumi.secret(platform.kafkaSaslPassword) } : {}),
              servicePasswordSeed,
          },
          { providers: [awsProvider, confluentProvider].filter((p): p is NonNullable<typeof p> => p !== undefined) },
      )
    : undefined;

new RabbitControlPlane("control-plane", { topology, servicePasswordSeed }, { provider: rabbitProvider });

const bucket = topology.offload
    ? new OffloadBucket(
          "offload",
          {
              topology,
              kubernetesNamespace: topology.kubernetes.namespace,
              ...(topology.offload.driver === "google-cloud-storage" ? { gcpProject: gcpConfig.get("project") } : {}),
          },
          { providers: [awsProvider, gcpProvider].filter((p): p is NonNullable<typeof p> => p !== undefined) },
      )
    : undefined;

if (topology.pulsar) {
    const cluster = new PulsarCluster(
        "pulsar",
        { topology, ...(bucket ? { brokerIdentity: bucket.brokerIdentity } : {}) },
        onKubernetes,
    );
    new PulsarTenancy(
        "pulsar-tenancy",
        { topology, ...(cluster.adminTokenSecret ? { adminToken: cluster.adminTokenSecret } : {}) },
        { ...onKubernetes, dependsOn: [namespace, cluster] },
    );
    if (topology.functions.length > 0 || topology.sinks.length > 0) {
        new PulsarFunctions(
            "pulsar-functions",
            {
                topology,
                ...(kafka ? { kafkaBootstrap: kafka.bootstrapServers } : {}),
                ...(cluster.caSecret ? { caSecret: cluster.caSecret } : {}),
            },
            { ...onKubernetes, dependsOn: [namespace, cluster] },
        );
    }
}

new Orchestrator("orchestrator", { topology, ...(kafka ? { kafkaBootstrap: kafka.bootstrapServers } : {}) }, onKubernetes);

if (topology.observability.enabled) {
    new Observability("observability", { topology }, onKubernetes);
}

// ---------------------------------------------------------------------------------------------
// Outputs.

export const phase = topology.phase;
export const phaseName = topology.phaseName;
export const endpoints = {
    kafkaBootstrap: kafka ? kafka.bootstrapServers : undefined,
    kopBootstrap: topology.pulsar?.endpoints.kopBootstrap,
    pulsarServiceUrl: topology.pulsar?.endpoints.serviceUrl,
    pulsarAdminUrl: topology.pulsar?.endpoints.httpUrl,
    rabbitmqManagement: platform.rabbitmq.managementEndpoint,
    rabbitmqAmqp: platform.rabbitmq.amqpEndpoint,
};
/** Per stream: its state in this phase and where producers write and consumers read. */
export const streamRoutes = Object.fromEntries(
    topology.routes.map((r) => [
        r.stream,
        {
            state: r.state,
            produce: r.produce.map((e) => `${e.broker}:${e.topic}`),
            consume: r.consume.map((c) => `${c.service}@${c.broker}:${c.topic}`),
            ...(r.gate ? { gate: r.gate } : {}),
            ...(r.sink ? { sink: r.sink } : {}),
        },
    ]),
);
export const bucketName = bucket ? bucket.bucketName : undefined;
/** Per-service Kafka credentials (MSK SCRAM / Confluent API keys): secret. */
export const kafkaCredentials = kafka ? pulumi.secret(kafka.credentials) : undefined;
