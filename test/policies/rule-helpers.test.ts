/**
 * The readers the real-system rules stand on, each checked against the rule it implements: RFC 6125 name matching,
 * PromQL metric extraction, listener and duration parsing, the Avro check, the KoP image tag.
 */
import { describe, expect, it } from "vitest";
import { hostPorts } from "../../policies/rules/connectivity";
import { metricsOf, producerOf } from "../../policies/rules/observability";
import { durationSeconds, narVerificationProblem, schemaProblem, sizeBytes } from "../../policies/rules/pulsar-runtime";
import { inCluster, nameCovers } from "../../policies/rules/tls";
import { userProblem } from "../../policies/rules/workloads";
import { kopImageTag, parseKopImageTag } from "../../topology/kop";
import { jvmFitProblem, jvmReservedMiB } from "../../topology/sizing";

describe("nameCovers: RFC 6125 6.4.3", () => {
    it.each([
        ["pulsar-broker.messaging.svc.cluster.local", "pulsar-broker.messaging.svc.cluster.local", true],
        ["PULSAR-broker.messaging.svc.cluster.local", "pulsar-broker.messaging.svc.cluster.local.", true],
        ["*.pulsar-broker-headless.messaging.svc.cluster.local", "pulsar-broker-0.pulsar-broker-headless.messaging.svc.cluster.local", true],
        // A wildcard matches exactly one label, and never the name it is under.
        ["*.pulsar-broker.messaging.svc.cluster.local", "pulsar-broker.messaging.svc.cluster.local", false],
        ["*.messaging.svc.cluster.local", "pulsar-broker-0.pulsar-broker-headless.messaging.svc.cluster.local", false],
        ["*.pulsar-broker.messaging.svc.cluster.local", "pulsar-broker-0.pulsar-broker-headless.messaging.svc.cluster.local", false],
    ])("%s covers %s: %s", (name, host, covers) => {
        expect(nameCovers(name, host)).toBe(covers);
    });

    it("knows in-cluster names from the rest", () => {
        expect(inCluster("pulsar-kafka.messaging.svc.cluster.local")).toBe(true);
        expect(inCluster("pulsar-broker")).toBe(true);
        expect(inCluster("b-1.msk.example")).toBe(false);
    });
});

describe("metricsOf: the series a PromQL expression reads", () => {
    it.each([
        ['sum by (consumergroup, topic) (max by (consumergroup, topic, partition) (kafka_consumergroup_lag{topic=~"a|b"})) > 10000', ["kafka_consumergroup_lag"]],
        ["sum by (namespace, topic) (pulsar_msg_backlog) > 100000", ["pulsar_msg_backlog"]],
        ["sum by (namespace, topic) (increase(brk_ledgeroffloader_offload_error[15m])) > 0", ["brk_ledgeroffloader_offload_error"]],
        ["rate(x_total[5m]) / on(instance) group_left y_info > 0.5e3", ["x_total", "y_info"]],
    ])("%s", (expr, metrics) => {
        expect(metricsOf(expr)).toEqual(metrics);
    });

    it("maps each to the producer the stack must deploy", () => {
        expect(producerOf("kafka_consumergroup_lag")).toBe("kafka-exporter");
        expect(producerOf("rabbitmq_queue_messages_ready")).toBe("rabbitmq-per-object");
        expect(producerOf("pulsar_msg_backlog")).toBe("pulsar-brokers");
        expect(producerOf("node_cpu_seconds_total")).toBeUndefined();
    });
});

