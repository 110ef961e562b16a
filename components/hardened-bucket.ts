/**
 * The hardening every bucket of the platform gets (the offload bucket, the archive): on S3 a KMS key with rotation, a
 * public access block, bucket-owner-enforced ownership, default SSE-KMS, versioning, lifecycle rules and a TLS-only
 * bucket policy; on GCS uniform bucket-level access, public access prevention and versioning. Data-holding resources
 * take the caller's data options (retainOnDelete, protect); the rest is retained too, so a bucket the program stops
 * declaring keeps its hardening.
 */
import * as aws from "@pulumi/aws";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";

/** What every hardened bucket shares. */
export const HARDENED_BUCKET_DEFAULTS = {
    /** Incomplete multipart uploads (an interrupted write) are aborted after this many days. */
    abortIncompleteUploadDays: 7,
    /** Waiting period before a scheduled KMS key deletion completes (the maximum). */
    kmsDeletionWindowDays: 30,
} as const;

/** A bucket policy that refuses every request not made over TLS. */
export function tlsOnlyBucketPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "DenyInsecureTransport",
                Effect: "Deny",
                Principal: "*",
                Action: "s3:*",
                Resource: [bucketArn, `${bucketArn}/*`],
                Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
        ],
    });
}

export interface HardenedS3Args {
    bucket: string;
    region: string;
    /** The KMS key's description. */
    keyDescription: string;
    kmsDeletionWindowDays: number;
    lifecycleRules: aws.types.input.s3.BucketLifecycleConfigurationRule[];
    /** Tags of the bucket. @default none */
    tags?: Record<string, string>;
}

/**
 * A hardened S3 bucket, its resources named `${name}-...` (the key and bucket with `dataOpts`, the bucket's settings as
 * its children): the names and parents are the offload bucket's, whose resources keep their URNs.
 */
export function hardenedS3Bucket(name: string, args: HardenedS3Args, dataOpts: pulumi.CustomResourceOptions): { bucket: aws.s3.Bucket; key: aws.kms.Key } {
    const region = args.region;
    // Without the key the objects cannot be read: it is kept like the bucket.
    const key = new aws.kms.Key(
        `${name}-key`,
        { region, description: args.keyDescription, enableKeyRotation: true, deletionWindowInDays: args.kmsDeletionWindowDays },
        dataOpts,
    );
    const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucket: args.bucket, region, forceDestroy: false, ...(args.tags ? { tags: args.tags } : {}) }, dataOpts);
    const onBucket = { parent: bucket };
    const publicAccess = new aws.s3.BucketPublicAccessBlock(
        `${name}-public-access-block`,
        { bucket: bucket.id, region, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        onBucket,
    );
    new aws.s3.BucketOwnershipControls(`${name}-ownership`, { bucket: bucket.id, region, rule: { objectOwnership: "BucketOwnerEnforced" } }, onBucket);
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-encryption`,
        { bucket: bucket.id, region, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }] },
        onBucket,
    );
    const versioning = new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, region, versioningConfiguration: { status: "Enabled" } }, onBucket);
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, region, rules: args.lifecycleRules },
        // Lifecycle rules on noncurrent versions only apply once versioning is on.
        { ...onBucket, dependsOn: [versioning] },
    );
    new aws.s3.BucketPolicy(
        `${name}-tls-only`,
        { bucket: bucket.id, region, policy: bucket.arn.apply(tlsOnlyBucketPolicy) },
        // A bucket policy put while the public access block is being applied can be refused.
        { ...onBucket, dependsOn: [publicAccess] },
    );
    return { bucket, key };
}

export interface HardenedGcsArgs {
    bucket: string;
    project: pulumi.Input<string>;
    location: string;
    storageClass: string;
    lifecycleRules: gcp.types.input.storage.BucketLifecycleRule[];
    kmsKeyName?: pulumi.Input<string>;
    /** Labels of the bucket. @default none */
    labels?: Record<string, string>;
}

/** A hardened GCS bucket named `${name}-bucket`. */
export function hardenedGcsBucket(name: string, args: HardenedGcsArgs, dataOpts: pulumi.CustomResourceOptions): gcp.storage.Bucket {
    return new gcp.storage.Bucket(
        `${name}-bucket`,
        {
            name: args.bucket,
            project: args.project,
            location: args.location,
            storageClass: args.storageClass,
            uniformBucketLevelAccess: true,
            publicAccessPrevention: "enforced",
            versioning: { enabled: true },
            lifecycleRules: args.lifecycleRules,
            ...(args.kmsKeyName !== undefined ? { encryption: { defaultKmsKeyName: args.kmsKeyName } } : {}),
            ...(args.labels ? { labels: args.labels } : {}),
            forceDestroy: false,
        },
        dataOpts,
    );
}
