import { describe, expect, it } from "vitest";
import { ConfigError, validateConfig, type RawConfig } from "../../topology";
import { STACKS, decommissionReady, editRaw, rawStack } from "../support/stacks";

function problemsOf(raw: RawConfig) {
    try {
        validateConfig(raw);
    } catch (err) {
        if (err instanceof ConfigError) {
            return err.problems;
        }
        throw err;
    }
    throw new Error("expected a ConfigError, but the config validated");
}

describe("the committed stack files", () => {
    it.each(STACKS)("Pulumi.%s.yaml validates at every phase", (stack) => {
        for (const phase of [0, 1, 2, 3]) {
            expect(() => validateConfig(rawStack(stack, { phase }))).not.toThrow();
        }
    });

    it("prod has TLS, token auth, >= 3 brokers and replication 3", () => {
        const c = validateConfig(rawStack("prod"));
        expect(c.pulsar.tls.enabled).toBe(true);
        expect(c.pulsar.auth.token).toBe(true);
        expect(c.pulsar.brokers).toBeGreaterThanOrEqual(3);
        expect(c.kafka.replicationFactor).toBe(3);
        expect(c.kafka.minInsyncReplicas).toBe(2);
        expect(c.kafka.provider).toBe("msk");
        expect(c.cloud).toBe("aws");
    });

    it("resolves defaults once: tiered storage thresholds 1 GiB / 7 days, starlight KoP, gates false", () => {
        const c = validateConfig(rawStack("dev"));
        expect(c.tieredStorage.thresholdBytes).toBe(1024 ** 3);
        expect(c.tieredStorage.thresholdSeconds).toBe(7 * 24 * 3600);
        expect(c.pulsar.kop.distribution).toBe("starlight");
        // No public download of a 4.x handler exists: by default the broker image carries it.
        expect(c.pulsar.kop.source).toBe("image");
        expect(c.pulsar.kop.narUrl).toBeUndefined();
        expect(c.pulsar.imageTag).toBe("4.0.12-starlight-4.0.3.3");
        expect(c.gates).toEqual({ auditParity: false, lifecycleParity: false });
    });
});

type Case = [label: string, stack: "local" | "dev" | "prod", edit: (v: Record<string, any>) => void, key: string, allowedFragment: string];

