/**
 * The archive (seed 004: "Kafka Connect S3 sink for the audit trail and ETL output"; seed 002: audit continuity is
 * mandatory): `audit-archiver` is a Kafka Connect sink that writes the archived streams' Kafka topics (audit-trail and
 * the telescope telemetry the ETL reads) to a hardened bucket of its own, in the managed form each Kafka provider has:
 *
 * - MSK with IAM auth: MSK Connect. MSK Connect authenticates to the cluster with IAM or not at all (its
 *   `kafkaClusterClientAuthentication.authenticationType` takes IAM | NONE), so an MSK cluster with SCRAM auth cannot
 *   use it and gets the Kubernetes form instead.
 * - Confluent Cloud: its fully managed sink (S3_SINK or GCS_SINK), which creates its own dead-letter topic
 *   (`dlq-<connector id>`, docs.confluent.io "Dead Letter Queue").
 * - Otherwise (MSK with SCRAM, an external cluster): Kafka Connect on Kubernetes, a Strimzi `KafkaConnect` cluster with
 *   a `KafkaConnector`, the connector plugin built into the workers' image from Maven Central (Strimzi `spec.build`).
 *
 * The self-managed forms run Aiven's S3 or GCS sink (Apache-2.0: io.aiven s3-connector-for-apache-kafka,
 * gcs-connector-for-apache-kafka on Maven Central; the GCS one is Apache-2.0 since 2020). Errors in converting a record
 * go to a dead-letter topic (Kafka Connect's `errors.deadletterqueue.*`, sink connectors only, KIP-298) instead of
 * stopping the connector; a write to the bucket that fails is retried by the task, and its lag shows in the consumer
 * group `connect-<connector>` the lag exporter watches.
 *
 * Continuity across phases: the archive reads Kafka, which keeps every archived stream in every phase while Kafka
 * exists (a cut-over stream reaches Kafka through its Pulsar -> Kafka sink, as it does for every Kafka-only consumer),
 * and Kafka cannot be decommissioned while audit-archiver reads it (topology/config-rules.ts: no Kafka-only reader may
 * remain). Pure.
 */
import type { StreamSpec } from "./catalog";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, type CredentialBook } from "./credentials";
import type { KafkaPlan, StreamRoute } from "./model";

/** The archiver: its Kafka principal and its connector's name. */
export const ARCHIVER = "audit-archiver";
/** Kafka Connect's consumer group of a sink connector (Kafka Connect: `connect-` + the connector's name). */
export function connectorGroup(connector: string): string {
    return `connect-${connector}`;
}
/** The label (S3 tag, GCS label) that marks the archive bucket, for the policy pack (policies/rules/archive.ts). */
export const ARCHIVE_ROLE_LABEL = { key: "messaging-platform-role", value: "archive" } as const;
/** The Strimzi Kafka Connect cluster (its name is also its workers' group.id). */
export const CONNECT_CLUSTER = "messaging-connect";

export type ArchiveRuntime = "msk-connect" | "confluent-managed" | "strimzi";

export interface ArchiveBucketPlan {
    store: "s3" | "gcs";
    name: string;
    region: string;
    /** Object prefix of the archive's files. */
    prefix: string;
    /** Noncurrent object versions (an overwritten or deleted file) are kept this many days. */
    noncurrentVersionDays: number;
    /** Files move to the cold storage class after this many days (S3 GLACIER_IR / GCS ARCHIVE). */
    coldAfterDays: number;
}

/** A Kafka topic the archive's Connect runtime needs besides the archived ones (its dead-letter and internal topics). */
export interface ConnectTopicPlan {
    name: string;
    partitions: number;
    config: Record<string, string>;
}

