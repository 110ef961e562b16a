/**
 * What the alerts read, planned so that each alert can fire: the alert rules name metrics, and something the plan
 * deploys (or scrapes) must produce each of them (test/components/observability.test.ts checks the pairing).
 *
 * - Consumer lag (`kafka_consumergroup_lag{consumergroup,topic,partition}`) comes from danielqsj/kafka_exporter, one per
 *   Kafka-protocol cluster the services consume from: Kafka itself, and Pulsar through KoP while the orchestrator is on
 *   KoP (KoP answers ListGroups, DescribeGroups, OffsetFetch and ListOffsets: Starlight for Kafka KafkaCommandDecoder;
 *   a Kafka group is not a Pulsar subscription, so the brokers' own metrics never show it).
 * - RabbitMQ's per-queue series (`rabbitmq_queue_messages_ready{vhost,queue}`) exist only on the rabbitmq_prometheus
 *   plugin's `/metrics/per-object` endpoint: `/metrics` aggregates unless `prometheus.return_per_object_metrics` is
 *   set, which defaults to false (rabbitmq.com/docs/prometheus, "per-object endpoint"). The broker is external: it is
 *   scraped as a static target.
 * Pure.
 */
import { kopDefaultNamespaceOf, kopTopicName } from "./kop";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, type CredentialBook, type SecretKeyRef } from "./credentials";
import type { ArchivePlan } from "./archive-plan";
import { consumerGroupOf } from "./kafka-plan";
import type { KafkaPlan, PulsarPlan, StreamRoute } from "./model";
import { LAG_EXPORTER_SERVICE, pulsarRole } from "./naming";

export interface LagExporterPlan {
    /** Deployment name: `kafka-exporter` (Kafka) or `kop-exporter` (Pulsar through KoP). */
    name: string;
    cluster: "kafka" | "kop";
    /** host:port list, or the provisioned cluster's bootstrap output. */
    bootstrap: string[] | { fromOutput: "kafkaBootstrap" };
    tls: boolean;
    /** The exporter's `--sasl.mechanism` (kafka_exporter flag spelling), when the cluster authenticates. */
    saslMechanism?: "plain" | "scram-sha256" | "scram-sha512" | "aws-msk-iam";
    username?: { value: string } | { secretRef: SecretKeyRef };
    password?: SecretKeyRef;
    /** A CA file the exporter trusts (the platform's CA for KoP over TLS). */
    caFile?: string;
    /**
     * 2 in prod (a node drain leaves lag visible), else 1. Every replica exports the same series, told apart by the
     * scrape's instance label, so the alerts take the max per partition before they sum.
     */
    replicas: number;
    /** Only these groups and topics are exported (the services' own). */
    groups: string[];
    /** And the groups that start with one of these (a managed connector's `connect-lcc-<id>`). */
    groupPrefixes: string[];
    topics: string[];
}

export interface ObservabilityPlan {
    enabled: boolean;
    exporterImage: string;
    lagExporters: LagExporterPlan[];
    /** RabbitMQ's per-object Prometheus endpoint, scraped as a static target. */
    rabbitmqMetrics: { host: string; port: number; scheme: "http" | "https"; path: "/metrics/per-object" } | null;
}

const SASL = { PLAIN: "plain", "SCRAM-SHA-256": "scram-sha256", "SCRAM-SHA-512": "scram-sha512", AWS_MSK_IAM: "aws-msk-iam" } as const;

/** The rabbitmq_prometheus plugin's listener (rabbitmq.com/docs/prometheus: 15692, TLS 15691). */
const RABBITMQ_PROMETHEUS_PORT = { http: 15692, https: 15691 } as const;

