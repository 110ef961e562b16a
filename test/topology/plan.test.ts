import { describe, expect, it } from "vitest";
import { diffTopology, type Topology } from "../../topology";
import { STACKS, decommissionReady, editRaw, planStack } from "../support/stacks";
import { STREAMS, plan, validateConfig } from "../../topology";

const env = (t: Topology, service: string) =>
    Object.fromEntries(
        (t.deployments.find((d) => d.service === service)?.env ?? []).map((e) => [e.name, "value" in e ? e.value : e]),
    );
const state = (t: Topology, stream: string) => t.routes.find((r) => r.stream === stream)?.state;
const ORCHESTRATOR_STREAMS = ["user-requests", "tool-signals", "orchestrator-plans", "orchestrator-results", "orchestrator-retry", "orchestrator-dead-letter"];

describe("phase 0 (kafka)", () => {
    const t = planStack("prod", { phase: 0 });

    it("has Kafka carrying every stream and no Pulsar", () => {
        expect(t.pulsar).toBeNull();
        expect(t.kafka?.topics.map((x) => x.name).sort()).toEqual(t.routes.map((r) => r.stream).sort());
        expect(t.routes.every((r) => r.state === "kafka")).toBe(true);
        expect(t.functions).toEqual([]);
        expect(t.sinks).toEqual([]);
    });

    it("runs the orchestrator on Kafka, matcher included", () => {
        expect(t.deployments.map((d) => d.service)).toContain("mcp-matcher");
        expect(env(t, "execution-coordinator")).toMatchObject({ ENABLE_KAFKA: "true", USE_PULSAR_KOP: "false", ENABLE_PULSAR: "false" });
        // MSK bootstrap brokers exist only once the cluster does: the component fills them in.
        expect(env(t, "execution-coordinator").KAFKA_BROKERS).toEqual({ name: "KAFKA_BROKERS", fromOutput: "kafkaBootstrap" });
    });

    it("keeps the RabbitMQ control plane", () => {
        expect(t.rabbitmq.queues.every((q) => q.type === "quorum" && q.durable)).toBe(true);
        expect(t.rabbitmq.queues.filter((q) => q.name !== "control.dead-letter").every((q) => q.deadLetterExchange === "control.dlx")).toBe(true);
    });
});

describe("KoP's entry format", () => {
    it("is `pulsar` on every stack and phase with Pulsar: each transition reads a topic written through KoP with a native client, or the other way round (mirrors, sinks, the matcher Function), and only that format is readable by both", () => {
        for (const stack of STACKS) {
            for (const phase of [1, 2, 3]) {
                expect(planStack(stack, { phase }).pulsar?.kop.brokerConfig.PULSAR_PREFIX_entryFormat, `${stack} ${phase}`).toBe("pulsar");
            }
        }
    });
});

describe("phase 1 (bridge)", () => {
    const t = planStack("local", { phase: 1 });

    it("adds Pulsar with KoP beside Kafka", () => {
        expect(t.kafka).not.toBeNull();
        expect(t.pulsar?.kop.brokerConfig).toMatchObject({
            messagingProtocols: "kafka",
            brokerEntryMetadataInterceptors: "org.apache.pulsar.common.intercept.AppendIndexMetadataInterceptor",
            brokerDeleteInactiveTopicsEnabled: "false",
            allowAutoTopicCreationType: "partitioned",
            PULSAR_PREFIX_kafkaTransactionCoordinatorEnabled: "true",
            brokerDeduplicationEnabled: "true",
        });
    });

    it("points the orchestrator's KAFKA_BROKERS at KoP", () => {
        expect(env(t, "mcp-matcher")).toMatchObject({
            ENABLE_KAFKA: "true",
            USE_PULSAR_KOP: "true",
            KAFKA_BROKERS: "pulsar-kafka.messaging.svc.cluster.local:9092",
        });
        for (const s of ORCHESTRATOR_STREAMS) {
            expect(state(t, s)).toBe("kop");
        }
    });

    it("dual-publishes the non-critical job streams while consumers stay on Kafka", () => {
        for (const s of ["job-metrics", "notifications", "broker-metrics", "telescope-telemetry"]) {
            const r = t.routes.find((x) => x.stream === s);
            expect(r?.state).toBe("shadow");
            expect(r?.produce.map((e) => e.broker).sort()).toEqual(["kafka", "pulsar"]);
            expect(r?.consume.every((c) => c.broker === "kafka")).toBe(true);
        }
        expect(state(t, "audit-trail")).toBe("kafka");
        expect(state(t, "job-lifecycle")).toBe("kafka");
    });

    it("keeps every Kafka topic as the rollback path", () => {
        expect(t.kafka?.topics).toHaveLength(t.routes.length);
        expect(t.kafka?.retainOnDelete).toBe(true);
    });
});

