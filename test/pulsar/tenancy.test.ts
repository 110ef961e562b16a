/**
 * The tenants, namespaces, topics, schemas and grants the program declares (components/pulsar-tenancy.ts), applied to
 * Apache Pulsar 4.0 (test/pulsar/resources-operator.ts stands in for the operator, which cannot be built here), so
 * Pulsar itself judges every value: each stack's phase-3 plan is accepted whole and reads back as planned; the
 * schemas evolve as BACKWARD_TRANSITIVE allows; a namespace with automatic topics creates them partitioned on first
 * produce and on first subscribe; a producer registers a topic's first schema, and one with an incompatible schema
 * is refused (Pulsar's own Java client, bin/pulsar-client of the distribution: the WebSocket producer sends bytes).
 */
import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tenancySpecs } from "../../components/pulsar-tenancy";
import { PulsarWebSocket } from "../../scripts/pulsar-websocket";
import { pulsarHome } from "../../scripts/pulsar";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { planStack, STACKS } from "../support/stacks";
import { admin, adminJson, pulsar } from "./admin";
import { applyTenancy, bytes, renamer, seconds } from "./resources-operator";

const SCHEMAS = resolve(__dirname, "../../schemas");

/** A stack's phase-3 tenancy applied under tenant names of its own (resources-operator.ts renamer): a test's world. */
async function appliedTenancy(stack: (typeof STACKS)[number]) {
    const p = planStack(stack, { phase: 3 }).pulsar!;
    const specs = tenancySpecs(p, SCHEMAS);
    const r = renamer(randomUUID().slice(0, 6));
    await applyTenancy(specs, r, pulsar().clusterName);
    return { p, specs, r };
}

/**
 * `bin/pulsar-client produce` of the distribution: a Java producer carrying a value schema (`json:<definition>`). The
 * tool splits `-m` on its separator (a regex, "," by default): a newline keeps a JSON message whole.
 */
async function produceWithSchema(topic: string, schema: string, message: string): Promise<{ code: number; out: string }> {
    try {
        const r = await promisify(execFile)(resolve(pulsarHome(), "bin/pulsar-client"), ["--url", pulsar().serviceUrl, "produce", "-vs", `json:${schema}`, "-s", "\n", "-m", message, topic], { timeout: 60_000 });
        return { code: 0, out: `${r.stdout}${r.stderr}` };
    } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
}

