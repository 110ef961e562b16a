/**
 * The smoke test of a deployed stack: plan the stack at the phase it deployed, derive a probe for every path a route's
 * messages take and every control-plane queue, and exercise each against the endpoints in the stack's outputs.
 */
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { resolve } from "node:path";
import { plan, planEdgeSite, rawConfigFromStackFile, validateConfig, validateEdgeConfig, edgeRawConfig, CONTROL_EXCHANGE, EDGE_INGEST_STREAM, type PulsarPlan, type Topology } from "../../topology";
import { archiveCommitted, archiveHops, DEFAULT_ARCHIVE_TIMEOUT_MS, type ArchiveHop } from "./archive";
import { edgeHops, edgeOutputsSchema, edgeRow, runEdgeHop, type CentralEdgeEndpoint, type EdgeEnd, type EdgeHop, type EdgeOutputs, type KafkaLeg } from "./edge";
import { journalDir, SmokeJournal } from "./journal";
import { readStackFile } from "../cli";
import { loadStack } from "../stack";
import { KafkaTransport } from "./kafka";
import { exercise, Inbox, newRunId, topicKey, type SmokeContext } from "./messages";
import { readOutputs, readStackOutputs, routeDrift, type StackOutputs } from "./outputs";
import { auditProbes, controlProbes, streamProbes, type AuditProbe, type StreamProbe, type Transport } from "./probes";
import { loadPulsarClient, pulsarAdmin, PulsarTransport, type PulsarLoad } from "./pulsar";
import { webSocketPulsarModule } from "./pulsar-websocket-module";

/**
 * The smoke's native Pulsar client: pulsar-client where it is installed, else Pulsar's WebSocket API on the cluster's
 * web service (the brokers serve it: topology/pulsar-plan.ts brokerConfig), so native rows run on any machine.
 */
export function nativePulsarClient(): PulsarLoad {
    return loadPulsarClient(undefined, webSocketPulsarModule);
}
import { pulsarLoginToken, pulsarTokenEnv, type PulsarLogin } from "./pulsar-login";
import { ControlPublisher, runControlProbes } from "./rabbit";
import { PULSAR_CLIENT_NOT_RUN, type ProbeResult, type SmokeReport } from "./report";
import { stackSecret } from "./secrets";
import { errorText, type StreamTransport } from "./transport";
import { UsageError, type UsageProblem } from "./usage-error";

const ROOT = resolve(__dirname, "../..");

/** The env var that carries the RabbitMQ password (the stack's secret `rabbitmqPassword`). */
export const RABBITMQ_PASSWORD_ENV = "MP_RABBITMQ_PASSWORD";

/**
 * The topology the deployed stack realises: the stack config planned at the phase its outputs report, checked against
 * the routes it deployed.
 * @param stackFileText the YAML of the stack settings file
 */
export function deployedTopology(stackFileText: string, outputs: StackOutputs): Topology {
    const topology = plan(validateConfig(rawConfigFromStackFile(stackFileText, { phase: outputs.phase })));
    const drift = routeDrift(topology, outputs);
    if (drift.length > 0) {
        throw new UsageError(drift);
    }
    return topology;
}

/** The RabbitMQ password: MP_RABBITMQ_PASSWORD, else the stack's secret through `pulumi config get`. */
export function rabbitmqPassword(stack: string, env: NodeJS.ProcessEnv, pulumi = "pulumi"): string {
    return stackSecret(
        { env: RABBITMQ_PASSWORD_ENV, key: "rabbitmqPassword", stack, pulumi, what: "the password of rabbitmq.username (the stack's secret rabbitmqPassword)" },
        env,
    );
}