describe("phase 2 (native)", () => {
    const t = planStack("dev", { phase: 2 });

    it("moves the orchestrator to the native Pulsar client", () => {
        expect(env(t, "ingress-gateway")).toMatchObject({
            ENABLE_KAFKA: "false",
            ENABLE_PULSAR: "true",
            PULSAR_SERVICE_URL: "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651",
            PULSAR_NAMESPACE: "public/default",
        });
        expect(env(t, "ingress-gateway").PULSAR_AUTH_TOKEN).toMatchObject({ secretRef: { name: "ingress-gateway-credentials" } });
    });

    it("runs mcp-matcher as a Pulsar Function and removes its Deployment", () => {
        expect(t.deployments.map((d) => d.service)).not.toContain("mcp-matcher");
        expect(t.functions.map((f) => f.name)).toEqual(["mcp-matcher"]);
        expect(t.functions[0]).toMatchObject({
            inputs: ["persistent://public/default/user-requests"],
            output: "persistent://public/default/tool-signals",
        });
    });

    it("registers the schemas of user-requests and tool-signals", () => {
        const withSchema = t.pulsar?.topics.filter((x) => x.schema).map((x) => [x.stream, x.schema]);
        expect(withSchema).toEqual([
            ["user-requests", "user-request-schema.json"],
            ["tool-signals", "tool-signal-schema.json"],
        ]);
    });

    it("cuts non-critical consumers over and feeds Kafka ETL through sinks", () => {
        const metrics = t.routes.find((r) => r.stream === "job-metrics");
        expect(metrics?.state).toBe("pulsar");
        expect(metrics?.consume).toEqual([
            { service: "metrics-collector", broker: "pulsar", protocol: "pulsar", topic: "persistent://public/metrics/job-performance-metrics" },
            { service: "etl-pipeline", broker: "kafka", protocol: "kafka", topic: "job-metrics" },
        ]);
        expect(t.sinks.map((s) => s.name).sort()).toEqual(["job-metrics-to-kafka", "telescope-telemetry-to-kafka"]);
        expect(t.sinks.every((s) => s.className === "org.apache.pulsar.io.kafka.KafkaBytesSink")).toBe(true);
    });

    it("starts shadowing job-lifecycle but does not cut it over", () => {
        expect(state(t, "job-lifecycle")).toBe("shadow");
    });
});