describe("parsers", () => {
    it("reads host:port lists, URLs and Kafka listener lists", () => {
        expect(hostPorts("kafka_internal://pulsar.messaging.svc.cluster.local:9092")).toEqual([{ host: "pulsar.messaging.svc.cluster.local", port: 9092 }]);
        expect(hostPorts("b-1:9096, b-2:9096")).toEqual([{ host: "b-1", port: 9096 }, { host: "b-2", port: 9096 }]);
        expect(hostPorts("[::1]:9092")).toEqual([{ host: "[::1]", port: 9092 }]);
        expect(hostPorts("no-port")).toEqual([]);
    });

    it("reads Pulsar durations and sizes", () => {
        expect(durationSeconds("604800s")).toBe(604800);
        expect(durationSeconds("8760h")).toBe(8760 * 3600);
        expect(durationSeconds("7d")).toBe(604800);
        expect(durationSeconds("soon")).toBeUndefined();
        expect(sizeBytes("1073741824")).toBe(1024 ** 3);
        expect(sizeBytes("10240Mi")).toBe(10 * 1024 ** 3);
        expect(sizeBytes("big")).toBeUndefined();
    });

    it("reads the KoP pairing back from the image tag it writes", () => {
        const tag = kopImageTag("4.0.12", "starlight", "4.0.3.3");
        expect(tag).toBe("4.0.12-starlight-4.0.3.3");
        expect(parseKopImageTag(tag)).toEqual({ pulsar: "4.0.12", distribution: "starlight", kop: "4.0.3.3" });
        expect(parseKopImageTag(`${tag}@sha256:${"a".repeat(64)}`)).toEqual({ pulsar: "4.0.12", distribution: "starlight", kop: "4.0.3.3" });
        expect(parseKopImageTag("4.0.12")).toBeUndefined();
    });
});

describe("the systems' own rules", () => {
    it("JVM: heap plus direct memory (the heap size when uncapped) plus 512 MiB within the limit", () => {
        expect(jvmReservedMiB("-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g")).toBe(6144);
        expect(jvmReservedMiB("-Xmx256m")).toBe(512);
        expect(jvmFitProblem("-Xms512m -Xmx512m -XX:MaxDirectMemorySize=512m", "1536Mi")).toBeUndefined();
        expect(jvmFitProblem("-Xms512m -Xmx512m -XX:MaxDirectMemorySize=512m", "1535Mi")).toMatch(/OOMKilled/);
        expect(jvmFitProblem("-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g", "2Gi")).toMatch(/reserves 6144 MiB/);
        expect(jvmFitProblem("-Xmx1g", undefined)).toMatch(/no memory limit/);
        expect(jvmFitProblem("-Dfoo", "1Gi")).toMatch(/sets no -Xmx/);
    });

    it("kubelet: runAsNonRoot needs a numeric, non-zero user, from the pod or the container", () => {
        expect(userProblem({ runAsNonRoot: true }, { name: "c", image: "curlimages/curl" })).toMatch(/no runAsUser/);
        expect(userProblem({ runAsNonRoot: true, runAsUser: 100 }, { name: "c" })).toBeUndefined();
        expect(userProblem(undefined, { name: "c", securityContext: { runAsNonRoot: true, runAsUser: 100 } })).toBeUndefined();
        expect(userProblem({ runAsUser: 0 }, { name: "c", securityContext: { runAsNonRoot: true } })).toMatch(/runAsUser 0/);
        expect(userProblem(undefined, { name: "c" })).toBeUndefined();
    });

    it("Avro: Pulsar's JSON and AVRO schema types take an Avro record; other types are not checked", () => {
        expect(schemaProblem("JSON", JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "string" }] }))).toBeUndefined();
        expect(schemaProblem("JSON", JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object" }))).toMatch(/JSON Schema document/);
        expect(schemaProblem("AVRO", "{")).toMatch(/not JSON/);
        expect(schemaProblem("AVRO", JSON.stringify({ type: "record", name: "R", fields: [{ name: "e", type: { type: "enum", name: "E", symbols: ["a", "a"] } }] }))).toMatch(/does not parse/);
        expect(schemaProblem("STRING", "")).toBeUndefined();
    });

    it("a NAR download counts as verified only if the checksum is checked before the file is moved into place", () => {
        const c = (script: string) => ({ name: "fetch", command: ["sh", "-c", script] });
        expect(narVerificationProblem(c('curl -o /p/.x.part "$U" && echo "$S  /p/.x.part" | sha256sum -c - && mv /p/.x.part /p/x.nar'))).toBeUndefined();
        expect(narVerificationProblem(c('curl -o /p/x.nar "$U"'))).toMatch(/without checking its sha256/);
        expect(narVerificationProblem(c('curl -o /p/.x.part "$U" && mv /p/.x.part /p/x.nar && echo "$S  /p/x.nar" | sha256sum -c -'))).toMatch(/before checking it/);
    });
});