export interface SmokeOptions {
    stack: string;
    topology: Topology;
    outputs: StackOutputs;
    rabbitmqPassword: string;
    /** Timed messages per probe. */
    messages: number;
    /** Per message (and per client operation), in ms. */
    timeoutMs: number;
    /**
     * How long the archiver may take to commit past a message (Kafka Connect commits every offset.flush.interval.ms).
     * @default DEFAULT_ARCHIVE_TIMEOUT_MS (scripts/smoke/archive.ts)
     */
    archiveTimeoutMs?: number;
    /** How the native Pulsar client is loaded. @default pulsar-client, else the WebSocket client (nativePulsarClient) */
    pulsar?: PulsarLoad;
    /** How the smoke client logs in to the stack's Pulsar (its token, its CA). @default no token, the system's CAs */
    pulsarLogin?: PulsarLogin;
    /** Per accepted edge site (by name): its outputs and login, or why it cannot be reached. */
    edges?: Map<string, EdgeEnd>;
    /** @default a fresh newRunId() */
    runId?: string;
    /** Which runs are in flight or were interrupted. @default the user's cache (scripts/smoke/journal.ts) */
    journal?: SmokeJournal;
}

function streamRow(p: StreamProbe): Pick<ProbeResult, "route" | "path" | "protocol" | "broker" | "target"> {
    const sink = p.path === "via sink";
    return {
        route: p.stream,
        path: p.path,
        protocol: sink ? "pulsar->kafka" : p.produce.transport === "pulsar" ? "pulsar" : "kafka",
        broker: sink ? "pulsar->kafka" : p.produce.transport === "kafka" ? "kafka" : "pulsar",
        target: p.consume.topic,
    };
}

/** What each kind of probe end's client is called in reports and arrival keys (the transports' own labels). */
const CLIENT_LABEL: Record<Transport, string> = { kafka: "Kafka", kop: "KoP", pulsar: "Pulsar" };

const ENDPOINT_KEYS: Record<Transport, (keyof StackOutputs["endpoints"])[]> = {
    kafka: ["kafkaBootstrap"],
    kop: ["kopBootstrap"],
    pulsar: ["pulsarServiceUrl", "pulsarAdminUrl"],
};

/** The outputs must carry an endpoint for every transport the deployed routes use. */
export function missingEndpoints(transports: Iterable<Transport>, outputs: StackOutputs, phase: number): UsageProblem[] {
    return [...transports].flatMap((t) =>
        ENDPOINT_KEYS[t]
            .filter((k) => outputs.endpoints[k] === undefined)
            .map((k) => ({ key: `outputs endpoints.${k}`, value: undefined, allowed: `set: the phase-${phase} routes use ${t === "kop" ? "KoP" : t}` })),
    );
}

export type Opened = { transport: StreamTransport; missing: Map<string, string> } | { unusable: Partial<ProbeResult> };

/** The transport for one kind of probe end, or why it cannot be used (unsupported auth, client missing). */
function transportFor(kind: Transport, o: SmokeOptions, ctx: SmokeContext, inbox: Inbox, pulsar: () => PulsarLoad, notes: string[]): StreamTransport | Partial<ProbeResult> {
    const { topology: t, outputs } = o;
    const e = outputs.endpoints;
    const unsupported = (what: string) => ({ status: "not run" as const, reason: `${what} is not supported by npm run smoke` });
    switch (kind) {
        case "kafka": {
            const security = t.kafka?.clientSecurity ?? { protocol: "PLAINTEXT" };
            if (security.saslMechanism) {
                return unsupported(`Kafka ${security.saslMechanism} authentication`);
            }
            return new KafkaTransport({ bootstrap: e.kafkaBootstrap as string, ssl: security.protocol === "SSL", label: CLIENT_LABEL.kafka }, ctx, inbox, notes);
        }
        case "kop": {
            const protocol = t.pulsar?.endpoints.kafkaListenerProtocol ?? "PLAINTEXT";
            if (protocol !== "PLAINTEXT") {
                return unsupported(`a ${protocol} KoP listener (token authentication)`);
            }
            return new KafkaTransport({ bootstrap: e.kopBootstrap as string, ssl: false, label: CLIENT_LABEL.kop }, ctx, inbox, notes);
        }
        case "pulsar": {
            const loaded = pulsar();
            if ("missing" in loaded) {
                return PULSAR_CLIENT_NOT_RUN;
            }
            const login = o.pulsarLogin ?? {};
            return new PulsarTransport({
                serviceUrl: e.pulsarServiceUrl as string,
                webServiceUrl: e.pulsarAdminUrl as string,
                login,
                pulsar: loaded.module,
                admin: pulsarAdmin(e.pulsarAdminUrl as string, login, o.timeoutMs),
                ctx,
                inbox,
                notes,
            });
        }
    }
}

