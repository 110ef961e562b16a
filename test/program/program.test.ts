/**
 * The whole platform (components/platform.ts MessagingPlatform) for every stack (local, dev, prod) and phase (0..3),
 * under Pulumi mocks, offline:
 *  - resources by type as DESIGN.md's phase table says;
 *  - golden plans: the sorted `type name` listing of every registered resource per stack and phase is committed in
 *    test/golden/<stack>-phase<N>.txt, so every change to the resource graph shows in review; this test fails on drift.
 *    After an intended change, regenerate them and review the diff of test/golden/:
 *
 *        UPDATE_GOLDEN=1 npx vitest run test/program
 *
 *  - every transition N -> N+1 and N+1 -> N: no resource that holds data leaves the program unless it was registered
 *    with retainOnDelete (and protect in prod; Pulsar CRs also with lifecyclePolicy KeepAfterDeletion), and the
 *    Deployments / Functions / Sinks added and removed are exactly what diffTopology says.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { MessagingPlatform as MessagingPlatformType } from "../../components/platform";
import { ARCHIVE_ROLE_LABEL, archiveConnectTopics, diffTopology, plan, validateConfig, type DeployedState, type PlatformConfig, type Topology } from "../../topology";
import { STACKS, rawStack, type StackName } from "../support/stacks";
import { DATA_HOLDING_TYPES, dataLosingChanges, predictChanges, type DiffResource } from "../../scripts/provider-diff";
import { CLOUD, installMocks, keyOf, plain, settle, withPlainStackTraces, type Registered } from "./harness";

const PHASES = [0, 1, 2, 3] as const;
type Phase = (typeof PHASES)[number];

const GOLDEN_DIR = resolve(__dirname, "../golden");
const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === "1";

interface Run {
    stack: StackName;
    phase: Phase;
    platform: PlatformConfig;
    topology: Topology;
    resources: Registered[];
}

const runs = new Map<string, Run>();
const run = (stack: StackName, phase: number): Run => runs.get(`${stack}-${phase}`) as Run;
/**
 * The run at `to` as an update from `from` sees it: with the deployed state `from` left (index.ts reads it from the
 * stack's outputs). Differs from a first deployment at `to` only where storage outlives the phase (offload).
 */
const runAfter = (stack: StackName, from: number, to: number): Run => runs.get(`${stack}-${to}-after-${from}`) ?? run(stack, to);

async function runPlatform(stack: StackName, phase: Phase, deployed: DeployedState = {}, overrides: Record<string, unknown> = {}): Promise<Run> {
    // A fresh mock monitor per run: nothing registered by an earlier run leaks into this one.
    const resources = await installMocks({ stack });
    // Imported once the mocks exist (the module graph reads the runtime settings).
    const { MessagingPlatform } = (await import("../../components/platform")) as { MessagingPlatform: typeof MessagingPlatformType };
    const platform = validateConfig(rawStack(stack, { phase, ...overrides }));
    const topology = plan(platform, deployed);
    new MessagingPlatform("platform", { platform, topology, cloud: CLOUD });
    await settle(resources);
    return { stack, phase, platform, topology, resources };
}

beforeAll(
    () =>
        withPlainStackTraces(async () => {
            for (const stack of STACKS) {
                for (const phase of PHASES) {
                    runs.set(`${stack}-${phase}`, await runPlatform(stack, phase));
                }
                // A token rotation: the next month's epoch (docs/runbooks.md, "Rotate credentials").
                if (stack === "prod") {
                    const pulsar = rawStack(stack).values.pulsar as Record<string, any>;
                    runs.set("prod-3-rotated", await runPlatform(stack, 3, {}, { pulsar: { ...pulsar, auth: { ...pulsar.auth, tokenEpoch: "2027-01" } } }));
                }
                // Rollbacks from an update that offloaded.
                for (const to of [2] as const) {
                    if (run(stack, to + 1).topology.offload !== null) {
                        runs.set(`${stack}-${to}-after-${to + 1}`, await runPlatform(stack, to, { offloadActive: true }));
                    }
                }
            }
        }),
    120_000,
);

