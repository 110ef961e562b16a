/**
 * What every rule module shares: the resource type tokens the pack looks at, how a policy learns the stack's
 * environment, and small readers for Kubernetes pod specs and secret-looking names. Pure: no Pulumi runtime.
 */
import type { PolicyConfigSchema, PolicyResource, ReportViolation } from "@pulumi/policy";
import { ENVIRONMENTS, type Environment } from "../../topology/config";

/**
 * Resource type tokens, as the engine reports them (`__pulumiType` of the SDK classes; test/policies/types.test.ts
 * checks each against the installed SDKs). Custom resources are `kubernetes:<apiVersion>:<kind>`
 * (@pulumi/kubernetes `apiextensions/customResource.js`).
 */
export const TYPES = {
    s3Bucket: "aws:s3/bucket:Bucket",
    s3PublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    s3Encryption: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    s3Versioning: "aws:s3/bucketVersioning:BucketVersioning",
    s3Policy: "aws:s3/bucketPolicy:BucketPolicy",
    iamRolePolicy: "aws:iam/rolePolicy:RolePolicy",
    iamPolicy: "aws:iam/policy:Policy",
    iamUserPolicy: "aws:iam/userPolicy:UserPolicy",
    mskConnectConnector: "aws:mskconnect/connector:Connector",
    confluentConnector: "confluentcloud:index/connector:Connector",
    kafkaConnector: "kubernetes:kafka.strimzi.io/v1beta2:KafkaConnector",
    kmsKey: "aws:kms/key:Key",
    mskCluster: "aws:msk/cluster:Cluster",
    gcsBucket: "gcp:storage/bucket:Bucket",
    gcsBucketIamMember: "gcp:storage/bucketIAMMember:BucketIAMMember",
    kafkaTopic: "kafka:index/topic:Topic",
    kafkaAcl: "kafka:index/acl:Acl",
    confluentEnvironment: "confluentcloud:index/environment:Environment",
    confluentCluster: "confluentcloud:index/kafkaCluster:KafkaCluster",
    confluentTopic: "confluentcloud:index/kafkaTopic:KafkaTopic",
    confluentAcl: "confluentcloud:index/kafkaAcl:KafkaAcl",
    rabbitVhost: "rabbitmq:index/vHost:VHost",
    rabbitExchange: "rabbitmq:index/exchange:Exchange",
    rabbitQueue: "rabbitmq:index/queue:Queue",
    rabbitBinding: "rabbitmq:index/binding:Binding",
    rabbitPolicy: "rabbitmq:index/policy:Policy",
    rabbitPermissions: "rabbitmq:index/permissions:Permissions",
    k8sNamespace: "kubernetes:core/v1:Namespace",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    configMap: "kubernetes:core/v1:ConfigMap",
    helmRelease: "kubernetes:helm.sh/v3:Release",
    pulsarTenant: "kubernetes:resource.streamnative.io/v1alpha1:PulsarTenant",
    pulsarNamespace: "kubernetes:resource.streamnative.io/v1alpha1:PulsarNamespace",
    pulsarTopic: "kubernetes:resource.streamnative.io/v1alpha1:PulsarTopic",
    pulsarPermission: "kubernetes:resource.streamnative.io/v1alpha1:PulsarPermission",
    pulsarConnection: "kubernetes:resource.streamnative.io/v1alpha1:PulsarConnection",
    pulsarGeoReplication: "kubernetes:resource.streamnative.io/v1alpha1:PulsarGeoReplication",
    pulsarFunction: "kubernetes:compute.functionmesh.io/v1alpha1:Function",
    pulsarSink: "kubernetes:compute.functionmesh.io/v1alpha1:Sink",
    stack: "pulumi:pulumi:Stack",
} as const;

// ---------------------------------------------------------------------------------------------
// Environment.

/**
 * Policies that differ by environment read it from their policy config (`--policy-pack-config`): the committed
 * `policies/config/<env>.json` sets `environment` next to the enforcement level, so one file decides both.
 * Without config the strictest reading (prod) applies.
 */
export const ENVIRONMENT_CONFIG: PolicyConfigSchema = {
    properties: {
        environment: {
            type: "string",
            enum: [...ENVIRONMENTS],
            default: "prod",
            description: "The stack's environment (messaging-platform:environment); prod-only rules apply when prod",
        },
    },
};

export interface EnvironmentConfig {
    environment?: Environment;
}

export function environmentOf(args: { getConfig<T extends object>(): T }): Environment {
    return args.getConfig<EnvironmentConfig>().environment ?? "prod";
}

// ---------------------------------------------------------------------------------------------
// Readers.

/** A plain object, or undefined for anything else (arrays, strings, null). */
export function record(v: unknown): Record<string, unknown> | undefined {
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

export function list(v: unknown): unknown[] {
    return Array.isArray(v) ? v : [];
}

/** A Kubernetes object's `metadata.name`, or the Pulumi resource name when the object is auto-named. */
export function objectName(props: Record<string, unknown>, resourceName: string): string {
    const name = record(props.metadata)?.name;
    return typeof name === "string" ? name : resourceName;
}

/** The user fields of a pod's or a container's securityContext. */
export interface UserContext {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    runAsGroup?: number;
}

export interface Container {
    name?: string;
    image?: string;
    command?: string[];
    args?: string[];
    env?: { name: string; value?: string; valueFrom?: unknown }[];
    envFrom?: { configMapRef?: { name?: string }; secretRef?: { name?: string } }[];
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    readinessProbe?: unknown;
    livenessProbe?: unknown;
    securityContext?: UserContext;
    volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
    containers?: Container[];
    initContainers?: Container[];
    securityContext?: UserContext;
    volumes?: { name: string; secret?: { secretName?: string }; configMap?: { name?: string } }[];
}

/** The pod template's spec of a Deployment or StatefulSet (inputs or outputs: the shape is the same). */
export function podSpecOf(props: Record<string, unknown>): PodSpec {
    const template = record(record(props.spec)?.template);
    return (record(template?.spec) ?? {}) as PodSpec;
}

/**
 * Names that hold a credential: the last word is PASSWORD, TOKEN, SECRET or API_KEY (`KAFKA_SASL_PASSWORD`,
 * `pulsarAuthToken`, `apiKey`), but not references to one (`secretName`, `tokenSecretKey`, `existingSecret...Ref`).
 */
export const SECRET_NAME = /(?:^|_)(PASSWORD|PASSWD|TOKEN|SECRET|API_KEY|APIKEY)$/;

export function isSecretName(name: string): boolean {
    const snake = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[-.]/g, "_").toUpperCase();
    return SECRET_NAME.test(snake);
}

/** A JSON Web Token (Pulsar token auth): caught whatever the key is called. */
export const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;

// ---------------------------------------------------------------------------------------------
// Stack helpers.

/** Resources of one type token. */
export function ofType(resources: PolicyResource[], type: string): PolicyResource[] {
    return resources.filter((r) => r.type === type);
}

/**
 * The resources a companion (e.g. a BucketPolicy) points at through one of its properties: by the engine's
 * property dependencies when it has them, else by value (the property equals the target's `id` or name field).
 */
export function pointsAt(companion: PolicyResource, property: string, target: PolicyResource, nameField: string): boolean {
    const deps = companion.propertyDependencies[property];
    if (deps !== undefined && deps.length > 0) {
        return deps.some((d) => d.urn === target.urn);
    }
    const value = companion.props[property];
    return value !== undefined && (value === target.props.id || value === target.props[nameField]);
}

export type { ReportViolation };
