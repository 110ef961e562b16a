/** The Kafka side of a topology: topics, least-privilege ACLs, the admin principal and how clients connect. */
import type { StreamSpec } from "./catalog";
import type { PlatformConfig } from "./config";
import type { KafkaAclOperation, KafkaAclPlan, KafkaAdminAclPlan, KafkaAdminPlan, KafkaClientSecurity, KafkaPlan, KafkaTopicPlan, SinkPlan, StreamRoute } from "./model";
import { ARCHIVER, type ArchivePlan } from "./archive-plan";
import { KAFKA_ADMIN_USER, KAFKA_SINK_SERVICE, LAG_EXPORTER_SERVICE, kafkaPrincipal } from "./naming";

/** Confluent Cloud's managed connectors name their consumer group and dead-letter topic after their id (lcc-...). */
export const CONFLUENT_CONNECTOR_GROUP_PREFIX = "connect-lcc-";
export const CONFLUENT_CONNECTOR_DLQ_PREFIX = "dlq-lcc-";

/**
 * The consumer group a Kafka reader commits under: its service name, except the archiver, whose Kafka Connect sink
 * commits under `connect-<connector>` (self-managed), or `connect-lcc-<id>` (Confluent's managed sink: a prefix).
 */
export function consumerGroupOf(service: string, archive: ArchivePlan | null): { name: string; pattern: "Literal" | "Prefixed" } {
    if (service === ARCHIVER && archive) {
        return archive.runtime === "confluent-managed" ? { name: CONFLUENT_CONNECTOR_GROUP_PREFIX, pattern: "Prefixed" } : { name: archive.consumerGroup, pattern: "Literal" };
    }
    return { name: service, pattern: "Literal" };
}


/** An Allow ACL on a literal resource name from any host: the only kind the platform grants. */
export function allowLiteral(principal: string, resourceType: "Topic" | "Group", resourceName: string, operation: KafkaAclOperation): KafkaAclPlan {
    return { principal, resourceType, resourceName, patternType: "Literal", operation, permissionType: "Allow", host: "*" };
}
export function planKafka(
    config: PlatformConfig,
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    sinks: SinkPlan[],
    archive: ArchivePlan | null = null,
): KafkaPlan {
    const k = config.kafka;
    const topics: KafkaTopicPlan[] = config.streams.map((s) => ({
        name: s.kafkaTopic,
        stream: s.name,
        partitions: s.partitions,
        replicationFactor: k.replicationFactor,
        config: {
            "cleanup.policy": "delete",
            "retention.ms": String(s.retentionMs),
            "min.insync.replicas": String(k.minInsyncReplicas),
        },
    }));

    // Least privilege, as kafka-gitops and JulieOps derive it: Write+Describe per produced topic, Read+Describe
    // per consumed topic, Read on the consumer group named after the service; only for Kafka traffic of this phase.
    const acls = new Map<string, KafkaAclPlan>();
    const grant = (service: string, resourceType: "Topic" | "Group", resourceName: string, operation: KafkaAclOperation, patternType: "Literal" | "Prefixed" = "Literal") => {
        const acl = { ...allowLiteral(kafkaPrincipal(service), resourceType, resourceName, operation), patternType };
        acls.set(`${acl.principal}|${resourceType}|${patternType}|${resourceName}|${operation}`, acl);
    };
    const groupOf = (service: string) => consumerGroupOf(service, archive);
    for (const r of routes) {
        const s = streams.get(r.stream) as StreamSpec;
        if (r.produce.some((e) => e.broker === "kafka")) {
            for (const p of s.producers) {
                grant(p, "Topic", s.kafkaTopic, "Write");
                grant(p, "Topic", s.kafkaTopic, "Describe");
            }
        }
        for (const c of r.consume.filter((e) => e.broker === "kafka")) {
            grant(c.service, "Topic", s.kafkaTopic, "Read");
            grant(c.service, "Topic", s.kafkaTopic, "Describe");
            const g = groupOf(c.service);
            grant(c.service, "Group", g.name, "Read", g.pattern);
        }
    }
    // The archive's Connect runtime: the dead-letter topic it writes, and (Strimzi) the workers' group and internal
    // topics, all as the archiver (the workers' own login). Confluent's managed sink writes `dlq-lcc-<id>`, a topic it
    // creates (Create and Write on that prefix; docs.confluent.io "Manage ACLs for managed connectors").
    if (archive) {
        if (archive.deadLetterTopic) {
            grant(ARCHIVER, "Topic", archive.deadLetterTopic.name, "Write");
            grant(ARCHIVER, "Topic", archive.deadLetterTopic.name, "Describe");
        } else {
            grant(ARCHIVER, "Topic", CONFLUENT_CONNECTOR_DLQ_PREFIX, "Write", "Prefixed");
            grant(ARCHIVER, "Topic", CONFLUENT_CONNECTOR_DLQ_PREFIX, "Describe", "Prefixed");
        }
        if (archive.workers) {
            grant(ARCHIVER, "Group", archive.workers.groupId, "Read");
            for (const t of Object.values(archive.workers.topics)) {
                for (const op of ["Read", "Write", "Describe"] as const) {
                    grant(ARCHIVER, "Topic", t.name, op);
                }
            }
        }
    }
    for (const sink of sinks) {
        grant(KAFKA_SINK_SERVICE, "Topic", sink.kafkaTopic, "Write");
        grant(KAFKA_SINK_SERVICE, "Topic", sink.kafkaTopic, "Describe");
    }
    // The lag exporter reads committed offsets (OffsetFetch, DescribeGroups: Describe on the group) and the log ends
    // (ListOffsets: Describe on the topic) of every group consuming from Kafka, and nothing else.
    if (config.observability.enabled) {
        const consumed = routes.flatMap((r) => r.consume.filter((c) => c.broker === "kafka" && c.protocol === "kafka").map((c) => ({ topic: c.topic, group: c.service })));
        for (const { topic, group } of consumed) {
            grant(LAG_EXPORTER_SERVICE, "Topic", topic, "Describe");
            const g = groupOf(group);
            grant(LAG_EXPORTER_SERVICE, "Group", g.name, "Describe", g.pattern);
        }
    }
    const sorted = [...acls.values()].sort((a, b) =>
        `${a.principal}|${a.resourceType}|${a.resourceName}|${a.patternType}|${a.operation}`.localeCompare(
            `${b.principal}|${b.resourceType}|${b.resourceName}|${b.patternType}|${b.operation}`,
        ),
    );
    return {
        provider: k.provider,
        settings: k,
        clientSecurity: kafkaClientSecurity(k),
        ...(k.provider === "external" ? { bootstrapServers: k.bootstrapServers, clientBootstrapServers: k.clientBootstrapServers ?? k.bootstrapServers } : {}),
        topics,
        acls: sorted,
        accessControl: k.provider === "msk" && k.auth === "iam" ? "iam" : "acl",
        principals: [...new Set(sorted.map((a) => a.principal.slice("User:".length)))].sort(),
        retainOnDelete: true,
        admin: kafkaAdmin(k),
    };
}

