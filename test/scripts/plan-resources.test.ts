import { describe, expect, it } from "vitest";
import { renderResourceChanges, resourceChanges } from "../../scripts/plan-resources";
import { componentsOf, type ProgramResource } from "../../scripts/program-resources";

const res = (name: string, opts: Partial<ProgramResource> = {}): ProgramResource => ({
    type: "kubernetes:core/v1:Service",
    name,
    urn: `urn:pulumi:dev::messaging-platform::kubernetes:core/v1:Service::${name}`,
    component: "Orchestrator",
    protect: false,
    retainOnDelete: false,
    inputs: { metadata: { name }, spec: { ports: [{ port: 80 }] } },
    propertyDependencies: {},
    ...opts,
});

describe("resourceChanges", () => {
    it("classifies create, update, delete and forget (retainOnDelete)", () => {
        const before = [res("kept"), res("changed"), res("gone"), res("retained", { retainOnDelete: true, protect: true })];
        const after = [res("kept"), res("changed", { inputs: { metadata: { name: "changed" }, spec: { ports: [{ port: 81 }] } } }), res("new")];
        const kinds = Object.fromEntries(resourceChanges(before, after).map((c) => [c.resource.name, c.kind]));
        expect(kinds).toEqual({ changed: "update", new: "create", gone: "delete", retained: "forget" });
    });

    it("renders per component, says why a resource is replaced, and calls out protected resources leaving the program", () => {
        const text = renderResourceChanges(resourceChanges([res("retained", { retainOnDelete: true, protect: true, component: "PulsarTenancy" })], [res("new")]), 3, 2);
        expect(text).toContain("1 to create, 0 to update, 0 to replace, 0 to delete, 1 to forget");
        expect(text).toMatch(/^Orchestrator:\n {2}\+ kubernetes:core\/v1:Service new$/m);
        expect(text).toMatch(/^PulsarTenancy:\n {2}- kubernetes:core\/v1:Service retained {2}\[retained: left in place; PROTECTED/m);
        const moved = renderResourceChanges(resourceChanges([res("ip")], [res("ip", { inputs: { metadata: { name: "ip" }, spec: { clusterIP: "10.0.0.9" } } })]), 1, 2);
        expect(moved).toMatch(/\+- kubernetes:core\/v1:Service ip {2}\[REPLACED \(delete before create\): \.spec\.clusterIP\]/);
        expect(renderResourceChanges([], 1, 2)).toContain("no change");
    });
});

describe("componentsOf", () => {
    it("names the ancestor directly under MessagingPlatform, through any depth of parents", () => {
        const platform = { type: "messaging-platform:index:MessagingPlatform", urn: "p" };
        const kafka = { type: "messaging-platform:kafka:KafkaPlatform", urn: "k", parent: "p" };
        const secret = { type: "aws:secretsmanager/secret:Secret", urn: "s", parent: "k" };
        const version = { type: "aws:secretsmanager/secretVersion:SecretVersion", urn: "v", parent: "s" };
        const provider = { type: "pulumi:providers:kubernetes", urn: "pr", parent: "p" };
        const c = componentsOf([platform, kafka, secret, version, provider]);
        expect([c.get("k"), c.get("s"), c.get("v"), c.get("pr"), c.get("p")]).toEqual(["KafkaPlatform", "KafkaPlatform", "KafkaPlatform", "-", "-"]);
    });
});