// ---------------------------------------------------------------------------------------------
// Resource types and helpers.

const T = {
    topic: "kafka:index/topic:Topic",
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    service: "kubernetes:core/v1:Service",
    namespace: "kubernetes:core/v1:Namespace",
    pvc: "kubernetes:core/v1:PersistentVolumeClaim",
    release: "kubernetes:helm.sh/v3:Release",
    fn: "kubernetes:compute.functionmesh.io/v1alpha1:Function",
    sink: "kubernetes:compute.functionmesh.io/v1alpha1:Sink",
    pulsarTenant: "kubernetes:resource.streamnative.io/v1alpha1:PulsarTenant",
    pulsarNamespace: "kubernetes:resource.streamnative.io/v1alpha1:PulsarNamespace",
    pulsarTopic: "kubernetes:resource.streamnative.io/v1alpha1:PulsarTopic",
    pulsarConnection: "kubernetes:resource.streamnative.io/v1alpha1:PulsarConnection",
    secret: "kubernetes:core/v1:Secret",
    certificate: "kubernetes:cert-manager.io/v1:Certificate",
    gcsBucket: "gcp:storage/bucket:Bucket",
    s3Bucket: "aws:s3/bucket:Bucket",
    mskCluster: "aws:msk/cluster:Cluster",
    confluentCluster: "confluentcloud:index/kafkaCluster:KafkaCluster",
    confluentEnvironment: "confluentcloud:index/environment:Environment",
    rabbitQueue: "rabbitmq:index/queue:Queue",
    rabbitVhost: "rabbitmq:index/vHost:VHost",
} as const;

/** Pulsar operator CRs that hold data: they must also carry `lifecyclePolicy: KeepAfterDeletion`. */
const PULSAR_DATA_CRS: ReadonlySet<string> = new Set([T.pulsarTenant, T.pulsarNamespace, T.pulsarTopic]);

/** Types whose removal from the program (or replacement) would lose messages, objects or state: one list, shared. */
const DATA_HOLDING: ReadonlySet<string> = DATA_HOLDING_TYPES;

const ofType = (r: Run, type: string) => r.resources.filter((x) => x.type === type);
const k8sName = (x: Registered): string => plain(x.inputs).metadata?.name;
const k8sNames = (r: Run, type: string) => ofType(r, type).map(k8sName).sort();

/** Anything that belongs to Pulsar: its cluster, tenancy, functions and sinks, or the KoP Service. */
function isPulsar(x: Registered): boolean {
    return (
        /^messaging-platform:pulsar:/.test(x.type) ||
        /:(resource\.streamnative\.io|compute\.functionmesh\.io)\//.test(x.type) ||
        x.type === T.release ||
        x.type === T.statefulSet ||
        /pulsar/i.test(x.name)
    );
}

const cases = STACKS.flatMap((stack) => PHASES.map((phase) => [stack, phase] as const));

// ---------------------------------------------------------------------------------------------
// 1. Resources by type, per DESIGN.md's phase table.