function kafkaAdmin(k: PlatformConfig["kafka"]): KafkaAdminPlan {
    switch (k.provider) {
        case "msk": {
            if (k.auth === "iam") {
                return { acls: [] };
            }
            // MSK has no super.users: the admin grants itself everything first (while no ACL exists on the cluster,
            // allow.everyone.if.no.acl.found lets it). The wildcards also close that default for everyone else.
            const principal = kafkaPrincipal(KAFKA_ADMIN_USER);
            const all = (resourceType: KafkaAdminAclPlan["resourceType"], resourceName: string): KafkaAdminAclPlan => ({
                principal, resourceType, resourceName, patternType: "Literal", operation: "All", permissionType: "Allow", host: "*",
            });
            return { username: KAFKA_ADMIN_USER, acls: [all("Cluster", "kafka-cluster"), all("Topic", "*"), all("Group", "*")] };
        }
        case "confluent":
            // Confluent Cloud: the admin service account holds CloudClusterAdmin (RBAC), no ACLs needed.
            return { username: KAFKA_ADMIN_USER, acls: [] };
        case "external":
            return k.sasl ? { username: k.sasl.username, acls: [] } : { acls: [] };
    }
}

const SASL_MECHANISMS = { plain: "PLAIN", "scram-sha256": "SCRAM-SHA-256", "scram-sha512": "SCRAM-SHA-512" } as const;

/**
 * The Kafka client security of a cluster: SASL over TLS for MSK and Confluent (which offer nothing else) and for an
 * external cluster with SASL credentials; otherwise TLS or plaintext as `kafka.tls` says.
 */
export function kafkaClientSecurity(k: PlatformConfig["kafka"]): KafkaClientSecurity {
    if (k.provider === "confluent") {
        return { protocol: "SASL_SSL", saslMechanism: "PLAIN" };
    }
    if (k.provider === "msk") {
        return { protocol: "SASL_SSL", saslMechanism: k.auth === "iam" ? "AWS_MSK_IAM" : "SCRAM-SHA-512" };
    }
    if (k.sasl) {
        return { protocol: "SASL_SSL", saslMechanism: SASL_MECHANISMS[k.sasl.mechanism] };
    }
    return { protocol: k.tls ? "SSL" : "PLAINTEXT" };
}

/** Where the per-tenant Pulsar tokens are mounted (phase 3 with token auth): one file per tenant, named after it. */
