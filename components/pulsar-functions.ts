/**
 * PulsarFunctions: the plan's Pulsar Functions (the mcp-matcher), Pulsar->Kafka sinks and a transition's overlap
 * mirrors as Function Mesh custom resources (`compute.functionmesh.io/v1alpha1` Function, Sink and Source; fields
 * checked against reference/crds/compute.functionmesh.io_{functions,sinks,sources}.yaml).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type KafkaPlan, type MirrorPlan, type PulsarPlan, type SinkPlan, type Topology } from "../topology";
import { kubernetesName } from "./pulsar-tenancy";

export const FUNCTION_MESH_API = "compute.functionmesh.io/v1alpha1";
/** ConfigMap with the cluster's URLs (Function Mesh `pulsar.pulsarConfig`: webServiceURL, brokerServiceURL). */
export const FUNCTION_MESH_PULSAR_CONFIG = "pulsar-function-mesh";
/** The Kafka sink connector NAR inside the apachepulsar/pulsar-all image (its `connectors/` folder). */
export function kafkaConnectorJar(pulsarVersion: string): string {
    return `connectors/pulsar-io-kafka-${pulsarVersion}.nar`;
}

export interface ComputeResources {
    requests: { cpu: string; memory: string };
    limits: { cpu: string; memory: string };
}

/** The Python entry point inside a function's code. */
export interface PythonEntrypoint {
    /** `module.function` or `module.Class` (Function Mesh `className`). */
    className: string;
}

export interface PulsarFunctionsArgs {
    /** The planned topology. Its `pulsar` must be set. */
    topology: Topology;
    /**
     * Kafka bootstrap servers the sinks write to (e.g. `KafkaPlatform.bootstrapServers`). Required when the plan
     * has sinks and its Kafka plan does not list bootstrap servers.
     * @default the plan's `kafka.bootstrapServers`
     */
    kafkaBootstrap?: pulumi.Input<string>;
    /**
     * Secret with the Pulsar client auth for functions and sinks (Function Mesh `pulsar.authSecret`: keys
     * `clientAuthenticationPlugin` and `clientAuthenticationParameters`). Used only with token auth.
     * @default the plan's per-function/per-sink Secret (`<name>-credentials`, provisioned by ServiceCredentials)
     */
    authSecretName?: string;
    /**
     * Entry point of the function code (seed 000: functions/mcp-matcher/function.py); the file is the plan's `py`.
     * @default { className: "function.process" }
     */
    entrypoint?: PythonEntrypoint;
    /**
     * Instances per function and sink when idle.
     * @default 1
     */
    replicas?: number;
    /**
     * Upper bound for Function Mesh autoscaling (setting it turns autoscaling on).
     * @default 3
     */
    maxReplicas?: number;
    /**
     * CPU/memory per instance.
     * @default { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } }
     */
    resources?: ComputeResources;
}

/** Every default of the args, in one place. */
export const PULSAR_FUNCTIONS_DEFAULTS = {
    entrypoint: { className: "function.process" },
    replicas: 1,
    maxReplicas: 3,
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
} as const;

type Resolved = Required<Pick<PulsarFunctionsArgs, "entrypoint" | "replicas" | "maxReplicas" | "resources">>;

/** The Function Mesh `pulsar` block (connection, auth, TLS: the platform's CA, issued into the namespace). */
function messaging(p: PulsarPlan, authSecret: string | undefined): Record<string, unknown> {
    return {
        pulsarConfig: FUNCTION_MESH_PULSAR_CONFIG,
        ...(p.tokenAuth && authSecret ? { authSecret } : {}),
        ...(p.tls
            ? { tlsConfig: { enabled: true, allowInsecure: false, hostnameVerification: true, certSecretName: p.tls.trust.secret, certSecretKey: p.tls.trust.key } }
            : {}),
    };
}

/**
 * Where a new subscription of a function or sink starts: at the earliest retained message, so nothing published
 * before it attached (while the phase moved it from a Deployment or brought the sink up) is skipped. Function Mesh's
 * CRD takes the lower-case enum (compute.functionmesh.io_functions.yaml `subscriptionPosition`).
 */
export const SUBSCRIPTION_POSITION = "earliest";

/** The cluster name Function Mesh registers instances under: the chart's (release fullname) or standalone's. */
function clusterName(p: PulsarPlan): string {
    return p.mode === "helm" ? "pulsar" : "standalone";
}

