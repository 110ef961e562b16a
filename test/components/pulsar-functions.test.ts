import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PulsarFunctions } from "../../components/pulsar-functions";
import { planStack } from "../support/stacks";
import { crdErrors, customResources, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const ca = { name: "pulsar-ca-tls", key: "ca.crt" };

describe("PulsarFunctions", () => {
    it.each([
        ["local", 2],
        ["local", 3],
        ["dev", 2],
        ["dev", 3],
        ["prod", 3],
    ] as const)("%s phase %i: Functions and Sinks validate against the Function Mesh CRDs", async (stack, phase) => {
        const topology = planStack(stack, { phase });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: pulumi.output("broker-1:9092,broker-2:9092"), caSecret: ca });
        await settle(recorded);
        const crs = customResources(recorded);
        expect(customResources(recorded, "Function")).toHaveLength(topology.functions.length);
        expect(customResources(recorded, "Sink")).toHaveLength(topology.sinks.length);
        for (const cr of crs) {
            expect(crdErrors(cr.inputs), `${cr.inputs.kind} ${cr.inputs.metadata.name}`).toEqual([]);
        }
    });

    it("runs the mcp-matcher package as a Python function on the plan's topics", async () => {
        const topology = planStack("dev", { phase: 2 });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: "k:9092", caSecret: ca });
        await settle(recorded);
        const [fn] = customResources(recorded, "Function");
        const plan = topology.functions[0]!;
        expect(fn!.inputs.spec).toMatchObject({
            name: "mcp-matcher",
            tenant: "public",
            namespace: "default",
            input: { topics: plan.inputs },
            output: { topic: plan.output },
            python: { pyLocation: plan.packageUrl },
            replicas: 1,
            maxReplicas: 3,
            pulsar: { pulsarConfig: "pulsar-function-mesh", tlsConfig: { enabled: true, certSecretName: "pulsar-ca-tls" } },
        });
        expect(fn!.inputs.spec.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    });

    it("sinks write to Kafka with the bootstrap Output and read the SASL login from a Secret", async () => {
        const topology = planStack("dev", { phase: 2 });
        new PulsarFunctions("fn", { topology, kafkaBootstrap: pulumi.output("pkc-1.confluent.cloud:9092"), caSecret: ca });
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
            });
            // Each sink has its own Secret (sinks of different tenants are different Pulsar roles).
            expect(sink.inputs.spec.secretsMap).toEqual({ saslJaasConfig: { path: `${planned.name}-credentials`, key: "kafka-sasl-jaas-config" } });
            expect(sink.inputs.spec.pulsar.authSecret).toBe(planned.authSecret);
            expect(sink.inputs.spec.java.jar).toBe("connectors/pulsar-io-kafka-4.0.12.nar");
        }
    });

    it("local sinks use the plan's bootstrap servers and no SASL", async () => {
        const topology = planStack("local", { phase: 2 });
        new PulsarFunctions("fn", { topology });
        await settle(recorded);
        const [sink] = customResources(recorded, "Sink");
        expect(sink!.inputs.spec.sinkConfig.bootstrapServers).toBe("127.0.0.1:19092");
        expect(sink!.inputs.spec.secretsMap).toBeUndefined();
    });

    it("refuses TLS without the CA Secret", () => {
        expect(() => new PulsarFunctions("fn", { topology: planStack("prod", { phase: 2 }), kafkaBootstrap: "k:9092" })).toThrow(/caSecret is missing/);
    });
});
