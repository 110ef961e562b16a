import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as kafka from "@pulumi/kafka";
import * as rabbitmq from "@pulumi/rabbitmq";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { PACK_NAME, guardrails } from "../../policies/guardrails";
import type { CapturedResource, PackConfig } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import type { MigrationFacts } from "../../policies/rules/migration";
import { STACKS, type StackName } from "../support/stacks";
import { SPECS } from "./cases";
import { factsOf, gcsBucket, goodStack } from "./fixtures";
import { clone, packViolations } from "./harness";

const root = resolve(__dirname, "../..");
const packConfig = (env: StackName): PackConfig => JSON.parse(readFileSync(resolve(root, `policies/config/${env}.json`), "utf8"));
const names = guardrails("advisory").map((p) => p.name);

describe("the pack", () => {
    it("is named messaging-guardrails in PulumiPolicy.yaml and runs on nodejs", () => {
        const project = parse(readFileSync(resolve(root, "policies/PulumiPolicy.yaml"), "utf8")) as { name: string; runtime: string };
        expect(project).toMatchObject({ name: PACK_NAME, runtime: "nodejs" });
        const pkg = JSON.parse(readFileSync(resolve(root, "policies/package.json"), "utf8")) as { version?: string };
        expect(pkg.version, "new PolicyPack reads the version from the pack's package.json").toMatch(/^\d+\.\d+\.\d+/);
    });

    it("has unique policy names, none of them the reserved `all`", () => {
        expect(new Set(names).size).toBe(names.length);
        expect(names).not.toContain("all");
    });

    it("specifies every policy with at least one passing and one failing case", () => {
        expect(Object.keys(SPECS).sort()).toEqual([...names].sort());
        for (const [name, spec] of Object.entries(SPECS)) {
            expect(spec.cases.some((c) => c.expect.length === 0), `${name} passing case`).toBe(true);
            expect(spec.cases.some((c) => c.expect.length > 0), `${name} failing case`).toBe(true);
        }
    });

    it("builds every policy at the level it is given", () => {
        expect(guardrails("mandatory").every((p) => p.enforcementLevel === "mandatory")).toBe(true);
    });
});

describe("resource type tokens", () => {
    const classes: Record<string, unknown> = {
        s3Bucket: aws.s3.Bucket,
        s3PublicAccessBlock: aws.s3.BucketPublicAccessBlock,
        s3Encryption: aws.s3.BucketServerSideEncryptionConfiguration,
        s3Versioning: aws.s3.BucketVersioning,
        s3Policy: aws.s3.BucketPolicy,
        iamRolePolicy: aws.iam.RolePolicy,
        iamPolicy: aws.iam.Policy,
        mskCluster: aws.msk.Cluster,
        gcsBucket: gcp.storage.Bucket,
        gcsBucketIamMember: gcp.storage.BucketIAMMember,
        kafkaTopic: kafka.Topic,
        kafkaAcl: kafka.Acl,
        confluentCluster: confluentcloud.KafkaCluster,
        confluentTopic: confluentcloud.KafkaTopic,
        confluentAcl: confluentcloud.KafkaAcl,
        rabbitExchange: rabbitmq.Exchange,
        rabbitQueue: rabbitmq.Queue,
        rabbitBinding: rabbitmq.Binding,
        rabbitPolicy: rabbitmq.Policy,
        rabbitPermissions: rabbitmq.Permissions,
        deployment: k8s.apps.v1.Deployment,
        statefulSet: k8s.apps.v1.StatefulSet,
        configMap: k8s.core.v1.ConfigMap,
        helmRelease: k8s.helm.v3.Release,
    };
    it.each(Object.entries(classes))("%s is the SDK class's token", (key, cls) => {
        expect(TYPES[key as keyof typeof TYPES]).toBe((cls as { __pulumiType: string }).__pulumiType);
    });
    it("custom resources are kubernetes:<apiVersion>:<kind>", () => {
        expect(TYPES.pulsarPermission).toBe("kubernetes:resource.streamnative.io/v1alpha1:PulsarPermission");
        expect(TYPES.pulsarFunction).toBe("kubernetes:compute.functionmesh.io/v1alpha1:Function");
    });
});

describe("policy config files", () => {
    const environmentAware = guardrails("advisory")
        .filter((p) => p.configSchema?.properties.environment !== undefined)
        .map((p) => p.name);

    it.each(STACKS.map((s) => [s]))("%s.json names only policies of the pack and gives every environment-aware one its environment", (env) => {
        const config = packConfig(env);
        for (const key of Object.keys(config)) {
            expect([...names, "all"]).toContain(key);
        }
        expect(config.all).toBe(env === "prod" ? "mandatory" : "advisory");
        for (const name of environmentAware) {
            expect(config[name], name).toEqual({ enforcementLevel: env === "prod" ? "mandatory" : "advisory", environment: env });
        }
        for (const entry of Object.values(config)) {
            expect(typeof entry === "string" ? entry : entry.enforcementLevel).toBe(env === "prod" ? "mandatory" : "advisory");
        }
    });
});

