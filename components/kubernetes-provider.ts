/**
 * The explicit Kubernetes provider every Kubernetes resource of the program uses.
 *
 * `topology.kubernetes.renderYamlTo` set: nothing is applied; the provider writes the manifests to that folder
 * (`renderYamlToDirectory`, "BETA FEATURE ... resources will not be created on a Kubernetes cluster, but the rendered
 * manifests will be kept in sync with changes to the program", @pulumi/kubernetes provider.d.ts). The local stack
 * renders to `rendered/local` (git-ignored).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Topology } from "../topology";

/** Resolved provider arguments for a topology. Pure; exported for testing. */
export function kubernetesProviderArgs(topology: Pick<Topology, "kubernetes">): k8s.ProviderArgs {
    const { namespace, renderYamlTo } = topology.kubernetes;
    if (renderYamlTo !== undefined) {
        return {
            renderYamlToDirectory: renderYamlTo,
            // Server-side apply needs an API server to apply against; a rendering provider has none.
            enableServerSideApply: false,
            namespace,
        };
    }
    // Server-side apply is the provider's default since v4 (pulumi-kubernetes#2398); stated so a reader sees it.
    return { enableServerSideApply: true, namespace };
}

/**
 * @param name Pulumi name of the provider resource
 * @param topology the planned topology (its `kubernetes` part)
 * @param opts resource options (e.g. `parent`)
 */
export function kubernetesProvider(
    name: string,
    topology: Pick<Topology, "kubernetes">,
    opts?: pulumi.CustomResourceOptions,
): k8s.Provider {
    return new k8s.Provider(name, kubernetesProviderArgs(topology), opts);
}