export interface ArchivePlan {
    connector: typeof ARCHIVER;
    runtime: ArchiveRuntime;
    /** Why this runtime, as `npm run plan` says it. */
    reason: string;
    streams: string[];
    /** The Kafka topics it reads. */
    topics: string[];
    bucket: ArchiveBucketPlan;
    /** The connector class (a plugin class for the self-managed forms, the managed connector's name for Confluent). */
    connectorClass: string;
    /** The connector plugin built into the Connect image (self-managed forms). */
    plugin: { group: string; artifact: string; version: string; licence: "Apache-2.0" } | null;
    /** The sink's consumer group (its lag is the archive's lag). */
    consumerGroup: string;
    /** Where records that cannot be converted go; Confluent's managed sink creates its own (`dlq-<connector id>`). */
    deadLetterTopic: ConnectTopicPlan | null;
    /** The Strimzi workers' group and internal topics (strimzi only). */
    workers: { groupId: string; topics: { offsets: ConnectTopicPlan; configs: ConnectTopicPlan; status: ConnectTopicPlan } } | null;
    /** Connector config without credentials (the components add those from Secrets or cloud identities). */
    config: Record<string, string>;
}

/** The streams archived: the audit trail (seed 002) and the telemetry ETL input (seed 004). */
export const ARCHIVED_STREAMS: readonly string[] = ["audit-trail", "telescope-telemetry"];

const AIVEN_S3 = { group: "io.aiven", artifact: "s3-connector-for-apache-kafka", version: "2.15.0", licence: "Apache-2.0" } as const;
const AIVEN_GCS = { group: "io.aiven", artifact: "gcs-connector-for-apache-kafka", version: "0.13.0", licence: "Apache-2.0" } as const;

/** Why MSK with SCRAM does not get MSK Connect. */
const MSK_CONNECT_AUTH = "MSK Connect authenticates to the cluster with IAM or not at all (authenticationType IAM | NONE)";

function runtimeOf(k: PlatformConfig["kafka"]): { runtime: ArchiveRuntime; reason: string } {
    switch (k.provider) {
        case "msk":
            return k.auth === "iam"
                ? { runtime: "msk-connect", reason: "MSK with IAM auth: MSK Connect, the managed Kafka Connect of the cluster's own account" }
                : { runtime: "strimzi", reason: `MSK with SCRAM auth: Kafka Connect on Kubernetes (Strimzi), since ${MSK_CONNECT_AUTH}` };
        case "confluent":
            return { runtime: "confluent-managed", reason: "Confluent Cloud: its fully managed sink connector" };
        case "external":
            return { runtime: "strimzi", reason: "an existing Kafka cluster: Kafka Connect on Kubernetes (Strimzi)" };
    }
}

/**
 * The archive of a stack, or null where there is no object store (cloud `none`) or no Kafka. Config validation refuses
 * a prod stack without one (topology/config-rules.ts).
 */
