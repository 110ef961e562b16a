/**
 * Security guard rails: buckets locked down, Kafka encrypted and authenticated with least-privilege ACLs, Pulsar
 * with TLS and token auth in prod, no credential in plain sight, offload IAM scoped to its bucket, no RabbitMQ guest.
 */
import type {
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import type * as aws from "@pulumi/aws";
import type * as gcp from "@pulumi/gcp";
import type * as kafka from "@pulumi/kafka";
import type * as rabbitmq from "@pulumi/rabbitmq";
import type { Unwrap } from "@pulumi/pulumi";
import { KAFKA_ADMIN_USER, kafkaPrincipal } from "../../topology/naming";
import {
    ENVIRONMENT_CONFIG,
    JWT,
    TYPES,
    environmentOf,
    isSecretName,
    list,
    objectName,
    ofType,
    podSpecOf,
    pointsAt,
    record,
} from "./common";

// ---------------------------------------------------------------------------------------------
// S3: each bucket with its companions (aws v7 splits bucket settings into separate resources).

interface S3Check {
    name: string;
    description: string;
    companion: string;
    /** Why a bucket fails, given its companions of that type (undefined: passes). */
    problem: (bucket: PolicyResource, companions: PolicyResource[]) => string | undefined;
}

function s3BucketPolicy(level: EnforcementLevel, check: S3Check): StackValidationPolicy {
    return {
        name: check.name,
        description: check.description,
        enforcementLevel: level,
        validateStack: (args, report) => {
            for (const bucket of ofType(args.resources, TYPES.s3Bucket)) {
                const companions = ofType(args.resources, check.companion).filter((c) => pointsAt(c, "bucket", bucket, "bucket"));
                const problem = check.problem(bucket, companions);
                if (problem) {
                    report(`S3 bucket "${bucketLabel(bucket)}": ${problem}`, bucket.urn);
                }
            }
        },
    };
}

function bucketLabel(b: PolicyResource): string {
    const name = b.props.bucket;
    return typeof name === "string" ? name : b.name;
}

export function s3BucketEncrypted(level: EnforcementLevel): StackValidationPolicy {
    return s3BucketPolicy(level, {
        name: "s3-bucket-encrypted",
        description: "S3 buckets encrypt objects at rest with a KMS key.",
        companion: TYPES.s3Encryption,
        problem: (bucket, companions) => {
            const rules = companions.flatMap((c) => list((c.props as Unwrap<aws.s3.BucketServerSideEncryptionConfigurationArgs>).rules));
            const inline = record(record((bucket.props as Unwrap<aws.s3.BucketArgs>).serverSideEncryptionConfiguration)?.rule);
            const algorithms = [...rules, ...(inline ? [inline] : [])].map(
                (r) => record(record(r)?.applyServerSideEncryptionByDefault)?.sseAlgorithm,
            );
            if (algorithms.some((a) => a === "aws:kms" || a === "aws:kms:dsse")) {
                return undefined;
            }
            return algorithms.length === 0
                ? "has no server-side encryption configuration: add an aws.s3.BucketServerSideEncryptionConfiguration with sseAlgorithm \"aws:kms\" and the bucket's KMS key"
                : `encrypts with ${algorithms.map(String).join(", ")}: set applyServerSideEncryptionByDefault.sseAlgorithm to "aws:kms" with a customer-managed kmsMasterKeyId`;
        },
    });
}

const PUBLIC_ACCESS_FLAGS = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"] as const;

export function s3BucketPublicAccessBlocked(level: EnforcementLevel): StackValidationPolicy {
    return s3BucketPolicy(level, {
        name: "s3-bucket-public-access-blocked",
        description: "S3 buckets block every form of public access.",
        companion: TYPES.s3PublicAccessBlock,
        problem: (_bucket, companions) => {
            if (companions.length === 0) {
                return `has no public access block: add an aws.s3.BucketPublicAccessBlock with ${PUBLIC_ACCESS_FLAGS.join(", ")} all true`;
            }
            const props = companions[0]?.props as Unwrap<aws.s3.BucketPublicAccessBlockArgs>;
            const off = PUBLIC_ACCESS_FLAGS.filter((f) => props[f] !== true);
            return off.length === 0 ? undefined : `its public access block leaves ${off.join(", ")} unset or false: set them to true`;
        },
    });
}

export function s3BucketVersioned(level: EnforcementLevel): StackValidationPolicy {
    return s3BucketPolicy(level, {
        name: "s3-bucket-versioned",
        description: "S3 buckets keep object versions, so an overwritten or deleted ledger can be recovered.",
        companion: TYPES.s3Versioning,
        problem: (bucket, companions) => {
            const statuses = companions.map((c) => record((c.props as Unwrap<aws.s3.BucketVersioningArgs>).versioningConfiguration)?.status);
            if (statuses.includes("Enabled") || record((bucket.props as Unwrap<aws.s3.BucketArgs>).versioning)?.enabled === true) {
                return undefined;
            }
            return statuses.length === 0
                ? "is not versioned: add an aws.s3.BucketVersioning with versioningConfiguration.status \"Enabled\""
                : `versioning status is ${statuses.map(String).join(", ")}: set versioningConfiguration.status to "Enabled"`;
        },
    });
}

/** Whether a policy document has a statement denying every non-TLS request. */
export function deniesInsecureTransport(policy: unknown): boolean {
    const doc = parseDocument(policy);
    return statements(doc).some((s) => {
        const bool = record(record(s.Condition)?.Bool);
        const secure = bool?.["aws:SecureTransport"];
        const actions = asList(s.Action);
        const principal = s.Principal === "*" || record(s.Principal)?.AWS === "*";
        return s.Effect === "Deny" && principal && (actions.includes("s3:*") || actions.includes("*")) && (secure === "false" || secure === false);
    });
}

export function s3BucketTlsOnly(level: EnforcementLevel): StackValidationPolicy {
    return s3BucketPolicy(level, {
        name: "s3-bucket-tls-only",
        description: "S3 bucket policies deny every request that does not use TLS.",
        companion: TYPES.s3Policy,
        problem: (_bucket, companions) => {
            if (companions.some((c) => deniesInsecureTransport((c.props as Unwrap<aws.s3.BucketPolicyArgs>).policy))) {
                return undefined;
            }
            return (
                "accepts requests without TLS: attach an aws.s3.BucketPolicy with a statement " +
                '{Effect: "Deny", Principal: "*", Action: "s3:*", Resource: [arn, arn/*], Condition: {Bool: {"aws:SecureTransport": "false"}}}'
            );
        },
    });
}

// ---------------------------------------------------------------------------------------------
// GCS.

export function gcsBucketLockedDown(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "gcs-bucket-locked-down",
        description: "GCS buckets use uniform bucket-level access, enforce public access prevention and keep object versions.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.gcsBucket) {
                return;
            }
            const b = args.props as Unwrap<gcp.storage.BucketArgs>;
            const label = `GCS bucket "${b.name ?? args.name}"`;
            if (b.uniformBucketLevelAccess !== true) {
                report(`${label} allows per-object ACLs: set uniformBucketLevelAccess: true`);
            }
            if (b.publicAccessPrevention !== "enforced") {
                report(`${label} has publicAccessPrevention ${JSON.stringify(b.publicAccessPrevention ?? "inherited")}: set it to "enforced"`);
            }
            if (b.versioning?.enabled !== true) {
                report(`${label} is not versioned: set versioning: { enabled: true }`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// MSK.

function mskPolicy(
    level: EnforcementLevel,
    name: string,
    description: string,
    check: (c: Unwrap<aws.msk.ClusterArgs>, label: string, report: ReportViolation) => void,
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type === TYPES.mskCluster) {
                const c = args.props as Unwrap<aws.msk.ClusterArgs>;
                check(c, `MSK cluster "${c.clusterName ?? args.name}"`, report);
            }
        },
    };
}