describe("phase 3 (isolated)", () => {
    const t = planStack("prod", { phase: 3 });

    it("creates per-tenant orchestrator namespaces and routes by tenant", () => {
        expect(t.pulsar?.namespaces.map((n) => n.name)).toEqual(
            expect.arrayContaining(["team-a/orchestrator", "team-b/orchestrator", "public/default"]),
        );
        expect(env(t, "ingress-gateway")).toMatchObject({ PULSAR_NAMESPACE_ROUTING: "tenant", PULSAR_TENANTS_FILE: "/etc/messaging-platform/tenants/tenants" });
        expect(t.tenantDirectory?.tenants).toEqual(["team-a", "team-b"]);
        // One matcher Function for every tenant: it reads each tenant's requests and answers in the request's namespace.
        expect(t.functions.map((f) => f.name)).toEqual(["mcp-matcher"]);
        expect(t.functions[0]!.inputs).toEqual([
            "persistent://public/default/user-requests",
            "persistent://team-a/orchestrator/user-requests",
            "persistent://team-b/orchestrator/user-requests",
        ]);
        expect(t.functions[0]!.outputTopicPattern).toBe("persistent://{tenant}/{namespace}/tool-signals");
    });

    it("offloads to S3 with the default thresholds on every namespace, always before retention deletes", () => {
        expect(t.offload).toMatchObject({ driver: "aws-s3", bucket: "cosmic-ai-prod-pulsar-offload", thresholdBytes: 1073741824, thresholdSeconds: 604800 });
        for (const ns of t.pulsar?.namespaces ?? []) {
            // The time threshold is the stack's, or half the namespace's retention where that is shorter: a ledger
            // offloads by time only if it is old enough before retention deletes it (7 days of retention and a 7-day
            // threshold never offloads anything).
            const seconds = Math.min(604800, Math.floor(ns.retentionSeconds / 2));
            expect(ns, ns.name).toMatchObject({ offloadThresholdSize: "1073741824", offloadThresholdTime: `${seconds}s` });
            expect(seconds).toBeLessThan(ns.retentionSeconds);
        }
        expect(t.pulsar?.namespaces.find((n) => n.name === "public/metrics")?.offloadThresholdTime).toBe("302400s");
    });

    it("keeps the critical streams dual-published until their gates are approved", () => {
        expect(state(t, "audit-trail")).toBe("shadow");
        expect(state(t, "job-lifecycle")).toBe("shadow");
        const approved = plan(validateConfig(editRaw("prod", (v) => {
            v.phase = 3;
            v.gates = { auditParity: true, lifecycleParity: false };
        })));
        expect(approved.routes.find((r) => r.stream === "audit-trail")).toMatchObject({ state: "pulsar", sink: "audit-trail-to-kafka" });
        expect(approved.routes.find((r) => r.stream === "job-lifecycle")?.state).toBe("shadow");
    });

    it("keeps Kafka unless decommission is confirmed", () => {
        expect(t.kafka).not.toBeNull();
    });

    it("runs phase 3 locally without tiered storage", () => {
        const local = planStack("local", { phase: 3 });
        expect(local.offload).toBeNull();
        expect(local.pulsar?.namespaces.some((n) => n.offloadThresholdSize !== undefined)).toBe(false);
        expect(local.pulsar?.namespaces.map((n) => n.name)).toContain("team-a/orchestrator");
    });

    it("declares the shared topics and leaves a tenant's copies to its namespace's automatic creation, with no fewer partitions than the catalog's", () => {
        const pulsar = t.pulsar!;
        const tenants = new Set(pulsar.tenants.map((x) => x.name).filter((x) => x !== "public"));
        expect(tenants.size).toBeGreaterThan(0);
        for (const topic of pulsar.topics) {
            const owner = topic.namespace.split("/")[0] as string;
            expect(topic.creation, topic.name).toBe(tenants.has(owner) ? "automatic" : "declared");
            if (topic.creation === "automatic") {
                const stream = STREAMS.find((x) => x.name === topic.stream)!;
                expect(topic.partitions).toBeGreaterThanOrEqual(stream.partitions);
                // Nobody registers a schema on a topic nobody declares: its first producer does.
                expect(topic.schema).toBeUndefined();
            }
        }
        for (const ns of pulsar.namespaces) {
            const automatic = pulsar.topics.filter((x) => x.namespace === ns.name && x.creation === "automatic");
            expect(ns.automaticTopics, ns.name).toEqual(
                automatic.length === 0 ? undefined : { partitions: Math.max(...automatic.map((x) => x.partitions)), topics: automatic.map((x) => x.name.split("/").pop()) },
            );
            // One partition count per namespace: every automatic topic there has it.
            expect(new Set(automatic.map((x) => x.partitions)).size).toBeLessThanOrEqual(1);
        }
    });

    it("grants a tenant's topics only to that tenant's roles and the shared services' one role each; no tenant's role reaches another tenant", () => {
        const shared = new Set([...t.deployments.map((d) => `public.${d.service}`), ...t.functions.map((f) => f.role)]);
        const tenants = t.pulsar!.tenants.map((x) => x.name);
        for (const p of t.pulsar?.permissions ?? []) {
            const tenant = p.resourceName.replace("persistent://", "").split("/")[0];
            expect(p.role.startsWith(`${tenant}.`) || shared.has(p.role), `${p.role} on ${p.resourceName}`).toBe(true);
            const owner = p.role.split(".")[0] as string;
            expect(owner === tenant || (owner === "public" && shared.has(p.role)), `${p.role} on ${p.resourceName}`).toBe(true);
            expect(tenants).toContain(owner);
        }
    });
});