export function planObservability(
    config: PlatformConfig,
    routes: StreamRoute[],
    kafka: KafkaPlan | null,
    pulsar: PulsarPlan | null,
    book: CredentialBook,
    archive: ArchivePlan | null = null,
): ObservabilityPlan {
    const o = config.observability;
    if (!o.enabled) {
        return { enabled: false, exporterImage: o.kafkaExporterImage, lagExporters: [], rabbitmqMetrics: null };
    }
    const replicas = config.environment === "prod" ? 2 : 1;
    const consumers = (pick: (c: StreamRoute["consume"][number]) => boolean) => routes.flatMap((r) => r.consume.filter(pick));
    const lagExporters: LagExporterPlan[] = [];
    const onKafka = consumers((c) => c.broker === "kafka" && c.protocol === "kafka");
    if (kafka && onKafka.length > 0) {
        const sec = kafka.clientSecurity;
        const sasl = sec.saslMechanism ? SASL[sec.saslMechanism] : undefined;
        const login = sasl && sasl !== "aws-msk-iam";
        lagExporters.push({
            name: LAG_EXPORTER_SERVICE,
            cluster: "kafka",
            bootstrap: kafka.clientBootstrapServers ?? { fromOutput: "kafkaBootstrap" },
            tls: sec.protocol !== "PLAINTEXT",
            replicas,
            ...(sasl ? { saslMechanism: sasl } : {}),
            ...(login
                ? {
                      username: { secretRef: book.ref(LAG_EXPORTER_SERVICE, CREDENTIAL_KEYS.kafkaUsername, { from: "kafka-username", principal: LAG_EXPORTER_SERVICE }) },
                      password: book.ref(LAG_EXPORTER_SERVICE, CREDENTIAL_KEYS.kafkaPassword, { from: "kafka-password", principal: LAG_EXPORTER_SERVICE }),
                  }
                : {}),
            // The archiver's lag is its Kafka Connect sink's group (topology/kafka-plan.ts consumerGroupOf).
            groups: [...new Set(onKafka.map((c) => consumerGroupOf(c.service, archive)).filter((g) => g.pattern === "Literal").map((g) => g.name))].sort(),
            groupPrefixes: [...new Set(onKafka.map((c) => consumerGroupOf(c.service, archive)).filter((g) => g.pattern === "Prefixed").map((g) => g.name))].sort(),
            topics: [...new Set(onKafka.map((c) => c.topic))].sort(),
        });
    }
    const onKop = consumers((c) => c.broker === "pulsar" && c.protocol === "kafka");
    if (pulsar && onKop.length > 0) {
        const name = "kop-exporter";
        lagExporters.push({
            name,
            cluster: "kop",
            bootstrap: [pulsar.endpoints.kopBootstrap],
            tls: pulsar.tls !== null,
            replicas,
            ...(pulsar.tokenAuth
                ? {
                      // KoP's PLAIN login: the tenant/namespace as user name, `token:<jwt>` as password (KoP docs, security).
                      saslMechanism: "plain" as const,
                      username: { value: "public/default" },
                      password: book.ref(name, CREDENTIAL_KEYS.kopPassword, { from: "pulsar-token", role: pulsarRole("public", LAG_EXPORTER_SERVICE), prefix: "token:" }),
                  }
                : {}),
            ...(pulsar.tls ? { caFile: pulsar.tls.trust.file } : {}),
            groups: [...new Set(onKop.map((c) => c.service))].sort(),
            groupPrefixes: [],
            // The names KoP lists the topics under (kopTopicName), which is what kafka_exporter's filter is matched against.
            topics: [...new Set(onKop.map((c) => kopTopicName(c.topic, kopDefaultNamespaceOf(pulsar.kop.brokerConfig))))].sort(),
        });
    }
    const amqp = new URL(config.rabbitmq.amqpEndpoint);
    const scheme = amqp.protocol === "amqps:" ? "https" : "http";
    return {
        enabled: true,
        exporterImage: o.kafkaExporterImage,
        lagExporters,
        rabbitmqMetrics: { host: amqp.hostname, port: RABBITMQ_PROMETHEUS_PORT[scheme], scheme, path: "/metrics/per-object" },
    };
}