// Each bad config names its offending key and says what is allowed.
const BAD: Case[] = [
    ["unknown phase 7", "local", (v) => (v.phase = 7), "phase", "0 (kafka), 1 (bridge), 2 (native), 3 (isolated)"],
    ["negative phase", "local", (v) => (v.phase = -1), "phase", "an integer 0"],
    ["fractional phase", "local", (v) => (v.phase = 1.5), "phase", "an integer 0"],
    ["phase as a word", "local", (v) => (v.phase = "native"), "phase", "an integer 0"],
    ["missing phase", "local", (v) => delete v.phase, "phase", "an integer 0"],
    ["unknown environment", "local", (v) => (v.environment = "staging"), "environment", '"local"|"dev"|"prod"'],
    ["unknown cloud", "dev", (v) => (v.cloud = "azure"), "cloud", '"aws"|"gcp"|"none"'],
    ["unknown kafka provider", "local", (v) => (v.kafka.provider = "mks"), "kafka.provider", "msk | confluent | external"],
    ["msk on gcp", "dev", (v) => (v.kafka = { provider: "msk", subnetIds: ["a", "b"], securityGroupIds: ["sg"] }), "kafka.provider", "msk exists only on AWS"],
    ["msk with one subnet", "prod", (v) => (v.kafka.subnetIds = ["subnet-1"]), "kafka.subnetIds", "at least two subnet ids"],
    ["msk broker count not a multiple of subnets", "prod", (v) => (v.kafka.brokerCount = 4), "kafka.brokerCount", "a multiple of the 3 subnets"],
    ["msk unknown auth", "prod", (v) => (v.kafka.auth = "none"), "kafka.auth", '"scram"|"iam"'],
    ["external without bootstrap servers", "local", (v) => (v.kafka.bootstrapServers = []), "kafka.bootstrapServers", "host:port"],
    ["external bootstrap without port", "local", (v) => (v.kafka.bootstrapServers = ["localhost"]), "kafka.bootstrapServers[0]", "host:port"],
    ["a key that belongs to another provider", "local", (v) => (v.kafka.subnetIds = ["a", "b"]), "kafka.subnetIds", "unknown key"],
    ["typo in a top-level key", "local", (v) => (v.tieredStorge = { enabled: true }), "tieredStorge", "unknown key"],
    ["external SASL without its password", "local", (v) => (v.kafka.sasl = { mechanism: "plain", username: "svc" }), "kafkaSaslPassword", "pulumi config set --secret kafkaSaslPassword"],
    ["min.insync.replicas above replication", "local", (v) => (v.kafka.minInsyncReplicas = 2), "kafka.minInsyncReplicas", "at most kafka.replicationFactor (1)"],
    ["prod without TLS", "prod", (v) => (v.pulsar.tls.enabled = false), "pulsar.tls.enabled", "true in prod"],
    ["prod without token auth", "prod", (v) => (v.pulsar.auth.token = false), "pulsar.auth.token", "true in prod"],
    ["prod with replication 2", "prod", (v) => (v.kafka.replicationFactor = 2), "kafka.replicationFactor", "at least 3 in prod"],
    ["prod with 1 orchestrator replica", "prod", (v) => (v.orchestrator.replicas = 1), "orchestrator.replicas", "at least 2 in prod"],
    ["prod with 2 Pulsar brokers", "prod", (v) => (v.pulsar.brokers = 2), "pulsar.brokers", "at least 3 in prod"],
    ["prod rendering manifests to a folder", "prod", (v) => (v.kubernetes.renderYamlTo = "out"), "kubernetes.renderYamlTo", "unset in prod"],
    ["local with a cloud", "local", (v) => (v.cloud = "aws"), "cloud", "none for the local environment"],
    ["streamnative KoP on a different Pulsar", "local", (v) => (v.pulsar.kop = { distribution: "streamnative", version: "3.1.1.1" }), "pulsar.kop.version", "runs only on Pulsar 3.1.1, but pulsar.version is 4.0.12"],
    ["streamnative KoP 4.x (built against StreamNative's Pulsar)", "local", (v) => { v.pulsar.version = "4.0.12"; v.pulsar.kop = { distribution: "streamnative", version: "4.0.12.1" }; }, "pulsar.kop.version", "built against StreamNative's Pulsar build (io.streamnative:pulsar-broker:4.0.12.1)"],
    ["starlight KoP for another Pulsar line", "local", (v) => (v.pulsar.kop.version = "3.1.4.2"), "pulsar.kop.version", "starlight KoP 3.1.4.2 runs on Pulsar 3.1.x, but pulsar.version is 4.0.12"],
    ["malformed KoP version", "local", (v) => (v.pulsar.kop.version = "latest"), "pulsar.kop.version", "x.y.z.m"],
    ["unknown KoP distribution", "local", (v) => (v.pulsar.kop.distribution = "confluent"), "pulsar.kop.distribution", '"starlight"|"streamnative"'],
    ["tiered storage without a cloud", "local", (v) => (v.tieredStorage = { enabled: true, bucket: "b-offload", region: "x" }), "tieredStorage.enabled", 'false when cloud is "none"'],
    ["tiered storage without a bucket", "dev", (v) => delete v.tieredStorage.bucket, "tieredStorage.bucket", "required when tieredStorage.enabled"],
    ["tiered storage without a region", "dev", (v) => delete v.tieredStorage.region, "tieredStorage.region", "required when tieredStorage.enabled"],
    ["invalid bucket name", "dev", (v) => (v.tieredStorage.bucket = "Bad_Bucket"), "tieredStorage.bucket", "a bucket name"],
    ["negative offload threshold", "dev", (v) => (v.tieredStorage.thresholdBytes = -5), "tieredStorage.thresholdBytes", ">=0"],
    ["duplicate tenant", "local", (v) => v.tenants.push({ name: "team-a", adminRoles: ["x.admin"] }), "tenants[2].name", "not used by another entry"],
    ["tenant name not DNS-1123", "local", (v) => (v.tenants[0].name = "Team_A"), "tenants[0].name", "Invalid string"],
    ["reserved tenant name", "local", (v) => (v.tenants[0].name = "public"), "tenants[0].name", "reserved tenant name"],
    ["wildcard admin role", "local", (v) => (v.tenants[0].adminRoles = ["*"]), "tenants[0].adminRoles[0]", "not a wildcard"],
    ["tenant without admin roles", "local", (v) => (v.tenants[0].adminRoles = []), "tenants[0].adminRoles", ">=1"],
    ["unknown gate", "local", (v) => (v.gates.schemaParity = true), "gates.schemaParity", "unknown key"],
    ["gate as a string", "local", (v) => (v.gates.auditParity = "yes"), "gates.auditParity", "expected boolean"],
    ["override of an unknown stream", "local", (v) => (v.streams = { "user-request": { partitions: 3 } }), "streams.user-request", "a stream of the catalog"],
    ["critical stream downgraded by an override", "local", (v) => (v.streams = { "audit-trail": { criticality: "standard" } }), "streams.audit-trail.criticality", "cuts over only through gates.auditParity"],
    ["critical stream's gate swapped", "local", (v) => (v.streams = { "job-lifecycle": { gate: "auditParity" } }), "streams.job-lifecycle.gate", "lifecycleParity: the gate of a critical stream cannot be swapped"],
    ["cutover before the stream reaches Pulsar", "local", (v) => (v.streams = { "job-metrics": { pulsarFrom: 3, cutoverAt: 2 } }), "streams.job-metrics.cutoverAt", "at least pulsarFrom (3)"],
    ["KoP stream moved on its own", "local", (v) => (v.streams = { "user-requests": { cutoverAt: 3 } }), "streams.user-requests.cutoverAt", "moves with the orchestrator services"],
    ["orchestrator service on a dual-published stream", "local", (v) => (v.streams = { notifications: { producers: ["job-api", "retry-worker"] } }), "streams.notifications.producers", "cannot dual-publish"],
    ["kafka-only service producing", "local", (v) => (v.streams = { "job-metrics": { producers: ["etl-pipeline"] } }), "streams.job-metrics.producers", "kafka-only services only consume"],
    ["unknown service in an override", "local", (v) => (v.streams = { notifications: { consumers: ["pager"] } }), "streams.notifications.consumers[0]", "Invalid option"],
    ["stream with no producer", "local", (v) => (v.streams = { notifications: { producers: [] } }), "streams.notifications.producers", "at least one producing service"],
    ["decommission before phase 3", "local", (v) => { v.phase = 2; v.kafka.decommission = true; v.kafka.decommissionConfirmed = true; }, "kafka.decommission", "only at phase 3"],
    ["decommission with gates closed", "local", (v) => { v.phase = 3; v.kafka.decommission = true; v.kafka.decommissionConfirmed = true; }, "kafka.decommission", "audit-trail (gates.auditParity is false)"],
    ["decommission without confirmation", "local", (v) => { v.phase = 3; v.kafka.decommission = true; }, "kafka.decommissionConfirmed", "true together with kafka.decommission"],
    ["confirmation without decommission", "local", (v) => (v.kafka.decommissionConfirmed = true), "kafka.decommissionConfirmed", "false unless kafka.decommission"],
    ["orchestrator tag latest", "local", (v) => (v.orchestrator.tag = "latest"), "orchestrator.tag", "pinned image tag"],
    ["rabbitmq management endpoint not a URL", "local", (v) => (v.rabbitmq.managementEndpoint = "localhost:15672"), "rabbitmq.managementEndpoint", "an http(s) URL"],
    ["rabbitmq amqp endpoint with another scheme", "local", (v) => (v.rabbitmq.amqpEndpoint = "http://127.0.0.1:5672"), "rabbitmq.amqpEndpoint", "Invalid string"],
    ["missing rabbitmq block", "local", (v) => delete v.rabbitmq, "rabbitmq", "expected object"],
    ["missing RabbitMQ password", "local", (v) => delete v.rabbitmqPassword, "rabbitmqPassword", "pulumi config set --secret rabbitmqPassword"],
    // The rules of the real systems (topology/config-rules.ts): what the review found, and a second case each.
    ["the stock Apache image, which carries no KoP handler", "dev", (v) => (v.pulsar.imageRepository = "apachepulsar/pulsar-all"), "pulsar.imageRepository", "the stock Apache images carry none"],
    ["a download with no checksum", "dev", (v) => (v.pulsar.kop = { ...v.pulsar.kop, source: "download", narUrl: "https://a.example/kop.nar" }), "pulsar.kop.sha256", "every broker start checks the download"],
    ["a download with no URL", "dev", (v) => (v.pulsar.kop = { ...v.pulsar.kop, source: "download", sha256: "a".repeat(64) }), "pulsar.kop.narUrl", "required with pulsar.kop.source download"],
    ["an image tag that does not say which handler it carries", "dev", (v) => (v.pulsar.imageTag = "4.0.12"), "pulsar.imageTag", "4.0.12-starlight-4.0.3.3"],
    ["prod without the broker image's digest", "prod", (v) => delete v.pulsar.imageDigest, "pulsar.imageDigest", "required in prod"],
    ["prod without an orchestrator digest", "prod", (v) => delete v.orchestrator.digests["retry-worker"], "orchestrator.digests", "missing: retry-worker"],
    ["a digest for an image the program does not run", "dev", (v) => (v.orchestrator.digests = { "job-api": `sha256:${"a".repeat(64)}` }), "orchestrator.digests.job-api", "one of the images the program runs"],
    ["was: the standalone's default JVM in its container", "local", (v) => (v.pulsar.sizing = { standalone: { heapMiB: 2048, directMiB: 4096, memoryMiB: 2048, cpu: "1", dataGi: 10 } }), "pulsar.sizing.standalone.memoryMiB", "at least heapMiB + directMiB + 512 (6656)"],
    ["a bookie heap filling its limit", "prod", (v) => (v.pulsar.sizing = { bookie: { heapMiB: 4096, directMiB: 4096, memoryMiB: 8192, cpu: "2", journalGi: 100, ledgersGi: 1000 } }), "pulsar.sizing.bookie.memoryMiB", "(8704)"],
    ["was: prod on 2/2/2", "prod", (v) => (v.pulsar.sizing = { ensemble: 2, writeQuorum: 2, ackQuorum: 2 }), "pulsar.sizing.writeQuorum", "write quorum 3 and ack quorum 2 in prod"],
    ["an ensemble larger than the bookies", "dev", (v) => (v.pulsar.sizing = { ensemble: 4, writeQuorum: 2, ackQuorum: 2 }), "pulsar.sizing.ensemble", "at most the bookie count (3)"],
    ["was: prod spread over hosts only", "prod", (v) => (v.pulsar.sizing = { zoneSpread: false }), "pulsar.sizing.zoneSpread", "true in prod"],
    ["was: pods given the host's loopback for Kafka", "local", (v) => delete v.kafka.clientBootstrapServers, "kafka.bootstrapServers", "127.0.0.1:19092 is the pod's own loopback"],
    ["pods given localhost explicitly", "local", (v) => (v.kafka.clientBootstrapServers = ["localhost:19092"]), "kafka.clientBootstrapServers", "localhost:19092 is the pod's own loopback"],
    ["was: dev on whatever kubeconfig context is current", "dev", (v) => delete v.kubernetes.context, "kubernetes.context", "an update must never land on whatever cluster is current"],
    ["prod on whatever kubeconfig context is current", "prod", (v) => delete v.kubernetes.context, "kubernetes.context", "the kubeconfig context of the prod cluster"],
    ["was: tokens with no expiry", "prod", (v) => delete v.pulsar.auth.tokenEpoch, "pulsar.auth.tokenEpoch", "required with token auth"],
    ["a token epoch that is not a month", "dev", (v) => (v.pulsar.auth.tokenEpoch = "2026-13"), "pulsar.auth.tokenEpoch", "a month, YYYY-MM"],
    ["a JVM with too little direct memory for Netty", "dev", (v) => (v.pulsar.sizing = { zookeeper: { heapMiB: 512, directMiB: 0, memoryMiB: 1024, cpu: "1", dataGi: 20 } }), "pulsar.sizing.zookeeper.directMiB", ">=64"],
];

