/**
 * The planner: `plan(config) -> Topology`, plain data that says everything the phase changes.
 *
 * Every decision that depends on the migration phase is taken here and in the planners this module calls (one per
 * broker or workload: routes.ts, kafka-plan.ts, pulsar-plan.ts, functions-plan.ts, orchestrator-plan.ts,
 * rabbit-plan.ts); components realise the returned Topology and never look at the phase number. Pure: no Pulumi
 * imports, no I/O.
 */
import { planArchive, planArchiveCredentials } from "./archive-plan";
import { planAuditBridge } from "./audit-plan";
import { ConfigError, type PlatformConfig } from "./config";
import { acceptEdgeSites, edgeIngestGap, planEdgePairing } from "./edge-plan";
import { CredentialBook } from "./credentials";
import { planFunctions, planSinks } from "./functions-plan";
import { kafkaClientSecurity, planKafka } from "./kafka-plan";
import type { Topology } from "./model";
import { pulsarTopicName } from "./naming";
import { planObservability } from "./observability-plan";
import { applyOffloadThresholds, planOffload } from "./offload-plan";
import { planDeployments, planTenantDirectory } from "./orchestrator-plan";
import { PHASE_CAPABILITIES, phaseName } from "./phases";
import { planPulsar } from "./pulsar-plan";
import { planRabbit } from "./rabbit-plan";
import { routeOf, streamState } from "./routes";
import { retainedStorageProblems, type DeployedState } from "./transition";

/**
 * Plans the whole platform for a validated config.
 * @param config the output of `validateConfig`
 */
/**
 * The topology of a stack. `deployed` is what its last update left (index.ts reads it from the stack's own outputs):
 * storage that holds data follows a high-water mark rather than the phase (see `offloadRetained`).
 */
export function plan(config: PlatformConfig, deployed: DeployedState = {}): Topology {
    const storageProblems = retainedStorageProblems(config, deployed);
    if (storageProblems.length > 0) {
        throw new ConfigError(storageProblems);
    }
    const caps = PHASE_CAPABILITIES[config.phase];
    const kafkaPresent = !config.kafka.decommission;
    const tenantNames = caps.tenantIsolation ? config.tenants.map((t) => t.name) : [];

    const routes = config.streams.map((s) =>
        routeOf(s, streamState(s, config.phase, config.gates), kafkaPresent,
            pulsarTopicName(s.pulsarTopic.tenant, s.pulsarTopic.namespace, s.pulsarTopic.topic), config.gates),
    );
    const streamsByName = new Map(config.streams.map((s) => [s.name, s]));

    const book = new CredentialBook();
    const pulsar = caps.pulsar ? planPulsar(config, caps, routes, streamsByName, tenantNames, book) : null;
    // Sites in the config pair only where what they replicate reaches the ingest stream's consumers (edgeIngestGap).
    const edgeGap = config.edgeSites.sites.length > 0 ? (pulsar ? edgeIngestGap(routes) : "no Pulsar before phase 1") : undefined;
    const edgePairing = pulsar && edgeGap === undefined ? planEdgePairing(config.edgeSites) : null;
    if (pulsar && edgePairing) {
        acceptEdgeSites(pulsar, edgePairing);
    }
    const kafkaSecurity = kafkaPresent ? kafkaClientSecurity(config.kafka) : null;
    const sinks = pulsar ? planSinks(routes, streamsByName, pulsar, kafkaSecurity, book) : [];
    const archive = kafkaPresent ? planArchive(config, routes, streamsByName) : null;
    const kafka = kafkaPresent ? planKafka(config, routes, streamsByName, sinks, archive) : null;
    planArchiveCredentials(archive, kafka, book);
    const tenantDirectory = pulsar ? planTenantDirectory(caps, tenantNames) : null;
    const deployments = planDeployments(config, caps, pulsar, kafka, tenantDirectory, book);
    const functions = pulsar && caps.matcher === "function" ? planFunctions(config, tenantNames, pulsar, book) : [];
    const auditBridge = planAuditBridge(config, routes, kafka, pulsar, book);
    const observability = planObservability(config, routes, kafka, pulsar, book, archive);
    const offload = planOffload(config, caps, deployed);
    if (pulsar && offload) {
        applyOffloadThresholds(pulsar, offload);
    }
    return {
        phase: config.phase,
        phaseName: phaseName(config.phase),
        environment: config.environment,
        cloud: config.cloud,
        capabilities: caps,
        protectData: config.environment === "prod",
        kafka,
        pulsar,
        routes,
        deployments,
        tenantDirectory,
        functions,
        sinks,
        mirrors: [],
        rabbitmq: planRabbit(config),
        auditBridge,
        edgePairing,
        ...(edgeGap !== undefined ? { edgePairingOff: edgeGap } : {}),
        archive,
        offload,
        credentials: book.list(),
        kubernetes: {
            namespace: config.kubernetes.namespace,
            ...(config.kubernetes.renderYamlTo ? { renderYamlTo: config.kubernetes.renderYamlTo } : {}),
            ...(config.kubernetes.context ? { context: config.kubernetes.context } : {}),
        },
        observability,
    };
}
