/**
 * Archive: the audit and telemetry archive of topology/archive-plan.ts. A hardened bucket of its own (retained and, in
 * prod, protected like the offload bucket; its files move to a cold class and overwritten or deleted versions stay
 * recoverable), a writer identity that may create objects in that bucket and nothing else (it cannot delete: the
 * archive is append-only to its writer), and the connector in the plan's runtime:
 *
 * - `strimzi`: a Strimzi `KafkaConnect` (kafka.strimzi.io/v1beta2) that builds its image with the sink plugin from Maven
 *   Central (`spec.build`), logs in as the archiver (SCRAM/PLAIN from its credential Secret) and reaches the bucket
 *   through its ServiceAccount (`<cluster>-connect`: EKS IRSA or GKE Workload Identity), plus a `KafkaConnector`;
 * - `msk-connect`: an MSK Connect connector with a custom plugin, IAM auth and a service execution role;
 * - `confluent-managed`: a Confluent Cloud managed connector that logs in as the archiver's service account and writes
 *   with keys of a cloud identity scoped to the bucket.
 */
import * as aws from "@pulumi/aws";
import * as confluentcloud from "@pulumi/confluentcloud";
import * as gcp from "@pulumi/gcp";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ARCHIVE_ROLE_LABEL, CREDENTIAL_KEYS, credentialSecretName, type ArchivePlan, type KafkaPlan, type Topology } from "../topology";
import { HARDENED_BUCKET_DEFAULTS, hardenedGcsBucket, hardenedS3Bucket } from "./hardened-bucket";
import { gcpAccountId, irsaTrustPolicy } from "./offload-bucket";

export const STRIMZI_API = "kafka.strimzi.io/v1beta2";

/** Everything the archive needs besides the plan, in one place. */
export const ARCHIVE_DEFAULTS = {
    ...HARDENED_BUCKET_DEFAULTS,
    /** MSK Connect's Kafka Connect version (AWS: 2.7.1 or 3.7.x). */
    mskConnectVersion: "3.7.x",
    /** Connect workers (Strimzi) or MSK Connect workers: 2 in prod, so a node drain never stops the archive. */
    workers: (environment: string) => (environment === "prod" ? 2 : 1),
} as const;

/** What the writer may do on S3: put objects (multipart included) and find the bucket. No delete. Exported for testing. */
export function archiveWriterPolicy(bucketArn: string, kmsKeyArn: string, region: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Sid: "ArchiveBucket", Effect: "Allow", Action: ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], Resource: [bucketArn] },
            { Sid: "ArchiveWrite", Effect: "Allow", Action: ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"], Resource: [`${bucketArn}/*`] },
            {
                Sid: "ArchiveEncryption",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"],
                Resource: [kmsKeyArn],
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    });
}

/** MSK Connect's trust: the service assumes the execution role (docs.aws.amazon.com/msk "Service execution role"). */
export function mskConnectTrustPolicy(accountId: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Effect: "Allow",
                Principal: { Service: "kafkaconnect.amazonaws.com" },
                Action: "sts:AssumeRole",
                Condition: { StringEquals: { "aws:SourceAccount": accountId } },
            },
        ],
    });
}

/** Strimzi's `authentication` of a Kafka client security (its type names); undefined for none. Pure; exported for testing. */
export function strimziAuthentication(security: KafkaPlan["clientSecurity"], principal: string): Record<string, unknown> | undefined {
    const secretName = credentialSecretName(principal);
    switch (security.saslMechanism) {
        case undefined:
            return undefined;
        case "AWS_MSK_IAM":
            throw new Error("Archive: Kafka Connect on Kubernetes does not log in with MSK IAM; the plan runs MSK Connect there");
        default: {
            const type = { PLAIN: "plain", "SCRAM-SHA-256": "scram-sha-256", "SCRAM-SHA-512": "scram-sha-512" }[security.saslMechanism];
            // The user name is a literal in the CR (Strimzi reads only the password from a Secret); the plan's
            // username is the archiver's Kafka user, or the cluster's shared SASL user for an external cluster.
            return { type, passwordSecret: { secretName, password: CREDENTIAL_KEYS.kafkaPassword } };
        }
    }
}