export function planArchive(config: PlatformConfig, routes: StreamRoute[], streams: Map<string, StreamSpec>): ArchivePlan | null {
    const a = config.archive;
    if (!a.bucket || config.cloud === "none" || config.kafka.decommission) {
        return null;
    }
    const archived = ARCHIVED_STREAMS.filter((s) => routes.some((r) => r.stream === s));
    const topics = archived.map((s) => (streams.get(s) as StreamSpec).kafkaTopic);
    const store = config.cloud === "aws" ? "s3" : "gcs";
    const { runtime, reason } = runtimeOf(config.kafka);
    const bucket: ArchiveBucketPlan = {
        store,
        name: a.bucket,
        region: a.region as string,
        prefix: a.prefix,
        noncurrentVersionDays: a.noncurrentVersionDays,
        coldAfterDays: a.coldAfterDays,
    };
    const rf = String(config.kafka.replicationFactor);
    const compacted = (name: string, partitions: number): ConnectTopicPlan => ({
        name,
        partitions,
        config: { "cleanup.policy": "compact", "min.insync.replicas": String(config.kafka.minInsyncReplicas) },
    });
    const selfManaged = runtime !== "confluent-managed";
    const deadLetterTopic: ConnectTopicPlan | null = selfManaged
        ? { name: `${ARCHIVER}-dlq`, partitions: 1, config: { "cleanup.policy": "delete", "retention.ms": String(30 * 24 * 3600 * 1000), "min.insync.replicas": String(config.kafka.minInsyncReplicas) } }
        : null;
    // Files: one per topic partition and hour, gzip'd JSON lines with the record's key, value, offset, timestamp and
    // headers (Aiven's `format.output.fields`), under <prefix><topic>/. The managed Confluent sink takes its own keys.
    const config_: Record<string, string> =
        runtime === "confluent-managed"
            ? {
                  "connector.class": store === "s3" ? "S3_SINK" : "GCS_SINK",
                  topics: topics.join(","),
                  "input.data.format": "BYTES",
                  "output.data.format": "BYTES",
                  "time.interval": "HOURLY",
                  "flush.size": "1000",
                  "tasks.max": "1",
                  "topics.dir": a.prefix.replace(/\/$/, ""),
                  ...(store === "s3" ? { "s3.bucket.name": a.bucket } : { "gcs.bucket.name": a.bucket }),
                  "errors.tolerance": "all",
              }
            : {
                  topics: topics.join(","),
                  "key.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                  "value.converter": "org.apache.kafka.connect.converters.ByteArrayConverter",
                  "format.output.type": "jsonl",
                  "format.output.fields": "key,value,offset,timestamp,headers",
                  "file.compression.type": "gzip",
                  "file.name.template": `${a.prefix}{{topic}}/{{partition}}-{{start_offset}}-{{timestamp:unit=yyyy}}{{timestamp:unit=MM}}{{timestamp:unit=dd}}{{timestamp:unit=HH}}.gz`,
                  ...(store === "s3" ? { "aws.s3.bucket.name": a.bucket, "aws.s3.region": a.region as string } : { "gcs.bucket.name": a.bucket }),
                  // A record that cannot be converted goes to the dead-letter topic with its context in headers, and the
                  // connector keeps going (KIP-298); nothing is skipped silently.
                  "errors.tolerance": "all",
                  "errors.deadletterqueue.topic.name": (deadLetterTopic as ConnectTopicPlan).name,
                  "errors.deadletterqueue.topic.replication.factor": rf,
                  "errors.deadletterqueue.context.headers.enable": "true",
                  "errors.log.enable": "true",
              };
    return {
        connector: ARCHIVER,
        runtime,
        reason,
        streams: archived,
        topics,
        bucket,
        connectorClass:
            runtime === "confluent-managed"
                ? (config_["connector.class"] as string)
                : store === "s3"
                  ? "io.aiven.kafka.connect.s3.AivenKafkaConnectS3SinkConnector"
                  : "io.aiven.kafka.connect.gcs.GcsSinkConnector",
        plugin: selfManaged ? (store === "s3" ? AIVEN_S3 : AIVEN_GCS) : null,
        consumerGroup: connectorGroup(ARCHIVER),
        deadLetterTopic,
        workers:
            runtime === "strimzi"
                ? {
                      groupId: CONNECT_CLUSTER,
                      topics: {
                          offsets: compacted(`${CONNECT_CLUSTER}-offsets`, 25),
                          configs: compacted(`${CONNECT_CLUSTER}-configs`, 1),
                          status: compacted(`${CONNECT_CLUSTER}-status`, 5),
                      },
                  }
                : null,
        config: config_,
    };
}

/** The archive's Kafka topics besides the archived ones: its dead-letter topic and the Strimzi workers' internal topics. */
export function archiveConnectTopics(archive: ArchivePlan | null): ConnectTopicPlan[] {
    return archive ? [...(archive.deadLetterTopic ? [archive.deadLetterTopic] : []), ...Object.values(archive.workers?.topics ?? {})] : [];
}

/**
 * The Secret keys the archive reads: Strimzi's workers read the archiver's Kafka password from its credential Secret
 * (`authentication.passwordSecret`); MSK Connect (IAM) and Confluent's managed sink (its service account) need none.
 */
export function planArchiveCredentials(archive: ArchivePlan | null, kafka: KafkaPlan | null, book: CredentialBook): void {
    if (archive?.runtime === "strimzi" && kafka?.clientSecurity.saslMechanism) {
        book.ref(ARCHIVER, CREDENTIAL_KEYS.kafkaPassword, { from: "kafka-password", principal: ARCHIVER });
    }
}
