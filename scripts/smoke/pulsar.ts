/**
 * Native Pulsar probe ends with pulsar-client, the Node.js binding of the Pulsar C++ client.
 *
 * pulsar-client is an optional dependency: its install builds against the C++ library and npm drops it where that
 * fails, so it is loaded lazily, only when a route needs it. When it cannot be loaded the rows say
 * `not run: pulsar-client native library missing`, unless a fallback client is given: the WebSocket one
 * (scripts/smoke/pulsar-websocket-module.ts, proven on Apache Pulsar in test/pulsar/smoke-transport.test.ts), which
 * needs the cluster's web service URL (`webServiceUrl`).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pulsarAdminTopicPath, pulsarTopicParts } from "../../topology";
import { TAG_HEADER, topicKey, withTimeout, type Inbox, type SmokeContext, type SmokeMessage } from "./messages";
import { adminRequest, type PulsarLogin } from "./pulsar-login";
import { closeAll, errorText, type StreamTransport } from "./transport";

// The subset of pulsar-client's API (its index.d.ts) used here, typed locally: the package may be absent.
interface PulsarMessage {
    getProperties(): Record<string, string>;
}
interface PulsarConsumer {
    receive(timeoutMs?: number): Promise<PulsarMessage>;
    acknowledge(m: PulsarMessage): Promise<unknown>;
    unsubscribe(): Promise<unknown>;
    close(): Promise<unknown>;
}
interface PulsarProducer {
    send(m: { data: Buffer; properties?: Record<string, string> }): Promise<unknown>;
    close(): Promise<unknown>;
}
interface PulsarClient {
    createProducer(c: { topic: string; sendTimeoutMs?: number; batchingEnabled?: boolean }): Promise<PulsarProducer>;
    subscribe(c: {
        topic: string;
        subscription: string;
        subscriptionType?: "Exclusive";
        subscriptionInitialPosition?: "Latest";
    }): Promise<PulsarConsumer>;
    close(): Promise<unknown>;
}
/** The client's settings used here (pulsar-client index.d.ts ClientConfig). */
export interface PulsarClientConfig {
    serviceUrl: string;
    /** The cluster's web service (its admin URL): what the WebSocket client talks to; pulsar-client ignores it. */
    webServiceUrl?: string;
    operationTimeoutSeconds?: number;
    connectionTimeoutMs?: number;
    authentication?: unknown;
    tlsTrustCertsFilePath?: string;
    tlsValidateHostname?: boolean;
}
export interface PulsarModule {
    Client: new (c: PulsarClientConfig) => PulsarClient;
    AuthenticationToken: new (p: { token: string }) => unknown;
}

export type PulsarLoad = { module: PulsarModule } | { missing: string };

/**
 * Loads pulsar-client, or says why it cannot be loaded (not installed, or its C++ library does not load). With a
 * `fallback`, that client is used instead where pulsar-client cannot be loaded (the WebSocket one: npm run smoke).
 */
export function loadPulsarClient(load: () => unknown = () => createRequire(__filename)("pulsar-client"), fallback?: PulsarModule): PulsarLoad {
    try {
        const m = load() as Partial<PulsarModule> | undefined;
        if (typeof m?.Client === "function") {
            return { module: m as PulsarModule };
        }
        return fallback ? { module: fallback } : { missing: "pulsar-client has no Client export" };
    } catch (err) {
        return fallback ? { module: fallback } : { missing: (err as Error).message.split("\n")[0] ?? String(err) };
    }
}

/** The subscription name of a smoke run (`newRunId()`): a Pulsar transport subscribes under the run id. */
const SMOKE_SUBSCRIPTION = /^smoke-[0-9a-z]+-[0-9a-f]{6}$/;

/** What the smoke asks a cluster's admin REST API. */
export interface PulsarAdmin {
    /** Whether a planned (partitioned) topic exists. */
    topicExists(topic: string): Promise<boolean>;
    /**
     * Deletes the subscriptions earlier smoke runs left on `topic` (interrupted before they unsubscribed), other than
     * `keep`; resolves with their names. A leftover subscription holds a backlog that counts against the namespace's
     * quota, which at central refuses producers when full.
     */
    removeLeftoverSubscriptions(topic: string, keep: string): Promise<string[]>;
}