describe.each(cases)("%s phase %i: resources by type", (stack, phase) => {
    const r = () => run(stack, phase);

    it("has a Kafka topic for every stream", () => {
        const topology = r().topology;
        const topics = topology.kafka?.topics ?? [];
        expect(topology.routes.length).toBeGreaterThan(0);
        for (const route of topology.routes) {
            const topic = topics.find((t) => t.stream === route.stream);
            expect(topic, `planned Kafka topic of ${route.stream}`).toBeDefined();
        }
        // And the archive's own: its dead-letter topic and the Connect workers' internal topics (topology/archive-plan.ts).
        const connect = archiveConnectTopics(topology.archive).map((t) => t.name);
        expect(ofType(r(), T.topic).map((t) => plain(t.inputs).name).sort()).toEqual([...topics.map((t) => t.name), ...connect].sort());
    });

    it(phase === 0 ? "has no Pulsar resource at all" : "runs Pulsar: a Helm release in dev/prod, a standalone StatefulSet locally", () => {
        if (phase === 0) {
            expect(r().resources.filter(isPulsar).map(keyOf)).toEqual([]);
            return;
        }
        expect(ofType(r(), T.release)).toHaveLength(stack === "local" ? 0 : 1);
        expect(ofType(r(), T.statefulSet)).toHaveLength(stack === "local" ? 1 : 0);
    });

    it(phase === 0 ? "has no KoP Service" : "exposes KoP on a Service", () => {
        const endpoints = r().topology.pulsar?.endpoints;
        const kop = ofType(r(), T.service).filter((s) => (plain(s.inputs).spec?.ports ?? []).some((p: { name?: string }) => p.name === "kafka"));
        if (phase === 0) {
            expect(endpoints).toBeUndefined();
            expect(kop).toEqual([]);
            return;
        }
        // The bootstrap Service, and (standalone) the Service the broker advertises, which clients are sent to next.
        const advertisedService = endpoints?.advertisedAddress.startsWith("$(POD_NAME).") ? undefined : endpoints?.advertisedAddress.split(".")[0];
        expect(kop.map(k8sName).sort()).toEqual([endpoints?.kafkaService, ...(advertisedService ? [advertisedService] : [])].sort());
        for (const k of kop) {
            expect(plain(k.inputs).spec.ports.map((p: { port: number }) => p.port)).toContain(endpoints?.kafkaPort);
        }
    });

    it(phase < 2 ? "runs mcp-matcher as a Deployment (and not as a Function)" : "runs mcp-matcher as a Function Mesh Function (and not as a Deployment)", () => {
        const asDeployment = k8sNames(r(), T.deployment).includes("mcp-matcher");
        const asFunction = k8sNames(r(), T.fn).includes("mcp-matcher");
        expect({ asDeployment, asFunction }).toEqual({ asDeployment: phase < 2, asFunction: phase >= 2 });
    });

    it(phase === 3 ? "isolates every tenant in its own <tenant>/orchestrator namespace" : "has no per-tenant namespace", () => {
        const pulsarNamespaces = ofType(r(), T.pulsarNamespace).map((n) => plain(n.inputs).spec.name as string);
        const perTenant = pulsarNamespaces.filter((n) => n.endsWith("/orchestrator")).sort();
        const tenants = r().platform.tenants.map((t) => t.name);
        expect(tenants.length).toBeGreaterThan(0);
        expect(perTenant).toEqual(phase === 3 ? tenants.map((t) => `${t}/orchestrator`).sort() : []);
    });

    it(
        phase === 3 && stack !== "local" ? `offloads to a ${stack === "dev" ? "GCS" : "S3"} bucket` : "has no offload bucket",
        () => {
            const gcs = ofType(r(), T.gcsBucket).filter((b) => !isArchive(b)).map((b) => plain(b.inputs).name);
            const s3 = ofType(r(), T.s3Bucket).filter((b) => !isArchive(b)).map((b) => plain(b.inputs).bucket);
            const archive = [...ofType(r(), T.gcsBucket), ...ofType(r(), T.s3Bucket)].filter(isArchive).map((b) => plain(b.inputs).name ?? plain(b.inputs).bucket);
            expect(archive).toEqual(r().topology.archive ? [r().topology.archive!.bucket.name] : []);
            const bucket = r().topology.offload?.bucket;
            const expected =
                phase === 3 && stack === "dev" ? { gcs: [bucket], s3: [] } : phase === 3 && stack === "prod" ? { gcs: [], s3: [bucket] } : { gcs: [], s3: [] };
            expect({ gcs, s3 }).toEqual(expected);
            if (phase === 3 && stack !== "local") {
                expect(bucket).toBeTruthy();
            }
        },
    );

    it("creates every Secret key a workload reads, and no credential Secret nothing reads", () => {
        const secrets = new Map<string, Set<string>>();
        // Secrets the program reads (Secret.get: central's CA for its edge sites) carry no metadata of their own.
        for (const x of ofType(r(), T.secret).filter((s) => plain(s.inputs).metadata !== undefined)) {
            const v = plain(x.inputs);
            secrets.set(v.metadata.name, new Set([...Object.keys(v.data ?? {}), ...Object.keys(v.stringData ?? {})]));
        }
        const refs: string[] = [];
        const ref = (name: string, key: string) => refs.push(`${name}/${key}`);
        for (const d of ofType(r(), T.deployment)) {
            const pod = plain(d.inputs).spec.template.spec;
            for (const e of pod.containers.flatMap((c: any) => c.env ?? [])) {
                if (e.valueFrom?.secretKeyRef) {
                    ref(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
                }
            }
            for (const v of pod.volumes ?? []) {
                (v.secret?.items ?? []).forEach((i: any) => ref(v.secret.secretName, i.key));
            }
        }
        for (const cr of [...ofType(r(), T.fn), ...ofType(r(), T.sink)]) {
            const spec = plain(cr.inputs).spec;
            if (spec.pulsar.authSecret) {
                ref(spec.pulsar.authSecret, "clientAuthenticationPlugin");
                ref(spec.pulsar.authSecret, "clientAuthenticationParameters");
            }
            for (const m of Object.values(spec.secretsMap ?? {}) as { path: string; key: string }[]) {
                ref(m.path, m.key);
            }
            for (const v of spec.pod?.volumes ?? []) {
                (v.secret?.items ?? []).forEach((i: any) => ref(v.secret.secretName, i.key));
            }
        }
        // Strimzi's Kafka Connect workers read their Kafka password from a Secret (authentication.passwordSecret).
        for (const c of ofType(r(), "kubernetes:kafka.strimzi.io/v1beta2:KafkaConnect")) {
            const p = plain(c.inputs).spec.authentication?.passwordSecret;
            if (p) {
                ref(p.secretName, p.password);
            }
        }
        for (const c of ofType(r(), T.pulsarConnection)) {
            const token = plain(c.inputs).spec.authentication?.token?.secretRef;
            if (token) {
                ref(token.name, token.key);
            }
        }
        for (const cert of ofType(r(), T.certificate)) {
            const pkcs12 = plain(cert.inputs).spec.keystores?.pkcs12;
            if (pkcs12) {
                ref(pkcs12.passwordSecretRef.name, pkcs12.passwordSecretRef.key);
            }
        }
        for (const rel of ofType(r(), T.release)) {
            for (const e of plain(rel.inputs).values.broker.extraEnvs ?? []) {
                if (e.valueFrom?.secretKeyRef) {
                    ref(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key);
                }
            }
            // The edge sites' CAs the brokers and the proxy trust (the chart's tls.*.cacerts mounts each Secret's keys).
            for (const c of ["broker", "proxy"]) {
                for (const cert of plain(rel.inputs).values.tls?.[c]?.cacerts?.certs ?? []) {
                    (cert.secretKeys as string[]).forEach((k) => ref(cert.existingSecret, k));
                }
            }
            const offload = plain(rel.inputs).values.broker.storageOffload;
            if (offload?.gcsServiceAccountSecret) {
                // The chart mounts this Secret whole; the offloader reads the key file in it.
                ref(offload.gcsServiceAccountSecret, offload.gcsServiceAccountJsonFile);
            }
            const auth = plain(rel.inputs).values.auth;
            if (auth?.authentication?.jwt?.usingSecretKey) {
                // The chart mounts these (templates/jwt-secret-init.yaml names them); its own hook is off.
                expect(auth.authentication.jwt.generateSecrets.enabled).toBe(false);
                ref("pulsar-token-symmetric-key", "SECRETKEY");
                ["broker-admin", "proxy-admin", auth.superUsers.client].forEach((u: string) => ref(`pulsar-token-${u}`, "TOKEN"));
            }
        }
        // cert-manager writes each Certificate's Secret: ca.crt, tls.crt and tls.key, plus the PKCS#12 stores it is asked for.
        const issued = new Map<string, Set<string>>();
        for (const cert of ofType(r(), T.certificate)) {
            const spec = plain(cert.inputs).spec;
            issued.set(spec.secretName, new Set(["ca.crt", "tls.crt", "tls.key", ...(spec.keystores?.pkcs12?.create ? ["keystore.p12", "truststore.p12"] : [])]));
        }
        const missing = refs.filter((x) => {
            const [name, key] = x.split("/") as [string, string];
            return !secrets.get(name)?.has(key) && !issued.get(name)?.has(key);
        });
        expect(missing).toEqual([]);
        const referenced = new Set(refs);
        const unread = [...secrets].flatMap(([name, keys]) => [...keys].map((k) => `${name}/${k}`)).filter((x) => !referenced.has(x));
        expect(unread).toEqual([]);
        if (stack === "prod" && phase > 0) {
            expect(refs.length).toBeGreaterThan(0);
        }
    });

    it("protects (prod) and keeps (everywhere) every resource that holds data", () => {
        const bad = r()
            .resources.filter((x) => DATA_HOLDING.has(x.type))
            .filter((x) => !x.retainOnDelete || (stack === "prod" && !x.protect))
            .map((x) => `${keyOf(x)} retainOnDelete=${x.retainOnDelete} protect=${x.protect}`);
        expect(bad).toEqual([]);
    });
});

// ---------------------------------------------------------------------------------------------
// 2. Golden plans.

function goldenLines(r: Run): string[] {
    return r.resources.map(keyOf).sort();
}

/** A short, readable diff of two sorted listings. */
function listingDiff(expected: string[], actual: string[]): string {
    const want = new Set(expected);
    const got = new Set(actual);
    const removed = expected.filter((l) => !got.has(l)).map((l) => `- ${l}`);
    const added = actual.filter((l) => !want.has(l)).map((l) => `+ ${l}`);
    const dupes = actual.filter((l, i) => actual.indexOf(l) !== i).map((l) => `! duplicate ${l}`);
    return [...removed, ...added, ...dupes].join("\n");
}

describe.each(cases)("%s phase %i: golden plan", (stack, phase) => {
    it(`matches test/golden/${stack}-phase${phase}.txt`, () => {
        const file = resolve(GOLDEN_DIR, `${stack}-phase${phase}.txt`);
        const actual = goldenLines(run(stack, phase));
        expect(new Set(actual).size, "every (type, name) is unique").toBe(actual.length);
        if (UPDATE_GOLDEN) {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            writeFileSync(file, `${actual.join("\n")}\n`);
            return;
        }
        if (!existsSync(file)) {
            expect.fail(`missing golden plan ${file}: generate it with UPDATE_GOLDEN=1 npx vitest run test/program`);
        }
        const expected = readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0);
        const diff = listingDiff(expected, actual);
        if (diff !== "") {
            expect.fail(
                `the ${stack} phase ${phase} resource graph drifted from test/golden/${stack}-phase${phase}.txt ` +
                    `(- only in the golden plan, + only in the program):\n${diff}\n` +
                    `If the change is intended: UPDATE_GOLDEN=1 npx vitest run test/program, and review the golden diff.`,
            );
        }
        expect(actual).toEqual(expected);
    });
});

