/**
 * Good resources, as the components declare them, derived from the planned topology of the committed stacks so the
 * pack is checked against what the program will really register. Bad fixtures are one edit away (see the tests).
 */
import { kafkaAclArgs } from "../../components/kafka";
import { tlsOnlyBucketPolicy } from "../../components/offload-bucket";
import { pulsarHelmValues } from "../../components/pulsar-chart-values";
import type { CapturedResource } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import { planStack, type StackName } from "../support/stacks";
import type { DeploymentPlan, EnvVarPlan, Topology } from "../../topology";
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

function cr(kind: string, name: string, spec: Record<string, unknown>, protect: boolean, apiVersion = "resource.streamnative.io/v1alpha1"): CapturedResource {
    return res(`kubernetes:${apiVersion}:${kind}`, `tenancy-${kind.toLowerCase()}-${name}`, { apiVersion, kind, metadata: { name }, spec }, { protect, retainOnDelete: true });
}

const k8sName = (s: string) => s.replace(/^persistent:\/\//, "").replace(/[^a-z0-9]+/g, "-");

/** Every resource the program would register for a stack at a phase (the ones the pack looks at). */
export function goodStack(stack: StackName, phase: number): CapturedResource[] {
    const t = planStack(stack, { phase });
    const protect = t.protectData;
    const out: CapturedResource[] = [];
    if (t.offload) {
        out.push(...(t.offload.driver === "aws-s3" ? s3Bucket() : gcsBucket()));
    }
    if (t.kafka) {
        if (t.kafka.provider === "msk") {
            out.push(mskCluster());
        } else if (t.kafka.provider === "confluent") {
            out.push(res(TYPES.confluentCluster, "kafka-cluster", { displayName: "messaging", availability: "SINGLE_ZONE" }, { protect, retainOnDelete: true }));
        }
        for (const topic of t.kafka.topics) {
            out.push(
                res(
                    TYPES.kafkaTopic,
                    `kafka-topic-${topic.name}`,
                    { name: topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, config: topic.config },
                    { protect, retainOnDelete: true },
                ),
            );
        }
        for (const a of [...t.kafka.admin.acls, ...t.kafka.acls]) {
            out.push(
                res(TYPES.kafkaAcl, `kafka-acl-${a.principal}-${a.resourceType}-${a.resourceName}-${a.operation}`, { ...kafkaAclArgs(a, a.principal) }),
            );
        }
    }
    if (t.pulsar) {
        out.push(pulsarRelease(t));
        for (const tenant of t.pulsar.tenants) {
            out.push(cr("PulsarTenant", tenant.name, { name: tenant.name, adminRoles: tenant.adminRoles }, protect));
        }
        for (const ns of t.pulsar.namespaces) {
            const spec: Record<string, unknown> = { ...ns };
            delete spec.tenant;
            out.push(cr("PulsarNamespace", k8sName(ns.name), spec, protect));
        }
        for (const topic of t.pulsar.topics) {
            out.push(cr("PulsarTopic", k8sName(topic.name), { name: topic.name, persistent: true, partitions: topic.partitions }, protect));
        }
        for (const x of t.pulsar.permissions) {
            out.push(
                cr("PulsarPermission", k8sName(`${x.resourceName}/${x.role}`), { resourceType: x.resourceType, resourceName: x.resourceName, roles: [x.role], actions: x.actions }, false),
            );
        }
    }
    for (const f of t.functions) {
        out.push(cr("Function", f.name, { name: f.name, tenant: f.tenant, namespace: f.namespace, input: { topics: f.inputs }, output: { topic: f.output } }, false, "compute.functionmesh.io/v1alpha1"));
    }
    for (const d of t.deployments) {
        out.push(deployment(d, t.kubernetes.namespace));
    }
    const r = t.rabbitmq;
    out.push(res(TYPES.rabbitPermissions, "rabbit-admin-permissions", { user: r.admin.name, vhost: r.vhost, permissions: { configure: r.admin.configure, write: r.admin.write, read: r.admin.read } }));
    for (const e of r.exchanges) {
        out.push(res(TYPES.rabbitExchange, `rabbit-exchange-${e.name}`, { name: e.name, vhost: r.vhost, settings: { type: e.type, durable: e.durable, autoDelete: false } }));
    }
    for (const q of r.queues) {
        out.push(
            res(
                TYPES.rabbitQueue,
                `rabbit-queue-${q.name}`,
                { name: q.name, vhost: r.vhost, settings: { durable: q.durable, autoDelete: false, arguments: { "x-queue-type": q.type } } },
                { protect, retainOnDelete: true },
            ),
        );
    }
    for (const b of r.bindings) {
        out.push(res(TYPES.rabbitBinding, `rabbit-binding-${b.exchange}-${b.queue}`, { vhost: r.vhost, source: b.exchange, destination: b.queue, destinationType: "queue", routingKey: b.routingKey }));
    }
    for (const p of r.policies) {
        out.push(
            res(TYPES.rabbitPolicy, `rabbit-policy-${p.name}`, {
                name: p.name,
                vhost: r.vhost,
                policy: { pattern: p.pattern, priority: p.priority, applyTo: p.applyTo, definition: Object.fromEntries(Object.entries(p.definition).map(([k, v]) => [k, String(v)])) },
            }),
        );
    }
    out.push(res(TYPES.stack, `messaging-platform-${stack}`, { phase: t.phase, kafkaBootstrap: "b-1.msk.example:9096" }));
    return out;
}

/** Facts of a stack at a phase, as the policies would read them from its config. */
export function factsOf(stack: StackName, phase: number) {
    const t = planStack(stack, { phase });
    const audit = t.routes.find((r) => r.stream === "audit-trail");
    return { phase, auditParity: audit?.gate?.approved === true, kafkaDecommissionConfirmed: t.kafka === null };
}
