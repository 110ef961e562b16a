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
    inputs: "a",
    ...opts,
});

describe("resourceChanges", () => {
    it("classifies create, update (inputs digest), delete and forget (retainOnDelete)", () => {
        const before = [res("kept"), res("changed"), res("gone"), res("retained", { retainOnDelete: true, protect: true })];
        const after = [res("kept"), res("changed", { inputs: "b" }), res("new")];
        const kinds = Object.fromEntries(resourceChanges(before, after).map((c) => [c.resource.name, c.kind]));
        expect(kinds).toEqual({ changed: "update", new: "create", gone: "delete", retained: "forget" });
    });

    it("renders per component and calls out protected resources leaving the program", () => {
        const text = renderResourceChanges(resourceChanges([res("retained", { retainOnDelete: true, protect: true, component: "PulsarTenancy" })], [res("new")]), 3, 2);
        expect(text).toContain("1 to create, 0 to update, 0 to delete, 1 to forget");
        expect(text).toMatch(/^Orchestrator:\n {2}\+ kubernetes:core\/v1:Service new$/m);
        expect(text).toMatch(/^PulsarTenancy:\n {2}- kubernetes:core\/v1:Service retained {2}\[retained: left in place; PROTECTED/m);
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