export function mskTlsInTransit(level: EnforcementLevel): ResourceValidationPolicy {
    return mskPolicy(level, "msk-tls-in-transit", "MSK clusters accept only TLS from clients and encrypt traffic between brokers.", (c, label, report) => {
        const transit = c.encryptionInfo?.encryptionInTransit;
        const clientBroker = transit?.clientBroker ?? "TLS";
        if (clientBroker !== "TLS") {
            report(`${label} has encryptionInfo.encryptionInTransit.clientBroker "${clientBroker}": set it to "TLS" (plaintext listeners expose credentials and data)`);
        }
        if (transit?.inCluster === false) {
            report(`${label} has encryptionInfo.encryptionInTransit.inCluster false: set it to true`);
        }
    });
}

export function mskAuthenticatedClients(level: EnforcementLevel): ResourceValidationPolicy {
    return mskPolicy(level, "msk-authenticated-clients", "MSK clusters refuse unauthenticated clients.", (c, label, report) => {
        const auth = c.clientAuthentication;
        if (auth?.unauthenticated === true) {
            report(`${label} allows unauthenticated clients: set clientAuthentication.unauthenticated to false`);
        }
        const some = auth?.sasl?.scram === true || auth?.sasl?.iam === true || auth?.tls !== undefined;
        if (!some) {
            report(`${label} has no client authentication: set clientAuthentication.sasl.scram or .iam to true (kafka.auth)`);
        }
    });
}

