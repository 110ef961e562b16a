/**
 * The built-in catalog: services and streams, from the seed documents.
 *
 * - Orchestrator services and their streams: seeds 000 and 001 (user-requests, tool-signals,
 *   orchestrator-plans, orchestrator-results; matcher, coordinator, result consumer, retry worker,
 *   job result updater).
 * - Job and governance streams with their Pulsar targets and migration phases: seed 002's topic mapping.
 * - Telescope telemetry (edge ingest on Pulsar, ETL on Kafka) and the governance/audit flow: seed 004.
 *
 * Stack config may override a stream's fields (`streams` key); everything else reads this file.
 */
import type { PhaseId } from "./phases";

/**
 * How a service talks to the brokers as the migration advances.
 * - `orchestrator`: follows the phase: Kafka client on Kafka (0), the same Kafka client on KoP (1),
 *   the native Pulsar client (2+). Deployed by this program.
 * - `pulsar-ready`: moves a stream to Pulsar when that stream is cut over (dual-publishes before).
 * - `kafka-only`: stays on Kafka (ETL jobs, Kafka Connect archivers); fed by Pulsar->Kafka sinks once the
 *   producers of its streams have moved.
 */
export const SERVICE_CLIENTS = ["orchestrator", "pulsar-ready", "kafka-only"] as const;
export type ServiceClient = (typeof SERVICE_CLIENTS)[number];

export interface ServiceSpec {
    name: string;
    client: ServiceClient;
    description: string;
    /** HTTP port for probes and the Service, for the services this program deploys. */
    port?: number;
}

export const SERVICES: readonly ServiceSpec[] = [
    { name: "ingress-gateway", client: "orchestrator", port: 8080, description: "accepts user requests and plans; routes them by tenant from phase 3" },
    { name: "mcp-matcher", client: "orchestrator", port: 8081, description: "matches requests to MCP tools; a Pulsar Function from phase 2" },
    { name: "execution-coordinator", client: "orchestrator", port: 8082, description: "executes tool signals and plans" },
    { name: "result-consumer", client: "orchestrator", port: 8083, description: "collects orchestrator results" },
    { name: "retry-worker", client: "orchestrator", port: 8084, description: "retries failed executions, dead-letters the rest" },
    { name: "job-result-updater", client: "orchestrator", port: 8085, description: "writes results and failures back to jobs" },
    { name: "job-api", client: "pulsar-ready", description: "jobs service: publishes job status changes and completions" },
    { name: "job-worker", client: "pulsar-ready", description: "runs cosmic-ai jobs; publishes job performance metrics" },
    { name: "governance-api", client: "pulsar-ready", description: "Java Governance API: writes the audit trail" },
    { name: "notification-service", client: "pulsar-ready", description: "sends job notifications" },
    { name: "metrics-collector", client: "pulsar-ready", description: "collects job and broker metrics" },
    { name: "metrics-exporter", client: "pulsar-ready", description: "exports broker/system metrics" },
    { name: "telescope-gateway", client: "pulsar-ready", description: "edge ingest from remote telescope sites" },
    { name: "etl-pipeline", client: "kafka-only", description: "Flink/Kafka Streams ETL into the data lake" },
    { name: "audit-archiver", client: "kafka-only", description: "Kafka Connect S3 archiver of the audit trail" },
    { name: "audit-bridge", client: "pulsar-ready", description: "mirrors RabbitMQ control events (the control.audit queue) into the audit trail" },
];

export const SERVICE_NAMES = SERVICES.map((s) => s.name);
/** The services this program deploys (the orchestrator's; seed 000): their env, credentials and grants are planned here. */
export const ORCHESTRATOR_SERVICES: readonly string[] = SERVICES.filter((s) => s.client === "orchestrator").map((s) => s.name);

/** The service that becomes a Pulsar Function when the plan says so. */
export const MATCHER_SERVICE = "mcp-matcher";

export const GATE_NAMES = ["auditParity", "lifecycleParity"] as const;
export type GateName = (typeof GATE_NAMES)[number];

export const CRITICALITIES = ["standard", "critical"] as const;
export type Criticality = (typeof CRITICALITIES)[number];

/**
 * How a stream reaches Pulsar before it is cut over.
 * - `kop`: its clients are orchestrator services; they move as a whole through KoP, then to the native client.
 * - `dual-publish`: producers write to Kafka and Pulsar (shadow); consumers stay on Kafka until cutover.
 */
export const BRIDGES = ["kop", "dual-publish"] as const;
export type Bridge = (typeof BRIDGES)[number];

export interface PulsarTopicName {
    tenant: string;
    namespace: string;
    topic: string;
}

