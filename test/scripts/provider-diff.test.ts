/**
 * The replace rules the plan predicts an update with (scripts/provider-diff.ts), case by case against the sources
 * they are read from: pulumi-kubernetes diff.go `forceNew` / provider.go `Diff`, the engine's
 * `calculateDependentReplacements`, and the ForceNew attributes of the Terraform Kafka and RabbitMQ providers.
 */
import { describe, expect, it } from "vitest";
import { changedPaths, dataLosingChanges, predictChanges, type DiffResource } from "../../scripts/provider-diff";

const urn = (type: string, name: string) => `urn:pulumi:local::messaging-platform::${type}::${name}`;

function res(type: string, name: string, inputs: Record<string, unknown>, opts: Partial<DiffResource> = {}): DiffResource {
    return { type, name, urn: urn(type, name), inputs, protect: false, retainOnDelete: false, propertyDependencies: {}, ...opts };
}

/** The kind of change from one input set to another for a resource of `type`. */
function kindOf(type: string, before: Record<string, unknown>, after: Record<string, unknown>): string | undefined {
    return predictChanges([res(type, "x", before)], [res(type, "x", after)])[0]?.kind;
}

const STS = "kubernetes:apps/v1:StatefulSet";
const CM = "kubernetes:core/v1:ConfigMap";
const stsSpec = (over: Record<string, unknown> = {}) => ({
    metadata: { name: "pulsar", namespace: "messaging" },
    spec: {
        serviceName: "pulsar",
        selector: { matchLabels: { app: "pulsar" } },
        template: { metadata: { labels: { app: "pulsar" } }, spec: { containers: [{ name: "pulsar", image: "apachepulsar/pulsar-all:4.0.12", env: [{ name: "A", value: "1" }] }] } },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "10Gi" } } } }],
        ...over,
    },
});

describe("changedPaths", () => {
    it("names leaf paths, and a whole value where its shape changes", () => {
        expect(changedPaths({ a: { b: 1, c: [1, 2] } }, { a: { b: 2, c: [1, 3] } })).toEqual([".a.b", ".a.c[1]"]);
        expect(changedPaths({ a: [1] }, { a: [1, 2] })).toEqual([".a"]);
        expect(changedPaths({ a: { b: 1 } }, { a: "x" })).toEqual([".a"]);
        expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
    });
});

describe.each([
    // [what, type, before, after, expected kind]
    ["a StatefulSet's pod template (env, image)", STS, stsSpec(), stsSpec({ template: { metadata: {}, spec: { containers: [{ name: "pulsar", image: "x:2" }] } } }), "update"],
    ["a StatefulSet's serviceName", STS, stsSpec(), stsSpec({ serviceName: "pulsar-headless" }), "replace"],
    ["a StatefulSet's volumeClaimTemplates", STS, stsSpec(), stsSpec({ volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { resources: { requests: { storage: "20Gi" } } } }] }), "replace"],
    ["a StatefulSet's selector", STS, stsSpec(), stsSpec({ selector: { matchLabels: { app: "other" } } }), "replace"],
    ["a StatefulSet's replicas", STS, stsSpec(), stsSpec({ replicas: 2 }), "update"],
    ["a Deployment's selector", "kubernetes:apps/v1:Deployment", { spec: { selector: { matchLabels: { a: "1" } } } }, { spec: { selector: { matchLabels: { a: "2" } } } }, "replace"],
    ["a Deployment's template", "kubernetes:apps/v1:Deployment", { spec: { template: { spec: { containers: [{ image: "a" }] } } } }, { spec: { template: { spec: { containers: [{ image: "b" }] } } } }, "update"],
    ["a ConfigMap's data", CM, { metadata: { name: "c" }, data: { a: "1" } }, { metadata: { name: "c" }, data: { a: "2" } }, "replace"],
    ["a ConfigMap's labels", CM, { metadata: { name: "c", labels: { a: "1" } }, data: {} }, { metadata: { name: "c", labels: { a: "2" } }, data: {} }, "update"],
    // The program's provider sets enableSecretMutable (test/components/kubernetes-provider.test.ts holds it to that).
    ["a Secret's stringData (enableSecretMutable)", "kubernetes:core/v1:Secret", { stringData: { a: "1" } }, { stringData: { a: "2" } }, "update"],
    ["a Secret's type", "kubernetes:core/v1:Secret", { type: "Opaque", stringData: { a: "1" } }, { type: "kubernetes.io/tls", stringData: { a: "1" } }, "replace"],
    ["a Service's ports", "kubernetes:core/v1:Service", { spec: { ports: [{ port: 1 }] } }, { spec: { ports: [{ port: 2 }] } }, "update"],
    ["a Service's clusterIP", "kubernetes:core/v1:Service", { spec: { clusterIP: "None" } }, { spec: {} }, "replace"],
    ["a Job's template", "kubernetes:batch/v1:Job", { spec: { template: { spec: { containers: [{ image: "a" }] } } } }, { spec: { template: { spec: { containers: [{ image: "b" }] } } } }, "replace"],
    ["a custom resource's spec", "kubernetes:resource.streamnative.io/v1alpha1:PulsarNamespace", { metadata: { name: "n" }, spec: { retentionTime: "1h" } }, { metadata: { name: "n" }, spec: { retentionTime: "2h" } }, "update"],
    ["any object's name", "kubernetes:core/v1:Namespace", { metadata: { name: "a" } }, { metadata: { name: "b" } }, "replace"],
    ["a Helm release's values", "kubernetes:helm.sh/v3:Release", { name: "pulsar", values: { a: 1 } }, { name: "pulsar", values: { a: 2 } }, "update"],
    ["a Kafka topic's partitions going up", "kafka:index/topic:Topic", { name: "t", partitions: 3, replicationFactor: 3 }, { name: "t", partitions: 6, replicationFactor: 3 }, "update"],
    ["a Kafka topic's partitions going down", "kafka:index/topic:Topic", { name: "t", partitions: 6, replicationFactor: 3 }, { name: "t", partitions: 3, replicationFactor: 3 }, "replace"],
    ["a Kafka topic's config", "kafka:index/topic:Topic", { name: "t", partitions: 3, config: { "retention.ms": "1" } }, { name: "t", partitions: 3, config: { "retention.ms": "2" } }, "update"],
    ["a Kafka ACL's operation", "kafka:index/acl:Acl", { aclOperation: "Read" }, { aclOperation: "Write" }, "replace"],
    ["a RabbitMQ queue's arguments", "rabbitmq:index/queue:Queue", { name: "q", settings: { arguments: { "x-queue-type": "quorum" } } }, { name: "q", settings: { arguments: { "x-queue-type": "quorum", "x-max-length": "9" } } }, "replace"],
    ["a RabbitMQ policy's definition", "rabbitmq:index/policy:Policy", { name: "p", policy: { definition: { a: "1" } } }, { name: "p", policy: { definition: { a: "2" } } }, "update"],
    ["a RabbitMQ user's permissions", "rabbitmq:index/permissions:Permissions", { user: "u", permissions: { write: "^a$" } }, { user: "u", permissions: { write: "^b$" } }, "update"],
    ["a RabbitMQ user's password", "rabbitmq:index/user:User", { name: "u", password: "a" }, { name: "u", password: "b" }, "update"],
] as const)("%s", (_what, type, before, after, expected) => {
    it(`is a ${expected}`, () => {
        expect(kindOf(type, before, after)).toBe(expected);
    });
});

