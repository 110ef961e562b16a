/**
 * Migration invariants, checked over the whole stack: what must hold whatever the phase, so that a bump or a
 * rollback never loses the audit trail, never leaves a window without a broker or a matcher, and never deletes data.
 *
 * The phase and gates are stack config (`messaging-platform:phase`, `:gates`, `:kafka`). A policy pack process can
 * read its stack's config with `pulumi.Config` (pulumi/pulumi#3612); the offline runner sets the same config under
 * mocks. Tests inject facts directly. Unknown facts take the strict reading (gate not approved, no decommission).
 */
import { isArchiveBucket } from "./archive";
import * as pulumi from "@pulumi/pulumi";
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { MATCHER_SERVICE, STREAMS } from "../../topology/catalog";
import { CONFIG_NAMESPACE } from "../../topology/config";
import { PHASE_CAPABILITIES } from "../../topology/phases";
import { isPhaseId } from "../../topology/phases";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, objectName, ofType, podSpecOf, record } from "./common";
import { isPulsarRelease } from "./security";

/** What the migration policies need to know about the stack beyond its resources. */
export interface MigrationFacts {
    /** `messaging-platform:phase`, when known. */
    phase?: number;
    /** `messaging-platform:gates.auditParity` */
    auditParity: boolean;
    /** `messaging-platform:kafka.decommissionConfirmed` */
    kafkaDecommissionConfirmed: boolean;
}

export type MigrationFactsSource = () => MigrationFacts;

/** Reads the facts from the stack config of the running stack (engine or mocks). */
export const stackConfigFacts: MigrationFactsSource = () => {
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const phase = config.getNumber("phase");
    const gates = record(config.getObject<unknown>("gates")) ?? {};
    const kafka = record(config.getObject<unknown>("kafka")) ?? {};
    return {
        ...(phase !== undefined ? { phase } : {}),
        auditParity: gates.auditParity === true,
        kafkaDecommissionConfirmed: kafka.decommission === true && kafka.decommissionConfirmed === true,
    };
};

const AUDIT_STREAM = STREAMS.find((s) => s.name === "audit-trail");
/** The audit-trail stream's Kafka topic (the catalog's, not overridable). */
export const AUDIT_KAFKA_TOPIC = AUDIT_STREAM?.kafkaTopic ?? "audit-trail";

function kafkaTopicNames(resources: PolicyResource[]): string[] {
    return [
        ...ofType(resources, TYPES.kafkaTopic).map((r) => String(r.props.name ?? r.name)),
        ...ofType(resources, TYPES.confluentTopic).map((r) => String(r.props.topicName ?? r.name)),
    ];
}

export function auditTrailKeepsKafkaTopic(level: EnforcementLevel, facts: MigrationFactsSource = stackConfigFacts): StackValidationPolicy {
    return {
        name: "audit-trail-keeps-kafka-topic",
        description: `The audit-trail stream keeps its Kafka topic (${AUDIT_KAFKA_TOPIC}) until gates.auditParity is approved.`,
        enforcementLevel: level,
        validateStack: (args, report) => {
            if (facts().auditParity) {
                return;
            }
            if (!kafkaTopicNames(args.resources).includes(AUDIT_KAFKA_TOPIC)) {
                report(
                    `the Kafka topic ${AUDIT_KAFKA_TOPIC} is missing while gates.auditParity is false: the audit trail is cut over last, ` +
                        "only after parity is proven; keep the topic (restore it or revert the change) until the gate is approved",
                );
            }
        },
    };
}

export function hasPulsar(resources: PolicyResource[]): boolean {
    return resources.some(
        (r) =>
            (r.type === TYPES.helmRelease && isPulsarRelease(r.props)) ||
            (r.type === TYPES.statefulSet && (podSpecOf(r.props).containers ?? []).some((c) => /pulsar/.test(c.image ?? ""))),
    );
}

export function hasKafka(resources: PolicyResource[]): boolean {
    return resources.some((r) => [TYPES.mskCluster, TYPES.confluentCluster, TYPES.kafkaTopic, TYPES.confluentTopic].includes(r.type as never));
}

export function kafkaAndPulsarCoexist(level: EnforcementLevel, facts: MigrationFactsSource = stackConfigFacts): StackValidationPolicy {
    return {
        name: "kafka-pulsar-coexist",
        description: "From phase 1 Pulsar runs beside Kafka; Kafka goes only on a confirmed decommission (kafka.decommissionConfirmed).",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const f = facts();
            const pulsar = hasPulsar(args.resources);
            if (f.phase !== undefined && f.phase >= 1 && !pulsar) {
                report(`phase ${f.phase} has no Pulsar cluster: from phase 1 the platform runs Pulsar with KoP; restore the PulsarCluster or set phase 0`);
            }
            if ((pulsar || (f.phase ?? 0) >= 1) && !hasKafka(args.resources) && !f.kafkaDecommissionConfirmed) {
                report(
                    "Kafka is gone but its decommission is not confirmed: Kafka stays the rollback path until kafka.decommission and " +
                        "kafka.decommissionConfirmed are both true at phase 3; restore the Kafka cluster and topics",
                );
            }
        },
    };
}

