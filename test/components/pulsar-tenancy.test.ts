import { Type } from "avsc";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PulsarTenancy, kubernetesName } from "../../components/pulsar-tenancy";
import { AUTOMATIC_TOPICS_PROPERTY } from "../../topology";
import { planStack } from "../support/stacks";
import { crdErrors, customResources, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe("kubernetesName", () => {
    it.each([
        ["persistent://public/default/user-requests", "public-default-user-requests"],
        ["team-a/orchestrator", "team-a-orchestrator"],
        ["public", "public"],
    ])("%s -> %s", (name, expected) => {
        expect(kubernetesName(name)).toBe(expected);
    });

    it("adds a hash when characters are replaced or the name is too long, and stays a DNS-1123 label", () => {
        const long = `persistent://public/default/${"x".repeat(80)}`;
        for (const n of [long, "persistent://public/default/a.b", "persistent://public/default/a-b/public.svc"]) {
            const k = kubernetesName(n);
            expect(k).toMatch(DNS_1123_LABEL);
            expect(k.length).toBeLessThanOrEqual(63);
            expect(k).toMatch(/-[0-9a-f]{8}$/);
        }
        expect(kubernetesName("persistent://public/default/a.b")).not.toBe(kubernetesName("persistent://public/default/a_b"));
    });
});

async function build(stack: "local" | "dev" | "prod", phase: number) {
    const topology = planStack(stack, { phase });
    new PulsarTenancy("tenancy", { topology, adminToken: { name: "pulsar-token-platform-admin", key: "TOKEN" } });
    await settle(recorded);
    return topology;
}

describe.each(["local", "dev", "prod"] as const)("%s stack", (stack) => {
    it.each([1, 2, 3])("phase %i: every custom resource validates against its CRD, names are DNS-1123", async (phase) => {
        await build(stack, phase);
        const crs = customResources(recorded);
        expect(crs.length).toBeGreaterThan(0);
        for (const cr of crs) {
            expect(crdErrors(cr.inputs), `${cr.inputs.kind} ${cr.inputs.metadata.name}`).toEqual([]);
            expect(cr.inputs.metadata.name).toMatch(DNS_1123_LABEL);
            expect(cr.inputs.metadata.name.length).toBeLessThanOrEqual(63);
        }
    });
});

describe("PulsarTenancy", () => {
    it("creates one CR per planned tenant, namespace, topic and permission", async () => {
        const t = await build("dev", 3);
        const p = t.pulsar!;
        expect(customResources(recorded, "PulsarTenant").map((r) => r.inputs.spec.name).sort()).toEqual(p.tenants.map((x) => x.name).sort());
        expect(customResources(recorded, "PulsarNamespace")).toHaveLength(p.namespaces.length);
        expect(customResources(recorded, "PulsarTopic").map((r) => r.inputs.spec.name).sort()).toEqual(p.topics.filter((x) => x.creation === "declared").map((x) => x.name).sort());
        // A topic grant per role; in a tenant's namespace one grant per set of actions, naming every role with it.
        const onTopics = p.permissions.filter((x) => x.resourceType === "topic");
        const onNamespaces = new Set(p.permissions.filter((x) => x.resourceType === "namespace").map((x) => `${x.resourceName}|${x.actions.join("+")}`));
        expect(onNamespaces.size).toBeGreaterThan(0);
        expect(customResources(recorded, "PulsarPermission")).toHaveLength(onTopics.length + onNamespaces.size);
        expect(customResources(recorded, "PulsarConnection")).toHaveLength(1);
    });

    it("lets a tenant's namespace create the catalog's topics on first use, partitioned, with producers' schemas allowed", async () => {
        const t = await build("prod", 3);
        const p = t.pulsar!;
        const tenantNamespaces = p.namespaces.filter((n) => n.tenant !== "public");
        expect(tenantNamespaces.length).toBeGreaterThan(0);
        for (const n of tenantNamespaces) {
            const cr = customResources(recorded, "PulsarNamespace").find((r) => r.inputs.spec.name === n.name);
            const planned = p.topics.filter((x) => x.namespace === n.name);
            expect(planned.length).toBeGreaterThan(0);
            expect(cr?.inputs.spec).toMatchObject({
                topicAutoCreationConfig: { allow: true, type: "partitioned", partitions: Math.max(...planned.map((x) => x.partitions)) },
                isAllowAutoUpdateSchema: true,
                properties: { [AUTOMATIC_TOPICS_PROPERTY]: planned.map((x) => x.name.split("/").pop()).join(",") },
            });
            // None of them is a PulsarTopic: that is what keeps a tenant's cost constant.
            expect(customResources(recorded, "PulsarTopic").filter((r) => String(r.inputs.spec.name).startsWith(`persistent://${n.name}/`))).toEqual([]);
        }
        // The shared namespaces declare every topic and never create one on first use.
        for (const cr of customResources(recorded, "PulsarNamespace").filter((r) => String(r.inputs.spec.name).startsWith("public/"))) {
            expect(cr.inputs.spec.topicAutoCreationConfig).toBeUndefined();
        }
    });

    it("in a tenant's namespace names each role in exactly one grant, with exactly its planned actions (a grant replaces a role's actions)", async () => {
        const t = await build("prod", 3);
        const grants = customResources(recorded, "PulsarPermission").filter((cr) => cr.inputs.spec.resourceType === "namespace");
        const seen = new Map<string, string[]>();
        for (const g of grants) {
            for (const role of g.inputs.spec.roles as string[]) {
                const key = `${g.inputs.spec.resourceName}|${role}`;
                expect(seen.has(key), key).toBe(false);
                seen.set(key, g.inputs.spec.actions);
            }
        }
        const planned = t.pulsar!.permissions.filter((x) => x.resourceType === "namespace");
        expect(planned.length).toBe(seen.size);
        for (const x of planned) {
            expect(seen.get(`${x.resourceName}|${x.role}`)).toEqual(x.actions);
        }
        // Three per tenant: produce only, consume only, both.
        expect(grants.filter((g) => g.inputs.spec.resourceName === "team-a/orchestrator")).toHaveLength(3);
    });

    it("keeps tenants, namespaces and topics in Pulsar when their CR goes (KeepAfterDeletion)", async () => {
        await build("dev", 2);
        for (const kind of ["PulsarTenant", "PulsarNamespace", "PulsarTopic"]) {
            for (const cr of customResources(recorded, kind)) {
                expect(cr.inputs.spec.lifecyclePolicy, `${kind} ${cr.inputs.metadata.name}`).toBe("KeepAfterDeletion");
            }
        }
        // Grants that leave the plan are revoked.
        for (const cr of customResources(recorded, "PulsarPermission")) {
            expect(cr.inputs.spec.lifecyclePolicy).toBe("CleanUpAfterDeletion");
        }
    });

    it("registers the JSON schemas on user-requests and tool-signals from phase 2, not before", async () => {
        await build("dev", 1);
        expect(customResources(recorded, "PulsarTopic").filter((r) => r.inputs.spec.schemaInfo)).toHaveLength(0);
        recorded.length = 0;
        await build("dev", 2);
        const withSchema = customResources(recorded, "PulsarTopic").filter((r) => r.inputs.spec.schemaInfo);
        expect(withSchema.map((r) => r.inputs.spec.name).sort()).toEqual([
            "persistent://public/default/tool-signals",
            "persistent://public/default/user-requests",
        ]);
        const userRequests = withSchema.find((r) => r.inputs.spec.name.endsWith("user-requests"))!;
        // Type JSON with an Avro record as its definition (what Pulsar parses and checks compatibility with); the JSON
        // Schema file stays the services' contract and is named in the schema's properties.
        expect(userRequests.inputs.spec.schemaInfo.type).toBe("JSON");
        const file = JSON.parse(readFileSync(resolve(__dirname, "../../schemas/user-request-schema.json"), "utf8"));
        const record = JSON.parse(userRequests.inputs.spec.schemaInfo.schema);
        expect(record).toMatchObject({ type: "record", name: "UserRequest", namespace: "ai.cosmic.orchestrator" });
        expect(record.fields.map((f: { name: string }) => f.name).sort()).toEqual(Object.keys(file.properties).sort());
        expect(userRequests.inputs.spec.schemaInfo.properties).toEqual({ jsonSchema: file.$id });
        expect(() => Type.forSchema(record)).not.toThrow();
    });

    it("sets namespace policies from the plan, with offload thresholds at phase 3", async () => {
        const t = await build("prod", 3);
        const ns = customResources(recorded, "PulsarNamespace").find((r) => r.inputs.spec.name === "public/default")!;
        const planned = t.pulsar!.namespaces.find((n) => n.name === "public/default")!;
        expect(ns.inputs.spec).toMatchObject({
            retentionTime: planned.retentionTime,
            messageTTL: planned.messageTTL,
            backlogQuotaRetentionPolicy: planned.backlogQuotaRetentionPolicy,
            offloadThresholdSize: "1073741824",
            offloadThresholdTime: "604800s",
        });
    });

    it("authenticates the connection with the admin token Secret, never a literal token", async () => {
        await build("prod", 1);
        const [conn] = customResources(recorded, "PulsarConnection");
        expect(conn!.inputs.spec.authentication).toEqual({ token: { secretRef: { name: "pulsar-token-platform-admin", key: "TOKEN" } } });
    });

    it("refuses token auth without the admin token", () => {
        expect(() => new PulsarTenancy("t", { topology: planStack("prod", { phase: 1 }) })).toThrow(/adminToken is missing/);
    });
});