describe("the program's Pulsar tenancy on Apache Pulsar 4.0", () => {
    it.each(STACKS)("%s at phase 3: every tenant, namespace policy, topic, schema and grant is accepted and reads back as planned", async (stack) => {
        const { p, r } = await appliedTenancy(stack);
        for (const n of p.namespaces) {
            const ns = `/admin/v2/namespaces/${r.name(n.name)}`;
            expect(await adminJson(`${ns}/retention`)).toEqual({ retentionTimeInMinutes: seconds(n.retentionTime) / 60, retentionSizeInMB: bytes(n.retentionSize) / 1024 ** 2 });
            expect(await adminJson(`${ns}/messageTTL`)).toBe(seconds(n.messageTTL));
            expect(await adminJson(`${ns}/schemaCompatibilityStrategy`)).toBe(n.schemaCompatibilityStrategy);
            expect(await adminJson(`${ns}/deduplication`)).toBe(n.deduplication);
            expect(await adminJson(`${ns}/backlogQuotaMap`)).toMatchObject({ destination_storage: { limitSize: bytes(n.backlogQuotaLimitSize), policy: n.backlogQuotaRetentionPolicy } });
            if (n.automaticTopics) {
                expect(await adminJson(`${ns}/autoTopicCreation`)).toMatchObject({ allowAutoTopicCreation: true, topicType: "partitioned", defaultNumPartitions: n.automaticTopics.partitions });
            }
        }
        for (const t of p.topics.filter((x) => x.creation === "declared")) {
            expect(await adminJson(`${r.name(t.name).replace("persistent://", "/admin/v2/persistent/")}/partitions`), t.name).toMatchObject({ partitions: t.partitions });
            if (t.schema) {
                const schema = await adminJson<{ type: string; data: string }>(`${r.name(t.name).replace("persistent://", "/admin/v2/schemas/")}/schema`);
                expect(schema.type).toBe("JSON");
            }
        }
        for (const g of p.permissions.filter((x) => x.resourceType === "topic")) {
            const granted = await adminJson<Record<string, string[]>>(`${r.name(g.resourceName).replace("persistent://", "/admin/v2/persistent/")}/permissions`);
            expect(granted[g.role]?.sort(), `${g.role} on ${g.resourceName}`).toEqual([...g.actions].sort());
        }
    }, 120_000);

    it("a schema evolves under BACKWARD_TRANSITIVE: an added optional field is accepted, a new required field refused", async () => {
        const { specs, r } = await appliedTenancy("local");
        const topic = specs.topics.find((t) => "schemaInfo" in t.spec && t.spec.schemaInfo)!;
        const base = r.name(topic.spec.name).replace("persistent://", "/admin/v2/schemas/");
        const path = `${base}/schema`;
        const avro = JSON.parse((topic.spec as { schemaInfo: { schema: string } }).schemaInfo.schema) as { fields: object[] };
        const withField = (field: object) => ({ type: "JSON", schema: JSON.stringify({ ...avro, fields: [...avro.fields, field] }), properties: {} });
        const optional = await (await admin("POST", `${base}/compatibility`, withField({ name: "region", type: ["null", "string"], default: null }))).json();
        expect(optional).toMatchObject({ compatibility: true, schemaCompatibilityStrategy: "BACKWARD_TRANSITIVE" });
        expect((await admin("POST", path, withField({ name: "region", type: "string" }), [409])).status).toBe(409);
        expect((await admin("POST", path, withField({ name: "region", type: ["null", "string"], default: null }))).ok).toBe(true);
    });

    it("a producer registers a topic's first schema (the program's Avro definition), and one with an incompatible schema is refused", async () => {
        const { specs, r } = await appliedTenancy("local");
        const declared = specs.topics.find((t) => "schemaInfo" in t.spec && t.spec.schemaInfo)!;
        const definition = (declared.spec as { schemaInfo: { schema: string } }).schemaInfo.schema;
        // A topic of the same namespace nothing registered a schema for: its first producer does.
        const topic = `${r.name(declared.spec.name)}-producer-first`;
        const schemaPath = `${topic.replace("persistent://", "/admin/v2/schemas/")}/schema`;
        expect((await admin("GET", schemaPath, undefined, [404])).status).toBe(404);
        const avro = JSON.parse(definition) as { fields: { name: string; type: unknown }[] };
        const sample = JSON.stringify(Object.fromEntries(avro.fields.map((f) => [f.name, f.type === "long" || f.type === "int" ? 0 : f.type === "boolean" ? false : f.type === "double" ? 0.5 : "x"])));
        const first = await produceWithSchema(topic, definition, sample);
        expect(first.code, first.out.split("\n").filter((l) => /ERROR|Exception|error/.test(l)).slice(0, 8).join("\n")).toBe(0);
        const registered = await adminJson<{ type: string; data: string }>(schemaPath);
        expect(registered.type).toBe("JSON");
        expect(JSON.parse(registered.data)).toMatchObject({ name: (JSON.parse(definition) as { name: string }).name });
        // The namespace's BACKWARD_TRANSITIVE refuses a producer whose schema adds a required field.
        const incompatible = JSON.stringify({ ...avro, fields: [...avro.fields, { name: "region", type: "string" }] });
        const refused = await produceWithSchema(topic, incompatible, sample);
        expect(refused.code).not.toBe(0);
        expect(refused.out).toMatch(/IncompatibleSchema|not compatible|incompatible/i);
    }, 120_000);

    it("a namespace with automatic topics creates a catalog topic partitioned on first produce and on first subscribe", async () => {
        const { p, r } = await appliedTenancy("local");
        const auto = p.namespaces.find((n) => n.automaticTopics)!;
        const ns = r.name(auto.name);
        const [first, second] = auto.automaticTopics!.topics as [string, string];
        // First produce, by a client (the REST producer creates no topic): the topic comes partitioned.
        const producer = await new PulsarWebSocket(pulsar().webUrl).producer(`persistent://${ns}/${first}`);
        await producer.send({ payload: JSON.stringify({ id: "a" }) });
        await producer.close();
        expect(await adminJson(`/admin/v2/persistent/${ns}/${first}/partitions`)).toMatchObject({ partitions: auto.automaticTopics!.partitions });
        // First subscribe (what the handover does before anything writes).
        await admin("PUT", `/admin/v2/persistent/${ns}/${second}/subscription/handover`);
        expect(await adminJson(`/admin/v2/persistent/${ns}/${second}/partitions`)).toMatchObject({ partitions: auto.automaticTopics!.partitions });
    });
});