// ---------------------------------------------------------------------------------------------
// 3. Transitions.

/** The resources of `from` that are not in `to`, by (type, name). */
function removedBetween(from: Run, to: Run): Registered[] {
    const kept = new Set(to.resources.map(keyOf));
    return from.resources.filter((x) => !kept.has(keyOf(x)));
}

/** Why leaving the program would lose data, or undefined when it would not. */
function dataLoss(x: Registered, stack: StackName): string | undefined {
    if (!DATA_HOLDING.has(x.type)) {
        return undefined;
    }
    const problems: string[] = [];
    if (!x.retainOnDelete) {
        problems.push("retainOnDelete is not set");
    }
    if (stack === "prod" && !x.protect) {
        problems.push("protect is not set in prod");
    }
    if (PULSAR_DATA_CRS.has(x.type) && plain(x.inputs).spec?.lifecyclePolicy !== "KeepAfterDeletion") {
        problems.push(`spec.lifecyclePolicy is ${String(plain(x.inputs).spec?.lifecyclePolicy)}, not KeepAfterDeletion`);
    }
    return problems.length > 0 ? `${keyOf(x)}: ${problems.join(", ")}` : undefined;
}

/** Resource name prefixes of the resources the plan lists as deployments, functions and sinks. */
/** The archive's bucket, labelled as such (components/archive.ts); every other bucket is the offload bucket. */
function isArchive(b: Registered): boolean {
    return (plain(b.inputs).tags ?? plain(b.inputs).labels ?? {})[ARCHIVE_ROLE_LABEL.key] === ARCHIVE_ROLE_LABEL.value;
}