describe("invalid configs name the key, the value and what is allowed", () => {
    it.each(BAD)("%s", (_label, stack, edit, key, allowedFragment) => {
        const problems = problemsOf(editRaw(stack, edit));
        const match = problems.find((p) => p.key === key);
        expect(match, `no problem for ${key}; got ${JSON.stringify(problems)}`).toBeDefined();
        expect(match?.allowed).toContain(allowedFragment);
    });

    it("has at least 30 cases", () => {
        expect(BAD.length).toBeGreaterThanOrEqual(30);
    });

    it("reports every problem at once, not the first one", () => {
        const problems = problemsOf(editRaw("prod", (v) => {
            v.phase = 9;
            v.environment = "qa";
            v.kafka.auth = "anonymous";
        }));
        expect(problems.map((p) => p.key).sort()).toEqual(["environment", "kafka.auth", "phase"]);
    });

    it("puts the value in the message", () => {
        const raw = editRaw("local", (v) => (v.phase = 7));
        expect(() => validateConfig(raw)).toThrow(/messaging-platform:phase = 7: allowed: an integer 0 \(kafka\)/);
    });

    it("reports every cross-field rule together", () => {
        const problems = problemsOf(editRaw("prod", (v) => {
            v.pulsar.tls.enabled = false;
            v.pulsar.auth.token = false;
            v.kafka.replicationFactor = 2;
        }));
        expect(problems.map((p) => p.key)).toEqual(
            expect.arrayContaining(["pulsar.tls.enabled", "pulsar.auth.token", "kafka.replicationFactor"]),
        );
    });
});