export function mskEncryptedAtRest(level: EnforcementLevel): ResourceValidationPolicy {
    return mskPolicy(level, "msk-encrypted-at-rest", "MSK clusters encrypt data at rest with a customer-managed KMS key.", (c, label, report) => {
        if (!c.encryptionInfo?.encryptionAtRestKmsKeyArn) {
            report(`${label} encrypts at rest with the AWS-managed key: set encryptionInfo.encryptionAtRestKmsKeyArn to a customer-managed aws.kms.Key with rotation`);
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Kafka ACLs.

/** Operations that change data or the cluster; a wildcard resource with one of them is too broad. */
const BROAD_OPERATIONS = new Set(["all", "write", "create", "delete", "alter", "alterconfigs", "clusteraction", "idempotentwrite"]);

export interface KafkaAclConfig {
    /** Principals allowed wildcard grants (the admin the program manages the cluster as). */
    adminPrincipals?: string[];
}

/** Why an ACL is too broad, or undefined. Pure; exported for testing. */
export function kafkaAclProblem(
    acl: { principal: string; resourceName: string; patternType: string; operation: string; permission: string },
    adminPrincipals: readonly string[],
): string | undefined {
    if (acl.permission.toLowerCase() !== "allow") {
        return undefined;
    }
    const principalWildcard = acl.principal === "*" || /:\*$/.test(acl.principal);
    if (principalWildcard) {
        return `grants ${acl.operation} to the wildcard principal "${acl.principal}": grant a named service principal (User:<service>) instead`;
    }
    const pattern = acl.patternType.toLowerCase();
    const everything = acl.resourceName === "*" || (pattern === "prefixed" && acl.resourceName === "") || pattern === "any" || pattern === "match";
    if (everything && BROAD_OPERATIONS.has(acl.operation.toLowerCase()) && !adminPrincipals.includes(acl.principal)) {
        return (
            `grants ${acl.operation} on every resource ("${acl.resourceName}", ${acl.patternType}) to ${acl.principal}: ` +
            "grant Read/Write/Describe on the literal topics and group the service uses (the planner's per-service ACLs)"
        );
    }
    return undefined;
}

export function kafkaAclLeastPrivilege(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "kafka-acl-least-privilege",
        description: "Kafka ACLs name a principal and never grant broad operations on every topic or group (admin excepted).",
        enforcementLevel: level,
        configSchema: {
            properties: {
                adminPrincipals: {
                    type: "array",
                    items: { type: "string" },
                    default: [kafkaPrincipal(KAFKA_ADMIN_USER)],
                    description: "Principals allowed wildcard grants: the admin the program manages the cluster as",
                },
            },
        },
        validateResource: (args, report) => {
            const admins = args.getConfig<KafkaAclConfig>().adminPrincipals ?? [kafkaPrincipal(KAFKA_ADMIN_USER)];
            let acl: Parameters<typeof kafkaAclProblem>[0] | undefined;
            if (args.type === TYPES.kafkaAcl) {
                const a = args.props as Unwrap<kafka.AclArgs>;
                acl = {
                    principal: a.aclPrincipal,
                    resourceName: a.aclResourceName,
                    patternType: a.resourcePatternTypeFilter ?? "Literal",
                    operation: a.aclOperation,
                    permission: a.aclPermissionType,
                };
            } else if (args.type === TYPES.confluentAcl) {
                const a = args.props as { principal: string; resourceName: string; patternType: string; operation: string; permission: string };
                acl = a;
            }
            const problem = acl && kafkaAclProblem(acl, admins);
            if (problem) {
                report(`Kafka ACL ${args.name} ${problem}`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Pulsar brokers.

export function pulsarTlsAndTokenAuth(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "pulsar-tls-and-token-auth",
        description: "In prod the Pulsar Helm release enables TLS (brokers and proxy) and JWT token authentication with authorization.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== TYPES.helmRelease || !isPulsarRelease(args.props) || environmentOf(args) !== "prod") {
                return;
            }
            const v = record(args.props.values) ?? {};
            const tls = record(v.tls);
            const missingTls = ["tls.enabled", "tls.broker.enabled", "tls.proxy.enabled"].filter((path) => pathValue(v, path) !== true);
            if (!tls || missingTls.length > 0) {
                report(`Pulsar release ${args.name}: ${missingTls.join(", ")} not true in prod: set pulsar.tls.enabled: true in the stack config`);
            }
            const missingAuth = ["auth.authentication.enabled", "auth.authentication.jwt.enabled", "auth.authorization.enabled"].filter(
                (path) => pathValue(v, path) !== true,
            );
            if (missingAuth.length > 0) {
                report(`Pulsar release ${args.name}: ${missingAuth.join(", ")} not true in prod: set pulsar.auth.token: true in the stack config`);
            }
        },
    };
}

export function isPulsarRelease(props: Record<string, unknown>): boolean {
    return typeof props.chart === "string" && /(^|\/)pulsar$/.test(props.chart);
}

function pathValue(root: Record<string, unknown>, path: string): unknown {
    let cur: unknown = root;
    for (const key of path.split(".")) {
        cur = record(cur)?.[key];
    }
    return cur;
}

// ---------------------------------------------------------------------------------------------
// Credentials in plain sight.

/** Where in a value tree a credential sits as a literal: `path: why`. Pure; exported for testing. */
/**
 * Chart value paths whose value is the name of a Kubernetes Secret, not a credential (chart 4.7.0 values.yaml
 * `broker.storageOffload.gcsServiceAccountSecret`, `.secret`).
 */
const SECRET_NAME_PATHS = /(^|\.)storageOffload\.(gcsServiceAccountSecret|secret)$|(^|\.)cacerts\.certs\[\d+\]\.existingSecret$/;

export function literalSecrets(value: unknown, path = ""): string[] {
    const found: string[] = [];
    const walk = (v: unknown, p: string, key: string) => {
        if (typeof v === "string") {
            if (v !== "" && isSecretName(key) && !SECRET_NAME_PATHS.test(p)) {
                found.push(`${p} is a literal value under a credential name`);
            } else if (JWT.test(v)) {
                found.push(`${p} holds a JSON Web Token`);
            }
        } else if (Array.isArray(v)) {
            v.forEach((e, i) => walk(e, `${p}[${i}]`, key));
        } else if (record(v)) {
            for (const [k, child] of Object.entries(record(v) ?? {})) {
                walk(child, p ? `${p}.${k}` : k, k);
            }
        }
    };
    walk(value, path, "");
    return found;
}

export function noLiteralSecrets(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "no-literal-secrets",
        description: "No credential is a literal: container env, ConfigMaps and Helm values reference Kubernetes Secrets instead.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type === TYPES.deployment || args.type === TYPES.statefulSet) {
                const pod = podSpecOf(args.props);
                for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) {
                    for (const e of c.env ?? []) {
                        if (typeof e.value === "string" && e.value !== "" && (isSecretName(e.name) || JWT.test(e.value))) {
                            report(
                                `${objectName(args.props, args.name)}: container ${c.name ?? "?"} sets ${e.name} to a literal value: ` +
                                    "put it in a Kubernetes Secret and use env[].valueFrom.secretKeyRef",
                            );
                        }
                    }
                }
            } else if (args.type === TYPES.configMap) {
                for (const where of literalSecrets(record(args.props.data) ?? {}, "data")) {
                    report(`ConfigMap ${objectName(args.props, args.name)}: ${where}: move it to a Kubernetes Secret`);
                }
            } else if (args.type === TYPES.helmRelease) {
                for (const where of literalSecrets(record(args.props.values) ?? {}, "values")) {
                    report(`Helm release ${args.name}: ${where}: reference an existing Secret from the chart values instead`);
                }
            }
        },
    };
}

export interface StackOutputsConfig {
    /**
     * Output paths (dot-separated, `*` matches one segment) the program exports with `pulumi.secret` on purpose.
     * The policy cannot check that they are secret (it sees decrypted values, pulumi/pulumi-policy#241): list only
     * outputs whose code wraps them in pulumi.secret.
     */
    allowedOutputs?: string[];
}

/** Whether a dotted output path matches a pattern whose `*` segments match any one segment. */
export function outputPathMatches(path: string, pattern: string): boolean {
    const a = path.split(".");
    const b = pattern.split(".");
    return a.length === b.length && b.every((seg, i) => seg === "*" || seg === a[i]);
}

export function noSecretStackOutputs(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "no-secret-stack-outputs",
        description: "Stack outputs carry no credentials, except ones the policy config lists as exported with pulumi.secret.",
        enforcementLevel: level,
        configSchema: {
            properties: {
                allowedOutputs: {
                    type: "array",
                    items: { type: "string" },
                    default: [],
                    description: "Output paths (a.*.c) the program exports with pulumi.secret; policies cannot see secretness (pulumi/pulumi-policy#241)",
                },
            },
        },
        validateStack: (args, report) => {
            const allowed = args.getConfig<StackOutputsConfig>().allowedOutputs ?? [];
            for (const stack of ofType(args.resources, TYPES.stack)) {
                for (const where of literalSecrets(stack.props, "")) {
                    const path = where.split(" ")[0] as string;
                    if (allowed.some((pattern) => outputPathMatches(path, pattern))) {
                        continue;
                    }
                    report(
                        `stack output ${where}: do not export credentials; consumers read them from the Kubernetes Secret or the cloud ` +
                            "secret store. If the program exports it with pulumi.secret on purpose, list the path in this policy's " +
                            "allowedOutputs (policies see secrets decrypted and cannot tell)",
                        stack.urn,
                    );
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Offload IAM.

export interface Statement {
    Effect?: string;
    Action?: unknown;
    Resource?: unknown;
    Principal?: unknown;
    Condition?: unknown;
}

function parseDocument(policy: unknown): Record<string, unknown> {
    if (typeof policy === "string") {
        try {
            return record(JSON.parse(policy)) ?? {};
        } catch {
            return {};
        }
    }
    return record(policy) ?? {};
}

function statements(doc: Record<string, unknown>): Statement[] {
    const s = doc.Statement;
    return (Array.isArray(s) ? s : s === undefined ? [] : [s]).map((x) => (record(x) ?? {}) as Statement);
}

/** The statements of an IAM policy document (a JSON string or an object); [] when it does not parse. */
export function policyStatements(policy: unknown): Statement[] {
    return statements(parseDocument(policy));
}

export function asList(v: unknown): string[] {
    return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
}

/** Why an IAM policy document's S3 grants reach beyond one bucket, or []. Pure; exported for testing. */
export function s3ScopeProblems(policy: unknown): string[] {
    const problems: string[] = [];
    const buckets = new Set<string>();
    for (const s of statements(parseDocument(policy))) {
        if (s.Effect !== "Allow") {
            continue;
        }
        const actions = asList(s.Action);
        const s3 = actions.filter((a) => a === "*" || a.toLowerCase().startsWith("s3:"));
        if (s3.length === 0) {
            continue;
        }
        const wild = s3.filter((a) => a === "*" || a === "s3:*");
        if (wild.length > 0) {
            problems.push(`allows ${wild.join(", ")}: list the S3 actions the offloader needs`);
        }
        for (const r of asList(s.Resource)) {
            const m = /^arn:aws:s3:::([^/]+)(\/.*)?$/.exec(r);
            if (!m || (m[1] as string).includes("*")) {
                problems.push(`grants S3 actions on "${r}": scope them to the offload bucket's ARN and its objects`);
            } else {
                buckets.add(m[1] as string);
            }
        }
    }
    if (buckets.size > 1) {
        problems.push(`grants S3 actions on ${buckets.size} buckets (${[...buckets].sort().join(", ")}): one role per offload bucket`);
    }
    return problems;
}

const PUBLIC_MEMBERS = new Set(["allUsers", "allAuthenticatedUsers"]);

export function offloadIamScopedToBucket(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "offload-iam-scoped-to-bucket",
        description: "Offload IAM grants reach one bucket and its objects only, never public members or admin roles.",
        enforcementLevel: level,
        validateResource: (args: ResourceValidationArgs, report) => {
            if (args.type === TYPES.iamRolePolicy || args.type === TYPES.iamPolicy) {
                const doc = (args.props as Unwrap<aws.iam.RolePolicyArgs>).policy;
                for (const p of s3ScopeProblems(doc)) {
                    report(`IAM policy ${args.name} ${p}`);
                }
            } else if (args.type === TYPES.gcsBucketIamMember) {
                const m = args.props as Unwrap<gcp.storage.BucketIAMMemberArgs>;
                if (PUBLIC_MEMBERS.has(m.member)) {
                    report(`bucket IAM member ${args.name} grants ${m.role} to ${m.member}: grant it to the brokers' service account only`);
                }
                if (m.role === "roles/storage.admin") {
                    report(`bucket IAM member ${args.name} grants roles/storage.admin: grant roles/storage.objectUser (objects only)`);
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ.

export function rabbitmqNoGuest(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "rabbitmq-no-guest-permissions",
        description: "In prod the RabbitMQ guest user gets no permissions on any vhost.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== TYPES.rabbitPermissions || environmentOf(args) !== "prod") {
                return;
            }
            const p = args.props as Unwrap<rabbitmq.PermissionsArgs>;
            if (p.user === "guest") {
                report(`permissions ${args.name} grant the default guest user access to vhost ${p.vhost ?? "/"}: use a named user (rabbitmq.username) and delete guest`);
            }
        },
    };
}

/** Every security policy, at one level. */
export function securityPolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        s3BucketEncrypted(level),
        s3BucketPublicAccessBlocked(level),
        s3BucketVersioned(level),
        s3BucketTlsOnly(level),
        gcsBucketLockedDown(level),
        mskTlsInTransit(level),
        mskAuthenticatedClients(level),
        mskEncryptedAtRest(level),
        kafkaAclLeastPrivilege(level),
        pulsarTlsAndTokenAuth(level),
        noLiteralSecrets(level),
        noSecretStackOutputs(level),
        offloadIamScopedToBucket(level),
        rabbitmqNoGuest(level),
    ];
}
