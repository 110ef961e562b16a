import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { derivePassword } from "../../components/derived-password";
import {
    confluentClusterShape,
    hostPort,
    mskIamPolicy,
    mskServerProperties,
    scramSecretName,
    type KafkaPlatform as KafkaPlatformType,
} from "../../components/kafka";
import { archiveConnectTopics, plan, validateConfig, type KafkaPlan, type Topology } from "../../topology";
import { editRaw, planStack } from "../support/stacks";
import { isSecretValue, json, plain, plainStrings, settle, startMocks, type Capture, type Registration } from "./capture";

const SEED = "kafka-test-seed-not-a-real-secret";
const T = {
    cluster: "aws:msk/cluster:Cluster",
    configuration: "aws:msk/configuration:Configuration",
    secret: "aws:secretsmanager/secret:Secret",
    secretVersion: "aws:secretsmanager/secretVersion:SecretVersion",
    association: "aws:msk/scramSecretAssociation:ScramSecretAssociation",
    key: "aws:kms/key:Key",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    provider: "pulumi:providers:kafka",
    topic: "kafka:index/topic:Topic",
    acl: "kafka:index/acl:Acl",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    ccEnvironment: "confluentcloud:index/environment:Environment",
    ccCluster: "confluentcloud:index/kafkaCluster:KafkaCluster",
    ccServiceAccount: "confluentcloud:index/serviceAccount:ServiceAccount",
    ccApiKey: "confluentcloud:index/apiKey:ApiKey",
    ccRoleBinding: "confluentcloud:index/roleBinding:RoleBinding",
} as const;

const aclKey = (a: { principal: string; resourceType: string; resourceName: string; patternType: string; operation: string; permissionType: string; host: string }) =>
    [a.principal, a.resourceType, a.resourceName, a.patternType, a.operation, a.permissionType, a.host].join("|");

function aclsOf(regs: Registration[]): string[] {
    return regs
        .map((r) => plain(r.inputs) as Record<string, string>)
        .map((i) =>
            aclKey({
                principal: i.aclPrincipal as string,
                resourceType: i.aclResourceType as string,
                resourceName: i.aclResourceName as string,
                patternType: i.resourcePatternTypeFilter as string,
                operation: i.aclOperation as string,
                permissionType: i.aclPermissionType as string,
                host: i.aclHost as string,
            }),
        )
        .sort();
}

