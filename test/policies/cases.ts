/**
 * The specification of every policy: cases that must pass and cases that must fail, each failing case with
 * exactly the violations it must produce (substrings of the messages, one per violation).
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type { CapturedResource } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import * as archive from "../../policies/rules/archive";
import * as crossSite from "../../policies/rules/cross-site";
import * as isolation from "../../policies/rules/isolation";
import * as migration from "../../policies/rules/migration";
import * as reliability from "../../policies/rules/reliability";
import * as security from "../../policies/rules/security";
import { NAR_URL, deployment, factsOf, gcsBucket, goodStack, mskCluster, pulsarRelease, s3Bucket } from "./fixtures";
import { edited, res, set } from "./harness";
import { planStack } from "../support/stacks";
import { RUNTIME_SPECS } from "./runtime-cases";

export interface Case {
    name: string;
    resources: CapturedResource[];
    /** The policy's own config (`environment`, ...). */
    config?: Record<string, unknown>;
    /** Migration facts, for the migration invariants. @default prod's at the case's phase 3 */
    facts?: migration.MigrationFacts;
    /** One substring per expected violation; [] for a passing case. */
    expect: string[];
}

export interface PolicySpec {
    make: (level: EnforcementLevel, facts: migration.MigrationFactsSource) => ResourceValidationPolicy | StackValidationPolicy;
    cases: Case[];
}

const PROD = { environment: "prod" };
const DEV = { environment: "dev" };

const ofType = (type: string) => (r: CapturedResource) => r.type === type;
const named = (name: string) => (r: CapturedResource) => r.name === name;

const prodT = planStack("prod", { phase: 3 });
const matcher = planStack("prod", { phase: 1 }).deployments.find((d) => d.service === "mcp-matcher");
const goodDeployment = () => deployment(prodT.deployments[0] as (typeof prodT.deployments)[number], "messaging");
const editDeployment = (mutate: (c: Record<string, any>, spec: Record<string, any>) => void) => {
    const d = goodDeployment();
    return set(d, (p) => mutate(p.spec.template.spec.containers[0], p.spec));
};
const acl = (principal: string, resourceName: string, operation: string, patternType = "Literal") =>
    res(TYPES.kafkaAcl, `acl-${principal}-${resourceName}-${operation}`, {
        aclPrincipal: principal,
        aclHost: "*",
        aclOperation: operation,
        aclPermissionType: "Allow",
        aclResourceType: "Topic",
        aclResourceName: resourceName,
        resourcePatternTypeFilter: patternType,
    });
const queue = (name: string, args: Record<string, string> = { "x-queue-type": "quorum" }, durable = true) =>
    res(TYPES.rabbitQueue, `queue-${name}`, { name, vhost: "control", settings: { durable, autoDelete: false, arguments: args } });
const roleDoc = (statements: unknown[]) => res(TYPES.iamRolePolicy, "broker-policy", { role: "r", policy: JSON.stringify({ Version: "2012-10-17", Statement: statements }) });

const prod3 = goodStack("prod", 3);
const prod1 = goodStack("prod", 1);

