/**
 * OffloadBucket: the bucket Pulsar's tiered storage offloads ledgers to (GCS or S3, from the plan's driver), hardened
 * (no public access, encryption, versioning, noncurrent versions expire) and reachable only by the brokers' identity
 * (EKS IRSA for S3; a service-account key for GCS, whose offloader reads a key file), with permissions on this
 * bucket alone.
 */
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import type { OffloadPlan, Topology } from "../topology";
import { HARDENED_BUCKET_DEFAULTS, hardenedGcsBucket, hardenedS3Bucket, tlsOnlyBucketPolicy } from "./hardened-bucket";

export interface OffloadBucketArgs {
    /** The planned topology; `topology.offload` must be non-null (construct this component only when it is). */
    topology: Topology;
    /** Namespace of the brokers' Kubernetes ServiceAccount (`topology.offload.brokerServiceAccount`). */
    kubernetesNamespace: string;
    /**
     * ARN of the EKS cluster's IAM OIDC provider, trusted by the IRSA role. Required for the aws-s3 driver;
     * ignored for GCS.
     * @default undefined
     */
    oidcProviderArn?: pulumi.Input<string>;
    /**
     * Issuer URL of the EKS cluster's OIDC provider (with or without `https://`). Required for the aws-s3 driver;
     * ignored for GCS.
     * @default undefined
     */
    oidcProviderUrl?: pulumi.Input<string>;
    /**
     * GCP project that holds the bucket and whose Workload Identity pool (`<project>.svc.id.goog`) the GKE cluster
     * uses. Required for the google-cloud-storage driver; ignored for S3.
     * @default undefined
     */
    gcpProject?: pulumi.Input<string>;
    /**
     * Cloud KMS key (`projects/.../cryptoKeys/...`) for CMEK on the GCS bucket. The Cloud Storage service agent
     * must hold roles/cloudkms.cryptoKeyEncrypterDecrypter on it. Ignored for S3 (which always gets its own KMS key).
     * @default undefined (Google-managed encryption)
     */
    gcsKmsKeyName?: pulumi.Input<string>;
}

/** Component-level defaults, in one place. */
export const OFFLOAD_DEFAULTS = {
    ...HARDENED_BUCKET_DEFAULTS,
    /** Storage class of the GCS bucket. */
    gcsStorageClass: "STANDARD",
} as const;

/** IAM actions the offloader needs on the bucket itself, and on its objects. */
const S3_BUCKET_ACTIONS = ["s3:ListBucket", "s3:GetBucketLocation"];
const S3_OBJECT_ACTIONS = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"];
const KMS_ACTIONS = ["kms:Decrypt", "kms:GenerateDataKey", "kms:Encrypt"];

export { tlsOnlyBucketPolicy };

/**
 * The brokers' permissions: this bucket and its objects, and the bucket's KMS key used through S3 only.
 * Exported for testing.
 */
export function brokerBucketPolicy(bucketArn: string, kmsKeyArn: string, region: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "OffloadBucket", Effect: "Allow", Action: S3_BUCKET_ACTIONS, Resource: [bucketArn] },
            { Sid: "OffloadObjects", Effect: "Allow", Action: S3_OBJECT_ACTIONS, Resource: [`${bucketArn}/*`] },
            {
                Sid: "OffloadEncryption",
                Effect: "Allow",
                Action: KMS_ACTIONS,
                Resource: [kmsKeyArn],
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    });
}

/** IRSA trust: only the brokers' ServiceAccount, through the cluster's OIDC provider. Exported for testing. */
export function irsaTrustPolicy(oidcProviderArn: string, oidcProviderUrl: string, namespace: string, serviceAccount: string): string {
    const issuer = oidcProviderUrl.replace(/^https:\/\//, "");
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Federated: oidcProviderArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: {
                    StringEquals: {
                        [`${issuer}:sub`]: `system:serviceaccount:${namespace}:${serviceAccount}`,
                        [`${issuer}:aud`]: "sts.amazonaws.com",
                    },
                },
            },
        ],
    });
}