describe("KafkaPlatform", () => {
    let capture: Capture;
    let Kafka: typeof KafkaPlatformType;
    const built: Record<string, { topology: Topology; component: KafkaPlatformType }> = {};
    const kafkaOf = (key: string) => built[key]?.topology.kafka as KafkaPlan;
    const under = (type: string, prefix: string) => capture.ofType(type).filter((r) => r.name.startsWith(`${prefix}-`));

    beforeAll(async () => {
        capture = await startMocks("prod");
        Kafka = (await import("../../components/kafka")).KafkaPlatform;
        type Extra = { kafkaPassword?: pulumi.Input<string>; servicePasswordSeed?: pulumi.Input<string>; oidcProviderArn?: string; oidcProviderUrl?: string };
        const make = (key: string, topology: Topology, extra: Extra = {}) => {
            built[key] = { topology, component: new Kafka(key, { topology, ...extra }, { transformations: [capture.transformation] }) };
        };
        make("msk3", planStack("prod", { phase: 3 }), { servicePasswordSeed: pulumi.secret(SEED) });
        make("msk0", planStack("prod", { phase: 0 }), { servicePasswordSeed: pulumi.secret(SEED) });
        make("confluent", planStack("dev", { phase: 1 }));
        make("external", planStack("local", { phase: 2 }));
        const iamStack = editRaw("prod", (v) => {
            v.phase = 1;
            v.kafka.auth = "iam";
            v.archive.mskConnectPlugin = { bucketArn: "arn:aws:s3:::cosmic-ai-artifacts", fileKey: "connect/aiven-s3.zip" };
        });
        make("mskiam", plan(validateConfig(iamStack)), {
            oidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABC",
            oidcProviderUrl: "oidc.eks.eu-west-1.amazonaws.com/id/ABC",
        });
        await settle(...Object.values(built).flatMap(({ component }) => [component.bootstrapServers, component.provider.urn]));
    });

    describe("on MSK with IAM auth", () => {
        it("declares no Kafka ACL (MSK ignores them for IAM clients) and one IRSA role per principal instead", () => {
            const k = kafkaOf("mskiam");
            expect(k.accessControl).toBe("iam");
            expect(under(T.acl, "mskiam")).toEqual([]);
            expect(under(T.role, "mskiam").map((r) => r.name).sort()).toEqual(k.principals.map((p) => `mskiam-iam-${p}`).sort());
            const cluster = plain(capture.one(T.cluster, "mskiam-cluster").inputs) as Record<string, any>;
            expect(cluster.clientAuthentication).toEqual({ sasl: { scram: false, iam: true }, unauthenticated: false });
            expect(Object.keys(built.mskiam!.component.serviceRoleArns).sort()).toEqual(k.principals);
        });

        it("trusts only the principal's own ServiceAccount and grants exactly the actions of its ACLs", () => {
            const k = kafkaOf("mskiam");
            const principal = k.principals.find((p) => p !== "kafka-sink") as string;
            const role = plain(capture.one(T.role, `mskiam-iam-${principal}`).inputs) as Record<string, string>;
            const trust = JSON.parse(role.assumeRolePolicy as string);
            expect(trust.Statement[0].Condition.StringEquals["oidc.eks.eu-west-1.amazonaws.com/id/ABC:sub"]).toBe(`system:serviceaccount:messaging:${principal}`);
            const policy = JSON.parse((plain(capture.one(T.rolePolicy, `mskiam-iam-${principal}-policy`).inputs) as Record<string, string>).policy as string);
            const clusterArn = "arn:aws:kafka:eu-west-1:123456789012:cluster/mskiam-cluster/uuid";
            const expected = JSON.parse(mskIamPolicy(clusterArn, k.acls.filter((a) => a.principal === `User:${principal}`)));
            expect(policy).toEqual(expected);
            expect(policy.Statement.length).toBeGreaterThan(1);
            // Never a wildcard resource.
            expect(policy.Statement.every((st: { Resource: string }) => !st.Resource.includes("*"))).toBe(true);
        });
    });

    describe("mskIamPolicy", () => {
        it("maps Write, Read, Describe and Group Read to the kafka-cluster actions with their required actions", () => {
            const arn = "arn:aws:kafka:eu-west-1:1:cluster/c/uuid";
            const acl = (resourceType: "Topic" | "Group", resourceName: string, operation: "Read" | "Write" | "Describe") => ({
                principal: "User:svc", resourceType, resourceName, patternType: "Literal" as const, operation, permissionType: "Allow" as const, host: "*" as const,
            });
            const policy = JSON.parse(mskIamPolicy(arn, [acl("Topic", "out", "Write"), acl("Topic", "in", "Read"), acl("Topic", "in", "Describe"), acl("Group", "svc", "Read")]));
            expect(policy.Statement).toEqual([
                { Effect: "Allow", Action: ["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"], Resource: arn },
                { Effect: "Allow", Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], Resource: "arn:aws:kafka:eu-west-1:1:topic/c/uuid/out" },
                { Effect: "Allow", Action: ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], Resource: "arn:aws:kafka:eu-west-1:1:topic/c/uuid/in" },
                { Effect: "Allow", Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], Resource: "arn:aws:kafka:eu-west-1:1:group/c/uuid/svc" },
            ]);
        });
    });

    describe("on MSK (prod)", () => {
        it("encrypts at rest with its own KMS key and in transit with TLS only", () => {
            const cluster = plain(capture.one(T.cluster, "msk3-cluster").inputs) as Record<string, any>;
            const key = plain(capture.one(T.key, "msk3-data-key").inputs) as Record<string, unknown>;
            expect(key.enableKeyRotation).toBe(true);
            expect(cluster.encryptionInfo).toEqual({
                encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/msk3-data-key",
                encryptionInTransit: { clientBroker: "TLS", inCluster: true },
            });
        });

        it("authenticates with SASL/SCRAM and never unauthenticated", () => {
            const cluster = plain(capture.one(T.cluster, "msk3-cluster").inputs) as Record<string, any>;
            expect(cluster.clientAuthentication).toEqual({ sasl: { scram: true, iam: false }, unauthenticated: false });
        });

        it("sizes brokers, logs to CloudWatch and exports Prometheus metrics", () => {
            const cluster = plain(capture.one(T.cluster, "msk3-cluster").inputs) as Record<string, any>;
            const logGroup = plain(capture.one(T.logGroup, "msk3-broker-logs").inputs) as Record<string, unknown>;
            expect(cluster).toMatchObject({
                kafkaVersion: "3.8.x",
                numberOfBrokerNodes: 3,
                brokerNodeGroupInfo: {
                    instanceType: "kafka.m7g.large",
                    clientSubnets: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"],
                    securityGroups: ["sg-0a1b2c3d4e5f60001"],
                    storageInfo: { ebsStorageInfo: { volumeSize: 500 } },
                },
                loggingInfo: { brokerLogs: { cloudwatchLogs: { enabled: true, logGroup: logGroup.name } } },
                openMonitoring: { prometheus: { jmxExporter: { enabledInBroker: true }, nodeExporter: { enabledInBroker: true } } },
                configurationInfo: { arn: "arn:aws:kafka:eu-west-1:123456789012:configuration/msk3-configuration", revision: 1 },
            });
        });

        it("configures brokers without topic auto-creation, with the plan's replication", () => {
            const cfg = plain(capture.one(T.configuration, "msk3-configuration").inputs) as { serverProperties: string; kafkaVersions: string[] };
            const props = Object.fromEntries(cfg.serverProperties.split("\n").map((l) => l.split("=") as [string, string]));
            expect(props).toMatchObject({ "auto.create.topics.enable": "false", "min.insync.replicas": "2", "default.replication.factor": "3" });
            expect(cfg.kafkaVersions).toEqual(["3.8.x"]);
        });

        it("stores one SCRAM secret per principal and the admin, named AmazonMSK_<stack>-<principal>, under a customer KMS key", () => {
            const k = kafkaOf("msk3");
            const secrets = under(T.secret, "msk3").map((r) => plain(r.inputs) as Record<string, string>);
            expect(secrets.map((s) => s.name).sort()).toEqual(["platform-admin", ...k.principals].map((p) => `AmazonMSK_prod-${p}`).sort());
            const scramKey = "arn:aws:kms:eu-west-1:123456789012:key/msk3-scram-key";
            expect(secrets.every((s) => s.kmsKeyId === scramKey)).toBe(true);
            // A rollback that brings a principal back must recreate its secret under the same name at once.
            expect(secrets.every((s) => (s as Record<string, unknown>).recoveryWindowInDays === 0)).toBe(true);
            const association = plain(capture.one(T.association, "msk3-scram-association").inputs) as { secretArnLists: string[]; clusterArn: string };
            expect(association.secretArnLists.sort()).toEqual(secrets.map((s) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${s.name}-AbCdEf`).sort());
            expect(association.clusterArn).toContain(":cluster/msk3-cluster/");
        });

        it("writes each SCRAM credential as a secret holding the derived password", () => {
            const versions = under(T.secretVersion, "msk3");
            expect(versions).toHaveLength(kafkaOf("msk3").principals.length + 1);
            for (const v of versions) {
                expect(isSecretValue(v.inputs.secretString)).toBe(true);
                const cred = json<{ username: string; password: string }>(v.inputs.secretString);
                expect(cred.password).toBe(derivePassword(SEED, "kafka", cred.username));
            }
        });

        it("manages topics and ACLs through an explicit provider authenticated as the SCRAM admin over TLS", () => {
            const p = capture.one(T.provider, "msk3-provider").inputs;
            expect(json(p.bootstrapServers)).toEqual(["b-1.msk.example:9096", "b-2.msk.example:9096", "b-3.msk.example:9096"]);
            expect(plain(p)).toMatchObject({ tlsEnabled: "true", saslMechanism: "scram-sha512", saslUsername: "platform-admin" });
            expect(isSecretValue(p.saslPassword)).toBe(true);
            expect(plain(p.saslPassword)).toBe(derivePassword(SEED, "kafka", "platform-admin"));
        });

        it.each(["msk3", "msk0"])("%s: creates exactly the plan's service ACLs plus the admin's own grants", (key) => {
            const k = kafkaOf(key);
            const all = aclsOf(under(T.acl, key));
            const admin = k.admin.acls.map(aclKey).sort();
            expect(admin).toHaveLength(3);
            expect(all.filter((a) => a.startsWith("User:platform-admin|"))).toEqual(admin);
            expect(all.filter((a) => !a.startsWith("User:platform-admin|"))).toEqual(k.acls.map(aclKey).sort());
        });

        it("creates every planned topic with its partitions, replication and config, kept and protected", () => {
            const k = kafkaOf("msk3");
            const topics = under(T.topic, "msk3");
            // The archive's Kafka Connect topics (dead-letter, the workers' internal ones) are data too.
            const connect = archiveConnectTopics(built.msk3!.topology.archive);
            expect(connect.map((t) => t.name)).toEqual(["audit-archiver-dlq", "messaging-connect-offsets", "messaging-connect-configs", "messaging-connect-status"]);
            expect(topics).toHaveLength(k.topics.length + connect.length);
            for (const t of connect) {
                const r = capture.one(T.topic, `msk3-topic-${t.name}`);
                expect(plain(r.inputs)).toEqual({ name: t.name, partitions: t.partitions, replicationFactor: 3, config: t.config });
                expect(capture.options.get(r.name)).toMatchObject({ retainOnDelete: true, protect: true });
            }
            for (const t of k.topics) {
                const r = capture.one(T.topic, `msk3-topic-${t.name}`);
                expect(plain(r.inputs)).toEqual({ name: t.name, partitions: t.partitions, replicationFactor: 3, config: t.config });
                expect(t.config["min.insync.replicas"]).toBe("2");
                expect(capture.options.get(r.name)).toMatchObject({ retainOnDelete: true, protect: true });
                expect(capture.options.get(r.name)?.provider).toBe(built.msk3?.component.provider);
            }
        });

        it("keeps and protects the cluster and its keys", () => {
            expect(capture.options.get("msk3-cluster")).toMatchObject({ retainOnDelete: true, protect: true });
            expect(capture.options.get("msk3-data-key")).toMatchObject({ retainOnDelete: true, protect: true });
            expect(capture.options.get("msk3-scram-key")).toMatchObject({ retainOnDelete: true, protect: true });
        });

        it("exposes the SCRAM bootstrap brokers and per-principal secret credentials", async () => {
            const c = built.msk3?.component as KafkaPlatformType;
            expect(await new Promise((r) => c.bootstrapServers.apply(r))).toBe("b-1.msk.example:9096,b-2.msk.example:9096,b-3.msk.example:9096");
            expect(Object.keys(c.credentials).sort()).toEqual(kafkaOf("msk3").principals);
            for (const cred of Object.values(c.credentials)) {
                expect(await pulumi.isSecret(cred.password)).toBe(true);
            }
        });
    });

    describe("on Confluent Cloud (dev)", () => {
        it("creates the environment and a cluster of the configured type", () => {
            expect(plain(capture.one(T.ccEnvironment, "confluent-environment").inputs)).toEqual({ displayName: "cosmic-ai-dev" });
            expect(plain(capture.one(T.ccCluster, "confluent-cluster").inputs)).toMatchObject({
                environment: { id: "confluent-environment-id" },
                cloud: "GCP",
                region: "europe-west4",
                availability: "SINGLE_ZONE",
                standard: {},
                deletionProtection: false,
            });
            expect(capture.options.get("confluent-cluster")).toMatchObject({ retainOnDelete: true, protect: false });
        });

        it("creates a service account and a cluster API key per principal, and a CloudClusterAdmin admin", () => {
            const k = kafkaOf("confluent");
            const accounts = under(T.ccServiceAccount, "confluent").map((r) => r.name).sort();
            expect(accounts).toEqual(["platform-admin", ...k.principals].map((p) => `confluent-sa-${p}`).sort());
            const keys = under(T.ccApiKey, "confluent").map((r) => plain(r.inputs) as Record<string, any>);
            expect(keys).toHaveLength(k.principals.length + 1);
            for (const key of keys) {
                expect(key.managedResource).toMatchObject({ id: "confluent-cluster-id", kind: "Cluster", environment: { id: "confluent-environment-id" } });
                expect(key.owner.kind).toBe("ServiceAccount");
            }
            expect(plain(capture.one(T.ccRoleBinding, "confluent-admin-role").inputs)).toEqual({
                principal: "User:sa-confluent-sa-platform-admin",
                roleName: "CloudClusterAdmin",
                crnPattern: "crn://confluent.cloud/organization=o/environment=env-1/cloud-cluster=lkc-1",
            });
        });

        it("grants exactly the plan's ACLs, to the principals' service-account ids", () => {
            const k = kafkaOf("confluent");
            const expected = k.acls.map((a) => aclKey({ ...a, principal: `User:sa-confluent-sa-${a.principal.slice(5)}` })).sort();
            expect(aclsOf(under(T.acl, "confluent"))).toEqual(expected);
            expect(k.admin.acls).toEqual([]);
        });

        it("talks to the cluster with the admin API key over SASL_SSL/PLAIN", () => {
            const p = capture.one(T.provider, "confluent-provider").inputs;
            expect(json(p.bootstrapServers)).toEqual(["pkc-00000.europe-west4.gcp.confluent.cloud:9092"]);
            expect(plain(p)).toMatchObject({ tlsEnabled: "true", saslMechanism: "plain", saslUsername: "key-confluent-apikey-platform-admin" });
            expect(isSecretValue(p.saslPassword)).toBe(true);
        });
    });

    describe("on an external cluster (local)", () => {
        it("connects to the configured bootstrap servers without TLS or SASL", () => {
            const p = plain(capture.one(T.provider, "external-provider").inputs) as Record<string, string>;
            expect(JSON.parse(p.bootstrapServers as string)).toEqual(["127.0.0.1:19092"]);
            expect(p.tlsEnabled).toBe("false");
            // The SDK fills saslMechanism with "plain"; the provider only uses SASL when a username is set.
            expect(p.saslUsername).toBeUndefined();
            expect(p.saslPassword).toBeUndefined();
        });

        it("creates the plan's topics (replication 1) and exactly its ACLs, without protect", () => {
            const k = kafkaOf("external");
            expect(under(T.topic, "external").map((r) => plain(r.inputs.name)).sort()).toEqual(k.topics.map((t) => t.name).sort());
            expect(under(T.topic, "external").every((r) => r.inputs.replicationFactor === 1)).toBe(true);
            expect(aclsOf(under(T.acl, "external"))).toEqual(k.acls.map(aclKey).sort());
            expect(capture.options.get(`external-topic-${k.topics[0]?.name}`)).toMatchObject({ retainOnDelete: true, protect: false });
        });

        it("uses the SASL user and a secret password when the stack sets kafka.sasl", async () => {
            const raw = editRaw("local", (v) => {
                v.kafka.sasl = { mechanism: "scram-sha512", username: "platform" };
                v.kafka.tls = true;
                v.kafkaSaslPassword = "<secret>";
            });
            raw.secretKeys = new Set([...raw.secretKeys, "kafkaSaslPassword"]);
            const topology = plan(validateConfig(raw));
            const c = new Kafka("sasl", { topology, kafkaPassword: pulumi.secret("sasl-password") }, { transformations: [capture.transformation] });
            await settle(c.provider.urn);
            const p = capture.one(T.provider, "sasl-provider").inputs;
            expect(plain(p)).toMatchObject({ tlsEnabled: "true", saslMechanism: "scram-sha512", saslUsername: "platform", saslPassword: "sasl-password" });
            expect(isSecretValue(p.saslPassword)).toBe(true);
        });
    });

    it("never puts a password, API secret or the seed in a plain resource input", () => {
        const derived = Object.values(built).flatMap(({ topology }) =>
            ["platform-admin", ...(topology.kafka?.principals ?? [])].map((p) => derivePassword(SEED, "kafka", p)),
        );
        const leaked = capture.registrations
            .flatMap((r) => plainStrings(r.inputs))
            .filter((s) => derived.some((d) => s.includes(d)) || s.includes(SEED) || s.includes("api-secret-of-") || s === "sasl-password");
        expect(leaked).toEqual([]);
    });

    it("refuses MSK with SCRAM without a password seed, naming what to pass", () => {
        expect(() => new Kafka("no-seed", { topology: planStack("prod") })).toThrow(/servicePasswordSeed is not set/);
    });

    it("refuses an external SASL cluster without its password, naming the config key", () => {
        const raw = editRaw("local", (v) => {
            v.kafka.sasl = { mechanism: "plain", username: "platform" };
            v.kafkaSaslPassword = "<secret>";
        });
        raw.secretKeys = new Set([...raw.secretKeys, "kafkaSaslPassword"]);
        expect(() => new Kafka("no-password", { topology: plan(validateConfig(raw)) })).toThrow(/kafkaSaslPassword/);
    });
});

describe("Kafka pure helpers", () => {
    it("renders MSK server properties from the plan's replication", () => {
        expect(mskServerProperties({ replicationFactor: 3, minInsyncReplicas: 2 })).toBe(
            "auto.create.topics.enable=false\ndefault.replication.factor=3\nmin.insync.replicas=2\nunclean.leader.election.enable=false",
        );
    });

    it("names SCRAM secrets with the prefix MSK requires", () => {
        expect(scramSecretName("prod", "job-worker")).toBe("AmazonMSK_prod-job-worker");
    });

    describe.each([
        [{ clusterType: "basic", availability: "SINGLE_ZONE" }, { availability: "SINGLE_ZONE", basic: {} }],
        [{ clusterType: "standard", availability: "MULTI_ZONE" }, { availability: "MULTI_ZONE", standard: {} }],
        [{ clusterType: "enterprise", availability: "MULTI_ZONE" }, { availability: "HIGH", enterprises: [{}] }],
        [{ clusterType: "enterprise", availability: "SINGLE_ZONE" }, { availability: "LOW", enterprises: [{}] }],
        [{ clusterType: "dedicated", availability: "MULTI_ZONE" }, { availability: "MULTI_ZONE", dedicated: { cku: 2 } }],
        [{ clusterType: "dedicated", availability: "SINGLE_ZONE" }, { availability: "SINGLE_ZONE", dedicated: { cku: 1 } }],
    ] as const)("Confluent cluster shape %o", (settings, shape) => {
        it(`is ${JSON.stringify(shape)}`, () => {
            expect(confluentClusterShape(settings)).toEqual(shape);
        });
    });

    it.each([
        ["SASL_SSL://pkc-1.example:9092", "pkc-1.example:9092"],
        ["pkc-1.example:9092", "pkc-1.example:9092"],
    ])("strips the scheme of %s", (endpoint, expected) => {
        expect(hostPort(endpoint)).toBe(expected);
    });
});