describe("Kafka decommission", () => {
    const decommissioned = plan(validateConfig(editRaw("local", decommissionReady)));

    it("removes Kafka and its sinks, and the diff says the topics are deleted", () => {
        expect(decommissioned.kafka).toBeNull();
        expect(decommissioned.sinks).toEqual([]);
        const before = planStack("local", { phase: 3 });
        const d = diffTopology(before, decommissioned);
        expect(d.clusters.kafka).toBe("removed");
        const topics = d.areas.find((a) => a.area === "kafka topics");
        expect(topics?.removed.every((x) => x.holdsData && !x.retained)).toBe(true);
    });
});

describe("least privilege", () => {
    it("gives each producer Write+Describe and each consumer Read+Describe plus its group, nothing else", () => {
        const t = planStack("local", { phase: 0 });
        const ops = (principal: string) =>
            t.kafka?.acls.filter((a) => a.principal === principal).map((a) => `${a.operation} ${a.resourceType}:${a.resourceName}`).sort();
        expect(ops("User:mcp-matcher")).toEqual([
            "Describe Topic:tool-signals",
            "Describe Topic:user-requests",
            "Read Group:mcp-matcher",
            "Read Topic:user-requests",
            "Write Topic:tool-signals",
        ]);
        expect(t.kafka?.acls.some((a) => a.resourceName === "*" || a.principal === "User:*")).toBe(false);
    });

    it("removes Kafka ACLs of traffic that moved to Pulsar and grants the sink only what it writes", () => {
        const t = planStack("local", { phase: 2 });
        expect(t.kafka?.acls.filter((a) => a.principal === "User:kafka-sink").map((a) => `${a.operation} ${a.resourceName}`).sort()).toEqual([
            "Describe job-metrics",
            "Describe telescope-telemetry",
            "Write job-metrics",
            "Write telescope-telemetry",
        ]);
        expect(t.kafka?.acls.some((a) => a.principal === "User:ingress-gateway")).toBe(false);
    });
});

describe("phase 2 -> 1 rollback", () => {
    it("keeps every Pulsar topic and namespace that held data, retained on the broker", () => {
        const d = diffTopology(planStack("local", { phase: 2 }), planStack("local", { phase: 1 }));
        expect(d.clusters).toEqual({ kafka: "kept", pulsar: "kept" });
        const removedTopics = d.areas.find((a) => a.area === "pulsar topics")?.removed ?? [];
        expect(removedTopics.map((x) => x.id)).toEqual(["persistent://public/cosmic-ai/job-status-changed"]);
        expect(removedTopics.every((x) => x.retained)).toBe(true);
        expect(d.areas.find((a) => a.area === "deployments")?.added).toEqual(["mcp-matcher"]);
        expect(d.areas.find((a) => a.area === "pulsar functions")?.removed.map((x) => x.id)).toEqual(["mcp-matcher"]);
    });
});

