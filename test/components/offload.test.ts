import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { brokerAccountId, irsaTrustPolicy, type OffloadBucket as OffloadBucketType } from "../../components/offload-bucket";
import type { OffloadPlan, Topology } from "../../topology";
import { planStack } from "../support/stacks";
import { json, plain, settle, startMocks, valueOf, type Capture } from "./capture";

const OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF";
const OIDC_URL = "https://oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF";
const KMS = "projects/cosmic-ai-dev/locations/europe-west4/keyRings/pulsar/cryptoKeys/offload";

interface Statement {
    Sid?: string;
    Effect: string;
    Principal?: unknown;
    Action: string | string[];
    Resource: string | string[];
    Condition?: Record<string, Record<string, string>>;
}

describe("OffloadBucket", () => {
    let capture: Capture;
    let Offload: typeof OffloadBucketType;
    let prod: Topology;
    let dev: Topology;
    let s3: OffloadBucketType;
    let gcs: OffloadBucketType;

    beforeAll(async () => {
        capture = await startMocks("prod");
        Offload = (await import("../../components/offload-bucket")).OffloadBucket;
        prod = planStack("prod", { phase: 3 });
        dev = planStack("dev", { phase: 3 });
        const opts = { transformations: [capture.transformation] };
        s3 = new Offload("s3", { topology: prod, kubernetesNamespace: "messaging", oidcProviderArn: OIDC_ARN, oidcProviderUrl: OIDC_URL }, opts);
        gcs = new Offload("gcs", { topology: dev, kubernetesNamespace: "messaging", gcpProject: "cosmic-ai-dev" }, opts);
        const cmek = new Offload("cmek", { topology: dev, kubernetesNamespace: "messaging", gcpProject: "cosmic-ai-dev", gcsKmsKeyName: KMS }, opts);
        await settle(s3.bucketName, s3.brokerIdentity, gcs.bucketName, gcs.brokerIdentity, cmek.bucketName);
    });

    const offloadOf = (t: Topology) => t.offload as OffloadPlan;

    describe("on S3 (prod, phase 3)", () => {
        const bucketArn = "arn:aws:s3:::cosmic-ai-prod-pulsar-offload";

        it("creates the planned bucket in the planned region, kept and protected", () => {
            expect(plain(capture.one("aws:s3/bucket:Bucket", "s3-bucket").inputs)).toMatchObject({
                bucket: "cosmic-ai-prod-pulsar-offload",
                region: "eu-west-1",
                forceDestroy: false,
            });
            expect(capture.options.get("s3-bucket")).toMatchObject({ retainOnDelete: true, protect: true });
            expect(capture.options.get("s3-key")).toMatchObject({ retainOnDelete: true, protect: true });
        });

        it("blocks every kind of public access", () => {
            expect(plain(capture.one("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs)).toMatchObject({
                bucket: "s3-bucket-id",
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
        });

        it("enforces bucket-owner object ownership (no ACLs)", () => {
            expect(plain(capture.one("aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs)).toMatchObject({
                bucket: "s3-bucket-id",
                rule: { objectOwnership: "BucketOwnerEnforced" },
            });
        });

        it("encrypts with SSE-KMS under its own rotating key", () => {
            const sse = plain(capture.one("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").inputs);
            expect(sse).toMatchObject({
                bucket: "s3-bucket-id",
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/s3-key" }, bucketKeyEnabled: true }],
            });
            expect(plain(capture.one("aws:kms/key:Key", "s3-key").inputs)).toMatchObject({ enableKeyRotation: true, region: "eu-west-1" });
        });

        it("versions objects and expires noncurrent versions after the planned days", () => {
            expect(plain(capture.one("aws:s3/bucketVersioning:BucketVersioning").inputs)).toMatchObject({ versioningConfiguration: { status: "Enabled" } });
            const lifecycle = plain(capture.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs) as { rules: Record<string, any>[] };
            expect(lifecycle.rules).toHaveLength(1);
            expect(lifecycle.rules[0]).toMatchObject({
                status: "Enabled",
                noncurrentVersionExpiration: { noncurrentDays: offloadOf(prod).noncurrentVersionDays },
            });
            expect(offloadOf(prod).noncurrentVersionDays).toBe(30);
        });

        it("denies every request that does not use TLS", () => {
            const policy = json<{ Statement: Statement[] }>(capture.one("aws:s3/bucketPolicy:BucketPolicy").inputs.policy);
            expect(policy.Statement).toEqual([
                {
                    Sid: "DenyInsecureTransport",
                    Effect: "Deny",
                    Principal: "*",
                    Action: "s3:*",
                    Resource: [bucketArn, `${bucketArn}/*`],
                    Condition: { Bool: { "aws:SecureTransport": "false" } },
                },
            ]);
        });

        it("lets only the brokers' ServiceAccount assume the role, through the cluster's OIDC provider", () => {
            const trust = json<{ Statement: Statement[] }>(capture.one("aws:iam/role:Role", "s3-broker-role").inputs.assumeRolePolicy);
            expect(trust.Statement).toEqual([
                {
                    Effect: "Allow",
                    Principal: { Federated: OIDC_ARN },
                    Action: "sts:AssumeRoleWithWebIdentity",
                    Condition: {
                        StringEquals: {
                            "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF:sub": "system:serviceaccount:messaging:pulsar-broker-acct",
                            "oidc.eks.eu-west-1.amazonaws.com/id/ABCDEF:aud": "sts.amazonaws.com",
                        },
                    },
                },
            ]);
        });

        it("names only this bucket (and its key, through S3) in the role's policy", () => {
            const policy = json<{ Statement: Statement[] }>(capture.one("aws:iam/rolePolicy:RolePolicy").inputs.policy);
            const resources = (s: Statement) => [s.Resource].flat();
            const s3Statements = policy.Statement.filter((s) => [s.Action].flat().every((a) => a.startsWith("s3:")));
            const kmsStatements = policy.Statement.filter((s) => [s.Action].flat().every((a) => a.startsWith("kms:")));
            expect(s3Statements.length + kmsStatements.length).toBe(policy.Statement.length);
            expect(new Set(s3Statements.flatMap(resources))).toEqual(new Set([bucketArn, `${bucketArn}/*`]));
            expect(kmsStatements.flatMap(resources)).toEqual(["arn:aws:kms:eu-west-1:123456789012:key/s3-key"]);
            expect(kmsStatements[0]?.Condition).toEqual({ StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
            expect(policy.Statement.every((s) => s.Effect === "Allow" && [s.Action].flat().every((a) => !a.includes("*")))).toBe(true);
        });

        it("outputs the bucket name and the role ARN as the broker identity", async () => {
            expect(await valueOf(s3.bucketName)).toBe("cosmic-ai-prod-pulsar-offload");
            expect(await valueOf(s3.brokerIdentity)).toBe("arn:aws:iam::123456789012:role/s3-broker-role");
        });
    });

    describe("on GCS (dev, phase 3)", () => {
        it("creates the planned bucket with uniform access, public access prevention and versioning, kept", () => {
            const bucket = plain(capture.one("gcp:storage/bucket:Bucket", "gcs-bucket").inputs) as Record<string, any>;
            expect(bucket).toMatchObject({
                name: "cosmic-ai-dev-pulsar-offload",
                project: "cosmic-ai-dev",
                location: "europe-west4",
                uniformBucketLevelAccess: true,
                publicAccessPrevention: "enforced",
                versioning: { enabled: true },
                forceDestroy: false,
            });
            expect(bucket.encryption).toBeUndefined();
            expect(capture.options.get("gcs-bucket")).toMatchObject({ retainOnDelete: true, protect: false });
        });

        it("deletes noncurrent versions after the planned days", () => {
            const bucket = plain(capture.one("gcp:storage/bucket:Bucket", "gcs-bucket").inputs) as { lifecycleRules: Record<string, any>[] };
            expect(bucket.lifecycleRules).toContainEqual({
                action: { type: "Delete" },
                condition: { daysSinceNoncurrentTime: offloadOf(dev).noncurrentVersionDays, withState: "ARCHIVED" },
            });
        });

        it("uses the given CMEK key when one is passed", () => {
            expect(plain(capture.one("gcp:storage/bucket:Bucket", "cmek-bucket").inputs)).toMatchObject({ encryption: { defaultKmsKeyName: KMS } });
        });

        it("gives the brokers a key of their own service account (the GCS offloader reads a JSON key file, not Workload Identity)", () => {
            const account = plain(capture.one("gcp:serviceaccount/account:Account", "gcs-broker-account").inputs) as Record<string, string>;
            expect(account).toMatchObject({ project: "cosmic-ai-dev", accountId: "pulsar-offload-prod" });
            expect(plain(capture.one("gcp:serviceaccount/key:Key", "gcs-broker-key").inputs)).toEqual({
                serviceAccountId: "projects/cosmic-ai-dev/serviceAccounts/pulsar-offload-prod@cosmic-ai-dev.iam.gserviceaccount.com",
            });
            // No Workload Identity binding: nothing would read it.
            expect(capture.ofType("gcp:serviceaccount/iAMMember:IAMMember")).toEqual([]);
            // A key dropped from the program is deleted, not left valid.
            expect(capture.options.get("gcs-broker-key")?.retainOnDelete).not.toBe(true);
        });

        it("grants objectAdmin on this bucket only", () => {
            expect(plain(capture.one("gcp:storage/bucketIAMMember:BucketIAMMember", "gcs-broker-object-admin").inputs)).toEqual({
                bucket: "cosmic-ai-dev-pulsar-offload",
                role: "roles/storage.objectAdmin",
                member: "serviceAccount:pulsar-offload-prod@cosmic-ai-dev.iam.gserviceaccount.com",
            });
            expect(capture.ofType("gcp:projects/iAMMember:IAMMember")).toEqual([]);
        });

        it("outputs the bucket name, the key's id as the broker identity, and the key file as a secret", async () => {
            expect(await valueOf(gcs.bucketName)).toBe("cosmic-ai-dev-pulsar-offload");
            expect(await valueOf(gcs.brokerIdentity)).toMatch(/\/keys\/gcs-broker-key-id$/);
            expect(await pulumi.isSecret(gcs.brokerKey as pulumi.Output<string>)).toBe(true);
            expect(JSON.parse(Buffer.from(String(await valueOf(gcs.brokerKey as pulumi.Output<string>)), "base64").toString("utf8"))).toMatchObject({ type: "service_account" });
        });
    });

    it("parents every child to its component", () => {
        const components = new Set(["s3", "gcs", "cmek"]);
        const children = [...capture.options].filter(([name]) => !components.has(name));
        expect(children.length).toBeGreaterThan(10);
        for (const [name, opts] of children) {
            expect(opts.parent, name).toBeDefined();
        }
    });

    it("refuses S3 offload without the EKS OIDC provider", () => {
        expect(() => new Offload("no-oidc", { topology: prod, kubernetesNamespace: "messaging" })).toThrow(/oidcProviderArn and oidcProviderUrl/);
    });

    it("refuses GCS offload without the GCP project", () => {
        expect(() => new Offload("no-project", { topology: dev, kubernetesNamespace: "messaging" })).toThrow(/gcpProject is not set/);
    });

    it("refuses a topology without offload", () => {
        expect(() => new Offload("no-offload", { topology: planStack("prod", { phase: 2 }), kubernetesNamespace: "messaging" })).toThrow(/topology.offload is null/);
    });
});

describe("OffloadBucket pure helpers", () => {
    it.each([
        ["prod", "pulsar-offload-prod"],
        ["a-very-long-stack-name-for-testing", "pulsar-offload-a-very-long-sta"],
        ["Dev_1", "pulsar-offload-dev-1"],
    ])("derives a valid service account id for stack %s", (stack, id) => {
        expect(brokerAccountId(stack)).toBe(id);
        expect(id).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
    });

    it("accepts the OIDC issuer with or without its scheme", () => {
        expect(irsaTrustPolicy("arn", "https://issuer/id/X", "ns", "sa")).toBe(irsaTrustPolicy("arn", "issuer/id/X", "ns", "sa"));
    });
});