/** A GCP service account id (6-30 characters, a letter first) for `<purpose>-<stack>`. Exported for testing. */
export function gcpAccountId(purpose: string, stack: string): string {
    const id = `${purpose}-${stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 30).replace(/-+$/, "");
    return id.length >= 6 ? id : `${id}-acct`.slice(0, 30);
}

/** The brokers' service account id of a stack. Exported for testing. */
export function brokerAccountId(stack: string): string {
    return gcpAccountId("pulsar-offload", stack);
}

export class OffloadBucket extends pulumi.ComponentResource {
    /** The bucket's name. */
    public readonly bucketName: pulumi.Output<string>;
    /** Who the brokers are in the cloud: the IRSA role ARN (S3), or the id of the service-account key (GCS). */
    public readonly brokerIdentity: pulumi.Output<string>;
    /** The GCS offloader's service-account key (JSON, base64; secret). Undefined for S3 (IRSA needs no key). */
    public readonly brokerKey: pulumi.Output<string> | undefined;

    constructor(name: string, args: OffloadBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:storage:OffloadBucket", name, {}, opts);
        const offload = args.topology.offload;
        if (!offload) {
            throw new Error("OffloadBucket: topology.offload is null (no tiered storage in this topology); construct OffloadBucket only when it is set");
        }
        // Offloaded ledgers are data: the bucket outlives the program, and prod protects it.
        const dataOpts = { parent: this, retainOnDelete: true, protect: args.topology.protectData };
        const out =
            offload.driver === "aws-s3" ? this.s3(name, offload, args, dataOpts) : this.gcs(name, offload, args, dataOpts);
        this.bucketName = out.bucketName;
        this.brokerIdentity = out.brokerIdentity;
        this.brokerKey = "brokerKey" in out ? (out.brokerKey as pulumi.Output<string>) : undefined;
        this.registerOutputs({ bucketName: this.bucketName, brokerIdentity: this.brokerIdentity });
    }

    private gcs(name: string, offload: OffloadPlan, args: OffloadBucketArgs, dataOpts: pulumi.CustomResourceOptions) {
        const project = args.gcpProject;
        if (project === undefined) {
            throw new Error(
                "OffloadBucket: the offload driver is google-cloud-storage (cloud: gcp) but gcpProject is not set: pass the GCP project " +
                    "of the bucket and of the brokers' service account",
            );
        }
        // Everything else is retained too: a rollback that drops the bucket from the program must not strip the
        // kept bucket of its hardening (public access block, TLS-only policy, encryption) or the brokers of their
        // identity (offloaded ledgers stay readable).
        const parent = { parent: this, retainOnDelete: true };
        const bucket = hardenedGcsBucket(
            name,
            {
                bucket: offload.bucket,
                project,
                location: offload.region,
                storageClass: OFFLOAD_DEFAULTS.gcsStorageClass,
                lifecycleRules: [
                    { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: offload.noncurrentVersionDays, withState: "ARCHIVED" } },
                    { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: OFFLOAD_DEFAULTS.abortIncompleteUploadDays } },
                ],
                ...(args.gcsKmsKeyName !== undefined ? { kmsKeyName: args.gcsKmsKeyName } : {}),
            },
            dataOpts,
        );
        const stack = pulumi.getStack();
        const account = new gcp.serviceaccount.Account(
            `${name}-broker-account`,
            { project, accountId: brokerAccountId(stack), displayName: `Pulsar brokers: tiered storage offload (${stack})` },
            parent,
        );
        // The offloader authenticates with a JSON key file only (topology/offload-plan.ts): a key of this account,
        // which may use this bucket and nothing else. Rotate it with `pulumi up --replace <the key's URN>`: the brokers
        // roll, since the key's id is their pod annotation.
        // Not retained like the rest: a key the program no longer declares must stop working, not stay valid unseen.
        const key = new gcp.serviceaccount.Key(`${name}-broker-key`, { serviceAccountId: account.name }, { parent: this, additionalSecretOutputs: ["privateKey"] });
        new gcp.storage.BucketIAMMember(
            `${name}-broker-object-admin`,
            { bucket: bucket.name, role: "roles/storage.objectAdmin", member: account.member },
            parent,
        );
        return { bucketName: bucket.name, brokerIdentity: key.name, brokerKey: pulumi.secret(key.privateKey) };
    }

    private s3(name: string, offload: OffloadPlan, args: OffloadBucketArgs, dataOpts: pulumi.CustomResourceOptions) {
        const { oidcProviderArn, oidcProviderUrl } = args;
        if (oidcProviderArn === undefined || oidcProviderUrl === undefined) {
            throw new Error(
                "OffloadBucket: the offload driver is aws-s3 (cloud: aws) but oidcProviderArn and oidcProviderUrl are not both set: pass " +
                    "the EKS cluster's IAM OIDC provider so the brokers' ServiceAccount can assume the bucket role (IRSA)",
            );
        }
        const region = offload.region;
        // Everything else is retained too: a rollback that drops the bucket from the program must not strip the
        // kept bucket of its hardening (public access block, TLS-only policy, encryption) or the brokers of their
        // identity (offloaded ledgers stay readable).
        const parent = { parent: this, retainOnDelete: true };
        const { bucket, key } = hardenedS3Bucket(
            name,
            {
                bucket: offload.bucket,
                region,
                keyDescription: `Pulsar tiered-storage bucket ${offload.bucket}`,
                kmsDeletionWindowDays: OFFLOAD_DEFAULTS.kmsDeletionWindowDays,
                lifecycleRules: [
                    {
                        id: "expire-noncurrent-versions",
                        status: "Enabled",
                        filter: {},
                        noncurrentVersionExpiration: { noncurrentDays: offload.noncurrentVersionDays },
                        abortIncompleteMultipartUpload: { daysAfterInitiation: OFFLOAD_DEFAULTS.abortIncompleteUploadDays },
                    },
                ],
            },
            dataOpts,
        );

        const role = new aws.iam.Role(
            `${name}-broker-role`,
            {
                description: `Pulsar brokers (IRSA ${args.kubernetesNamespace}/${offload.brokerServiceAccount}): tiered storage offload to ${offload.bucket}`,
                assumeRolePolicy: pulumi
                    .all([oidcProviderArn, oidcProviderUrl])
                    .apply(([arn, url]) => irsaTrustPolicy(arn, url, args.kubernetesNamespace, offload.brokerServiceAccount)),
            },
            parent,
        );
        new aws.iam.RolePolicy(
            `${name}-broker-policy`,
            { role: role.name, policy: pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => brokerBucketPolicy(b, k, region)) },
            { parent: role },
        );
        return { bucketName: bucket.bucket, brokerIdentity: role.arn };
    }
}
