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
import type { PackConfig } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import { STACKS, type StackName } from "../support/stacks";
import { SPECS } from "./cases";
import { BAD, type BadFixture } from "./bad-fixtures";
import { factsOf, goodStack } from "./fixtures";
import { packViolations } from "./harness";

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


describe("deliberately bad prod fixtures: each produces exactly its violation, mandatory", () => {
    it("has at least 15 of them, covering every policy", () => {
        expect(BAD.length).toBeGreaterThanOrEqual(15);
        expect(new Set(BAD.map((b) => b.policy))).toEqual(new Set(names));
    });
    it.each(BAD.map((b) => [b.name, b] as const))("%s", async (_label, bad) => {
        const phase = bad.phase ?? 3;
        const facts = { ...factsOf("prod", phase), ...bad.facts };
        const found = await packViolations(guardrails("advisory", () => facts), bad.edit(goodStack("prod", phase)), packConfig("prod"));
        expect(found.map((v) => v.policy).sort(), found.map((v) => `${v.policy}: ${v.message}`).join("\n")).toEqual([bad.policy, ...(bad.alsoFires ?? [])].sort());
        const own = found.find((v) => v.policy === bad.policy);
        expect(own).toMatchObject({ level: "mandatory" });
        expect(own?.message).toContain(bad.fragment);
    });
    it("the same fixture is only advisory with the dev config", async () => {
        const bad = BAD.find((b) => b.policy === "kubernetes-context-pinned") as BadFixture;
        const found = await packViolations(guardrails("advisory", () => factsOf("prod", 3)), bad.edit(goodStack("prod", 3)), packConfig("dev"));
        expect(found.map((v) => [v.policy, v.level])).toEqual([["kubernetes-context-pinned", "advisory"]]);
    });
});
