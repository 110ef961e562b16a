/**
 * The archive's plan: which managed form each Kafka provider gets and why, what it reads in every phase, and the
 * config rules that guard it.
 */
import { describe, expect, it } from "vitest";
import { ARCHIVED_STREAMS, ConfigError, plan, validateConfig, type PlatformConfig } from "../../topology";
import { STACKS, editRaw } from "../support/stacks";

function problemKeys(f: () => unknown): string[] {
    try {
        f();
    } catch (err) {
        if (err instanceof ConfigError) {
            return err.problems.map((p) => p.key);
        }
        throw err;
    }
    return [];
}

const prodWith = (edit: (v: Record<string, any>) => void) => plan(validateConfig(editRaw("prod", edit)));

describe("the archive's runtime follows what each Kafka provider can do", () => {
    it("MSK with SCRAM: Kafka Connect on Kubernetes, because MSK Connect cannot log in with SCRAM", () => {
        const a = prodWith(() => undefined).archive!;
        expect(a.runtime).toBe("strimzi");
        expect(a.reason).toMatch(/IAM \| NONE/);
        expect(a.connectorClass).toBe("io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector");
        expect(a.plugin).toMatchObject({ group: "io.aiven", licence: "Apache-2.0" });
        expect(a.workers?.groupId).toBe("messaging-connect");
    });

    it("MSK with IAM: MSK Connect, with the plugin ZIP from S3 (required)", () => {
        const iam = (v: Record<string, any>) => {
            v.kafka.auth = "iam";
        };
        expect(problemKeys(() => prodWith(iam))).toContain("archive.mskConnectPlugin");
        const a = prodWith((v) => {
            iam(v);
            v.archive.mskConnectPlugin = { bucketArn: "arn:aws:s3:::cosmic-ai-artifacts", fileKey: "connect/aiven-s3-2.15.0.zip" };
        }).archive!;
        expect(a.runtime).toBe("msk-connect");
        expect(a.workers).toBeNull();
        expect(a.deadLetterTopic?.name).toBe("audit-archiver-dlq");
    });

    it("Confluent Cloud: the fully managed sink, which brings its own dead-letter topic", () => {
        const a = plan(validateConfig(editRaw("dev", () => undefined))).archive!;
        expect(a.runtime).toBe("confluent-managed");
        expect(a.connectorClass).toBe("GCS_SINK");
        expect(a.deadLetterTopic).toBeNull();
        expect(a.plugin).toBeNull();
    });

    it("self-managed sinks dead-letter what they cannot convert, with the context in headers, and keep going", () => {
        const a = prodWith(() => undefined).archive!;
        expect(a.config).toMatchObject({
            "errors.tolerance": "all",
            "errors.deadletterqueue.topic.name": "audit-archiver-dlq",
            "errors.deadletterqueue.context.headers.enable": "true",
        });
        // The sink's consumer group is Kafka Connect's `connect-<connector>`: the lag exporter watches it.
        expect(a.consumerGroup).toBe("connect-audit-archiver");
        const t = prodWith((v) => (v.observability.enabled = true));
        expect(t.observability.lagExporters.find((e) => e.cluster === "kafka")?.groups).toContain("connect-audit-archiver");
    });
});

describe("the archive keeps working in every phase", () => {
    for (const stack of STACKS.filter((s) => s !== "local")) {
        it(`${stack}: phases 0..3 and both audit gates, the archive reads every archived stream from Kafka`, () => {
            for (const phase of [0, 1, 2, 3]) {
                for (const auditParity of [false, true]) {
                    const t = plan(validateConfig(editRaw(stack, (v) => {
                        v.phase = phase;
                        v.gates = { ...(v.gates ?? {}), auditParity };
                    })));
                    const a = t.archive!;
                    expect(a.streams).toEqual([...ARCHIVED_STREAMS]);
                    for (const topic of a.topics) {
                        // The topic exists on Kafka, and someone writes it there in this phase (its producers, or the
                        // Pulsar -> Kafka sink once the stream is cut over): the archive never reads a dead topic.
                        expect(t.kafka!.topics.map((x) => x.name)).toContain(topic);
                        const route = t.routes.find((r) => r.stream === t.kafka!.topics.find((x) => x.name === topic)!.stream)!;
                        expect(route.produce.some((e) => e.broker === "kafka") || route.sink !== undefined, `${stack}/${phase}/${topic}`).toBe(true);
                    }
                }
            }
        });
    }

    it("Kafka cannot be decommissioned while the archive reads it", () => {
        const keys = problemKeys(() =>
            validateConfig(editRaw("prod", (v) => {
                v.phase = 3;
                v.gates = { auditParity: true, lifecycleParity: true };
                v.kafka.decommission = true;
                v.kafka.decommissionConfirmed = true;
            })),
        );
        expect(keys).toContain("kafka.decommission");
    });
});

describe("config rules", () => {
    it("prod needs an archive bucket; the message names the key and why", () => {
        let message = "";
        try {
            validateConfig(editRaw("prod", (v) => delete v.archive));
        } catch (err) {
            message = (err as Error).message;
        }
        expect(message).toMatch(/messaging-platform:archive\.bucket = \(not set\): .*required in prod.*audit/);
    });

    it("a bucket needs its region, its own name (not the offload bucket's) and an object store", () => {
        expect(problemKeys(() => prodWith((v) => delete v.archive.region))).toContain("archive.region");
        expect(problemKeys(() => prodWith((v) => (v.archive.bucket = v.tieredStorage.bucket)))).toContain("archive.bucket");
        expect(problemKeys(() => validateConfig(editRaw("local", (v) => (v.archive = { bucket: "local-archive", region: "x" }))))).toContain("archive.bucket");
    });

    it("Kafka Connect on Kubernetes needs the image it builds the plugin into", () => {
        expect(problemKeys(() => prodWith((v) => delete v.archive.connectImage))).toContain("archive.connectImage");
    });

    it("local (cloud none) has no archive, and says so by its absence rather than failing", () => {
        const c: PlatformConfig = validateConfig(editRaw("local", () => undefined));
        expect(plan(c).archive).toBeNull();
    });
});