describe("credentials", () => {
    const refsOf = (t: ReturnType<typeof planStack>) =>
        t.deployments.flatMap((d) => d.env.flatMap((e) => ("secretRef" in e ? [`${e.secretRef.name}/${e.secretRef.key}`] : [])));

    it("records exactly the keys the deployments reference, each with where its value comes from", () => {
        for (const stack of STACKS) {
            for (const phase of [0, 1, 2, 3] as const) {
                const t = planStack(stack, { phase });
                const planned = new Set(t.credentials.flatMap((c) => Object.keys(c.data).map((k) => `${c.name}/${k}`)));
                for (const ref of refsOf(t)) {
                    expect(planned.has(ref), `${stack} ${phase} ${ref}`).toBe(true);
                }
            }
        }
    });

    it("gives each service one Pulsar token for its own role, at phase 3 too (granted in every tenant's namespace)", () => {
        const t = planStack("prod", { phase: 3 });
        const gateway = t.credentials.find((c) => c.owner === "ingress-gateway")!;
        expect(gateway.data).toMatchObject({ "pulsar-token": { from: "pulsar-token", role: "public.ingress-gateway" } });
        expect(Object.keys(gateway.data).filter((k) => k.startsWith("pulsar-token"))).toEqual(["pulsar-token"]);
        expect(t.pulsar!.permissions.filter((p) => p.role === "public.ingress-gateway").map((p) => `${p.resourceType} ${p.resourceName}`)).toEqual(
            expect.arrayContaining(["namespace team-a/orchestrator", "namespace team-b/orchestrator", "topic persistent://public/default/user-requests"]),
        );
        const roles = t.credentials.flatMap((c) => Object.values(c.data).flatMap((v) => (v.from === "pulsar-token" ? [v.role] : [])));
        // Every token's role is one the plan grants something to (or the function/sink's own role).
        const granted = new Set([...t.pulsar!.permissions.map((p) => p.role), ...t.functions.map((f) => f.role), ...t.sinks.map((s) => s.role)]);
        expect(roles.filter((r) => !granted.has(r))).toEqual([]);
    });

    it("plans the chart's signing key and super-user tokens only with token auth", () => {
        expect(planStack("prod", { phase: 1 }).pulsar!.auth).toEqual({
            // pulsar.auth.tokenEpoch 2026-12 and the default 400 days.
            validity: { issuedAt: Date.UTC(2026, 11, 1) / 1000, expiresAt: Date.UTC(2026, 11, 1) / 1000 + 400 * 86400 },
            signingKey: { name: "pulsar-token-symmetric-key", key: "SECRETKEY" },
            superUserTokens: ["broker-admin", "proxy-admin", "platform-admin"].map((role) => ({ secret: `pulsar-token-${role}`, role })),
        });
        expect(planStack("local", { phase: 1 }).pulsar!.auth).toBeNull();
        // Without token auth the only credential is the audit bridge's RabbitMQ password (no Pulsar token anywhere).
        expect(planStack("local", { phase: 1 }).credentials).toEqual([
            { name: "audit-bridge-credentials", owner: "audit-bridge", data: { "rabbitmq-password": { from: "rabbitmq-password", user: "audit-bridge" } } },
        ]);
    });

    it("reads the Kafka login from the Secret (the Confluent API key id), and none under MSK IAM", () => {
        const confluent = planStack("dev", { phase: 0 }).deployments[0]!;
        expect(confluent.env.find((e) => e.name === "KAFKA_SASL_USERNAME")).toEqual({
            name: "KAFKA_SASL_USERNAME",
            secretRef: { name: `${confluent.service}-credentials`, key: "kafka-username" },
        });
        const iam = plan(validateConfig(editRaw("prod", (v) => { v.kafka.auth = "iam";
            v.archive.mskConnectPlugin = { bucketArn: "arn:aws:s3:::cosmic-ai-artifacts", fileKey: "connect/aiven-s3.zip" }; })));
        expect(iam.kafka!.accessControl).toBe("iam");
        for (const d of iam.deployments) {
            expect(d.env.filter((e) => /^KAFKA_SASL_(USERNAME|PASSWORD)$/.test(e.name)), d.service).toEqual([]);
            expect(d.env.find((e) => e.name === "KAFKA_SASL_MECHANISM")).toEqual({ name: "KAFKA_SASL_MECHANISM", value: "AWS_MSK_IAM" });
        }
        // No Kafka login anywhere: the audit bridge signs IAM tokens too (OAUTHBEARER); its RabbitMQ password remains.
        expect(iam.credentials).toEqual([
            { name: "audit-bridge-credentials", owner: "audit-bridge", data: { "rabbitmq-password": { from: "rabbitmq-password", user: "audit-bridge" } } },
        ]);
        expect(iam.auditBridge!.destinations).toEqual([{ name: "kafka", topic: "audit-trail", brokersEnv: "AUDIT_KAFKA_BROKERS", tls: true, awsIam: {} }]);
    });

    it("refuses MSK IAM without the EKS OIDC provider, naming both keys", () => {
        const raw = editRaw("prod", (v) => {
            v.kafka.auth = "iam";
            v.archive.mskConnectPlugin = { bucketArn: "arn:aws:s3:::cosmic-ai-artifacts", fileKey: "connect/aiven-s3.zip" };
            v.tieredStorage.enabled = false;
            delete v.kubernetes.oidcProviderArn;
            delete v.kubernetes.oidcProviderUrl;
        });
        expect(() => validateConfig(raw)).toThrow(/kubernetes\.oidcProviderArn.*kafka\.auth iam[\s\S]*kubernetes\.oidcProviderUrl/);
    });
});