describe("planned stacks pass the pack", () => {
    const cases = STACKS.flatMap((stack) => [0, 1, 2, 3].map((phase) => [stack, phase] as const));
    it.each(cases)("%s at phase %i has no violation", async (stack, phase) => {
        const found = await packViolations(guardrails("advisory", () => factsOf(stack, phase)), goodStack(stack, phase), packConfig(stack));
        expect(found.map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
    });
});

interface BadFixture {
    name: string;
    policy: string;
    fragment: string;
    phase?: number;
    facts?: Partial<MigrationFacts>;
    edit: (resources: CapturedResource[]) => CapturedResource[];
}

const byName = (name: string, mutate: (p: Record<string, any>) => void) => (resources: CapturedResource[]) =>
    resources.map((r) => {
        if (r.name !== name) {
            return r;
        }
        const c = clone(r);
        mutate(c.inputs as Record<string, any>);
        if (c.outputs !== c.inputs) {
            mutate(c.outputs as Record<string, any>);
        }
        return c;
    });
const container = (p: Record<string, any>) => p.spec.template.spec.containers[0];
const without = (pick: (r: CapturedResource) => boolean) => (resources: CapturedResource[]) => resources.filter((r) => !pick(r));

const BAD: BadFixture[] = [
    { name: "public bucket policies allowed", policy: "s3-bucket-public-access-blocked", fragment: "blockPublicPolicy", edit: byName("offload-public-access-block", (p) => (p.blockPublicPolicy = false)) },
    { name: "no bucket encryption", policy: "s3-bucket-encrypted", fragment: "no server-side encryption", edit: without((r) => r.type === TYPES.s3Encryption) },
    { name: "versioning suspended", policy: "s3-bucket-versioned", fragment: "Suspended", edit: byName("offload-versioning", (p) => (p.versioningConfiguration.status = "Suspended")) },
    { name: "no TLS-only bucket policy", policy: "s3-bucket-tls-only", fragment: "without TLS", edit: without((r) => r.type === TYPES.s3Policy) },
    { name: "MSK plaintext listener", policy: "msk-tls-in-transit", fragment: "TLS_PLAINTEXT", edit: byName("kafka-msk", (p) => (p.encryptionInfo.encryptionInTransit.clientBroker = "TLS_PLAINTEXT")) },
    { name: "MSK unauthenticated clients", policy: "msk-authenticated-clients", fragment: "unauthenticated", edit: byName("kafka-msk", (p) => (p.clientAuthentication.unauthenticated = true)) },
    { name: "MSK AWS-managed key", policy: "msk-encrypted-at-rest", fragment: "encryptionAtRestKmsKeyArn", edit: byName("kafka-msk", (p) => delete p.encryptionInfo.encryptionAtRestKmsKeyArn) },
    {
        name: "ACL for everyone",
        policy: "kafka-acl-least-privilege",
        fragment: "User:*",
        edit: (rs) => {
            const acl = rs.find((r) => r.type === TYPES.kafkaAcl && (r.inputs as any).aclPrincipal === "User:job-api") as CapturedResource;
            return byName(acl.name, (p) => (p.aclPrincipal = "User:*"))(rs);
        },
    },
    {
        name: "a GCS bucket with per-object ACLs",
        policy: "gcs-bucket-locked-down",
        fragment: "uniformBucketLevelAccess",
        edit: (rs) => [
            ...rs,
            ...gcsBucket()
                .filter((r) => r.type === TYPES.gcsBucket)
                .map((r) => ({ ...r, protect: true, inputs: { ...r.inputs, uniformBucketLevelAccess: false }, outputs: { ...r.outputs, uniformBucketLevelAccess: false } })),
        ],
    },
    { name: "Pulsar without TLS in prod", policy: "pulsar-tls-and-token-auth", fragment: "tls.enabled", edit: byName("pulsar-release", (p) => delete p.values.tls) },
    { name: "literal SASL password", policy: "no-literal-secrets", fragment: "KAFKA_SASL_PASSWORD", edit: byName("orchestrator-ingress-gateway", (p) => container(p).env.push({ name: "KAFKA_SASL_PASSWORD", value: "hunter2" })) },
    { name: "exported token", policy: "no-secret-stack-outputs", fragment: "pulsarAdminToken", edit: byName("messaging-platform-prod", (p) => (p.pulsarAdminToken = "x")) },
    { name: "offload role on every bucket", policy: "offload-iam-scoped-to-bucket", fragment: 'on "*"', edit: byName("offload-broker-policy", (p) => (p.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] }))) },
    { name: "guest with permissions in prod", policy: "rabbitmq-no-guest-permissions", fragment: "guest", edit: byName("rabbit-admin-permissions", (p) => (p.user = "guest")) },
    { name: "topic with replication 2", policy: "kafka-topic-replicated", fragment: "replicationFactor 2", edit: byName("kafka-topic-audit-trail", (p) => (p.replicationFactor = 2)) },
    { name: "transient exchange", policy: "rabbitmq-durable", fragment: "not durable", edit: byName("rabbit-exchange-control", (p) => (p.settings.durable = false)) },
    { name: "classic queue", policy: "rabbitmq-quorum-queues", fragment: "classic", edit: byName("rabbit-queue-jobs.dispatch", (p) => (p.settings.arguments = {})) },
    { name: "dead-letter policy misses a queue", policy: "rabbitmq-dead-letter", fragment: "jobs.dispatch has no dead-letter path", edit: byName("rabbit-policy-control-dead-letter", (p) => (p.policy.pattern = p.policy.pattern.replace("jobs\\.dispatch|", ""))) },
    { name: "no limits", policy: "deployment-resources", fragment: "resources.limits", edit: byName("orchestrator-ingress-gateway", (p) => delete container(p).resources.limits) },
    { name: "no readiness probe", policy: "deployment-probes", fragment: "readinessProbe", edit: byName("orchestrator-ingress-gateway", (p) => delete container(p).readinessProbe) },
    { name: "may run as root", policy: "deployment-run-as-non-root", fragment: "root", edit: byName("orchestrator-ingress-gateway", (p) => delete p.spec.template.spec.securityContext) },
    { name: "latest image", policy: "deployment-pinned-images", fragment: "latest", edit: byName("orchestrator-ingress-gateway", (p) => (container(p).image = "ghcr.io/cosmic-ai/ingress-gateway:latest")) },
    { name: "one replica in prod", policy: "deployment-replicas", fragment: "1 replica", edit: byName("orchestrator-ingress-gateway", (p) => (p.spec.replicas = 1)) },
    { name: "KoP on the wrong Pulsar", policy: "kop-matches-pulsar", fragment: "3.3.2", edit: byName("pulsar-release", (p) => (p.values.defaultPulsarImageTag = "3.3.2-starlight-4.0.3.3")) },
    {
        name: "cross-tenant permission",
        policy: "pulsar-permission-own-tenant",
        fragment: "team-b.mcp-matcher",
        edit: (rs) => {
            const i = rs.findIndex((r) => r.type === TYPES.pulsarPermission && String((r.inputs as any).spec.resourceName).includes("team-a/"));
            return byName((rs[i] as CapturedResource).name, (p) => (p.spec.roles = ["team-b.mcp-matcher"]))(rs);
        },
    },
    { name: "wildcard tenant admin", policy: "pulsar-tenant-admin-roles", fragment: "wildcard", edit: byName("tenancy-pulsartenant-team-a", (p) => (p.spec.adminRoles = ["*"])) },
    { name: "audit topic dropped early", policy: "audit-trail-keeps-kafka-topic", fragment: "audit-trail is missing", edit: without((r) => r.name === "kafka-topic-audit-trail") },
    { name: "Pulsar missing at phase 1", policy: "kafka-pulsar-coexist", fragment: "phase 1 has no Pulsar", phase: 1, edit: without((r) => r.type === TYPES.helmRelease) },
    { name: "matcher twice", policy: "exactly-one-matcher", fragment: "2 mcp-matcher instances", phase: 1, edit: (rs) => [...rs, ...goodStack("prod", 2).filter((r) => r.type === TYPES.pulsarFunction && r.name.endsWith("-mcp-matcher"))] },
    { name: "namespace without offload thresholds", policy: "offload-thresholds-on-namespaces", fragment: "offloadThresholdSize", edit: byName("tenancy-pulsarnamespace-public-default", (p) => delete p.spec.offloadThresholdSize) },
    { name: "unprotected queue in prod", policy: "stateful-resources-protected", fragment: "rabbit-queue-jobs.dispatch", edit: (rs) => rs.map((r) => (r.name === "rabbit-queue-jobs.dispatch" ? { ...r, protect: false } : r)) },
];