/** Function specs for a plan. Pure; exported for testing. */
export function functionSpecs(topology: Topology, r: Resolved, authSecretName?: string) {
    const p = topology.pulsar as PulsarPlan;
    return topology.functions.map((f) => ({
        name: kubernetesName(f.name),
        spec: {
            name: f.name,
            className: r.entrypoint.className,
            tenant: f.tenant,
            namespace: f.namespace,
            clusterName: clusterName(p),
            // The code is in the image: `python.py` is a file in it and nothing is downloaded (no pyLocation), so
            // neither package management nor a `packages` grant is needed (function-mesh controllers/spec/function.go).
            image: f.image,
            replicas: r.replicas,
            maxReplicas: r.maxReplicas,
            input: { topics: [...f.inputs] },
            output: { topic: f.output },
            // The function's user config: each result to the topic of its request's tenant and namespace.
            funcConfig: { outputTopicPattern: f.outputTopicPattern },
            subscriptionName: f.service,
            subscriptionPosition: SUBSCRIPTION_POSITION,
            processingGuarantee: "atleast_once",
            autoAck: true,
            resources: structuredClone(r.resources),
            pulsar: messaging(p, authSecretName ?? f.authSecret),
            python: { py: f.py },
        },
    }));
}

/** The sink pod's volume with its Kafka login file. */
const SINK_CREDENTIALS_VOLUME = "kafka-client";

/** What a Kafka sink connector needs: a plan sink, or a Pulsar -> Kafka overlap mirror. */
type KafkaSinkLike = Pick<SinkPlan, "name" | "className" | "input" | "kafkaTopic" | "authSecret" | "jaasFile">;
/** What a Kafka source connector needs: a Kafka -> Pulsar overlap mirror. */
type KafkaSourceLike = Pick<MirrorPlan, "name" | "kafkaTopic" | "pulsarTopic" | "authSecret" | "jaasFile">;

/** Kafka client security of a connector, as KafkaSinkConfig and KafkaSourceConfig both name it. */
function kafkaSecurity(security: KafkaPlan["clientSecurity"]): Record<string, string> {
    return {
        ...(security.protocol !== "PLAINTEXT" ? { securityProtocol: security.protocol } : {}),
        ...(security.saslMechanism ? { saslMechanism: security.saslMechanism } : {}),
    };
}

/**
 * The login as a mounted file read through Kafka's FileConfigProvider: saslJaasConfig is not a sensitive field of
 * KafkaSinkConfig or KafkaSourceConfig, so no secretsMap entry reaches it, and a literal would sit in the pod's command
 * line (topology/model.ts SinkPlan.jaasFile).
 */
function jaasProperties(jaas: SinkPlan["jaasFile"]): Record<string, string> | undefined {
    return jaas
        ? {
              "config.providers": "file",
              "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
              "sasl.jaas.config": `\${file:${jaas.file}:sasl.jaas.config}`,
          }
        : undefined;
}

function jaasMount(jaas: SinkPlan["jaasFile"]): Record<string, unknown> {
    return jaas
        ? {
              pod: { volumes: [{ name: SINK_CREDENTIALS_VOLUME, secret: { secretName: jaas.secret.name, items: [{ key: jaas.secret.key, path: jaas.secret.key }], defaultMode: 0o400 } }] },
              volumeMounts: [{ name: SINK_CREDENTIALS_VOLUME, mountPath: jaas.mountPath, readOnly: true }],
          }
        : {};
}