export interface ArchiveArgs {
    topology: Topology;
    /** The Kafka cluster's bootstrap servers (KafkaPlatform.bootstrapServers). */
    kafkaBootstrap: pulumi.Input<string>;
    /** The archiver's Kafka user name (Strimzi's `authentication.username`); unused for MSK Connect and Confluent. */
    kafkaUsername?: pulumi.Input<string>;
    /** MSK: the cluster's ARN (its IAM resource names), subnets and security groups (MSK Connect runs in them). */
    msk?: { clusterArn: pulumi.Input<string>; subnetIds: string[]; securityGroupIds: string[] };
    /** Confluent Cloud: the environment, the cluster and the archiver's service account. */
    confluent?: { environmentId: pulumi.Input<string>; clusterId: pulumi.Input<string>; serviceAccountId: pulumi.Input<string> };
    /** The EKS OIDC provider (Strimzi on AWS: the workers' IRSA role). */
    oidcProviderArn?: pulumi.Input<string>;
    oidcProviderUrl?: pulumi.Input<string>;
    /** The GCP project of the bucket (gcs). */
    gcpProject?: pulumi.Input<string>;
    /** The Kubernetes provider (strimzi runtime). */
    kubernetesProvider?: k8s.Provider;
    /** What the Kubernetes resources wait on (the namespace, the credential Secrets). */
    kubernetesDependsOn?: pulumi.Resource[];
    /** The archiver's MSK Connect plugin ZIP (msk-connect). */
    mskConnectPlugin?: { bucketArn: string; fileKey: string };
    /** Strimzi's build output image and optional push Secret (strimzi). */
    connectImage?: string;
    connectImagePushSecret?: string;
}