function archiveRow(h: ArchiveHop): Pick<ProbeResult, "route" | "path" | "protocol" | "broker" | "target"> {
    return {
        route: `${h.stream} -> archive`,
        path: `archiver (${"exact" in h.group ? h.group.exact : `${h.group.prefix}*`})`,
        protocol: "kafka->object store",
        broker: `kafka->${h.store}`,
        target: `${h.store} ${h.bucket}`,
    };
}

function auditRow(p: AuditProbe): Pick<ProbeResult, "route" | "path" | "protocol" | "broker" | "target"> {
    return {
        route: `${p.exchange} -> audit-trail`,
        path: `audit bridge (${p.queue})`,
        protocol: "amqp->kafka",
        broker: `rabbitmq->${p.destination}`,
        target: p.consume.topic,
    };
}

/**
 * Seed 004's Kafka -> archive hop, one row per archived topic: the last smoke message that reached the topic on Kafka,
 * followed into the bucket by the archiver's committed offset (scripts/smoke/archive.ts says why that proves it).
 * Checked together: each may wait for Connect's next offset commit.
 */
async function archiveResults(hops: ArchiveHop[], kafka: Opened | undefined, timeoutMs: number): Promise<ProbeResult[]> {
    return Promise.all(
        hops.map(async (hop): Promise<ProbeResult> => {
            const base: ProbeResult = { ...archiveRow(hop), status: "not run", latenciesMs: [], sent: 0, received: 0, untimed: true };
            const transport = kafka && "transport" in kafka && kafka.transport instanceof KafkaTransport ? kafka.transport : undefined;
            const position = transport?.lastArrivalOn(hop.topic);
            const admin = transport?.adminClient();
            if (!transport || !admin || !position) {
                return { ...base, reason: `no smoke message reached ${hop.topic} on Kafka in this run, so there is nothing to follow into the archive` };
            }
            const start = performance.now();
            try {
                const group = await archiveCommitted(admin, hop, position, timeoutMs);
                const after = performance.now() - start;
                return {
                    ...base,
                    status: "passed",
                    latenciesMs: [after],
                    sent: 1,
                    received: 1,
                    detail: `${group} committed past ${position.topic}[${position.partition}] offset ${position.offset} after ${(after / 1000).toFixed(1)} s`,
                };
            } catch (err) {
                return { ...base, status: "failed", reason: errorText(err), sent: 1 };
            }
        }),
    );
}

/** Where central takes its sites' replication (its `edgeReplication` output), or why the hop cannot reach it. */
function centralEdgeEndpoint(o: SmokeOptions): CentralEdgeEndpoint | string {
    const view = o.outputs.edgeReplication;
    if (!view) {
        return `central's outputs have no edgeReplication (it accepts sites in its config, but has not been updated since): run \`pulumi up\` on ${o.stack}`;
    }
    if (!view.caCertificate) {
        return `central's edgeReplication has no caCertificate yet (its next update exports it)`;
    }
    return { serviceUrl: view.brokerServiceSecureURL, adminUrl: view.adminServiceSecureURL, login: { ...o.pulsarLogin, caPem: view.caCertificate } };
}