const tenantAndNamespace = (topic: string) => topic.replace(/^persistent:\/\//, "").split("/") as [string, string];

/** The Pulsar -> Kafka connectors of a plan: its sinks and the overlap mirrors into Kafka. */
function kafkaSinks(topology: Topology): KafkaSinkLike[] {
    return [
        ...topology.sinks,
        ...topology.mirrors
            .filter((m) => m.direction === "pulsar-to-kafka")
            .map((m) => ({ name: m.name, className: "org.apache.pulsar.io.kafka.KafkaBytesSink" as const, input: m.pulsarTopic, kafkaTopic: m.kafkaTopic, authSecret: m.authSecret, jaasFile: m.jaasFile })),
    ];
}

/**
 * What every pulsar-io Kafka connector's spec has (a Sink or a Source): where it runs (the tenant and namespace of its
 * Pulsar topic), the image with the connector NAR, at-least-once, its Pulsar login and its mounted Kafka login.
 */
function connectorSpec(p: PulsarPlan, r: Resolved, c: { name: string; className: string; pulsarTopic: string; authSecret?: string | undefined; jaasFile?: SinkPlan["jaasFile"] }, authSecretName?: string) {
    const [tenant, namespace] = tenantAndNamespace(c.pulsarTopic);
    return {
        name: c.name,
        className: c.className,
        tenant,
        namespace,
        clusterName: clusterName(p),
        image: p.image,
        processingGuarantee: "atleast_once",
        resources: structuredClone(r.resources),
        ...jaasMount(c.jaasFile),
        pulsar: messaging(p, authSecretName ?? c.authSecret),
        // jarLocation empty: the connector NAR comes with the image.
        java: { jar: kafkaConnectorJar(p.version), jarLocation: "" },
    };
}

/** Sink specs for a plan (its sinks and Pulsar -> Kafka mirrors). Pure; exported for testing. `kafkaBootstrap` may be an Output. */
export function sinkSpecs(topology: Topology, r: Resolved, kafkaBootstrap: pulumi.Input<string>, authSecretName?: string) {
    const p = topology.pulsar as PulsarPlan;
    const kafka = topology.kafka as KafkaPlan;
    return kafkaSinks(topology).map((s) => {
        const login = jaasProperties(s.jaasFile);
        return {
            name: kubernetesName(s.name),
            spec: {
                ...connectorSpec(p, r, { ...s, pulsarTopic: s.input }, authSecretName),
                replicas: r.replicas,
                maxReplicas: r.maxReplicas,
                input: { topics: [s.input] },
                // The subscription `npm run handover` positions before the switch (topology/choreography.ts).
                subscriptionName: s.name,
                subscriptionPosition: SUBSCRIPTION_POSITION,
                autoAck: true,
                // KafkaSinkConfig keys (pulsar-io/kafka; https://pulsar.apache.org/docs/io-kafka-sink).
                sinkConfig: { bootstrapServers: kafkaBootstrap, topic: s.kafkaTopic, acks: "all", ...kafkaSecurity(kafka.clientSecurity), ...(login ? { producerConfigProperties: login } : {}) },
            },
        };
    });
}

/**
 * Source specs for a plan's Kafka -> Pulsar overlap mirrors (pulsar-io's KafkaBytesSource: the Kafka record's bytes
 * become the Pulsar message, which KoP and native clients read alike). Pure; exported for testing.
 *
 * The consumer group is the mirror's name, positioned by `npm run handover` before the switch; autoCommitEnabled is
 * off so that KafkaAbstractSource commits an offset only once Pulsar has acknowledged the records before it
 * (at-least-once: a restart copies again what was not acknowledged); autoOffsetReset "earliest" for a group that has
 * no offset (pulsar-io/kafka KafkaSourceConfig; https://pulsar.apache.org/docs/io-kafka-source). copyHeadersEnabled:
 * a record's Kafka headers become the Pulsar message's properties (off by default: the copy would lose them), each value
 * base64-encoded, as the connector encodes header bytes; checked record by record in test/pulsar/connectors.test.ts.
 */
export function sourceSpecs(topology: Topology, r: Resolved, kafkaBootstrap: pulumi.Input<string>, authSecretName?: string) {
    const p = topology.pulsar as PulsarPlan;
    const kafka = topology.kafka as KafkaPlan;
    const sources: KafkaSourceLike[] = topology.mirrors.filter((m) => m.direction === "kafka-to-pulsar");
    return sources.map((m) => {
        const login = jaasProperties(m.jaasFile);
        return {
            name: kubernetesName(m.name),
            spec: {
                ...connectorSpec(p, r, { ...m, className: "org.apache.pulsar.io.kafka.KafkaBytesSource" }, authSecretName),
                // One instance: a second would join the same group and split the partitions, which is fine, but one
                // is enough for an overlap that lasts minutes and keeps the copy order per partition obvious.
                replicas: 1,
                output: { topic: m.pulsarTopic },
                sourceConfig: {
                    bootstrapServers: kafkaBootstrap,
                    topic: m.kafkaTopic,
                    groupId: m.name,
                    autoCommitEnabled: false,
                    autoOffsetReset: "earliest",
                    copyHeadersEnabled: true,
                    ...kafkaSecurity(kafka.clientSecurity),
                    ...(login ? { consumerConfigProperties: login } : {}),
                },
            },
        };
    });
}

export class PulsarFunctions extends pulumi.ComponentResource {
    /** Names of the Functions. */
    readonly functions: pulumi.Output<string[]>;
    /** Names of the Sinks. */
    readonly sinks: pulumi.Output<string[]>;
    /** Names of the overlap mirrors (Sources into Pulsar, Sinks into Kafka) of a transition's switch stage. */
    readonly mirrors: pulumi.Output<string[]>;

    constructor(name: string, args: PulsarFunctionsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:pulsar:PulsarFunctions", name, {}, opts);
        const { topology } = args;
        const p = topology.pulsar;
        if (!p) {
            throw new Error(`PulsarFunctions "${name}": topology.pulsar is null (phase ${topology.phase}); construct it only when the plan has Pulsar`);
        }
        const kafkaBootstrap = args.kafkaBootstrap ?? topology.kafka?.clientBootstrapServers?.join(",");
        const connectors = [...topology.sinks, ...topology.mirrors].map((s) => s.name);
        if (connectors.length > 0 && (kafkaBootstrap === undefined || !topology.kafka)) {
            throw new Error(
                `PulsarFunctions "${name}": the plan has Kafka connectors (${connectors.join(", ")}) but no Kafka bootstrap: ` +
                    `pass kafkaBootstrap (KafkaPlatform.bootstrapServers)`,
            );
        }
        const resolved: Resolved = {
            entrypoint: args.entrypoint ?? { ...PULSAR_FUNCTIONS_DEFAULTS.entrypoint },
            replicas: args.replicas ?? PULSAR_FUNCTIONS_DEFAULTS.replicas,
            maxReplicas: args.maxReplicas ?? PULSAR_FUNCTIONS_DEFAULTS.maxReplicas,
            resources: args.resources ?? structuredClone(PULSAR_FUNCTIONS_DEFAULTS.resources) as ComputeResources,
        };
        const namespace = topology.kubernetes.namespace;
        const labels = { "app.kubernetes.io/part-of": "messaging-platform", "app.kubernetes.io/managed-by": "pulumi" };

        const config = new k8s.core.v1.ConfigMap(
            `${name}-pulsar-config`,
            {
                metadata: { name: FUNCTION_MESH_PULSAR_CONFIG, namespace, labels },
                data: { webServiceURL: p.endpoints.httpUrl, brokerServiceURL: p.endpoints.serviceUrl },
            },
            { parent: this },
        );
        for (const f of functionSpecs(topology, resolved, args.authSecretName)) {
            new k8s.apiextensions.CustomResource(
                `${name}-function-${f.name}`,
                { apiVersion: FUNCTION_MESH_API, kind: "Function", metadata: { name: f.name, namespace, labels }, spec: f.spec },
                { parent: this, dependsOn: [config] },
            );
        }
        if (connectors.length > 0) {
            for (const s of sinkSpecs(topology, resolved, kafkaBootstrap as pulumi.Input<string>, args.authSecretName)) {
                new k8s.apiextensions.CustomResource(
                    `${name}-sink-${s.name}`,
                    { apiVersion: FUNCTION_MESH_API, kind: "Sink", metadata: { name: s.name, namespace, labels }, spec: s.spec },
                    { parent: this, dependsOn: [config] },
                );
            }
            for (const m of sourceSpecs(topology, resolved, kafkaBootstrap as pulumi.Input<string>, args.authSecretName)) {
                new k8s.apiextensions.CustomResource(
                    `${name}-source-${m.name}`,
                    { apiVersion: FUNCTION_MESH_API, kind: "Source", metadata: { name: m.name, namespace, labels }, spec: m.spec },
                    { parent: this, dependsOn: [config] },
                );
            }
        }
        this.functions = pulumi.output(topology.functions.map((f) => f.name));
        this.sinks = pulumi.output(topology.sinks.map((s) => s.name));
        this.mirrors = pulumi.output(topology.mirrors.map((m) => m.name));
        this.registerOutputs({ functions: this.functions, sinks: this.sinks, mirrors: this.mirrors });
    }
}