export interface StreamSpec {
    name: string;
    domain: "orchestrator" | "jobs" | "governance" | "metrics" | "observatories";
    kafkaTopic: string;
    pulsarTopic: PulsarTopicName;
    partitions: number;
    /** How long each broker keeps messages, in milliseconds (-1: forever). */
    retentionMs: number;
    criticality: Criticality;
    /** Gate that must be approved in config before a critical stream cuts over. */
    gate?: GateName;
    bridge: Bridge;
    /** First phase the stream exists on Pulsar (through KoP, or dual-published). */
    pulsarFrom: PhaseId;
    /** Phase from which consumers read it on Pulsar and producers write only there (subject to the gate). */
    cutoverAt: PhaseId;
    producers: string[];
    consumers: string[];
    /** JSON schema registered on the Pulsar topic once schemas are registered (file under schemas/). */
    schema?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

const orchestrator = (
    name: string,
    producers: string[],
    consumers: string[],
    extra: Partial<StreamSpec> = {},
): StreamSpec => ({
    name,
    domain: "orchestrator",
    kafkaTopic: name,
    // KoP maps short Kafka topic names to kafkaTenant/kafkaNamespace (public/default), which is also the
    // seed's PULSAR_NAMESPACE, so KoP (phase 1) and the native client (phase 2) share one topic.
    pulsarTopic: { tenant: "public", namespace: "default", topic: name },
    partitions: 6,
    retentionMs: 7 * DAY_MS,
    criticality: "standard",
    bridge: "kop",
    pulsarFrom: 1,
    cutoverAt: 2,
    producers,
    consumers,
    ...extra,
});

export const STREAMS: readonly StreamSpec[] = [
    orchestrator("user-requests", ["ingress-gateway"], ["mcp-matcher"], { schema: "user-request-schema.json" }),
    orchestrator("tool-signals", ["mcp-matcher"], ["execution-coordinator"], { schema: "tool-signal-schema.json" }),
    orchestrator("orchestrator-plans", ["ingress-gateway"], ["execution-coordinator"]),
    orchestrator("orchestrator-results", ["execution-coordinator"], ["result-consumer", "job-result-updater"]),
    orchestrator("orchestrator-retry", ["execution-coordinator", "result-consumer"], ["retry-worker"], { partitions: 3 }),
    orchestrator("orchestrator-dead-letter", ["retry-worker"], ["job-result-updater"], {
        partitions: 1,
        retentionMs: 30 * DAY_MS,
    }),
    {
        name: "job-lifecycle",
        domain: "jobs",
        kafkaTopic: "job-lifecycle",
        pulsarTopic: { tenant: "public", namespace: "cosmic-ai", topic: "job-status-changed" },
        partitions: 6,
        retentionMs: 30 * DAY_MS,
        criticality: "critical",
        gate: "lifecycleParity",
        bridge: "dual-publish",
        pulsarFrom: 2,
        cutoverAt: 3,
        producers: ["job-api"],
        consumers: ["notification-service", "etl-pipeline"],
    },
    {
        name: "job-metrics",
        domain: "metrics",
        kafkaTopic: "job-metrics",
        pulsarTopic: { tenant: "public", namespace: "metrics", topic: "job-performance-metrics" },
        partitions: 6,
        retentionMs: 7 * DAY_MS,
        criticality: "standard",
        bridge: "dual-publish",
        pulsarFrom: 1,
        cutoverAt: 2,
        producers: ["job-worker"],
        consumers: ["metrics-collector", "etl-pipeline"],
    },
    {
        name: "notifications",
        domain: "jobs",
        kafkaTopic: "notifications",
        pulsarTopic: { tenant: "public", namespace: "cosmic-ai", topic: "job-completed" },
        partitions: 3,
        retentionMs: 3 * DAY_MS,
        criticality: "standard",
        bridge: "dual-publish",
        pulsarFrom: 1,
        cutoverAt: 2,
        producers: ["job-api"],
        consumers: ["notification-service"],
    },
    {
        name: "audit-trail",
        domain: "governance",
        kafkaTopic: "audit-trail",
        // Seed 002: "dedicated audit-trail Pulsar topic (to be added)", migrated last.
        pulsarTopic: { tenant: "public", namespace: "cosmic-ai", topic: "audit-trail" },
        partitions: 3,
        retentionMs: 365 * DAY_MS,
        criticality: "critical",
        gate: "auditParity",
        bridge: "dual-publish",
        pulsarFrom: 3,
        cutoverAt: 3,
        producers: ["governance-api", "job-api", "audit-bridge"],
        consumers: ["audit-archiver"],
    },
    {
        name: "broker-metrics",
        domain: "metrics",
        kafkaTopic: "broker-metrics",
        pulsarTopic: { tenant: "public", namespace: "metrics", topic: "broker-metrics" },
        partitions: 3,
        retentionMs: 3 * DAY_MS,
        criticality: "standard",
        bridge: "dual-publish",
        pulsarFrom: 1,
        cutoverAt: 2,
        producers: ["metrics-exporter"],
        consumers: ["metrics-collector"],
    },
    {
        name: "telescope-telemetry",
        domain: "observatories",
        kafkaTopic: "telescope-telemetry",
        pulsarTopic: { tenant: "public", namespace: "observatories", topic: "telescope-telemetry" },
        partitions: 12,
        retentionMs: 7 * DAY_MS,
        criticality: "standard",
        bridge: "dual-publish",
        pulsarFrom: 1,
        cutoverAt: 2,
        producers: ["telescope-gateway"],
        // audit-archiver: the telemetry is archived with the audit trail (seed 004, topology/archive-plan.ts).
        consumers: ["etl-pipeline", "audit-archiver"],
    },
];

export const STREAM_NAMES = STREAMS.map((s) => s.name);

/** Fields of a stream that stack config (`streams.<name>`) may override. */
export const OVERRIDABLE_STREAM_FIELDS = [
    "partitions",
    "retentionMs",
    "criticality",
    "gate",
    "pulsarFrom",
    "cutoverAt",
    "producers",
    "consumers",
] as const;