export class Archive extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;

    constructor(name: string, args: ArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("messaging-platform:archive:Archive", name, {}, opts);
        const plan = args.topology.archive;
        if (!plan) {
            throw new Error("Archive: the topology has no archive (construct this component only when topology.archive is set)");
        }
        const dataOpts = { parent: this, retainOnDelete: true, protect: args.topology.protectData };
        const b = plan.bucket;
        if (b.store === "s3") {
            const { bucket, key } = hardenedS3Bucket(
                name,
                {
                    bucket: b.name,
                    region: b.region,
                    keyDescription: `Audit and telemetry archive ${b.name}`,
                    tags: { [ARCHIVE_ROLE_LABEL.key]: ARCHIVE_ROLE_LABEL.value },
                    kmsDeletionWindowDays: ARCHIVE_DEFAULTS.kmsDeletionWindowDays,
                    lifecycleRules: [
                        {
                            id: "archive-cold-and-versions",
                            status: "Enabled",
                            filter: { prefix: b.prefix },
                            transitions: [{ days: b.coldAfterDays, storageClass: "GLACIER_IR" }],
                            noncurrentVersionExpiration: { noncurrentDays: b.noncurrentVersionDays },
                            abortIncompleteMultipartUpload: { daysAfterInitiation: ARCHIVE_DEFAULTS.abortIncompleteUploadDays },
                        },
                    ],
                },
                dataOpts,
            );
            this.bucketName = bucket.bucket;
            this.s3Writer(name, plan, args, bucket, key);
        } else {
            if (args.gcpProject === undefined) {
                throw new Error("Archive: the archive bucket is on GCS (cloud: gcp) but gcpProject is not set (gcp:project)");
            }
            const bucket = hardenedGcsBucket(
                name,
                {
                    bucket: b.name,
                    project: args.gcpProject,
                    location: b.region,
                    storageClass: "STANDARD",
                    labels: { [ARCHIVE_ROLE_LABEL.key]: ARCHIVE_ROLE_LABEL.value },
                    lifecycleRules: [
                        { action: { type: "SetStorageClass", storageClass: "ARCHIVE" }, condition: { age: b.coldAfterDays, matchesPrefixes: [b.prefix] } },
                        { action: { type: "Delete" }, condition: { daysSinceNoncurrentTime: b.noncurrentVersionDays, withState: "ARCHIVED" } },
                        { action: { type: "AbortIncompleteMultipartUpload" }, condition: { age: ARCHIVE_DEFAULTS.abortIncompleteUploadDays } },
                    ],
                },
                dataOpts,
            );
            this.bucketName = bucket.name;
            this.gcsWriter(name, plan, args, bucket);
        }
        this.registerOutputs({ bucketName: this.bucketName });
    }

    private s3Writer(name: string, plan: ArchivePlan, args: ArchiveArgs, bucket: aws.s3.Bucket, key: aws.kms.Key): void {
        const region = plan.bucket.region;
        const policy = pulumi.all([bucket.arn, key.arn]).apply(([b, k]) => archiveWriterPolicy(b, k, region));
        const parent = { parent: this };
        switch (plan.runtime) {
            case "strimzi": {
                const { oidcProviderArn, oidcProviderUrl } = args;
                if (oidcProviderArn === undefined || oidcProviderUrl === undefined) {
                    throw new Error("Archive: Kafka Connect on EKS writes to S3 through IRSA: pass oidcProviderArn and oidcProviderUrl (kubernetes.oidcProvider*)");
                }
                const ns = args.topology.kubernetes.namespace;
                const sa = connectServiceAccount(plan);
                const role = new aws.iam.Role(
                    `${name}-connect-role`,
                    {
                        description: `Kafka Connect workers (IRSA ${ns}/${sa}): the archive's writer to ${plan.bucket.name}`,
                        assumeRolePolicy: pulumi.all([oidcProviderArn, oidcProviderUrl]).apply(([arn, url]) => irsaTrustPolicy(arn, url, ns, sa)),
                    },
                    parent,
                );
                new aws.iam.RolePolicy(`${name}-connect-policy`, { role: role.name, policy }, { parent: role });
                this.strimzi(name, plan, args, { "eks.amazonaws.com/role-arn": role.arn });
                return;
            }
            case "msk-connect":
                this.mskConnect(name, plan, args, policy);
                return;
            case "confluent-managed": {
                // Confluent's managed S3 sink takes an access key; the user may write this bucket and nothing else.
                const user = new aws.iam.User(`${name}-confluent-writer`, { path: "/messaging-platform/" }, parent);
                new aws.iam.UserPolicy(`${name}-confluent-writer-policy`, { user: user.name, policy }, { parent: user });
                const accessKey = new aws.iam.AccessKey(`${name}-confluent-writer-key`, { user: user.name }, { parent: user, additionalSecretOutputs: ["secret"] });
                this.confluentConnector(name, plan, args, { "aws.access.key.id": accessKey.id, "aws.secret.access.key": accessKey.secret });
                return;
            }
        }
    }

    private gcsWriter(name: string, plan: ArchivePlan, args: ArchiveArgs, bucket: gcp.storage.Bucket): void {
        const project = args.gcpProject as pulumi.Input<string>;
        const stack = pulumi.getStack();
        const parent = { parent: this };
        const account = new gcp.serviceaccount.Account(
            `${name}-writer`,
            { project, accountId: gcpAccountId("archive-writer", stack), displayName: `Archive writer (${stack})` },
            parent,
        );
        // objectCreator: create objects only; no read, overwrite or delete of what is archived.
        new gcp.storage.BucketIAMMember(`${name}-writer-creator`, { bucket: bucket.name, role: "roles/storage.objectCreator", member: account.member }, parent);
        switch (plan.runtime) {
            case "strimzi": {
                const ns = args.topology.kubernetes.namespace;
                const sa = connectServiceAccount(plan);
                // GKE Workload Identity: the workers' ServiceAccount acts as the writer; the sink uses the default
                // credentials (Aiven GCS sink `gcs.credentials.default`).
                new gcp.serviceaccount.IAMMember(
                    `${name}-writer-workload-identity`,
                    { serviceAccountId: account.name, role: "roles/iam.workloadIdentityUser", member: pulumi.interpolate`serviceAccount:${project}.svc.id.goog[${ns}/${sa}]` },
                    parent,
                );
                this.strimzi(name, plan, args, { "iam.gke.io/gcp-service-account": account.email }, { "gcs.credentials.default": "true" });
                return;
            }
            case "confluent-managed": {
                const key = new gcp.serviceaccount.Key(`${name}-writer-key`, { serviceAccountId: account.name }, { parent: this, additionalSecretOutputs: ["privateKey"] });
                this.confluentConnector(name, plan, args, { "gcs.credentials.config": key.privateKey.apply((k) => Buffer.from(k, "base64").toString("utf8")) });
                return;
            }
            case "msk-connect":
                throw new Error("Archive: MSK Connect writes to S3 only; an MSK cluster's archive is on cloud aws");
        }
    }

    private strimzi(name: string, plan: ArchivePlan, args: ArchiveArgs, accountAnnotations: Record<string, pulumi.Input<string>>, extraConfig: Record<string, string> = {}): void {
        const kafka = args.topology.kafka as KafkaPlan;
        const workers = plan.workers;
        if (!workers || !plan.plugin) {
            throw new Error("Archive: the strimzi runtime needs the plan's workers and plugin");
        }
        if (!args.connectImage) {
            throw new Error("Archive: Kafka Connect on Kubernetes builds its image with the sink plugin: pass connectImage (archive.connectImage)");
        }
        const ns = args.topology.kubernetes.namespace;
        const opts = { parent: this, ...(args.kubernetesProvider ? { provider: args.kubernetesProvider } : {}), dependsOn: args.kubernetesDependsOn ?? [] };
        const auth = strimziAuthentication(kafka.clientSecurity, plan.connector);
        const connect = new k8s.apiextensions.CustomResource(
            `${name}-connect`,
            {
                apiVersion: STRIMZI_API,
                kind: "KafkaConnect",
                metadata: { name: workers.groupId, namespace: ns, annotations: { "strimzi.io/use-connector-resources": "true" }, labels: { "app.kubernetes.io/part-of": "messaging-platform" } },
                spec: {
                    replicas: ARCHIVE_DEFAULTS.workers(args.topology.environment),
                    bootstrapServers: args.kafkaBootstrap,
                    ...(kafka.clientSecurity.protocol !== "PLAINTEXT" ? { tls: { trustedCertificates: [] } } : {}),
                    ...(auth ? { authentication: { ...auth, username: args.kafkaUsername } } : {}),
                    config: {
                        "group.id": workers.groupId,
                        "offset.storage.topic": workers.topics.offsets.name,
                        "config.storage.topic": workers.topics.configs.name,
                        "status.storage.topic": workers.topics.status.name,
                        // The topics are the program's (KafkaPlatform): replication as the cluster's default.
                        "offset.storage.replication.factor": -1,
                        "config.storage.replication.factor": -1,
                        "status.storage.replication.factor": -1,
                    },
                    build: {
                        output: { type: "docker", image: args.connectImage, ...(args.connectImagePushSecret ? { pushSecret: args.connectImagePushSecret } : {}) },
                        plugins: [{ name: plan.plugin.artifact, artifacts: [{ type: "maven", group: plan.plugin.group, artifact: plan.plugin.artifact, version: plan.plugin.version }] }],
                    },
                    template: { serviceAccount: { metadata: { annotations: accountAnnotations } } },
                },
            },
            opts,
        );
        new k8s.apiextensions.CustomResource(
            `${name}-connector`,
            {
                apiVersion: STRIMZI_API,
                kind: "KafkaConnector",
                metadata: { name: plan.connector, namespace: ns, labels: { "strimzi.io/cluster": workers.groupId, "app.kubernetes.io/part-of": "messaging-platform" } },
                spec: { class: plan.connectorClass, tasksMax: 1, autoRestart: { enabled: true }, config: { ...plan.config, ...extraConfig } },
            },
            { ...opts, dependsOn: [connect] },
        );
    }

    private mskConnect(name: string, plan: ArchivePlan, args: ArchiveArgs, s3Policy: pulumi.Output<string>): void {
        if (!args.msk || !args.mskConnectPlugin) {
            throw new Error("Archive: MSK Connect needs the MSK cluster (msk) and the plugin ZIP in S3 (archive.mskConnectPlugin)");
        }
        const { msk, mskConnectPlugin } = args;
        const region = plan.bucket.region;
        const parent = { parent: this };
        const account = aws.getCallerIdentityOutput({}, parent);
        const role = new aws.iam.Role(
            `${name}-msk-connect-role`,
            { description: `MSK Connect: the archive connector ${plan.connector}`, assumeRolePolicy: account.accountId.apply(mskConnectTrustPolicy) },
            parent,
        );
        new aws.iam.RolePolicy(`${name}-msk-connect-s3`, { role: role.name, policy: s3Policy }, { parent: role });
        new aws.iam.RolePolicy(
            `${name}-msk-connect-kafka`,
            { role: role.name, policy: pulumi.output(msk.clusterArn).apply((arn) => mskConnectKafkaPolicy(arn, plan)) },
            { parent: role },
        );
        const plugin = new aws.mskconnect.CustomPlugin(
            `${name}-plugin`,
            { name: `${plan.connector}-${plan.plugin?.artifact ?? "sink"}`, contentType: "ZIP", location: { s3: { bucketArn: mskConnectPlugin.bucketArn, fileKey: mskConnectPlugin.fileKey } }, region },
            parent,
        );
        new aws.mskconnect.Connector(
            `${name}-connector`,
            {
                name: plan.connector,
                region,
                kafkaconnectVersion: ARCHIVE_DEFAULTS.mskConnectVersion,
                capacity: { provisionedCapacity: { mcuCount: 1, workerCount: ARCHIVE_DEFAULTS.workers(args.topology.environment) } },
                connectorConfiguration: { "connector.class": plan.connectorClass, "tasks.max": "1", ...plan.config },
                kafkaCluster: { apacheKafkaCluster: { bootstrapServers: args.kafkaBootstrap, vpc: { subnets: msk.subnetIds, securityGroups: msk.securityGroupIds } } },
                kafkaClusterClientAuthentication: { authenticationType: "IAM" },
                kafkaClusterEncryptionInTransit: { encryptionType: "TLS" },
                plugins: [{ customPlugin: { arn: plugin.arn, revision: plugin.latestRevision } }],
                serviceExecutionRoleArn: role.arn,
            },
            parent,
        );
    }

    private confluentConnector(name: string, plan: ArchivePlan, args: ArchiveArgs, sensitive: Record<string, pulumi.Input<string>>): void {
        const c = args.confluent;
        if (!c) {
            throw new Error("Archive: the managed Confluent sink needs the environment, cluster and the archiver's service account (KafkaPlatform.confluent)");
        }
        new confluentcloud.Connector(
            `${name}-connector`,
            {
                environment: { id: c.environmentId },
                kafkaCluster: { id: c.clusterId },
                configNonsensitive: { ...plan.config, name: plan.connector, "kafka.auth.mode": "SERVICE_ACCOUNT", "kafka.service.account.id": c.serviceAccountId },
                configSensitive: sensitive,
            },
            { parent: this },
        );
    }
}

