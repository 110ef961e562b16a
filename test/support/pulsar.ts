/**
 * vitest global setup of the `pulsar` project (test/pulsar): one real Apache Pulsar standalone for the run
 * (scripts/pulsar.ts: the distribution from Maven Central, the Functions worker on the thread runtime, the Kafka
 * connector), shared by every file of the project; each test works in a tenant or namespace of its own. Started only
 * when a file of the project runs, stopped when the run ends.
 */
import type { TestProject } from "vitest/node";
import { startPulsar, type Pulsar } from "../../scripts/pulsar";

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
    const pulsar: Pulsar = await startPulsar();
    project.provide("pulsar", { serviceUrl: pulsar.serviceUrl, webUrl: pulsar.webUrl, clusterName: pulsar.clusterName, version: pulsar.version });
    return async () => {
        await pulsar.stop();
    };
}