const PLAN_ITEMS = [
    { area: "deployments", type: T.deployment, prefix: "platform-orchestrator-" },
    { area: "pulsar functions", type: T.fn, prefix: "platform-pulsar-functions-function-" },
    { area: "pulsar->kafka sinks", type: T.sink, prefix: "platform-pulsar-functions-sink-" },
] as const;

/** The plan id (service, function or sink name) of a Deployment / Function / Sink resource. */
function planId(x: Registered): string {
    const item = PLAN_ITEMS.find((i) => i.type === x.type);
    if (!item || !x.name.startsWith(item.prefix)) {
        throw new Error(`${keyOf(x)} is not a planned deployment, function or sink`);
    }
    const id = x.name.slice(item.prefix.length);
    // The object in the cluster has the plan's name too.
    expect(k8sName(x), keyOf(x)).toBe(id);
    return id;
}

const transitions = STACKS.flatMap((stack) =>
    [0, 1, 2].flatMap((n) => [
        [stack, n, n + 1],
        [stack, n + 1, n],
    ]),
) as [StackName, number, number][];

/** A run's resources as the replace rules read them (inputs as plain data). */
const diffable = (r: Run): DiffResource[] => r.resources.filter((x) => !x.read).map((x) => ({ ...x, inputs: plain(x.inputs) }));