/** The ingest stream's Pulsar -> Kafka sink, when this run's Kafka consumer reads its topic (its `via sink` probe). */
export function edgeKafkaLeg(t: Topology, probes: StreamProbe[], kafka: Opened | undefined): KafkaLeg | undefined {
    const route = t.routes.find((r) => r.stream === EDGE_INGEST_STREAM);
    const viaSink = probes.find((p) => p.stream === EDGE_INGEST_STREAM && p.path === "via sink" && p.consume.transport === "kafka");
    if (!route?.sink) {
        return undefined;
    }
    if (!viaSink || !kafka) {
        return { unchecked: `this run reads no Kafka topic of ${route.sink}` };
    }
    if (!("transport" in kafka)) {
        return { unchecked: `Kafka ${kafka.unusable.status ?? "failed"}: ${kafka.unusable.reason ?? "unusable"}` };
    }
    const absent = kafka.missing.get(viaSink.consume.topic);
    return absent ? { unchecked: absent } : { sink: route.sink, topic: viaSink.consume.topic };
}

/** Seed 004's edge -> central hop, one row per accepted site, one site after another (scripts/smoke/edge.ts). */
async function edgeResults(hops: EdgeHop[], o: SmokeOptions, ctx: SmokeContext, inbox: Inbox, pulsar: () => PulsarLoad, kafka: KafkaLeg | undefined, notes: string[]): Promise<ProbeResult[]> {
    if (hops.length === 0) {
        return [];
    }
    const loaded = pulsar();
    const results: ProbeResult[] = [];
    const central = centralEdgeEndpoint(o);
    for (const hop of hops) {
        if ("missing" in loaded) {
            results.push({ ...edgeRow(hop), ...PULSAR_CLIENT_NOT_RUN, latenciesMs: [], sent: 0, received: 0, untimed: true });
            continue;
        }
        results.push(await runEdgeHop(hop, o.edges?.get(hop.site), central, loaded.module, ctx, inbox, kafka, notes));
    }
    return results;
}

