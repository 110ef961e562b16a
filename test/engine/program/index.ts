/**
 * The Kubernetes half of the platform as a Pulumi program, for the real-engine tests (test/engine): the same
 * config checks and plan as index.ts (components/program.ts), and the Kubernetes resources exactly as
 * MessagingPlatform declares them (components/kubernetes-workloads.ts), under a component of MessagingPlatform's type
 * and name, so every URN is the full program's. Not the whole platform: Kafka and RabbitMQ need provider plugins
 * that cannot be built here.
 */
import * as pulumi from "@pulumi/pulumi";
import { declareKubernetesWorkloads } from "../../../components/kubernetes-workloads";
import { runPlatformProgram } from "../../../components/program";

class KubernetesHalf extends pulumi.ComponentResource {
    constructor(name: string) {
        super("messaging-platform:index:MessagingPlatform", name, {});
    }

    finish(outputs: Record<string, unknown>): void {
        this.registerOutputs(outputs);
    }
}

export = runPlatformProgram((platform, topology) => {
    if (topology.kafka && !topology.kafka.clientBootstrapServers && topology.kafka.provider !== "external") {
        throw new Error("test/engine runs the Kubernetes half only for a stack whose Kafka is external (the local stack): a provisioned cluster's outputs come from the other half");
    }
    const host = new KubernetesHalf("platform");
    declareKubernetesWorkloads(host, "platform", { topology, platform, servicePasswordSeed: pulumi.secret(platform.credentialSeed ?? "") });
    // What the next update reads back (components/program.ts): the deployed phase, whether offload ran, the gates and
    // the stage of a transition in progress (as MessagingPlatform exports them).
    const outputs = { phase: topology.phase, offloadActive: topology.offload !== null, gates: { ...platform.gates }, ...(topology.transition ? { transition: topology.transition } : {}) };
    host.finish(outputs);
    return outputs;
});