/** Types a transition may replace: they hold nothing that a new object lacks (derived credentials, stateless grants). */
const REPLACEABLE: ReadonlySet<string> = new Set([
    T.secret,
    "kubernetes:core/v1:ConfigMap",
    "kafka:index/acl:Acl",
    "rabbitmq:index/binding:Binding",
    "kubernetes:resource.streamnative.io/v1alpha1:PulsarPermission",
]);

describe.each(transitions)("%s phase %i -> %i", (stack, from, to) => {
    it("replaces nothing that holds data or runs: everything else is created, updated in place or retained (provider and engine replace rules)", () => {
        const changes = predictChanges(diffable(run(stack, from)), diffable(runAfter(stack, from, to)));
        expect(dataLosingChanges(changes).map((c) => `${c.kind} ${keyOf(c.resource)}: ${(c.because ?? c.paths ?? []).join("; ")}`)).toEqual([]);
        const replaced = changes.filter((c) => c.kind === "replace" && !REPLACEABLE.has(c.resource.type));
        expect(replaced.map((c) => `${keyOf(c.resource)}: ${(c.because ?? []).join("; ")}`)).toEqual([]);
    });


    it("removes nothing that holds data without keeping it (retainOnDelete; protect in prod; KeepAfterDeletion)", () => {
        const removed = removedBetween(run(stack, from), runAfter(stack, from, to));
        expect(removed.map((x) => dataLoss(x, stack)).filter((p) => p !== undefined)).toEqual([]);
    });

    it("adds and removes exactly the Deployments, Functions and Sinks the plan diff says", () => {
        const a = run(stack, from);
        const b = runAfter(stack, from, to);
        const diff = diffTopology(a.topology, b.topology);
        // The lag exporters are Deployments too, of the observability plan: exactly the planned ones, by name.
        const exporters = (x: typeof a) => ofType(x, T.deployment).filter((d) => d.name.startsWith("platform-observability-"));
        for (const [x, t] of [[a, a.topology], [b, b.topology]] as const) {
            expect(exporters(x).map(k8sName).sort()).toEqual(t.observability.lagExporters.map((e) => e.name).sort());
        }
        // The audit bridge is a Deployment of its own plan (topology/audit-plan.ts): there exactly when planned.
        const bridge = (x: typeof a) => ofType(x, T.deployment).filter((d) => d.name.startsWith("platform-audit-bridge-"));
        for (const [x, t] of [[a, a.topology], [b, b.topology]] as const) {
            expect(bridge(x).map(k8sName)).toEqual(t.auditBridge ? [t.auditBridge.service] : []);
        }
        const planned = (x: typeof a, type: string) => ofType(x, type).filter((d) => !exporters(x).includes(d) && !bridge(x).includes(d));
        for (const item of PLAN_ITEMS) {
            const before = new Set(planned(a, item.type).map(planId));
            const after = new Set(planned(b, item.type).map(planId));
            const area = diff.areas.find((x) => x.area === item.area);
            expect(area, item.area).toBeDefined();
            expect({ area: item.area, added: [...after].filter((id) => !before.has(id)).sort(), removed: [...before].filter((id) => !after.has(id)).sort() }).toEqual({
                area: item.area,
                added: [...(area?.added ?? [])].sort(),
                removed: (area?.removed ?? []).map((x) => x.id).sort(),
            });
        }
    });
});