describe("secrets", () => {
    it("refuses a plain value where a secret is expected, without echoing it", () => {
        const raw = rawStack("local");
        const plain: RawConfig = { values: { ...raw.values, rabbitmqPassword: "hunter2" }, secretKeys: new Set() };
        const problems = problemsOf(plain);
        const p = problems.find((x) => x.key === "rabbitmqPassword");
        expect(p?.allowed).toContain("pulumi config set --secret rabbitmqPassword");
        expect(JSON.stringify(problems)).not.toContain("hunter2");
    });

    it("accepts the secret when it is stored as a secret", () => {
        const c = validateConfig(rawStack("local"));
        expect(c.rabbitmqPassword).toBe("<secret>");
    });
});

describe("gated cutover of critical streams", () => {
    it("accepts a gate approval at phase 3", () => {
        expect(() => validateConfig(editRaw("prod", (v) => {
            v.phase = 3;
            v.gates.auditParity = true;
        }))).not.toThrow();
    });

    it("accepts a confirmed decommission at phase 3 once every stream is cut over and no Kafka-only reader remains", () => {
        const c = validateConfig(editRaw("local", decommissionReady));
        expect(c.kafka.decommission).toBe(true);
    });

    it("names the Kafka-only readers that block a decommission", () => {
        const problems = problemsOf(editRaw("local", (v) => {
            v.phase = 3;
            v.gates = { auditParity: true, lifecycleParity: true };
            v.kafka.decommission = true;
            v.kafka.decommissionConfirmed = true;
        }));
        const p = problems.find((x) => x.key === "kafka.decommission");
        expect(p?.allowed).toContain("etl-pipeline on job-lifecycle");
        expect(p?.allowed).toContain("audit-archiver on audit-trail");
    });
});

describe("stack-specific requirements", () => {
    const cases: Case[] = [
        ["missing credential seed", "local", (v) => delete v.credentialSeed, "credentialSeed", "pulumi config set --secret credentialSeed"],
        ["TLS on the local standalone broker", "local", (v) => (v.pulsar.tls = { enabled: true }), "pulsar.tls.enabled", "false for the local environment"],
        ["token auth on the local standalone broker", "local", (v) => (v.pulsar.auth = { token: true }), "pulsar.auth.token", "false for the local environment"],
        ["S3 offload without the EKS OIDC provider", "prod", (v) => delete v.kubernetes.oidcProviderArn, "kubernetes.oidcProviderArn", "IAM OIDC provider"],
        ["malformed OIDC provider ARN", "prod", (v) => (v.kubernetes.oidcProviderArn = "oidc.eks"), "kubernetes.oidcProviderArn", "Invalid string"],
    ];
    it.each(cases)("%s", (_label, stack, edit, key, fragment) => {
        const problems = problemsOf(editRaw(stack, edit));
        expect(problems.find((p) => p.key === key)?.allowed).toContain(fragment);
    });
});
