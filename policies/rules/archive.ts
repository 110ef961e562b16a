/**
 * The archive's guard rails (topology/archive-plan.ts; seed 002: audit continuity is mandatory). The generic bucket
 * rules (security.ts: encrypted, public access blocked, versioned, TLS-only, GCS locked down) hold for the archive
 * bucket as for every bucket; these add what only an archive needs:
 * - `archive-append-only`: no grant lets anyone the program creates delete, overwrite-protect-strip or reconfigure what
 *   is archived (on S3 no Delete*, Put*Lifecycle*, PutBucket*, retention bypass; on GCS object creation or viewing
 *   only), so a leaked connector credential can add files and nothing else;
 * - `archive-in-prod`: a prod stack with Kafka declares an archive bucket and a connector that reads audit-trail.
 * The archive bucket is the one labelled `messaging-platform-role: archive` (components/archive.ts).
 */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ARCHIVE_ROLE_LABEL } from "../../topology/archive-plan";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, ofType, record } from "./common";
import { asList, policyStatements } from "./security";


/** S3 actions an archive writer must never hold on the archive (destroy, or change what protects, what is archived). */
export const ARCHIVE_FORBIDDEN_S3 = /^(\*|s3:\*|s3:Delete.*|s3:PutLifecycleConfiguration|s3:PutBucket.*|s3:PutObjectRetention|s3:PutObjectLegalHold|s3:BypassGovernanceRetention|s3:PutEncryptionConfiguration)$/i;
/** GCS roles an archive writer may hold on the archive. */
export const ARCHIVE_ALLOWED_GCS_ROLES: ReadonlySet<string> = new Set(["roles/storage.objectCreator", "roles/storage.objectViewer"]);

const IAM_POLICY_TYPES = new Set<string>([TYPES.iamRolePolicy, TYPES.iamPolicy, TYPES.iamUserPolicy]);

/** Whether a bucket resource is the archive's (labelled so by components/archive.ts); any other bucket is the offload bucket. */
export function isArchiveBucket(r: Pick<PolicyResource, "type" | "props">): boolean {
    const labels = record(r.type === TYPES.s3Bucket ? r.props.tags : r.props.labels);
    return labels?.[ARCHIVE_ROLE_LABEL.key] === ARCHIVE_ROLE_LABEL.value;
}

/** The forbidden S3 actions a policy document allows on a bucket (by name), or []. Pure; exported for testing. */
export function archiveGrantProblems(policy: unknown, bucket: string): string[] {
    const problems: string[] = [];
    for (const s of policyStatements(policy)) {
        if (s.Effect !== "Allow") {
            continue;
        }
        const onBucket = asList(s.Resource).some((r) => r === "*" || r === `arn:aws:s3:::${bucket}` || r.startsWith(`arn:aws:s3:::${bucket}/`));
        const forbidden = asList(s.Action).filter((a) => ARCHIVE_FORBIDDEN_S3.test(a));
        if (onBucket && forbidden.length > 0) {
            problems.push(forbidden.join(", "));
        }
    }
    return problems;
}

export function archiveAppendOnly(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "archive-append-only",
        description: "Nothing the program grants may delete, or change the protection of, what the archive holds: writers create objects only.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            for (const bucket of ofType(args.resources, TYPES.s3Bucket).filter(isArchiveBucket)) {
                const name = String(bucket.props.bucket ?? bucket.name);
                for (const p of args.resources.filter((r) => IAM_POLICY_TYPES.has(r.type))) {
                    for (const actions of archiveGrantProblems(p.props.policy, name)) {
                        report(`IAM policy ${p.name} allows ${actions} on the archive bucket "${name}": an archive writer needs s3:PutObject (and multipart) only`, p.urn);
                    }
                }
            }
            for (const bucket of ofType(args.resources, TYPES.gcsBucket).filter(isArchiveBucket)) {
                const name = String(bucket.props.name ?? bucket.name);
                for (const m of ofType(args.resources, TYPES.gcsBucketIamMember).filter((x) => x.props.bucket === name)) {
                    const role = String(m.props.role);
                    if (!ARCHIVE_ALLOWED_GCS_ROLES.has(role)) {
                        report(`bucket IAM member ${m.name} grants ${role} on the archive bucket "${name}": grant roles/storage.objectCreator (create only)`, m.urn);
                    }
                }
            }
        },
    };
}

const CONNECTOR_TYPES = new Set<string>([TYPES.kafkaConnector, TYPES.mskConnectConnector, TYPES.confluentConnector]);

/** The topics a connector resource reads (Strimzi `spec.config.topics`, MSK `connectorConfiguration`, Confluent `configNonsensitive`). */
function connectorTopics(r: PolicyResource): string[] {
    const config = record(record(r.props.spec)?.config) ?? record(r.props.connectorConfiguration) ?? record(r.props.configNonsensitive) ?? {};
    return String(config.topics ?? "").split(",").filter((t) => t !== "");
}

export function archiveInProd(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "archive-in-prod",
        description: "A prod stack with Kafka archives the audit trail: an archive bucket and a connector that reads audit-trail.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateStack: (args, report) => {
            const hasKafka = args.resources.some((r) => r.type === TYPES.kafkaTopic || r.type === TYPES.confluentTopic);
            if (environmentOf(args) !== "prod" || !hasKafka) {
                return;
            }
            const buckets = [...ofType(args.resources, TYPES.s3Bucket), ...ofType(args.resources, TYPES.gcsBucket)].filter(isArchiveBucket);
            if (buckets.length === 0) {
                report(`no archive bucket (an S3 or GCS bucket labelled ${ARCHIVE_ROLE_LABEL.key}: ${ARCHIVE_ROLE_LABEL.value}): set archive.bucket and archive.region in the stack config`);
            }
            const readers = args.resources.filter((r) => CONNECTOR_TYPES.has(r.type) && connectorTopics(r).includes("audit-trail"));
            if (readers.length === 0) {
                report("no archive connector reads audit-trail (a KafkaConnector, MSK Connect or Confluent connector with audit-trail in its topics)");
            }
        },
    };
}

export function archivePolicies(level: EnforcementLevel): StackValidationPolicy[] {
    return [archiveAppendOnly(level), archiveInProd(level)];
}
