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
    const { namespace, renderYamlTo, context } = topology.kubernetes;
    if (renderYamlTo !== undefined) {
        return {
            renderYamlToDirectory: renderYamlTo,
            // Server-side apply needs an API server to apply against; a rendering provider has none.
            enableServerSideApply: false,
            namespace,
        };
    }
    // Server-side apply is the provider's default since v4 (pulumi-kubernetes#2398); stated so a reader sees it. The
    // context is the stack's own (config kubernetes.context, required in dev and prod): without it the provider takes
    // the kubeconfig's current context, whatever cluster that is on the machine that runs the update.
    //
    // Secrets are mutable: without enableSecretMutable the provider replaces a Secret whose data changes (diff.go
    // forceNewProperties: `.type`, `.stringData`, `.data`), deleting it first since it keeps its name, so a credential
    // rotation would leave every pod that starts in that window without its Secret. With it, only `.type` replaces.
    // The flag is marked beta in the provider's schema; scripts/provider-diff.ts models the behaviour it gives.
    return { enableServerSideApply: true, enableSecretMutable: true, namespace, ...(context !== undefined ? { context } : {}) };
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