describe("transition coverage", () => {
    it("sees real changes: every bump adds resources, and 1 -> 2 swaps the mcp-matcher Deployment for a Function", () => {
        for (const stack of STACKS) {
            for (const n of [0, 1, 2]) {
                const added = removedBetween(run(stack, n + 1), run(stack, n));
                expect(added.length, `${stack} ${n} -> ${n + 1}`).toBeGreaterThan(0);
            }
            const removed12 = removedBetween(run(stack, 1), run(stack, 2)).map(keyOf);
            expect(removed12).toContain(`${T.deployment} platform-orchestrator-mcp-matcher`);
            expect(removedBetween(run(stack, 2), run(stack, 1)).map(keyOf)).toContain(`${T.fn} platform-pulsar-functions-function-mcp-matcher`);
        }
    });

    it("the rollback 3 -> 2 in dev and prod keeps the offload bucket and the brokers' offload driver (storage high-water mark)", () => {
        for (const [stack, type] of [["dev", T.gcsBucket], ["prod", T.s3Bucket]] as const) {
            const after = runAfter(stack, 3, 2);
            expect(after, stack).not.toBe(run(stack, 2));
            expect(removedBetween(run(stack, 3), after).filter((x) => x.type === type), stack).toEqual([]);
            const offloadDriver = (r: Run) => plain(ofType(r, T.release)[0]!.inputs).values.broker.storageOffload;
            expect(offloadDriver(after), stack).toEqual(offloadDriver(run(stack, 3)));
            // A first deployment at phase 2 has none of it (only the archive's own bucket, which is there in every phase).
            expect(ofType(run(stack, 2), type).filter((b) => !isArchive(b)), stack).toEqual([]);
        }
    });

    it("a bucket that does leave the program (tieredStorage.retire, or a first deployment diff) is retained, and protected in prod", () => {
        const dev = removedBetween(run("dev", 3), run("dev", 2)).find((x) => x.type === T.gcsBucket);
        const prod = removedBetween(run("prod", 3), run("prod", 2)).find((x) => x.type === T.s3Bucket);
        expect(dev).toMatchObject({ retainOnDelete: true });
        expect(prod).toMatchObject({ retainOnDelete: true, protect: true });
    });
});

