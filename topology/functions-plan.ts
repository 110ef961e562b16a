/** Pulsar Functions (the mcp-matcher from the phase its Deployment goes) and the Pulsar->Kafka sinks. */
import { MATCHER_SERVICE, type StreamSpec } from "./catalog";
import type { PlatformConfig } from "./config";
import { CREDENTIAL_KEYS, type CredentialBook } from "./credentials";
import type { KafkaClientSecurity, PulsarFunctionPlan, PulsarPlan, SinkPlan, StreamRoute } from "./model";
import { orchestratorImage } from "./naming";
import { KAFKA_SINK_SERVICE, TENANT_ORCHESTRATOR_NAMESPACE, kafkaPrincipal, pulsarRole, pulsarTopicName } from "./naming";

export function planSinks(
    routes: StreamRoute[],
    streams: Map<string, StreamSpec>,
    pulsar: PulsarPlan,
    kafkaSecurity: KafkaClientSecurity | null,
    book: CredentialBook,
): SinkPlan[] {
    return routes
        .filter((r) => r.sink !== undefined)
        .map((r) => {
            const s = streams.get(r.stream) as StreamSpec;
            const name = r.sink as string;
            return {
                name,
                stream: s.name,
                input: pulsarTopicName(s.pulsarTopic.tenant, s.pulsarTopic.namespace, s.pulsarTopic.topic),
                kafkaTopic: s.kafkaTopic,
                className: "org.apache.pulsar.io.kafka.KafkaBytesSink" as const,
                ...connectorCredentials(name, s.pulsarTopic.tenant, pulsar, kafkaSecurity, book),
            };
        });
}

/**
 * A pulsar-io Kafka connector's identity (a sink, or a transition's mirror): the connectors' Kafka principal, its
 * tenant's Pulsar role, and one Secret per connector (connectors of different tenants authenticate as different roles).
 */
export function connectorCredentials(
    name: string,
    tenant: string,
    pulsar: PulsarPlan,
    kafkaSecurity: KafkaClientSecurity | null,
    book: CredentialBook,
): Pick<SinkPlan, "principal" | "role" | "authSecret" | "jaasFile"> {
    const role = pulsarRole(tenant, KAFKA_SINK_SERVICE);
    const mechanism = kafkaSecurity?.saslMechanism;
    const jaas =
        mechanism === undefined
            ? undefined
            : mechanism === "AWS_MSK_IAM"
              ? book.ref(name, CREDENTIAL_KEYS.sinkJaas, { from: "literal", value: `sasl.jaas.config=${MSK_IAM_JAAS}\n` })
              : book.ref(name, CREDENTIAL_KEYS.sinkJaas, { from: "kafka-jaas", principal: KAFKA_SINK_SERVICE, mechanism, format: "properties" });
    return {
        principal: kafkaPrincipal(KAFKA_SINK_SERVICE),
        role,
        ...(pulsar.tokenAuth ? { authSecret: book.pulsarAuthSecret(name, role) } : {}),
        ...(jaas ? { jaasFile: { secret: jaas, mountPath: SINK_CREDENTIALS_DIR, file: `${SINK_CREDENTIALS_DIR}/${jaas.key}` } } : {}),
    };
}

/** Where a sink's Kafka login file is mounted. */
export const SINK_CREDENTIALS_DIR = "/etc/kafka-client";

/**
 * MSK IAM login for Kafka clients (aws/aws-msk-iam-auth README): no password, the AWS credentials of the pod sign
 * the SASL handshake. The client needs the aws-msk-iam-auth jar on its classpath.
 */
const MSK_IAM_JAAS = "software.amazon.msk.auth.iam.IAMLoginModule required;";

export function planFunctions(config: PlatformConfig, tenantNames: string[], pulsar: PulsarPlan, book: CredentialBook): PulsarFunctionPlan[] {
    const consumed = config.streams.filter((s) => s.consumers.includes(MATCHER_SERVICE));
    const produced = config.streams.filter((s) => s.producers.includes(MATCHER_SERVICE));
    // Function Mesh Functions have one output topic (FunctionSpec.output.topic).
    const output = produced[0];
    if (!output) {
        return [];
    }
    // One Function for every tenant (issue 15): a Function reads many input topics, and it writes each result to the
    // tool-signals topic of its request's namespace (`outputTopicPattern`, filled in from the input topic); its
    // declared output is public's. Its pods serve every tenant, like the Deployments, so it runs as the one role
    // `public.mcp-matcher`, granted in each tenant's namespace: per-tenant Functions added a pod, a Secret and a role
    // per tenant without isolating more than the shared Deployments do.
    const homes = [{ tenant: "public", namespace: "default" }, ...tenantNames.map((t) => ({ tenant: t, namespace: TENANT_ORCHESTRATOR_NAMESPACE }))];
    const role = pulsarRole("public", MATCHER_SERVICE);
    return [
        {
            name: MATCHER_SERVICE,
            tenant: "public",
            namespace: "default",
            service: MATCHER_SERVICE,
            inputs: homes.flatMap(({ tenant, namespace }) => consumed.map((s) => pulsarTopicName(tenant, namespace, s.pulsarTopic.topic))),
            output: pulsarTopicName("public", "default", output.pulsarTopic.topic),
            outputTopicPattern: `persistent://{tenant}/{namespace}/${output.pulsarTopic.topic}`,
            image: matcherFunctionImage(config),
            py: MATCHER_FUNCTION_PY,
            role,
            ...(pulsar.tokenAuth ? { authSecret: book.pulsarAuthSecret(MATCHER_SERVICE, role) } : {}),
        },
    ];
}

/** Where the matcher's code is in its image (seed 000: functions/mcp-matcher/function.py). */
export const MATCHER_FUNCTION_PY = "/pulsar/functions/mcp-matcher/function.py";

/** The matcher Function's image: the orchestrator registry's `mcp-matcher-function`, by digest where one is set. */
export function matcherFunctionImage(config: PlatformConfig): string {
    return orchestratorImage(config, `${MATCHER_SERVICE}-function`);
}

