/**
 * What the Function Mesh operator gives Pulsar for the Sink and Source custom resources the program declares
 * (components/pulsar-functions.ts sinkSpecs, sourceSpecs), as the Pulsar admin API's SinkConfig and SourceConfig, so
 * the Functions worker of the test world runs each connector with exactly the declared configuration. The field
 * correspondence follows the CRDs' field descriptions (reference/ function-mesh CRDs: `sinkConfig`/`sourceConfig`
 * are the connector's configs, `input.topics`, `subscriptionName`, `subscriptionPosition`, `processingGuarantee`,
 * `autoAck`, `className`, `output.topic`). The operator itself cannot be built here (its Go module is not served):
 * this mapping is the one piece standing in for it.
 */
import type { sinkSpecs, sourceSpecs } from "../../components/pulsar-functions";

type SinkSpec = ReturnType<typeof sinkSpecs>[number];
type SourceSpec = ReturnType<typeof sourceSpecs>[number];

/** What a Sink and a Source share: where the connector runs, its class, the connector NAR, at-least-once, one instance. */
function connector(name: string, spec: SinkSpec["spec"] | SourceSpec["spec"]): Record<string, unknown> {
    return {
        tenant: spec.tenant,
        namespace: spec.namespace,
        name,
        className: spec.className,
        archive: "builtin://kafka",
        processingGuarantees: spec.processingGuarantee.toUpperCase(),
        parallelism: 1,
    };
}

export function sinkConfigOf(s: SinkSpec): Record<string, unknown> {
    const spec = s.spec;
    return {
        ...connector(s.name, spec),
        inputs: spec.input.topics,
        sourceSubscriptionName: spec.subscriptionName,
        sourceSubscriptionPosition: spec.subscriptionPosition === "earliest" ? "Earliest" : "Latest",
        autoAck: spec.autoAck,
        configs: spec.sinkConfig,
    };
}

export function sourceConfigOf(s: SourceSpec): Record<string, unknown> {
    return { ...connector(s.name, s.spec), topicName: s.spec.output.topic, configs: s.spec.sourceConfig };
}