export async function runSmoke(o: SmokeOptions): Promise<SmokeReport> {
    const ctx: SmokeContext = { runId: o.runId ?? newRunId(), messages: o.messages, timeoutMs: o.timeoutMs };
    const inbox = new Inbox();
    const probes = streamProbes(o.topology);
    const audits = auditProbes(o.topology, CONTROL_EXCHANGE);
    const kinds = [...new Set([...probes.flatMap((p) => [p.produce.transport, p.consume.transport]), ...audits.map((p) => p.consume.transport)])];
    const missing = missingEndpoints(kinds, o.outputs, o.topology.phase);
    if (missing.length > 0) {
        throw new UsageError(missing);
    }
    let pulsarLoad: PulsarLoad | undefined = o.pulsar;
    const pulsar = () => (pulsarLoad ??= nativePulsarClient());

    // An interrupted earlier run's leftovers are taken back; this run is recorded until it ends.
    const journal = o.journal ?? new SmokeJournal(journalDir(o.stack));
    const interrupted = journal.interrupted();
    journal.begin(ctx.runId);
    const cleanup: string[] = [];
    const leftovers = { runIds: new Set(interrupted.map((e) => e.runId)), notes: cleanup };

    const rabbit = o.topology.rabbitmq;
    const rabbitEndpoint = { amqpUrl: o.outputs.endpoints.rabbitmqAmqp, vhost: rabbit.vhost, username: rabbit.admin.name, password: o.rabbitmqPassword };
    // The audit bridge consumes the audit queue: the control probes leave it to the bridge, the audit probes check it.
    const bridged = o.topology.auditBridge ? [o.topology.auditBridge.queue] : [];
    const control = runControlProbes(rabbitEndpoint, controlProbes(rabbit, CONTROL_EXCHANGE, bridged), ctx, leftovers);

    const opened = new Map<Transport, Opened>();
    await Promise.all(
        kinds.map(async (kind) => {
            const made = transportFor(kind, o, ctx, inbox, pulsar, cleanup);
            if (!("open" in made)) {
                opened.set(kind, { unusable: made });
                return;
            }
            const consume = [...probes, ...audits].filter((p) => p.consume.transport === kind).map((p) => p.consume.topic);
            const produce = probes.filter((p) => p.produce.transport === kind).map((p) => p.produce.topic);
            try {
                opened.set(kind, { transport: made, missing: await made.open(consume, produce) });
            } catch (err) {
                opened.set(kind, { unusable: { status: "failed", reason: errorText(err) } });
                await made.close();
            }
        }),
    );

    const results: ProbeResult[] = [];
    try {
        for (const p of probes) {
            const base: ProbeResult = { ...streamRow(p), status: "failed", latenciesMs: [], sent: 0, received: 0 };
            const from = opened.get(p.produce.transport) as Opened;
            const to = opened.get(p.consume.transport) as Opened;
            const unusable = "unusable" in from ? from.unusable : "unusable" in to ? to.unusable : undefined;
            if (unusable || !("transport" in from) || !("transport" in to)) {
                results.push({ ...base, ...unusable });
                continue;
            }
            const absent = from.missing.get(p.produce.topic) ?? to.missing.get(p.consume.topic);
            if (absent) {
                results.push({ ...base, reason: absent });
                continue;
            }
            const id = `${p.stream}:${p.path.replace(/ /g, "-")}:${p.produce.transport}-${p.consume.transport}`;
            const done = await exercise(ctx, id, inbox, (m) => from.transport.send(p.produce.topic, m), (m) => [topicKey(m.tag, CLIENT_LABEL[p.consume.transport], p.consume.topic)]);
            results.push({
                ...base,
                status: done.error ? "failed" : "passed",
                ...(done.error ? { reason: done.error } : {}),
                latenciesMs: done.latenciesMs,
                sent: done.sent,
                received: done.received,
            });
        }
        // Seed 004's control -> audit hop: a control event out of the far end of the audit bridge.
        const publisher = new ControlPublisher(rabbitEndpoint, ctx);
        try {
            for (const p of audits) {
                const base: ProbeResult = { ...auditRow(p), status: "failed", latenciesMs: [], sent: 0, received: 0 };
                const to = opened.get(p.consume.transport) as Opened;
                if ("unusable" in to) {
                    results.push({ ...base, ...to.unusable });
                    continue;
                }
                const absent = to.missing.get(p.consume.topic);
                if (absent) {
                    results.push({ ...base, reason: absent });
                    continue;
                }
                const done = await exercise(ctx, `audit-mirror:${p.destination}`, inbox, (m) => publisher.publish(p.exchange, p.routingKey, m), (m) => [topicKey(m.tag, CLIENT_LABEL[p.consume.transport], p.consume.topic)]);
                results.push({
                    ...base,
                    status: done.error ? "failed" : "passed",
                    ...(done.error ? { reason: `${done.error} (is the audit bridge running? its backlog is ${p.queue})` } : {}),
                    latenciesMs: done.latenciesMs,
                    sent: done.sent,
                    received: done.received,
                });
            }
        } finally {
            await publisher.close();
        }
        // Before the archive: with a Kafka leg, an edge message is the last smoke message on its Kafka topic, which the
        // archive hop then follows (edge -> central -> Kafka -> archive).
        results.push(...(await edgeResults(edgeHops(o.topology), o, ctx, inbox, pulsar, edgeKafkaLeg(o.topology, probes, opened.get("kafka")), cleanup)));
        results.push(...(await archiveResults(archiveHops(o.topology), opened.get("kafka"), o.archiveTimeoutMs ?? DEFAULT_ARCHIVE_TIMEOUT_MS)));
    } finally {
        await Promise.all([...opened.values()].map((x) => ("transport" in x ? x.transport.close() : undefined)));
    }
    const controlResults = await control;
    journal.end(ctx.runId);
    interrupted.forEach((e) => journal.end(e.runId));
    const notes = [...cleanup, ...(pulsarLoad && "missing" in pulsarLoad ? [`pulsar-client could not be loaded: ${pulsarLoad.missing}`] : [])];
    return {
        stack: o.stack,
        phase: o.topology.phase,
        runId: ctx.runId,
        messages: o.messages,
        timeoutMs: o.timeoutMs,
        results: [...results, ...controlResults],
        notes,
    };
}