describe("the transition guard itself (negative controls)", () => {
    const fake = (type: string, opts: Partial<Registered> = {}): Registered => ({
        type,
        name: "fake",
        urn: `urn:pulumi:prod::messaging-platform::${type}::fake`,
        custom: true,
        read: false,
        inputs: {},
        protect: false,
        retainOnDelete: false,
        propertyDependencies: {},
        ...opts,
    });

    it("flags a data-holding resource that would be deleted, or left unprotected in prod", () => {
        expect(dataLoss(fake(T.topic), "dev")).toMatch(/retainOnDelete is not set/);
        expect(dataLoss(fake(T.s3Bucket, { retainOnDelete: true }), "prod")).toMatch(/protect is not set in prod/);
        expect(dataLoss(fake(T.s3Bucket, { retainOnDelete: true }), "dev")).toBeUndefined();
        expect(dataLoss(fake(T.s3Bucket, { retainOnDelete: true, protect: true }), "prod")).toBeUndefined();
    });

    it("flags a Pulsar CR the operator would clean up", () => {
        const ns = (lifecyclePolicy: string) => fake(T.pulsarNamespace, { retainOnDelete: true, inputs: { spec: { name: "team-a/orchestrator", lifecyclePolicy } } });
        expect(dataLoss(ns("CleanUpAfterDeletion"), "local")).toMatch(/not KeepAfterDeletion/);
        expect(dataLoss(ns("KeepAfterDeletion"), "local")).toBeUndefined();
    });

    it("lets resources that hold no data go", () => {
        expect(dataLoss(fake(T.deployment), "prod")).toBeUndefined();
        expect(dataLoss(fake(T.fn), "prod")).toBeUndefined();
    });
});

describe("a credential rotation (prod phase 3, pulsar.auth.tokenEpoch 2026-12 -> 2027-01)", () => {
    const changes = () => predictChanges(diffable(run("prod", 3)), diffable(runs.get("prod-3-rotated") as Run));

    it("updates in place: it creates, replaces and deletes nothing", () => {
        const other = changes().filter((c) => c.kind !== "update");
        expect(other.map((c) => `${c.kind} ${keyOf(c.resource)}`)).toEqual([]);
        expect(changes().length).toBeGreaterThan(0);
    });

    it("rolls every workload that reads a rotated token, by its pod template's secrets checksum", () => {
        const updated = new Map(changes().map((c) => [keyOf(c.resource), c.paths ?? []]));
        const rotated = new Set(changes().filter((c) => c.resource.type === T.secret).map((c) => plain(c.resource.inputs).metadata.name as string));
        expect(rotated.size).toBeGreaterThan(0);
        const readers = ofType(run("prod", 3), T.deployment).filter((d) => {
            const pod = plain(d.inputs).spec.template.spec;
            const names = [...pod.containers.flatMap((c: any) => (c.env ?? []).map((e: any) => e.valueFrom?.secretKeyRef?.name)), ...(pod.volumes ?? []).map((v: any) => v.secret?.secretName)];
            return names.some((n: string | undefined) => n !== undefined && rotated.has(n));
        });
        expect(readers.length).toBeGreaterThan(0);
        for (const d of readers) {
            expect(updated.get(keyOf(d)) ?? [], keyOf(d)).toContain(".spec.template.metadata.annotations.messaging-platform/secrets-checksum");
        }
        // The brokers, proxies and toolset read the super-users' tokens when they start: the release changes their pods.
        const release = ofType(run("prod", 3), T.release)[0] as Registered;
        expect(updated.get(keyOf(release))).toEqual(
            expect.arrayContaining([".values.broker.annotations.messaging-platform/secrets-checksum", ".values.proxy.annotations.messaging-platform/secrets-checksum"]),
        );
    });

    it("changes nothing but credentials and the pods that read them", () => {
        for (const c of changes()) {
            const type = c.resource.type;
            const allowed = type === T.secret ? /^\.(stringData|data)\./ : /secrets-checksum$/;
            expect((c.paths ?? []).filter((p) => !allowed.test(p)), `${keyOf(c.resource)}`).toEqual([]);
        }
    });
});