describe("deliberately bad prod fixtures: each produces exactly its violation, mandatory", () => {
    it("has at least 15 of them, covering every policy", () => {
        expect(BAD.length).toBeGreaterThanOrEqual(15);
        expect(new Set(BAD.map((b) => b.policy))).toEqual(new Set(names));
    });
    it.each(BAD.map((b) => [b.name, b] as const))("%s", async (_label, bad) => {
        const phase = bad.phase ?? 3;
        const facts = { ...factsOf("prod", phase), ...bad.facts };
        const found = await packViolations(guardrails("advisory", () => facts), bad.edit(goodStack("prod", phase)), packConfig("prod"));
        expect(found.map((v) => `${v.policy}: ${v.message}`)).toHaveLength(1);
        expect(found[0]).toMatchObject({ policy: bad.policy, level: "mandatory" });
        expect(found[0]?.message).toContain(bad.fragment);
    });
    it("the same fixture is only advisory with the dev config", async () => {
        const bad = BAD.find((b) => b.policy === "deployment-pinned-images") as BadFixture;
        const found = await packViolations(guardrails("advisory", () => factsOf("prod", 3)), bad.edit(goodStack("prod", 3)), packConfig("dev"));
        expect(found.map((v) => [v.policy, v.level])).toEqual([["deployment-pinned-images", "advisory"]]);
    });
});
