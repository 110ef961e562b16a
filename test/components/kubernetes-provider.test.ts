import { describe, expect, it } from "vitest";
import { kubernetesProviderArgs } from "../../components/kubernetes-provider";
import { planStack } from "../support/stacks";
import { crdErrors } from "./support";

describe("kubernetesProvider", () => {
    it("local: renders manifests to rendered/local instead of applying them", () => {
        expect(kubernetesProviderArgs(planStack("local", { phase: 1 }))).toEqual({
            renderYamlToDirectory: "rendered/local",
            enableServerSideApply: false,
            namespace: "messaging",
        });
    });
    it("dev/prod: applies to the cluster with server-side apply", () => {
        for (const stack of ["dev", "prod"] as const) {
            const args = kubernetesProviderArgs(planStack(stack, { phase: 1 }));
            expect(args.renderYamlToDirectory).toBeUndefined();
            expect(args.enableServerSideApply).toBe(true);
            // A credential rotation updates its Secrets in place; without this the provider deletes and recreates them
            // (diff.go forceNewProperties), and scripts/provider-diff.ts models the mutable behaviour.
            expect(args.enableSecretMutable).toBe(true);
            expect(args.context).toBe(stack === "dev" ? "gke_cosmic-ai-dev_europe-west4_messaging-dev" : "messaging-prod");
        }
    });
});

describe("CRD validation itself", () => {
    it("rejects unknown fields and wrong enum values, as strict field validation would", () => {
        const topic = {
            apiVersion: "resource.streamnative.io/v1alpha1",
            kind: "PulsarTopic",
            metadata: { name: "t" },
            spec: { name: "persistent://public/default/t", connectionRef: { name: "pulsar" }, lifecyclePolicy: "KeepAfterDeletion" },
        };
        expect(crdErrors(topic)).toEqual([]);
        expect(crdErrors({ ...topic, spec: { ...topic.spec, partition: 3 } }).join()).toMatch(/additional properties/);
        expect(crdErrors({ ...topic, spec: { ...topic.spec, lifecyclePolicy: "Keep" } }).join()).toMatch(/allowed values/);
        expect(crdErrors({ ...topic, spec: { ...topic.spec, connectionRef: undefined, name: undefined } }).join()).toMatch(/required/);
    });
});