/** Strimzi names the workers' ServiceAccount `<KafkaConnect name>-connect`. */
export function connectServiceAccount(plan: ArchivePlan): string {
    return `${plan.workers?.groupId ?? plan.connector}-connect`;
}

/**
 * The MSK IAM rights of the MSK Connect connector: read the archived topics and commit as its group, write its
 * dead-letter topic, and the internal topics and group MSK Connect keeps for the connector
 * (`__amazon_msk_connect_*`; docs.aws.amazon.com/msk "IAM access control for MSK Connect"). Exported for testing.
 */
export function mskConnectKafkaPolicy(clusterArn: string, plan: ArchivePlan): string {
    const [prefix, clusterPath] = [clusterArn.split(":cluster/")[0], clusterArn.split(":cluster/")[1]];
    const topic = (t: string) => `${prefix}:topic/${clusterPath}/${t}`;
    const group = (g: string) => `${prefix}:group/${clusterPath}/${g}`;
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            { Effect: "Allow", Action: ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], Resource: [clusterArn] },
            { Effect: "Allow", Action: ["kafka-cluster:ReadData", "kafka-cluster:DescribeTopic"], Resource: plan.topics.map(topic) },
            { Effect: "Allow", Action: ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"], Resource: [group(plan.consumerGroup), group("__amazon_msk_connect_*")] },
            {
                Effect: "Allow",
                Action: ["kafka-cluster:WriteData", "kafka-cluster:DescribeTopic", "kafka-cluster:CreateTopic", "kafka-cluster:ReadData"],
                Resource: [...(plan.deadLetterTopic ? [topic(plan.deadLetterTopic.name)] : []), topic("__amazon_msk_connect_*")],
            },
        ],
    });
}