export function pulsarAdmin(adminUrl: string, login: PulsarLogin, timeoutMs: number): PulsarAdmin {
    const lists = new Map<string, Promise<string[]>>();
    return {
        /** From the list of a namespace's partitioned topics: a lookup through the client would create it on a broker that auto-creates topics. */
        async topicExists(topic) {
            if (!topic.startsWith("persistent://")) {
                return false;
            }
            const { namespace } = pulsarTopicParts(topic);
            let list = lists.get(namespace);
            if (!list) {
                list = adminRequest("GET", adminUrl, `admin/v2/persistent/${namespace}/partitioned`, login, timeoutMs).then(
                    (topics) => topics as string[],
                    (err: unknown) => {
                        throw new Error(`${adminUrl}: partitioned topics of ${namespace}: ${errorText(err)}`, { cause: err });
                    },
                );
                lists.set(namespace, list);
            }
            return (await list).includes(topic);
        },
        async removeLeftoverSubscriptions(topic, keep) {
            const path = pulsarAdminTopicPath(topic);
            const names = ((await adminRequest("GET", adminUrl, `${path}/subscriptions`, login, timeoutMs)) as string[]) ?? [];
            const removed: string[] = [];
            for (const name of names.filter((n) => SMOKE_SUBSCRIPTION.test(n) && n !== keep)) {
                // Without force, Pulsar refuses to delete a subscription that has consumers: a run in progress keeps its own.
                const gone = await adminRequest("DELETE", adminUrl, `${path}/subscription/${encodeURIComponent(name)}`, login, timeoutMs).then(
                    () => true,
                    () => false,
                );
                if (gone) {
                    removed.push(name);
                }
            }
            return removed;
        },
    };
}

export interface PulsarTransportOptions {
    serviceUrl: string;
    /** The cluster's web service URL (the admin URL), for a client that talks to it (the WebSocket one). */
    webServiceUrl?: string;
    login: PulsarLogin;
    pulsar: PulsarModule;
    /** The cluster's admin API (topic existence; leftover subscriptions, when given, are removed before subscribing). */
    admin: Pick<PulsarAdmin, "topicExists"> & Partial<Pick<PulsarAdmin, "removeLeftoverSubscriptions">>;
    ctx: SmokeContext;
    inbox: Inbox;
    /** The inbox key a tag arrives under (the edge hop tells central's arrivals from Kafka's). @default the tag */
    arrivalKey?: (tag: string, topic: string) => string;
    /** Where what was cleaned up is said, for the report. @default discarded */
    notes?: string[];
}

export class PulsarTransport implements StreamTransport {
    private client?: PulsarClient;
    private readonly consumers: PulsarConsumer[] = [];
    private readonly producers = new Map<string, Promise<PulsarProducer>>();
    private open_ = false;
    /** A folder holding the CA file pulsar-client reads (the C++ client takes a path, not PEM text). */
    private caDir?: string;

    private readonly serviceUrl: string;
    private readonly webServiceUrl: string | undefined;
    private readonly login: PulsarLogin;
    private readonly pulsar: PulsarModule;
    private readonly admin: Pick<PulsarAdmin, "topicExists"> & Partial<Pick<PulsarAdmin, "removeLeftoverSubscriptions">>;
    private readonly ctx: SmokeContext;
    private readonly inbox: Inbox;
    private readonly arrivalKey: (tag: string, topic: string) => string;
    private readonly notes: string[];

    constructor(o: PulsarTransportOptions) {
        this.serviceUrl = o.serviceUrl;
        this.webServiceUrl = o.webServiceUrl;
        this.login = o.login;
        this.pulsar = o.pulsar;
        this.admin = o.admin;
        this.ctx = o.ctx;
        this.inbox = o.inbox;
        this.arrivalKey = o.arrivalKey ?? ((tag, topic) => topicKey(tag, "Pulsar", topic));
        this.notes = o.notes ?? [];
    }

