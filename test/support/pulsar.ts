/**
 * vitest global setup of the `pulsar` project (test/pulsar): one real Apache Pulsar standalone for the run
 * (scripts/pulsar.ts: the distribution from Maven Central, the Functions worker on the thread runtime, the Kafka
 * connector, the broker settings the program plans), shared by every file of the project; each test works in a tenant or namespace of its own. Started only
 * when a file of the project runs, stopped when the run ends.
 */
import type { TestProject } from "vitest/node";
import { plannedBrokerConfig, startPulsar, type Pulsar } from "../../scripts/pulsar";
import { planStack } from "./stacks";

export interface PulsarEndpoints {
    serviceUrl: string;
    webUrl: string;
    clusterName: string;
    version: string;
}

declare module "vitest" {
    export interface ProvidedContext {
        pulsar: PulsarEndpoints;
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    // The broker settings the program gives the local stack's brokers where Pulsar first runs, less the protocol
    // handler's own keys: no handler is served to load (scripts/pulsar.ts).
    const planned = plannedBrokerConfig((phase) => planStack("local", { phase }));
    const pulsar: Pulsar = await startPulsar({ brokerConfig: planned.applied });
    process.stderr.write(`pulsar: the local stack's broker settings applied: ${Object.keys(planned.applied).join(", ")}; left out (KoP's): ${planned.leftOut.join(", ")}\n`);
    project.provide("pulsar", { serviceUrl: pulsar.serviceUrl, webUrl: pulsar.webUrl, clusterName: pulsar.clusterName, version: pulsar.version });
    return async () => {
        await pulsar.stop();
    };
}