export interface SmokeStackOptions {
    stack: string;
    /** A file with the stack's outputs; without it, `pulumi stack output` is run. */
    outputsFile?: string;
    /** The stack settings file. @default Pulumi.<stack>.yaml in the project root */
    configFile?: string;
    messages: number;
    timeoutMs: number;
    /** How long the archiver may take to commit past a message. @default SmokeOptions.archiveTimeoutMs */
    archiveTimeoutMs?: number;
    /** The CA certificate (PEM file) of the stack's Pulsar TLS. @default the CA central exports for its edge sites */
    pulsarCaFile?: string;
    /** Per edge site, a file with its stack's outputs; without one, `pulumi stack output --cwd edge` is run. */
    edgeOutputs?: Record<string, string>;
    /**
     * Where credentials come from when not passed: MP_RABBITMQ_PASSWORD, MP_PULSAR_TOKEN[_EDGE_<SITE>], else the
     * stacks' secrets through `pulumi config get`.
     */
    env?: NodeJS.ProcessEnv;
    pulsar?: PulsarLoad;
    /** The project folder (Pulumi.yaml, the stack files, edge/). @default the checkout */
    root?: string;
    /** @default SmokeOptions.journal */
    journal?: SmokeJournal;
}

/** The CA of the stack's Pulsar TLS: `--pulsar-ca`, else the one central exports for its edge sites (the same CA). */
function pulsarCa(o: SmokeStackOptions, outputs: StackOutputs): string | undefined {
    return pulsarCaPem(o.pulsarCaFile, outputs);
}

/**
 * The CA the tools trust the stack's Pulsar (and KoP) listeners with: `--pulsar-ca <file>`, else the one the stack
 * exports for its edge sites (the platform's CA).
 */
export function pulsarCaPem(file: string | undefined, outputs: StackOutputs): string | undefined {
    if (file === undefined) {
        return outputs.edgeReplication?.caCertificate;
    }
    let pem: string;
    try {
        pem = readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError([{ key: "--pulsar-ca", value: file, allowed: `a readable PEM file (${(err as Error).message})` }]);
    }
    if (!pem.includes("BEGIN CERTIFICATE")) {
        throw new UsageError([{ key: "--pulsar-ca", value: file, allowed: "a PEM file holding the CA certificate of the stack's Pulsar (-----BEGIN CERTIFICATE-----)" }]);
    }
    return pem;
}

/**
 * An edge site as the smoke reaches it: its outputs (`given` from --edge-outputs, else `pulumi stack output` in edge/) and its login, its
 * token planned from edge/Pulumi.<site>.yaml. A site whose stack cannot be read is a failed row, not a usage error:
 * the rest of the report still says what works.
 */
async function edgeEnd(hop: EdgeHop, given: EdgeOutputs | undefined, root: string, env: NodeJS.ProcessEnv): Promise<EdgeEnd> {
    const edgeRoot = resolve(root, "edge");
    let outputs: EdgeOutputs;
    try {
        outputs = given ?? readOutputs({ stack: hop.stack, cwd: edgeRoot }, edgeOutputsSchema);
    } catch (err) {
        if (!(err instanceof UsageError)) {
            throw err;
        }
        return { unreadable: `cannot read the outputs of ${hop.stack} (${err.message}); pass --edge-outputs ${hop.site}=<file>` };
    }
    if (!outputs.edgeCaCertificate) {
        return { unreadable: `${hop.stack} exports no edgeCaCertificate yet (the site's second update does: docs/runbooks.md, "Add an edge site")` };
    }
    // The site's token (with token auth) is signed for its plan's validity: its stack file in this checkout plans it.
    const siteStack = hop.stack.split("/").pop() as string;
    let sitePulsar: PulsarPlan | null;
    try {
        const raw = edgeRawConfig(loadStack("npm run smoke", siteStack, { root: edgeRoot }).engine);
        sitePulsar = planEdgeSite(validateEdgeConfig(raw.values, raw.secretKeys), undefined).topology.pulsar;
    } catch (err) {
        return { unreadable: `cannot plan ${hop.stack} from edge/Pulumi.${siteStack}.yaml: ${(err as Error).message}` };
    }
    let token: string | undefined;
    try {
        token = sitePulsar ? await pulsarLoginToken(sitePulsar, pulsarTokenEnv(hop.clusterName), { stack: hop.stack, cwd: edgeRoot }, env) : undefined;
    } catch (err) {
        if (!(err instanceof UsageError)) {
            throw err;
        }
        return { unreadable: `no token for ${hop.clusterName}: ${err.message}` };
    }
    return { outputs, login: { ...(token !== undefined ? { token } : {}), caPem: outputs.edgeCaCertificate } };
}

