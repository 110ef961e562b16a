/**
 * The control-event mirror (seed 004: "mirror critical control events into Kafka for audit"): the audit bridge
 * (bridge/audit-bridge.ts) consumes `control.audit`, the queue every control event is copied to, and writes each event
 * wherever the audit-trail route says its producers write: Kafka while the stream is on Kafka, Pulsar (through KoP,
 * with the same Kafka client) once it is cut over, both while it is dual-published. One queue in every phase, so a
 * phase that moves the stream moves no event: what the old bridge did not acknowledge, the new one delivers.
 * Pure.
 */
import { AUDIT_BRIDGE_SERVICE, AUDIT_QUEUE, DEAD_LETTER_QUEUE } from "./control-plane";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, type CredentialBook } from "./credentials";
import type { DeploymentPlan, EnvVarPlan, KafkaPlan, PulsarPlan, SecretVolumePlan, StreamRoute } from "./model";
import { kopDefaultNamespaceOf, kopTopicName } from "./kop";
import { orchestratorImage, pulsarRole } from "./naming";
import { trustCa } from "./orchestrator-plan";

/** The stream the bridge writes. */
export const AUDIT_STREAM = "audit-trail";

/** Where one copy of each event goes, as the bridge's settings name it (bridge/settings.ts). */
export interface AuditDestinationPlan {
    name: "kafka" | "pulsar";
    /** The Kafka topic, or the Pulsar topic's KoP name (`tenant.namespace.topic` outside KoP's default namespace). */
    topic: string;
    /** The env variable with the bootstrap servers. */
    brokersEnv: string;
    tls: boolean;
    caFile?: string;
    sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; usernameEnv: string; passwordEnv: string };
    /**
     * MSK IAM: OAUTHBEARER tokens signed with the pod's role (its ServiceAccount's IRSA role, as for the services), in
     * the region the component puts in AWS_REGION (the stack's aws:region, which the plan does not see).
     */
    awsIam?: Record<string, never>;
}

export interface AuditBridgePlan {
    service: typeof AUDIT_BRIDGE_SERVICE;
    vhost: string;
    queue: typeof AUDIT_QUEUE;
    /** Where unwritable events end up (the queue's dead-letter policy, topology/rabbit-plan.ts). */
    deadLetterQueue: typeof DEAD_LETTER_QUEUE;
    destinations: AuditDestinationPlan[];
    deployment: DeploymentPlan;
    /**
     * The lag alert: events ready in the queue above `threshold` for `for` (rabbitmq_queue_messages_ready on the
     * per-object endpoint) means the bridge is down or a destination refuses it; the events wait, none are dropped.
     */
    backlogAlert: { threshold: number; for: string };
}

/** The port of the bridge's /healthz (bridge/main.ts). */
export const AUDIT_BRIDGE_HEALTH_PORT = 8080;

const SASL = { PLAIN: "plain", "SCRAM-SHA-256": "scram-sha-256", "SCRAM-SHA-512": "scram-sha-512" } as const;

