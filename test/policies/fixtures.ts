/**
 * Fixtures for the policy tests. goodStack is what the program (index.ts) really registers for a stack at a phase; the
 * smaller builders make single resources as the components declare them, for cases about one resource. Bad fixtures
 * are one edit away (cases.ts, runtime-cases.ts, bad-fixtures.ts).
 */
import { tlsOnlyBucketPolicy } from "../../components/offload-bucket";
import { pulsarHelmValues } from "../../components/pulsar-chart-values";
import type { CapturedResource } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import { planStack, type StackName } from "../support/stacks";
import type { DeploymentPlan, EnvVarPlan, Topology } from "../../topology";
import { inject } from "vitest";
import { res } from "./harness";

export const BUCKET = "cosmic-ai-prod-pulsar-offload";
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;

export function s3Bucket(): CapturedResource[] {
    const bucket = res(TYPES.s3Bucket, "offload-bucket", { bucket: BUCKET, forceDestroy: false }, { protect: true, retainOnDelete: true });
    const onBucket = (type: string, name: string, props: Record<string, unknown>) =>
        res(type, name, { bucket: BUCKET, ...props }, { parent: bucket.urn, propertyDependencies: { bucket: [bucket.urn] } });
    return [
        bucket,
        onBucket(TYPES.s3PublicAccessBlock, "offload-public-access-block", {
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }),
        onBucket(TYPES.s3Encryption, "offload-encryption", {
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: "arn:aws:kms:eu-west-1:123456789012:key/k" }, bucketKeyEnabled: true }],
        }),
        onBucket(TYPES.s3Versioning, "offload-versioning", { versioningConfiguration: { status: "Enabled" } }),
        onBucket(TYPES.s3Policy, "offload-tls-only", {
            policy: tlsOnlyBucketPolicy(BUCKET_ARN),
        }),
        res(TYPES.iamRolePolicy, "offload-broker-policy", {
            role: "offload-broker-role",
            policy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["s3:ListBucket", "s3:GetBucketLocation"], Resource: BUCKET_ARN },
                    { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${BUCKET_ARN}/*` },
                    { Effect: "Allow", Action: ["kms:Decrypt", "kms:GenerateDataKey"], Resource: "arn:aws:kms:eu-west-1:123456789012:key/k" },
                ],
            }),
        }),
    ];
}

export function gcsBucket(): CapturedResource[] {
    return [
        res(
            TYPES.gcsBucket,
            "offload-bucket",
            { name: "cosmic-ai-dev-pulsar-offload", location: "EUROPE-WEST4", uniformBucketLevelAccess: true, publicAccessPrevention: "enforced", versioning: { enabled: true } },
            { protect: false, retainOnDelete: true },
        ),
        res(TYPES.gcsBucketIamMember, "offload-bucket-member", {
            bucket: "cosmic-ai-dev-pulsar-offload",
            role: "roles/storage.objectUser",
            member: "serviceAccount:pulsar-offload@project.iam.gserviceaccount.com",
        }),
    ];
}

export function mskCluster(): CapturedResource {
    return res(
        TYPES.mskCluster,
        "kafka-msk",
        {
            clusterName: "messaging-prod",
            kafkaVersion: "3.8.x",
            numberOfBrokerNodes: 3,
            clientAuthentication: { sasl: { scram: true, iam: false }, unauthenticated: false },
            encryptionInfo: { encryptionAtRestKmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/msk", encryptionInTransit: { clientBroker: "TLS", inCluster: true } },
        },
        { protect: true, retainOnDelete: true },
    );
}

export const NAR_URL = "https://artifacts.example/kop/pulsar-protocol-handler-kafka-4.0.3.3.nar";

/** The Pulsar chart release as PulsarCluster declares it: the values are the component's own (pulsarHelmValues). */
export function pulsarRelease(t: Topology): CapturedResource {
    const p = t.pulsar;
    if (!p) {
        throw new Error("no Pulsar in this phase");
    }
    const values = pulsarHelmValues(p, t.offload, t.offload ? "offload-identity" : undefined);
    return res(TYPES.helmRelease, "pulsar-release", { name: "pulsar", chart: "pulsar", version: p.chartVersion, namespace: t.kubernetes.namespace, values }, { protect: t.protectData, retainOnDelete: true });
}

function envVar(e: EnvVarPlan): Record<string, unknown> {
    if ("value" in e) {
        return { name: e.name, value: e.value };
    }
    if ("secretRef" in e) {
        return { name: e.name, valueFrom: { secretKeyRef: e.secretRef } };
    }
    return { name: e.name, value: "b-1.msk.example:9096,b-2.msk.example:9096" };
}

export function deployment(d: DeploymentPlan, namespace: string): CapturedResource {
    return res(TYPES.deployment, `orchestrator-${d.service}`, {
        metadata: { name: d.service, namespace },
        spec: {
            replicas: d.replicas,
            selector: { matchLabels: { app: d.service } },
            template: {
                metadata: { labels: { app: d.service } },
                spec: {
                    securityContext: { runAsNonRoot: true, runAsUser: 10001 },
                    containers: [
                        {
                            name: d.service,
                            image: d.image,
                            env: d.env.map(envVar),
                            ports: [{ containerPort: d.port }],
                            resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
                            readinessProbe: { httpGet: { path: "/ready", port: d.port } },
                            livenessProbe: { httpGet: { path: "/health", port: d.port } },
                        },
                    ],
                },
            },
        },
    });
}

/**
 * Every resource the program registers for a stack at a phase: the real program (index.ts) under mocks, captured once
 * per test run (test/support/program-resources.ts). A fresh copy each call, so cases can edit it.
 */
export function goodStack(stack: StackName, phase: number): CapturedResource[] {
    const run = inject("programRuns")[`${stack}/${phase}`];
    if (!run) {
        throw new Error(`no capture of ${stack} at phase ${phase} (test/support/program-resources.ts CAPTURES)`);
    }
    return structuredClone(run.resources);
}

/** Facts of a stack at a phase, as the policies would read them from its config. */
export function factsOf(stack: StackName, phase: number) {
    const t = planStack(stack, { phase });
    const audit = t.routes.find((r) => r.stream === "audit-trail");
    return { phase, auditParity: audit?.gate?.approved === true, kafkaDecommissionConfirmed: t.kafka === null };
}