export const SPECS: Record<string, PolicySpec> = {
    ...RUNTIME_SPECS,
    // --- security ------------------------------------------------------------------------------
    "s3-bucket-encrypted": {
        make: security.s3BucketEncrypted,
        cases: [
            { name: "KMS-encrypted bucket", resources: s3Bucket(), expect: [] },
            { name: "no encryption configuration", resources: edited(s3Bucket(), ofType(TYPES.s3Encryption), () => undefined), expect: ["has no server-side encryption configuration"] },
            {
                name: "AES256 only",
                resources: edited(s3Bucket(), ofType(TYPES.s3Encryption), (r) => set(r, (p) => (p.rules[0].applyServerSideEncryptionByDefault = { sseAlgorithm: "AES256" }))),
                expect: ['encrypts with AES256: set applyServerSideEncryptionByDefault.sseAlgorithm to "aws:kms"'],
            },
        ],
    },
    "s3-bucket-public-access-blocked": {
        make: security.s3BucketPublicAccessBlocked,
        cases: [
            { name: "all four blocks on", resources: s3Bucket(), expect: [] },
            { name: "no public access block", resources: edited(s3Bucket(), ofType(TYPES.s3PublicAccessBlock), () => undefined), expect: ["has no public access block"] },
            {
                name: "public policies allowed",
                resources: edited(s3Bucket(), ofType(TYPES.s3PublicAccessBlock), (r) => set(r, (p) => (p.blockPublicPolicy = false))),
                expect: ["leaves blockPublicPolicy unset or false"],
            },
            {
                name: "a block on another bucket does not count",
                resources: edited(s3Bucket(), ofType(TYPES.s3PublicAccessBlock), (r) => set({ ...r, propertyDependencies: {} }, (p) => (p.bucket = "another-bucket"))),
                expect: ["has no public access block"],
            },
        ],
    },
    "s3-bucket-versioned": {
        make: security.s3BucketVersioned,
        cases: [
            { name: "versioning enabled", resources: s3Bucket(), expect: [] },
            { name: "versioning suspended", resources: edited(s3Bucket(), ofType(TYPES.s3Versioning), (r) => set(r, (p) => (p.versioningConfiguration.status = "Suspended"))), expect: ["versioning status is Suspended"] },
            { name: "no versioning resource", resources: edited(s3Bucket(), ofType(TYPES.s3Versioning), () => undefined), expect: ["is not versioned"] },
        ],
    },
    "s3-bucket-tls-only": {
        make: security.s3BucketTlsOnly,
        cases: [
            { name: "deny without SecureTransport", resources: s3Bucket(), expect: [] },
            { name: "no bucket policy", resources: edited(s3Bucket(), ofType(TYPES.s3Policy), () => undefined), expect: ["accepts requests without TLS"] },
            {
                name: "a policy that only allows",
                resources: edited(s3Bucket(), ofType(TYPES.s3Policy), (r) => set(r, (p) => (p.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "*" }] })))),
                expect: ["accepts requests without TLS"],
            },
        ],
    },
    "archive-append-only": {
        make: archive.archiveAppendOnly,
        cases: [
            { name: "prod: the Connect workers' role may put objects only", resources: prod3, expect: [] },
            {
                name: "a writer with s3:* on the archive, and another that may change its lifecycle",
                resources: [
                    ...prod3,
                    res(TYPES.iamRolePolicy, "wide", { role: "r", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::cosmic-ai-prod-archive/*" }] }) }),
                    res(TYPES.iamUserPolicy, "lifecycle", { user: "u", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["s3:PutObject", "s3:PutLifecycleConfiguration"], Resource: "arn:aws:s3:::cosmic-ai-prod-archive" }] }) }),
                ],
                expect: ['IAM policy wide allows s3:* on the archive bucket', 'IAM policy lifecycle allows s3:PutLifecycleConfiguration'],
            },
            {
                name: "the same grants on another bucket are not this policy's business",
                resources: [...prod3, res(TYPES.iamRolePolicy, "other", { role: "r", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:DeleteObject", Resource: "arn:aws:s3:::other/*" }] }) })],
                expect: [],
            },
            { name: "dev: the GCS writer creates objects only", resources: goodStack("dev", 3), expect: [] },
            {
                name: "dev: a GCS writer with objectAdmin on the archive",
                resources: edited(goodStack("dev", 3), named("platform-archive-writer-creator"), (r) => set(r, (p) => (p.role = "roles/storage.objectAdmin"))),
                expect: ["grants roles/storage.objectAdmin on the archive bucket \"cosmic-ai-dev-archive\""],
            },
        ],
    },
    "archive-in-prod": {
        make: archive.archiveInProd,
        cases: [
            { name: "prod with its archive", resources: prod3, config: PROD, expect: [] },
            { name: "dev (Confluent's managed sink)", resources: goodStack("dev", 0), config: PROD, expect: [] },
            {
                name: "prod without the archive",
                resources: prod3.filter((r) => !r.name.startsWith("platform-archive")),
                config: PROD,
                expect: ["no archive bucket", "no archive connector reads audit-trail"],
            },
            { name: "the same in dev is not required", resources: prod3.filter((r) => !r.name.startsWith("platform-archive")), config: DEV, expect: [] },
        ],
    },
    "cross-site-replication-mtls": {
        make: crossSite.crossSiteReplicationMtls,
        cases: (() => {
            const GEO = "kubernetes:resource.streamnative.io/v1alpha1:PulsarGeoReplication";
            const CONN = "kubernetes:resource.streamnative.io/v1alpha1:PulsarConnection";
            const conn = (spec: Record<string, unknown>) => res(CONN, "central-connection", { apiVersion: "resource.streamnative.io/v1alpha1", kind: "PulsarConnection", metadata: { name: "central" }, spec });
            const geo = (auth?: Record<string, unknown>) =>
                res(GEO, "geo", {
                    apiVersion: "resource.streamnative.io/v1alpha1",
                    kind: "PulsarGeoReplication",
                    metadata: { name: "to-central" },
                    spec: { connectionRef: { name: "pulsar" }, destinationConnectionRef: { name: "central" }, ...(auth ? { clusterParamsOverride: { authentication: auth } } : {}) },
                });
            const secure = { brokerServiceSecureURL: "pulsar+ssl://pulsar.cosmic-ai.example:6651", adminServiceSecureURL: "https://pulsar.cosmic-ai.example:8443", tlsAllowInsecureConnection: false, tlsEnableHostnameVerification: true };
            const mtls = { authPlugin: "org.apache.pulsar.client.impl.auth.AuthenticationTls", authParameters: "tlsCertFile:/a,tlsKeyFile:/b" };
            return [
                { name: "an edge site replicating over verified mutual TLS", resources: [conn(secure), geo(mtls)], config: PROD, expect: [] },
                {
                    name: "plaintext URLs, insecure TLS and no client certificate in prod",
                    resources: [conn({ ...secure, brokerServiceURL: "pulsar://central:6650", tlsAllowInsecureConnection: true }), geo()],
                    config: PROD,
                    expect: ["sets brokerServiceURL", "allows insecure TLS", 'authenticates with "nothing"'],
                },
                { name: "dev may replicate without a client certificate, still over TLS", resources: [conn(secure), geo()], config: DEV, expect: [] },
                { name: "a destination that is not declared", resources: [geo(mtls)], config: PROD, expect: ["destination connection is not declared"] },
                { name: "central prod from phase 1 accepts its site's certificates", resources: prod3, config: PROD, expect: [] },
            ];
        })(),
    },
    "gcs-bucket-locked-down": {
        make: security.gcsBucketLockedDown,
        cases: [
            { name: "uniform, enforced, versioned", resources: gcsBucket(), expect: [] },
            {
                name: "open bucket",
                resources: edited(gcsBucket(), ofType(TYPES.gcsBucket), (r) => set(r, (p) => {
                    p.uniformBucketLevelAccess = false;
                    delete p.publicAccessPrevention;
                    p.versioning = { enabled: false };
                })),
                expect: ["set uniformBucketLevelAccess: true", 'publicAccessPrevention "inherited": set it to "enforced"', "is not versioned"],
            },
        ],
    },
    "msk-tls-in-transit": {
        make: security.mskTlsInTransit,
        cases: [
            { name: "TLS only", resources: [mskCluster()], expect: [] },
            { name: "TLS_PLAINTEXT", resources: [set(mskCluster(), (p) => (p.encryptionInfo.encryptionInTransit.clientBroker = "TLS_PLAINTEXT"))], expect: ['clientBroker "TLS_PLAINTEXT": set it to "TLS"'] },
            { name: "plaintext between brokers", resources: [set(mskCluster(), (p) => (p.encryptionInfo.encryptionInTransit.inCluster = false))], expect: ["inCluster false"] },
        ],
    },
    "msk-authenticated-clients": {
        make: security.mskAuthenticatedClients,
        cases: [
            { name: "SCRAM", resources: [mskCluster()], expect: [] },
            { name: "unauthenticated allowed", resources: [set(mskCluster(), (p) => (p.clientAuthentication.unauthenticated = true))], expect: ["allows unauthenticated clients"] },
            { name: "no authentication at all", resources: [set(mskCluster(), (p) => delete p.clientAuthentication)], expect: ["has no client authentication"] },
        ],
    },
    "msk-encrypted-at-rest": {
        make: security.mskEncryptedAtRest,
        cases: [
            { name: "customer-managed key", resources: [mskCluster()], expect: [] },
            { name: "AWS-managed key", resources: [set(mskCluster(), (p) => delete p.encryptionInfo.encryptionAtRestKmsKeyArn)], expect: ["encryptionAtRestKmsKeyArn"] },
        ],
    },
    "kafka-acl-least-privilege": {
        make: security.kafkaAclLeastPrivilege,
        cases: [
            { name: "per-service literal grant", resources: [acl("User:job-api", "job-status-changed", "Write")], expect: [] },
            { name: "admin's wildcard grants", resources: [acl("User:platform-admin", "*", "All")], expect: [] },
            { name: "Describe on every topic", resources: [acl("User:metrics-exporter", "*", "Describe")], expect: [] },
            { name: "wildcard principal", resources: [acl("User:*", "job-status-changed", "Read")], expect: ['wildcard principal "User:*"'] },
            { name: "Write on every topic", resources: [acl("User:job-api", "*", "Write")], expect: ['grants Write on every resource ("*", Literal) to User:job-api'] },
            { name: "All on an empty prefix", resources: [acl("User:job-api", "", "All", "Prefixed")], expect: ["grants All on every resource"] },
            { name: "another admin by config", resources: [acl("User:ops", "*", "All")], config: { adminPrincipals: ["User:ops"] }, expect: [] },
        ],
    },
    "pulsar-tls-and-token-auth": {
        make: security.pulsarTlsAndTokenAuth,
        cases: [
            { name: "prod release with TLS and JWT", resources: [pulsarRelease(prodT)], config: PROD, expect: [] },
            { name: "dev release without them", resources: [pulsarRelease(planStack("dev", { phase: 3 }))], config: DEV, expect: [] },
            { name: "prod without TLS", resources: [set(pulsarRelease(prodT), (p) => delete p.values.tls)], config: PROD, expect: ["tls.enabled, tls.broker.enabled, tls.proxy.enabled not true in prod"] },
            { name: "prod without authorization", resources: [set(pulsarRelease(prodT), (p) => (p.values.auth.authorization.enabled = false))], config: PROD, expect: ["auth.authorization.enabled not true in prod"] },
            { name: "no config means prod", resources: [set(pulsarRelease(prodT), (p) => delete p.values.auth)], expect: ["auth.authentication.enabled, auth.authentication.jwt.enabled, auth.authorization.enabled not true"] },
        ],
    },
    "no-literal-secrets": {
        make: security.noLiteralSecrets,
        cases: [
            { name: "secretKeyRef env and chart-minted tokens", resources: [goodDeployment(), pulsarRelease(prodT)], expect: [] },
            { name: "a password in env", resources: [editDeployment((c) => c.env.push({ name: "KAFKA_SASL_PASSWORD", value: "hunter2" }))], expect: ["sets KAFKA_SASL_PASSWORD to a literal value"] },
            { name: "a JWT under an innocent name", resources: [editDeployment((c) => c.env.push({ name: "PULSAR_CLIENT_CONF", value: "token:eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJlc2ln" }))], expect: ["sets PULSAR_CLIENT_CONF to a literal value"] },
            { name: "a token in Helm values", resources: [set(pulsarRelease(prodT), (p) => (p.values.auth.superUsers.adminToken = "abc"))], expect: ["values.auth.superUsers.adminToken is a literal value under a credential name"] },
            { name: "a password in a ConfigMap", resources: [res(TYPES.configMap, "cfg", { metadata: { name: "cfg" }, data: { RABBITMQ_PASSWORD: "guest" } })], expect: ["data.RABBITMQ_PASSWORD is a literal value"] },
            { name: "names that reference secrets", resources: [res(TYPES.configMap, "cfg", { data: { secretName: "pulsar-token", tokenSecretKey: "file:///keys/secret.key" } })], expect: [] },
        ],
    },
    "no-secret-stack-outputs": {
        make: security.noSecretStackOutputs,
        cases: [
            { name: "endpoints only", resources: [res(TYPES.stack, "stack", { kafkaBootstrap: "b-1:9096", pulsarServiceUrl: "pulsar+ssl://pulsar:6651" })], expect: [] },
            { name: "an exported admin token", resources: [res(TYPES.stack, "stack", { pulsarAdminToken: "eyJ..." })], expect: ["stack output pulsarAdminToken is a literal value under a credential name"] },
            {
                name: "credentials the config lists as exported with pulumi.secret",
                resources: [res(TYPES.stack, "stack", { kafkaCredentials: { "job-api": { username: "job-api", password: "p" } } })],
                config: { allowedOutputs: ["kafkaCredentials.*.password"] },
                expect: [],
            },
            {
                name: "the allow-list matches whole paths only",
                resources: [res(TYPES.stack, "stack", { kafkaCredentials: { "job-api": { password: "p" } }, adminPassword: "p" })],
                config: { allowedOutputs: ["kafkaCredentials.*.password"] },
                expect: ["stack output adminPassword"],
            },
        ],
    },
    "offload-iam-scoped-to-bucket": {
        make: security.offloadIamScopedToBucket,
        cases: [
            { name: "bucket, objects and the key", resources: s3Bucket(), expect: [] },
            { name: "GCS object user for the brokers", resources: gcsBucket(), expect: [] },
            { name: "every bucket", resources: [roleDoc([{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }])], expect: ['grants S3 actions on "*"'] },
            { name: "s3:* on the bucket", resources: [roleDoc([{ Effect: "Allow", Action: "s3:*", Resource: ["arn:aws:s3:::b", "arn:aws:s3:::b/*"] }])], expect: ["allows s3:*"] },
            { name: "two buckets", resources: [roleDoc([{ Effect: "Allow", Action: "s3:GetObject", Resource: ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"] }])], expect: ["grants S3 actions on 2 buckets (a, b)"] },
            { name: "public GCS member", resources: [res(TYPES.gcsBucketIamMember, "m", { bucket: "b", role: "roles/storage.objectViewer", member: "allUsers" })], expect: ["to allUsers"] },
        ],
    },
    "rabbitmq-no-guest-permissions": {
        make: security.rabbitmqNoGuest,
        cases: [
            { name: "named admin in prod", resources: goodStack("prod", 0).filter(ofType(TYPES.rabbitPermissions)), config: PROD, expect: [] },
            { name: "guest on local", resources: goodStack("local", 0).filter(ofType(TYPES.rabbitPermissions)), config: { environment: "local" }, expect: [] },
            { name: "guest in prod", resources: goodStack("local", 0).filter(ofType(TYPES.rabbitPermissions)), config: PROD, expect: ["grant the default guest user access to vhost control"] },
        ],
    },

    // --- reliability ---------------------------------------------------------------------------
    "kafka-topic-replicated": {
        make: reliability.kafkaTopicReplicated,
        cases: [
            { name: "prod topics (RF 3, ISR 2)", resources: prod3.filter(ofType(TYPES.kafkaTopic)), config: PROD, expect: [] },
            { name: "local topics (RF 1) outside prod", resources: goodStack("local", 0).filter(ofType(TYPES.kafkaTopic)), config: { environment: "local" }, expect: [] },
            {
                name: "RF 1 and ISR 1 in prod",
                resources: goodStack("local", 0).filter(ofType(TYPES.kafkaTopic)).slice(0, 1),
                config: PROD,
                expect: ["has replicationFactor 1: set kafka.replicationFactor to at least 3", "has min.insync.replicas 1"],
            },
        ],
    },
    "rabbitmq-durable": {
        make: reliability.rabbitmqDurable,
        cases: [
            { name: "planned exchanges and queues", resources: prod3.filter((r) => r.type === TYPES.rabbitExchange || r.type === TYPES.rabbitQueue), expect: [] },
            { name: "transient queue", resources: [queue("jobs.dispatch", { "x-queue-type": "quorum" }, false)], expect: ["RabbitMQ queue jobs.dispatch is not durable"] },
            { name: "auto-deleted exchange", resources: [res(TYPES.rabbitExchange, "x", { name: "control", settings: { type: "topic", durable: true, autoDelete: true } })], expect: ["RabbitMQ exchange control is auto-deleted"] },
        ],
    },
    "rabbitmq-quorum-queues": {
        make: reliability.rabbitmqQuorumQueues,
        cases: [
            { name: "quorum in prod", resources: [queue("jobs.dispatch")], config: PROD, expect: [] },
            { name: "quorum through argumentsJson", resources: [res(TYPES.rabbitQueue, "q", { name: "q", settings: { durable: true, argumentsJson: '{"x-queue-type":"quorum"}' } })], config: PROD, expect: [] },
            { name: "classic in dev", resources: [queue("jobs.dispatch", {})], config: DEV, expect: [] },
            { name: "classic in prod", resources: [queue("jobs.dispatch", {})], config: PROD, expect: ["RabbitMQ queue jobs.dispatch is a classic queue"] },
        ],
    },
    "rabbitmq-dead-letter": {
        make: reliability.rabbitmqDeadLetter,
        cases: [
            { name: "policy covers every work queue; the DLQ ends the path", resources: prod3.filter((r) => r.type.startsWith("rabbitmq:")), expect: [] },
            { name: "queue argument instead of a policy", resources: [queue("jobs.extra", { "x-queue-type": "quorum", "x-dead-letter-exchange": "control.dlx" })], expect: [] },
            {
                name: "a work queue the policy pattern misses",
                resources: [...prod3.filter((r) => r.type.startsWith("rabbitmq:")), queue("jobs.extra")],
                expect: ["RabbitMQ queue jobs.extra has no dead-letter path"],
            },
        ],
    },
    "deployment-resources": {
        make: reliability.deploymentResources,
        cases: [
            { name: "requests and limits", resources: [goodDeployment()], expect: [] },
            { name: "no limits", resources: [editDeployment((c) => delete c.resources.limits)], expect: ["has no resources.limits.cpu, resources.limits.memory"] },
        ],
    },
    "deployment-probes": {
        make: reliability.deploymentProbes,
        cases: [
            { name: "both probes", resources: [goodDeployment()], expect: [] },
            { name: "no liveness", resources: [editDeployment((c) => delete c.livenessProbe)], expect: ["has no livenessProbe"] },
        ],
    },
    "deployment-run-as-non-root": {
        make: reliability.deploymentRunAsNonRoot,
        cases: [
            { name: "pod-level runAsNonRoot", resources: [goodDeployment()], expect: [] },
            { name: "no security context", resources: [editDeployment((_c, spec) => delete spec.template.spec.securityContext)], expect: ["may run as root"] },
            { name: "container override", resources: [editDeployment((c) => (c.securityContext = { runAsNonRoot: false }))], expect: ["overrides runAsNonRoot to false"] },
        ],
    },
    "deployment-pinned-images": {
        make: reliability.deploymentPinnedImages,
        cases: [
            { name: "version tag", resources: [goodDeployment()], expect: [] },
            { name: "digest", resources: [editDeployment((c) => (c.image = `ghcr.io/cosmic-ai/x@sha256:${"a".repeat(64)}`))], expect: [] },
            { name: "registry with a port, no tag", resources: [editDeployment((c) => (c.image = "registry:5000/cosmic-ai/x"))], expect: ['image "registry:5000/cosmic-ai/x" has no tag'] },
            { name: "latest", resources: [editDeployment((c) => (c.image = "ghcr.io/cosmic-ai/x:latest"))], expect: ["uses the latest tag"] },
        ],
    },
    "deployment-replicas": {
        make: reliability.deploymentReplicas,
        cases: [
            { name: "3 in prod", resources: [goodDeployment()], config: PROD, expect: [] },
            { name: "1 in dev", resources: [editDeployment((_c, spec) => (spec.replicas = 1))], config: DEV, expect: [] },
            { name: "1 in prod", resources: [editDeployment((_c, spec) => (spec.replicas = 1))], config: PROD, expect: ["runs 1 replica(s) in prod"] },
        ],
    },
    "kop-matches-pulsar": {
        make: reliability.kopMatchesPulsar,
        cases: [
            { name: "the image tag names Starlight 4.0.3.3 on Pulsar 4.0.12 (with its digest)", resources: [pulsarRelease(prodT)], expect: [] },
            {
                name: "a standalone StatefulSet downloading a versioned NAR",
                resources: [
                    res(TYPES.statefulSet, "pulsar", {
                        spec: { template: { spec: { initContainers: [{ name: "fetch", image: "curl:8", env: [{ name: "KOP_NAR_URL", value: NAR_URL }] }], containers: [{ name: "pulsar", image: "apachepulsar/pulsar-all:4.0.12", args: ["exec bin/pulsar standalone"] }] } } },
                    }),
                ],
                expect: [],
            },
            {
                name: "an image tagged for Pulsar 3.3",
                resources: [set(pulsarRelease(prodT), (p) => (p.values.defaultPulsarImageTag = "3.3.2-starlight-4.0.3.3"))],
                expect: ["starlight KoP 4.0.3.3 runs on Pulsar 4.0.x, but pulsar.version is 3.3.2"],
            },
            {
                name: "a NAR download on the wrong Pulsar",
                resources: [set(pulsarRelease(prodT), (p) => ((p.values.defaultPulsarImageTag = "3.3.2"), (p.values.broker.initContainers = [{ name: "fetch", env: [{ name: "KOP_NAR_URL", value: NAR_URL }] }])))],
                expect: ["starlight KoP 4.0.3.3 runs on Pulsar 4.0.x, but pulsar.version is 3.3.2"],
            },
            { name: "an image tag that names no handler", resources: [set(pulsarRelease(prodT), (p) => (p.values.defaultPulsarImageTag = "4.0.12"))], expect: ["cannot tell the KoP handler and the Pulsar version from image tag 4.0.12"] },
            {
                name: "unversioned NAR",
                resources: [set(pulsarRelease(prodT), (p) => (p.values.broker.initContainers = [{ name: "fetch", env: [{ name: "KOP_NAR_URL", value: "https://mirror/kop.nar" }] }]))],
                expect: ["cannot tell the KoP handler and the Pulsar version from NAR https://mirror/kop.nar"],
            },
        ],
    },

    // --- isolation -----------------------------------------------------------------------------
    "pulsar-namespace-grants-tenant-only": {
        make: isolation.pulsarNamespaceGrantsInTenantNamespaces,
        cases: [
            { name: "planned permissions at phase 3", resources: prod3.filter((r) => r.type === TYPES.pulsarPermission || r.type === TYPES.pulsarTenant), expect: [] },
            {
                name: "a namespace grant in a shared namespace",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "namespace", resourceName: "public/default", roles: ["public.ingress-gateway"], actions: ["produce"] } })],
                expect: ["the public namespaces are shared, grant per topic"],
            },
            {
                name: "a namespace grant in an undeclared tenant",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "namespace", resourceName: "team-z/orchestrator", roles: ["team-z.x"], actions: ["consume"] } })],
                expect: ["team-z is no declared tenant"],
            },
        ],
    },
    "pulsar-permission-own-tenant": {
        make: isolation.pulsarPermissionOwnTenant,
        cases: [
            { name: "planned permissions at phase 3", resources: prod3.filter((r) => r.type === TYPES.pulsarPermission || r.type === TYPES.pulsarTenant), expect: [] },
            {
                name: "the tenant's admin role",
                resources: [
                    res(TYPES.pulsarTenant, "t", { spec: { name: "team-a", adminRoles: ["ops-team-a"] } }),
                    res(TYPES.pulsarPermission, "p", { spec: { resourceType: "topic", resourceName: "persistent://team-a/orchestrator/x", roles: ["ops-team-a"], actions: ["consume"] } }),
                ],
                expect: [],
            },
            {
                name: "a shared service's role in a tenant's namespace (one pod serves every tenant)",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "topic", resourceName: "persistent://team-a/orchestrator/user-requests", roles: ["public.ingress-gateway"], actions: ["produce"] } })],
                expect: [],
            },
            {
                name: "a public role that is no shared service",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "topic", resourceName: "persistent://team-a/orchestrator/user-requests", roles: ["public.job-api"], actions: ["produce"] } })],
                expect: ['grants "public.job-api", not roles of tenant team-a'],
            },
            {
                name: "another tenant's role",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "topic", resourceName: "persistent://team-a/orchestrator/user-requests", roles: ["team-b.mcp-matcher"], actions: ["consume"] } })],
                expect: ['grants "team-b.mcp-matcher", not roles of tenant team-a'],
            },
            {
                name: "a wildcard role",
                resources: [res(TYPES.pulsarPermission, "p", { spec: { resourceType: "namespace", resourceName: "team-a/orchestrator", roles: ["team-a.*"], actions: ["produce"] } })],
                expect: ['grants "team-a.*"'],
            },
        ],
    },
    "pulsar-tenant-admin-roles": {
        make: isolation.pulsarTenantAdminRoles,
        cases: [
            { name: "planned tenants", resources: prod3.filter(ofType(TYPES.pulsarTenant)), expect: [] },
            { name: "wildcard admin", resources: [res(TYPES.pulsarTenant, "t", { spec: { name: "team-a", adminRoles: ["*"] } })], expect: ['wildcard admin roles "*"'] },
            { name: "no admin", resources: [res(TYPES.pulsarTenant, "t", { spec: { name: "team-a", adminRoles: [] } })], expect: ["has no adminRoles"] },
        ],
    },

    // --- migration -----------------------------------------------------------------------------
    "audit-trail-keeps-kafka-topic": {
        make: migration.auditTrailKeepsKafkaTopic,
        cases: [
            { name: "topic kept at phase 3 without the gate", resources: prod3, facts: factsOf("prod", 3), expect: [] },
            { name: "topic dropped once the gate is approved", resources: prod3.filter((r) => !named("platform-kafka-topic-audit-trail")(r)), facts: { ...factsOf("prod", 3), auditParity: true }, expect: [] },
            { name: "topic dropped before the gate", resources: prod3.filter((r) => !named("platform-kafka-topic-audit-trail")(r)), facts: factsOf("prod", 3), expect: ["the Kafka topic audit-trail is missing while gates.auditParity is false"] },
        ],
    },
    "kafka-pulsar-coexist": {
        make: migration.kafkaAndPulsarCoexist,
        cases: [
            { name: "phase 0: Kafka only", resources: goodStack("prod", 0), facts: factsOf("prod", 0), expect: [] },
            { name: "phase 1: both", resources: prod1, facts: factsOf("prod", 1), expect: [] },
            { name: "phase 3, Kafka decommissioned and confirmed", resources: prod3.filter((r) => !r.type.startsWith("kafka:") && r.type !== TYPES.mskCluster), facts: { phase: 3, auditParity: true, kafkaDecommissionConfirmed: true }, expect: [] },
            { name: "phase 1 without Pulsar", resources: prod1.filter((r) => r.type !== TYPES.helmRelease), facts: factsOf("prod", 1), expect: ["phase 1 has no Pulsar cluster"] },
            { name: "Kafka gone, not confirmed", resources: prod3.filter((r) => !r.type.startsWith("kafka:") && r.type !== TYPES.mskCluster), facts: factsOf("prod", 3), expect: ["Kafka is gone but its decommission is not confirmed"] },
        ],
    },
    "exactly-one-matcher": {
        make: migration.exactlyOneMatcher,
        cases: [
            { name: "Deployment at phase 1", resources: prod1, facts: factsOf("prod", 1), expect: [] },
            { name: "Function at phase 3", resources: prod3, facts: factsOf("prod", 3), expect: [] },
            { name: "neither", resources: prod3.filter((r) => r.type !== TYPES.pulsarFunction), facts: factsOf("prod", 3), expect: ["0 mcp-matcher instances (0 Deployment, 0 Function): requests are never matched"] },
            {
                name: "both at phase 2",
                resources: [...goodStack("prod", 2), deployment(matcher as NonNullable<typeof matcher>, "messaging")],
                facts: factsOf("prod", 2),
                expect: ["2 mcp-matcher instances (1 Deployment, 1 Function)"],
            },
            {
                name: "Deployment at phase 2",
                resources: [...goodStack("prod", 2).filter((r) => r.type !== TYPES.pulsarFunction), deployment(matcher as NonNullable<typeof matcher>, "messaging")],
                facts: factsOf("prod", 2),
                expect: ["mcp-matcher runs as a deployment at phase 2, where it should be a function"],
            },
        ],
    },
    "offload-thresholds-on-namespaces": {
        make: (level) => migration.offloadThresholdsOnNamespaces(level),
        cases: [
            { name: "thresholds on every namespace", resources: prod3, expect: [] },
            { name: "no bucket, no thresholds needed", resources: goodStack("prod", 2), expect: [] },
            {
                name: "one namespace without thresholds",
                resources: edited(prod3, ofType(TYPES.pulsarNamespace), (r) => set(r, (p) => delete p.spec.offloadThresholdTime)),
                expect: ["has no offloadThresholdTime although tiered storage is on"],
            },
        ],
    },
    "stateful-resources-protected": {
        make: (level) => migration.statefulResourcesProtected(level),
        cases: [
            { name: "prod, all protected", resources: prod3, config: PROD, expect: [] },
            { name: "dev, unprotected", resources: goodStack("dev", 3), config: DEV, expect: [] },
            {
                name: "an unprotected topic in prod",
                resources: edited(prod3, named("platform-kafka-topic-audit-trail"), (r) => ({ ...r, protect: false })),
                config: PROD,
                expect: ["kafka:index/topic:Topic platform-kafka-topic-audit-trail holds data but is not protected in prod"],
            },
        ],
    },
};
