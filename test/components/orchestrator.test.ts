import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Orchestrator } from "../../components/orchestrator";
import { planStack } from "../support/stacks";
import { ofType, recordResources, settle, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

async function deployments(stack: "local" | "dev" | "prod", phase: number, kafkaBootstrap?: pulumi.Input<string>) {
    const topology = planStack(stack, { phase });
    new Orchestrator("orchestrator", { topology, ...(kafkaBootstrap !== undefined ? { kafkaBootstrap } : {}) });
    await settle(recorded);
    return new Map(ofType(recorded, "kubernetes:apps/v1:Deployment").map((d) => [d.inputs.metadata.name as string, d.inputs]));
}

const env = (d: any) => Object.fromEntries(d.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe("env per phase (from the plan)", () => {
    it("phase 0: on Kafka", async () => {
        const d = await deployments("local", 0);
        expect(env(d.get("ingress-gateway"))).toMatchObject({ ENABLE_KAFKA: "true", KAFKA_BROKERS: "host.docker.internal:19092", USE_PULSAR_KOP: "false", ENABLE_PULSAR: "false" });
    });

    it("phase 1: KAFKA_BROKERS points at KoP", async () => {
        const d = await deployments("local", 1);
        expect(env(d.get("execution-coordinator"))).toMatchObject({
            USE_PULSAR_KOP: "true",
            KAFKA_BROKERS: "pulsar-kafka.messaging.svc.cluster.local:9092",
        });
    });

    it("phase 2: the native Pulsar client, and no mcp-matcher Deployment (it is a Function)", async () => {
        const d = await deployments("local", 2);
        expect(env(d.get("ingress-gateway"))).toMatchObject({ ENABLE_PULSAR: "true", PULSAR_SERVICE_URL: "pulsar://pulsar.messaging.svc.cluster.local:6650" });
        expect(d.has("mcp-matcher")).toBe(false);
        expect([...d.keys()].sort()).toEqual(planStack("local", { phase: 2 }).deployments.map((x) => x.service).sort());
    });

    it("phase 0 on MSK: KAFKA_BROKERS from the cluster's bootstrap Output, the password by secretKeyRef", async () => {
        const d = await deployments("prod", 0, pulumi.output("b-1.msk:9096,b-2.msk:9096"));
        const e = env(d.get("result-consumer"));
        expect(e.KAFKA_BROKERS).toBe("b-1.msk:9096,b-2.msk:9096");
        expect(e.KAFKA_SASL_PASSWORD).toEqual({ secretKeyRef: { name: "result-consumer-credentials", key: "kafka-password" } });
    });

    it("prod phase 2: the Pulsar token by secretKeyRef", async () => {
        const d = await deployments("prod", 2);
        expect(env(d.get("retry-worker")).PULSAR_AUTH_TOKEN).toEqual({ secretKeyRef: { name: "retry-worker-credentials", key: "pulsar-token" } });
    });

    it("refuses a plan that needs the Kafka bootstrap Output when none is given", () => {
        expect(() => new Orchestrator("o", { topology: planStack("prod", { phase: 0 }) })).toThrow(/kafkaBootstrap is missing/);
    });
});

describe.each([
    ["local", 0],
    ["dev", 1],
    ["prod", 0],
    ["prod", 2],
    ["prod", 3],
] as const)("%s phase %i: hardening", (stack, phase) => {
    it("has no literal secret in any env value", async () => {
        const d = await deployments(stack, phase, "b-1:9096");
        for (const [name, dep] of d) {
            for (const e of dep.spec.template.spec.containers[0].env) {
                // *_DIR names a mount path (checked below), not a credential.
                if (/PASSWORD|TOKEN|SECRET|CREDENTIAL/i.test(e.name) && !e.name.endsWith("_DIR")) {
                    expect(e.value, `${name} ${e.name}`).toBeUndefined();
                    expect(e.valueFrom?.secretKeyRef, `${name} ${e.name}`).toBeDefined();
                }
            }
        }
    });

    it("runs non-root, read-only, with no capabilities, pinned images, probes, limits and the plan's replicas", async () => {
        const topology = planStack(stack, { phase });
        const d = await deployments(stack, phase, "b-1:9096");
        for (const planned of topology.deployments) {
            const dep = d.get(planned.service)!;
            const pod = dep.spec.template.spec;
            const c = pod.containers[0];
            expect(dep.spec.replicas).toBe(planned.replicas);
            expect(c.image).toBe(planned.image);
            expect(c.image).not.toMatch(/:latest$/);
            expect(pod.securityContext.runAsNonRoot).toBe(true);
            expect(c.securityContext).toMatchObject({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
            expect(c.readinessProbe.httpGet.port).toBe("http");
            expect(c.livenessProbe.httpGet.port).toBe("http");
            expect(c.ports).toEqual([{ name: "http", containerPort: planned.port, protocol: "TCP" }]);
            expect(c.resources.requests).toBeDefined();
            expect(c.resources.limits).toBeDefined();
        }
        if (stack === "prod") {
            expect(topology.deployments.every((x) => x.replicas >= 2)).toBe(true);
        }
        const accounts = ofType(recorded, "kubernetes:core/v1:ServiceAccount").map((a) => a.inputs.metadata.name).sort();
        const services = ofType(recorded, "kubernetes:core/v1:Service").map((a) => a.inputs.metadata.name).sort();
        expect(accounts).toEqual([...d.keys()].sort());
        expect(services).toEqual([...d.keys()].sort());
    });
});

describe("prod phase 3: the tenant list is a mounted file, one token per service", () => {
    it("mounts the tenant ConfigMap as a directory (no subPath, so it is refreshed in place) and names its file in PULSAR_TENANTS_FILE; no per-tenant tokens", async () => {
        const topology = planStack("prod", { phase: 3 });
        const d = await deployments("prod", 3, "b-1:9096");
        const [configMap] = ofType(recorded, "kubernetes:core/v1:ConfigMap").filter((c) => c.inputs.metadata.name === "orchestrator-tenants");
        expect(configMap!.inputs.data.tenants.trim().split("\n")).toEqual([...topology.tenantDirectory!.tenants]);
        for (const [name, dep] of d) {
            const pod = dep.spec.template.spec;
            const e = env(dep);
            expect(e.PULSAR_TENANTS, name).toBeUndefined();
            expect(e.PULSAR_TENANT_TOKEN_DIR, name).toBeUndefined();
            expect(e.PULSAR_TENANTS_FILE, name).toBe("/etc/messaging-platform/tenants/tenants");
            const mount = pod.containers[0].volumeMounts.find((m: any) => m.mountPath === "/etc/messaging-platform/tenants");
            expect(mount).toEqual({ name: "tenants", mountPath: "/etc/messaging-platform/tenants", readOnly: true });
            expect(pod.volumes.find((v: any) => v.name === "tenants")).toEqual({ name: "tenants", configMap: { name: "orchestrator-tenants" } });
            expect(pod.volumes.filter((v: any) => v.secret).map((v: any) => v.name), name).toEqual(["pulsar-ca"]);
        }
    });

    it("adding a tenant changes no Deployment (no pod restarts), only the tenant list and that tenant's own resources", async () => {
        const base = planStack("prod", { phase: 3 });
        const tenants = [
            { name: "team-a", adminRoles: ["team-a.admin"] },
            { name: "team-b", adminRoles: ["team-b.admin"] },
        ];
        expect(planStack("prod", { phase: 3, tenants })).toEqual(base);
        const added = planStack("prod", { phase: 3, tenants: [...tenants, { name: "team-new", adminRoles: ["team-new.admin"] }] });
        expect(added.deployments).toEqual(base.deployments);
        // No Secret changes: every shared service (the Deployments, the one matcher Function) keeps its one token.
        expect(added.credentials).toEqual(base.credentials);
        // The matcher Function reads the new tenant's requests too (its inputs are the one spec that grows).
        expect(added.functions.map((f) => f.name)).toEqual(["mcp-matcher"]);
        expect(added.functions[0]!.inputs).toContain("persistent://team-new/orchestrator/user-requests");
        expect(added.tenantDirectory!.tenants).toEqual([...base.tenantDirectory!.tenants, "team-new"].sort());
        // Every Pulsar resource that differs belongs to the new tenant.
        const names = (t: typeof base) =>
            new Set([...t.pulsar!.tenants.map((x) => x.name), ...t.pulsar!.namespaces.map((x) => x.name), ...t.pulsar!.topics.map((x) => x.name), ...t.pulsar!.permissions.map((x) => `${x.resourceName}|${x.role}`)]);
        const before = names(base);
        const grown = [...names(added)].filter((n) => !before.has(n));
        expect(grown.length).toBeGreaterThan(0);
        expect(grown.every((n) => n.includes("team-new"))).toBe(true);
        expect([...before].filter((n) => !names(added).has(n))).toEqual([]);
    });

    it("gives no token mount before tenant isolation (only the CA the TLS clients trust)", async () => {
        const d = await deployments("prod", 2, "b-1:9096");
        for (const [name, dep] of d) {
            expect(dep.spec.template.spec.volumes.map((v: any) => v.name), name).toEqual(["tmp", "pulsar-ca"]);
        }
    });

    it("mounts the platform's CA and points every TLS client setting at it", async () => {
        for (const [phase, variable] of [[1, "KAFKA_SSL_CA_LOCATION"], [2, "PULSAR_TLS_TRUST_CERTS_FILE_PATH"]] as const) {
            const d = await deployments("prod", phase, "b-1:9096");
            const pod = d.get("execution-coordinator").spec.template.spec;
            const c = pod.containers[0];
            const file = c.env.find((e: any) => e.name === variable)?.value;
            expect(file, `phase ${phase}`).toBe("/etc/pulsar-ca/ca.crt");
            const mount = c.volumeMounts.find((m: any) => file.startsWith(`${m.mountPath}/`));
            expect(pod.volumes.find((v: any) => v.name === mount.name).secret).toMatchObject({ secretName: "pulsar-ca-trust", items: [{ key: "ca.crt", path: "ca.crt" }] });
        }
    });
});
