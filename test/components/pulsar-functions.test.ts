import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PulsarFunctions } from "../../components/pulsar-functions";
import { planChoreography, stageTopology } from "../../topology";
import { planStack } from "../support/stacks";
import { crdErrors, customResources, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

describe("PulsarFunctions", () => {
    it.each([
        ["local", 2],
        ["local", 3],
        ["dev", 2],
        ["dev", 3],
        ["prod", 3],
    ] as const)("%s phase %i: Functions and Sinks validate against the Function Mesh CRDs", async (stack, phase) => {
        const topology = planStack(stack, { phase });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: pulumi.output("broker-1:9092,broker-2:9092") });
        await settle(recorded);
        const crs = customResources(recorded);
        expect(customResources(recorded, "Function")).toHaveLength(topology.functions.length);
        expect(customResources(recorded, "Sink")).toHaveLength(topology.sinks.length);
        for (const cr of crs) {
            expect(crdErrors(cr.inputs), `${cr.inputs.kind} ${cr.inputs.metadata.name}`).toEqual([]);
        }
    });

    it("runs the mcp-matcher from its image (nothing downloaded) as a Python function on the plan's topics", async () => {
        const topology = planStack("dev", { phase: 2 });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: "k:9092" });
        await settle(recorded);
        const [fn] = customResources(recorded, "Function");
        const plan = topology.functions[0]!;
        expect(fn!.inputs.spec).toMatchObject({
            name: "mcp-matcher",
            tenant: "public",
            namespace: "default",
            input: { topics: plan.inputs },
            output: { topic: plan.output },
            image: plan.image,
            python: { py: plan.py },
            replicas: 1,
            maxReplicas: 3,
            // A new subscription starts at the earliest retained message: what was published while the phase moved the
            // matcher from its Deployment is not skipped.
            subscriptionPosition: "earliest",
            pulsar: {
                pulsarConfig: "pulsar-function-mesh",
                tlsConfig: { enabled: true, allowInsecure: false, hostnameVerification: true, certSecretName: "pulsar-ca-trust", certSecretKey: "ca.crt" },
            },
        });
        // pyLocation would make the instance download a package that nothing serves (no package management).
        expect(fn!.inputs.spec.python.pyLocation).toBeUndefined();
        expect(plan.image).toBe("europe-west4-docker.pkg.dev/cosmic-ai-dev/orchestrator/mcp-matcher-function:1.4.2");
        expect(fn!.inputs.spec.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    });

    it("sinks write to Kafka with the bootstrap Output and read the SASL login from a mounted file (FileConfigProvider)", async () => {
        const topology = planStack("dev", { phase: 2 });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: pulumi.output("pkc-1.confluent.cloud:9092") });
        await settle(recorded);
        const sinks = customResources(recorded, "Sink");
        expect(sinks.length).toBe(topology.sinks.length);
        for (const sink of sinks) {
            const planned = topology.sinks.find((s) => s.name === sink.inputs.spec.name)!;
            expect(sink.inputs.spec.className).toBe("org.apache.pulsar.io.kafka.KafkaBytesSink");
            expect(sink.inputs.spec.sinkConfig).toEqual({
                bootstrapServers: "pkc-1.confluent.cloud:9092",
                topic: planned.kafkaTopic,
                acks: "all",
                securityProtocol: "SASL_SSL",
                saslMechanism: "PLAIN",
                producerConfigProperties: {
                    "config.providers": "file",
                    "config.providers.file.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
                    "sasl.jaas.config": `\${file:${planned.jaasFile!.file}:sasl.jaas.config}`,
                },
            });
            // KafkaSinkConfig reads only its `sensitive` fields from secretsMap, and saslJaasConfig is not one.
            expect(sink.inputs.spec.secretsMap).toBeUndefined();
            // Each sink has its own Secret (sinks of different tenants are different Pulsar roles), mounted where the
            // properties file is read.
            const [volume] = sink.inputs.spec.pod.volumes;
            expect(volume.secret.secretName).toBe(`${planned.name}-credentials`);
            expect(sink.inputs.spec.volumeMounts).toEqual([{ name: volume.name, mountPath: planned.jaasFile!.mountPath, readOnly: true }]);
            expect(planned.jaasFile!.file.startsWith(`${planned.jaasFile!.mountPath}/`)).toBe(true);
            expect(sink.inputs.spec.pulsar.authSecret).toBe(planned.authSecret);
            expect(sink.inputs.spec.java.jar).toBe("connectors/pulsar-io-kafka-4.0.12.nar");
        }
    });

    it("local sinks use the plan's bootstrap servers and no SASL", async () => {
        const topology = planStack("local", { phase: 2 });
        new PulsarFunctions("fn", { topology });
        await settle(recorded);
        const [sink] = customResources(recorded, "Sink");
        // The pods' address of the host's Kafka (kafka.clientBootstrapServers), not the host's loopback.
        expect(sink!.inputs.spec.sinkConfig.bootstrapServers).toBe("host.docker.internal:19092");
        expect(sink!.inputs.spec.sinkConfig.producerConfigProperties).toBeUndefined();
        expect(sink!.inputs.spec.pod).toBeUndefined();
    });

    const NO_GATES = { auditParity: false, lifecycleParity: false };
    const switchStage = (stack: "local" | "dev" | "prod", from: number, to: number) => {
        const a = planStack(stack, { phase: from });
        const b = planStack(stack, { phase: to });
        return stageTopology(a, b, "switch", NO_GATES, planChoreography(a, b));
    };

    it.each([
        ["local", 0, 1],
        ["local", 1, 0],
        ["dev", 0, 1],
        ["dev", 1, 0],
        ["prod", 0, 1],
        ["prod", 1, 0],
    ] as const)("%s %i -> %i switch: the overlap mirrors are Function Mesh Sources (into Pulsar) or Sinks (into Kafka) that validate against the CRDs", async (stack, from, to) => {
        const topology = switchStage(stack, from, to);
        expect(topology.mirrors.length).toBeGreaterThan(0);
        new PulsarFunctions("fn", { topology, kafkaBootstrap: pulumi.output("broker-1:9092") });
        await settle(recorded);
        const mirrors = customResources(recorded).filter((cr) => /-mirror-to-/.test(cr.inputs.metadata.name));
        expect(mirrors.map((cr) => cr.inputs.metadata.name).sort()).toEqual(topology.mirrors.map((m) => m.name).sort());
        for (const cr of mirrors) {
            expect(crdErrors(cr.inputs), `${cr.inputs.kind} ${cr.inputs.metadata.name}`).toEqual([]);
            const m = topology.mirrors.find((x) => x.name === cr.inputs.metadata.name)!;
            if (m.direction === "kafka-to-pulsar") {
                expect(cr.inputs.kind).toBe("Source");
                expect(cr.inputs.spec.className).toBe("org.apache.pulsar.io.kafka.KafkaBytesSource");
                // The group npm run handover positions; offsets committed only once Pulsar has acknowledged.
                expect(cr.inputs.spec.sourceConfig).toMatchObject({ bootstrapServers: "broker-1:9092", topic: m.kafkaTopic, groupId: m.name, autoCommitEnabled: false, autoOffsetReset: "earliest" });
                expect(cr.inputs.spec.output).toEqual({ topic: m.pulsarTopic });
            } else {
                expect(cr.inputs.kind).toBe("Sink");
                expect(cr.inputs.spec).toMatchObject({ input: { topics: [m.pulsarTopic] }, subscriptionName: m.name, sinkConfig: { topic: m.kafkaTopic, acks: "all" } });
            }
            expect(cr.inputs.spec.processingGuarantee).toBe("atleast_once");
        }
    });

    it("SASL mirrors read their Kafka login from the mounted file, as the sinks do", async () => {
        const topology = switchStage("dev", 0, 1);
        new PulsarFunctions("fn", { topology, kafkaBootstrap: "pkc-1.confluent.cloud:9092" });
        await settle(recorded);
        const source = customResources(recorded, "Source")[0]!;
        const m = topology.mirrors.find((x) => x.name === source.inputs.metadata.name)!;
        expect(source.inputs.spec.sourceConfig.consumerConfigProperties["sasl.jaas.config"]).toBe(`\${file:${m.jaasFile!.file}:sasl.jaas.config}`);
        expect(source.inputs.spec.pod.volumes[0].secret.secretName).toBe(m.jaasFile!.secret.name);
    });
});