describe("the engine's dependent replacements (delete-before-replace)", () => {
    const configMap = (data: Record<string, string>, named = true) => res(CM, "config", { metadata: named ? { name: "pulsar-standalone" } : {}, data });
    const statefulSet = (cmUrn: string) => res(STS, "broker", stsSpec(), { propertyDependencies: { spec: [cmUrn], metadata: [] } });

    it("replaces a StatefulSet whose spec reads a fixed-name ConfigMap that is replaced (what the engine run found)", () => {
        const before = [configMap({ a: "1" }), statefulSet(urn(CM, "config"))];
        const after = [configMap({ a: "2" }), statefulSet(urn(CM, "config"))];
        const changes = predictChanges(before, after);
        const sts = changes.find((c) => c.resource.type === STS);
        expect(sts).toMatchObject({ kind: "replace", deleteBeforeReplace: true });
        expect(sts?.because?.[0]).toContain(".spec depends on kubernetes:core/v1:ConfigMap config");
        expect(dataLosingChanges(changes).map((c) => c.resource.type)).toEqual([STS]);
    });

    it("does not cascade from an auto-named ConfigMap (create-before-delete): the dependent's own diff decides", () => {
        const before = [configMap({ a: "1" }, false), statefulSet(urn(CM, "config"))];
        const after = [configMap({ a: "2" }, false), statefulSet(urn(CM, "config"))];
        expect(predictChanges(before, after).map((c) => `${c.resource.type} ${c.kind}`)).toEqual([`${CM} replace`]);
    });

    it("does not cascade through a dependsOn or a literal name: only property dependencies count", () => {
        const before = [configMap({ a: "1" }), res(STS, "broker", stsSpec())];
        const after = [configMap({ a: "2" }), res(STS, "broker", stsSpec())];
        expect(predictChanges(before, after).map((c) => c.resource.type)).toEqual([CM]);
    });
});

describe("removals and unknown types", () => {
    it("forgets what is retained, deletes the rest, and flags data-holding deletions", () => {
        const topic = res("kafka:index/topic:Topic", "t", { name: "t" });
        const kept = res("kafka:index/topic:Topic", "k", { name: "k" }, { retainOnDelete: true });
        const changes = predictChanges([topic, kept], []);
        expect(changes.map((c) => `${c.resource.name} ${c.kind}`)).toEqual(["t delete", "k forget"]);
        expect(dataLosingChanges(changes).map((c) => c.resource.name)).toEqual(["t"]);
    });

    it("reports a changed type without modelled rules as an update that may be a replacement, and counts it as a risk for data", () => {
        const [c] = predictChanges([res("aws:s3/bucket:Bucket", "b", { bucket: "a" })], [res("aws:s3/bucket:Bucket", "b", { bucket: "b" })]);
        expect(c).toMatchObject({ kind: "update", rules: "unmodelled" });
        expect(dataLosingChanges([c!])).toHaveLength(1);
    });
});