/** The bridge of a topology: null when nothing produces audit-trail here (no route writes it). */
export function planAuditBridge(config: PlatformConfig, routes: StreamRoute[], kafka: KafkaPlan | null, pulsar: PulsarPlan | null, book: CredentialBook): AuditBridgePlan | null {
    const route = routes.find((r) => r.stream === AUDIT_STREAM);
    if (!route || route.produce.length === 0) {
        return null;
    }
    const svc = AUDIT_BRIDGE_SERVICE;
    const env: EnvVarPlan[] = [];
    const secretVolumes: SecretVolumePlan[] = [];
    const set = (name: string, value: string) => env.push({ name, value });
    set("AUDIT_BRIDGE_AMQP_URL", config.rabbitmq.clientAmqpEndpoint ?? config.rabbitmq.amqpEndpoint);
    set("AUDIT_BRIDGE_VHOST", config.rabbitmq.vhost);
    set("AUDIT_BRIDGE_QUEUE", AUDIT_QUEUE);
    set("AUDIT_BRIDGE_HEALTH_PORT", String(AUDIT_BRIDGE_HEALTH_PORT));
    set("RABBITMQ_USERNAME", svc);
    env.push({ name: "RABBITMQ_PASSWORD", secretRef: book.ref(svc, CREDENTIAL_KEYS.rabbitmqPassword, { from: "rabbitmq-password", user: svc }) });

    const destinations: AuditDestinationPlan[] = [];
    for (const e of route.produce) {
        if (e.broker === "kafka") {
            const k = kafka as KafkaPlan;
            if (k.clientBootstrapServers) {
                set("AUDIT_KAFKA_BROKERS", k.clientBootstrapServers.join(","));
            } else {
                env.push({ name: "AUDIT_KAFKA_BROKERS", fromOutput: "kafkaBootstrap" });
            }
            const mechanism = k.clientSecurity.saslMechanism;
            const d: AuditDestinationPlan = { name: "kafka", topic: e.topic, brokersEnv: "AUDIT_KAFKA_BROKERS", tls: k.clientSecurity.protocol !== "PLAINTEXT" };
            if (mechanism === "AWS_MSK_IAM") {
                d.awsIam = {};
            } else if (mechanism) {
                env.push({ name: "AUDIT_KAFKA_USERNAME", secretRef: book.ref(svc, CREDENTIAL_KEYS.kafkaUsername, { from: "kafka-username", principal: svc }) });
                env.push({ name: "AUDIT_KAFKA_PASSWORD", secretRef: book.ref(svc, CREDENTIAL_KEYS.kafkaPassword, { from: "kafka-password", principal: svc }) });
                d.sasl = { mechanism: SASL[mechanism], usernameEnv: "AUDIT_KAFKA_USERNAME", passwordEnv: "AUDIT_KAFKA_PASSWORD" };
            }
            destinations.push(d);
        } else {
            const p = pulsar as PulsarPlan;
            set("AUDIT_KOP_BROKERS", p.endpoints.kopBootstrap);
            const protocol = p.endpoints.kafkaListenerProtocol;
            const kopTopic = kopTopicName(e.topic, kopDefaultNamespaceOf(p.kop.brokerConfig));
            const d: AuditDestinationPlan = { name: "pulsar", topic: kopTopic, brokersEnv: "AUDIT_KOP_BROKERS", tls: protocol === "SASL_SSL" };
            if (p.tls) {
                d.caFile = trustCa(p, secretVolumes);
            }
            if (p.tokenAuth) {
                // KoP's SASL/PLAIN: the user name is a namespace, the password `token:<jwt>` of the role it authorizes
                // (streamnative/kop docs "SASL/PLAIN"); the role has produce on the topic (topology/pulsar-plan.ts).
                const [, , tenant, namespace] = e.topic.split("/");
                set("AUDIT_KOP_USERNAME", `${tenant}/${namespace}`);
                env.push({ name: "AUDIT_KOP_PASSWORD", secretRef: book.ref(svc, CREDENTIAL_KEYS.kopPassword, { from: "pulsar-token", role: pulsarRole("public", svc), prefix: "token:" }) });
                d.sasl = { mechanism: "plain", usernameEnv: "AUDIT_KOP_USERNAME", passwordEnv: "AUDIT_KOP_PASSWORD" };
            }
            destinations.push(d);
        }
    }
    set("AUDIT_BRIDGE_DESTINATIONS", JSON.stringify(destinations));
    return {
        service: svc,
        vhost: config.rabbitmq.vhost,
        queue: AUDIT_QUEUE,
        deadLetterQueue: DEAD_LETTER_QUEUE,
        destinations,
        deployment: {
            service: svc,
            image: orchestratorImage(config, svc),
            // Competing consumers of one quorum queue: a second replica takes over the moment the first stops.
            replicas: config.environment === "prod" ? 2 : 1,
            port: AUDIT_BRIDGE_HEALTH_PORT,
            env,
            secretVolumes,
            configVolumes: [],
        },
        backlogAlert: { threshold: 1000, for: "10m" },
    };
}