/** Everything `npm run smoke` does short of printing: outputs, plan, drift check, credentials, probes. */
export async function smokeStack(o: SmokeStackOptions): Promise<SmokeReport> {
    const root = o.root ?? ROOT;
    const env = o.env ?? process.env;
    const stackFile = readStackFile("npm run smoke", o.stack, root, o.configFile).text;
    const outputs = readStackOutputs({ stack: o.stack, ...(o.outputsFile !== undefined ? { file: o.outputsFile } : {}) });
    const topology = deployedTopology(stackFile, outputs);
    const hops = edgeHops(topology);
    const unknown = Object.keys(o.edgeOutputs ?? {}).filter((site) => !hops.some((h) => h.site === site));
    if (unknown.length > 0) {
        throw new UsageError(
            unknown.map((site) => ({
                key: "--edge-outputs",
                value: `${site}=${o.edgeOutputs?.[site]}`,
                allowed: `a site ${o.stack} accepts (edgeSites.sites): ${hops.map((h) => h.site).join(", ") || `none${topology.edgePairingOff ? ` at phase ${topology.phase} (${topology.edgePairingOff})` : ""}`}`,
            })),
        );
    }
    // The files the flags name are checked whether or not a native client will run: a bad flag is exit 2 either way.
    const caPem = pulsarCa(o, outputs);
    const edgeFiles = new Map(Object.entries(o.edgeOutputs ?? {}).map(([site, file]) => [site, readOutputs({ stack: site, file, fileFlag: `--edge-outputs (${site})` }, edgeOutputsSchema)]));
    // Pulsar credentials are needed only where a native client will run; without pulsar-client those rows are not run.
    const pulsar = o.pulsar ?? nativePulsarClient();
    const nativeRoutes = streamProbes(topology).some((p) => p.produce.transport === "pulsar" || p.consume.transport === "pulsar");
    let pulsarLogin: PulsarLogin | undefined;
    const edges = new Map<string, EdgeEnd>();
    if ("module" in pulsar && topology.pulsar && (nativeRoutes || hops.length > 0)) {
        const url = outputs.endpoints.pulsarServiceUrl;
        if (nativeRoutes && url?.startsWith("pulsar+ssl://") && caPem === undefined) {
            throw new UsageError([{ key: "--pulsar-ca", value: undefined, allowed: `the CA certificate (PEM file) of ${o.stack}'s Pulsar, which serves TLS at ${url} (its cert-manager CA Secret's ca.crt)` }]);
        }
        const token = await pulsarLoginToken(topology.pulsar, pulsarTokenEnv(), { stack: o.stack }, env);
        pulsarLogin = { ...(token !== undefined ? { token } : {}), ...(caPem !== undefined ? { caPem } : {}) };
        for (const hop of hops) {
            edges.set(hop.site, await edgeEnd(hop, edgeFiles.get(hop.site), root, env));
        }
    }
    return runSmoke({
        stack: o.stack,
        topology,
        outputs,
        rabbitmqPassword: rabbitmqPassword(o.stack, env),
        messages: o.messages,
        timeoutMs: o.timeoutMs,
        ...(o.archiveTimeoutMs !== undefined ? { archiveTimeoutMs: o.archiveTimeoutMs } : {}),
        pulsar,
        ...(pulsarLogin ? { pulsarLogin } : {}),
        edges,
        ...(o.journal ? { journal: o.journal } : {}),
    });
}