function matcherDeployments(resources: PolicyResource[]): PolicyResource[] {
    return ofType(resources, TYPES.deployment).filter((r) => objectName(r.props, r.name) === MATCHER_SERVICE);
}

function matcherFunctions(resources: PolicyResource[]): PolicyResource[] {
    return ofType(resources, TYPES.pulsarFunction).filter(
        (r) => objectName(r.props, r.name) === MATCHER_SERVICE || record(r.props.spec)?.name === MATCHER_SERVICE,
    );
}

export function exactlyOneMatcher(level: EnforcementLevel, facts: MigrationFactsSource = stackConfigFacts): StackValidationPolicy {
    return {
        name: "exactly-one-matcher",
        description: `Exactly one ${MATCHER_SERVICE} runs: a Deployment before phase 2, a Pulsar Function from phase 2.`,
        enforcementLevel: level,
        validateStack: (args, report) => {
            const deployments = matcherDeployments(args.resources);
            const functions = matcherFunctions(args.resources);
            const total = deployments.length + functions.length;
            if (total !== 1) {
                report(
                    `${total} ${MATCHER_SERVICE} instances (${deployments.length} Deployment, ${functions.length} Function): requests are ` +
                        `${total === 0 ? "never matched" : "matched twice"}; keep exactly one (the phase decides which)`,
                );
                return;
            }
            const phase = facts().phase;
            if (phase === undefined || !isPhaseId(phase)) {
                return;
            }
            const expected = PHASE_CAPABILITIES[phase].matcher;
            const actual = deployments.length === 1 ? "deployment" : "function";
            if (expected !== actual) {
                report(`${MATCHER_SERVICE} runs as a ${actual} at phase ${phase}, where it should be a ${expected}: rebuild from the planned topology`);
            }
        },
    };
}

export function offloadThresholdsOnNamespaces(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "offload-thresholds-on-namespaces",
        description: "When an offload bucket exists, every Pulsar namespace sets offload size and time thresholds.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            // The archive's bucket is not an offload target (policies/rules/archive.ts).
            const buckets = [...ofType(args.resources, TYPES.s3Bucket), ...ofType(args.resources, TYPES.gcsBucket)].filter((b) => !isArchiveBucket(b));
            if (buckets.length === 0) {
                return;
            }
            for (const ns of ofType(args.resources, TYPES.pulsarNamespace)) {
                const spec = record(ns.props.spec) ?? {};
                const missing = ["offloadThresholdSize", "offloadThresholdTime"].filter((k) => spec[k] === undefined || spec[k] === "");
                if (missing.length > 0) {
                    report(
                        `PulsarNamespace ${String(spec.name ?? ns.name)} has no ${missing.join(" or ")} although tiered storage is on: ` +
                            "set them (tieredStorage.thresholdBytes / thresholdSeconds) so ledgers reach the bucket",
                        ns.urn,
                    );
                }
            }
        },
    };
}

/**
 * Resource types that hold data or state: a deletion or replacement loses messages, ledgers, offsets, volumes or the
 * keys that decrypt them (a Kubernetes Namespace or a RabbitMQ vhost takes everything inside with it; the Pulsar
 * chart's release and the standalone StatefulSet run the bookies and their volumes).
 */
export const STATEFUL_TYPES: readonly string[] = [
    TYPES.s3Bucket,
    TYPES.gcsBucket,
    TYPES.kmsKey,
    TYPES.mskCluster,
    TYPES.confluentEnvironment,
    TYPES.confluentCluster,
    TYPES.kafkaTopic,
    TYPES.confluentTopic,
    TYPES.rabbitVhost,
    TYPES.rabbitQueue,
    TYPES.k8sNamespace,
    TYPES.pvc,
    TYPES.statefulSet,
    TYPES.helmRelease,
    TYPES.pulsarTenant,
    TYPES.pulsarNamespace,
    TYPES.pulsarTopic,
];

/**
 * In prod every stateful resource is protected. Policies see `protect` but not `retainOnDelete` (the analyzer's
 * resource options carry no such field: @pulumi/policy PolicyResourceOptions), so `protect` is what is checked;
 * the components set retainOnDelete as well.
 */
export function statefulResourcesProtected(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "stateful-resources-protected",
        description: "In prod buckets, Kafka clusters and topics, RabbitMQ queues and Pulsar namespaces/topics are protected.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateStack: (args, report) => {
            if (environmentOf(args) !== "prod") {
                return;
            }
            for (const r of args.resources.filter((x) => STATEFUL_TYPES.includes(x.type) && !x.opts.protect)) {
                report(
                    `${r.type} ${r.name} holds data but is not protected in prod: pass { protect: topology.protectData, retainOnDelete: true } ` +
                        "so a rollback or a refactor cannot delete it",
                    r.urn,
                );
            }
        },
    };
}

/** Every migration invariant, at one level. */
export function migrationPolicies(
    level: EnforcementLevel,
    facts: MigrationFactsSource = stackConfigFacts,
): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        auditTrailKeepsKafkaTopic(level, facts),
        kafkaAndPulsarCoexist(level, facts),
        exactlyOneMatcher(level, facts),
        offloadThresholdsOnNamespaces(level),
        statefulResourcesProtected(level),
    ];
}