    /** The client settings for this cluster's login: its token, its CA, host names verified. */
    clientConfig(): PulsarClientConfig {
        const t = this.ctx.timeoutMs;
        const config: PulsarClientConfig = { serviceUrl: this.serviceUrl, operationTimeoutSeconds: Math.ceil(t / 1000), connectionTimeoutMs: t };
        if (this.webServiceUrl !== undefined) {
            config.webServiceUrl = this.webServiceUrl;
        }
        if (this.login.token !== undefined) {
            config.authentication = new this.pulsar.AuthenticationToken({ token: this.login.token });
        }
        if (this.serviceUrl.startsWith("pulsar+ssl://") || this.webServiceUrl?.startsWith("https://")) {
            if (this.login.caPem !== undefined) {
                this.caDir ??= mkdtempSync(join(tmpdir(), "smoke-pulsar-ca-"));
                const file = join(this.caDir, "ca.crt");
                writeFileSync(file, this.login.caPem, { mode: 0o600 });
                config.tlsTrustCertsFilePath = file;
            }
            config.tlsValidateHostname = true;
        }
        return config;
    }

    async open(consume: string[], produce: string[]): Promise<Map<string, string>> {
        try {
            return await this.connect(consume, produce);
        } catch (err) {
            throw new Error(`cannot use Pulsar at ${this.serviceUrl}: ${errorText(err)}`, { cause: err });
        }
    }

    private async connect(consume: string[], produce: string[]): Promise<Map<string, string>> {
        const t = this.ctx.timeoutMs;
        const missing = new Map<string, string>();
        for (const topic of new Set([...consume, ...produce])) {
            if (!(await withTimeout(this.admin.topicExists(topic), t, `Pulsar admin API did not list ${topic} within ${t} ms`))) {
                missing.set(topic, `topic ${topic} does not exist on Pulsar at ${this.serviceUrl}`);
            }
        }
        const client = new this.pulsar.Client(this.clientConfig());
        this.client = client;
        this.open_ = true;
        for (const topic of new Set(consume.filter((x) => !missing.has(x)))) {
            // Best effort: a cluster whose subscriptions cannot be listed is still probed; the report says so.
            const removed =
                (await this.admin.removeLeftoverSubscriptions?.(topic, this.ctx.runId).catch((err: unknown) => {
                    this.notes.push(`could not check ${topic} at ${this.serviceUrl} for subscriptions interrupted smoke runs left: ${errorText(err)}`);
                    return [];
                })) ?? [];
            if (removed.length > 0) {
                this.notes.push(`deleted ${removed.length} subscription(s) interrupted smoke runs left on ${topic} at ${this.serviceUrl}: ${removed.join(", ")}`);
            }
            // A subscription of its own, from the end: only what this run sends arrives; unsubscribed on close.
            const consumer = await withTimeout(
                client.subscribe({ topic, subscription: this.ctx.runId, subscriptionType: "Exclusive", subscriptionInitialPosition: "Latest" }),
                t,
                `no subscription to ${topic} within ${t} ms`,
            );
            this.consumers.push(consumer);
            void this.receiveLoop(consumer, topic);
        }
        return missing;
    }

    private async receiveLoop(consumer: PulsarConsumer, topic: string): Promise<void> {
        while (this.open_) {
            let m: PulsarMessage;
            try {
                m = await consumer.receive(250);
            } catch {
                continue; // receive timed out (or the consumer is closing)
            }
            const at = performance.now();
            await consumer.acknowledge(m).catch(() => undefined);
            const tag = m.getProperties()[TAG_HEADER];
            if (tag !== undefined) {
                this.inbox.arrive(this.arrivalKey(tag, topic), at);
            }
        }
    }

    async send(topic: string, m: SmokeMessage): Promise<void> {
        const client = this.client;
        if (!client) {
            throw new Error("no Pulsar client: open() failed");
        }
        let producer = this.producers.get(topic);
        if (!producer) {
            producer = client.createProducer({ topic, sendTimeoutMs: this.ctx.timeoutMs, batchingEnabled: false });
            this.producers.set(topic, producer);
        }
        await (await producer).send({ data: m.body, properties: m.headers });
    }

    async close(): Promise<void> {
        this.open_ = false;
        const t = this.ctx.timeoutMs;
        const bounded = (p: Promise<unknown>) => withTimeout(p, t, `no answer within ${t} ms`);
        await closeAll([
            ...[...this.producers.values()].map((p) => async () => bounded((await p).close())),
            ...this.consumers.map((c) => async () => {
                await bounded(c.unsubscribe());
                await bounded(c.close());
            }),
            () => this.client && bounded(this.client.close()),
            async () => this.caDir && rmSync(this.caDir, { recursive: true, force: true }),
        ]);
    }
}
