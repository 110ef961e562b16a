/**
 * Native Pulsar probe ends with pulsar-client, the Node.js binding of the Pulsar C++ client.
 *
 * pulsar-client is an optional dependency: its install builds against the C++ library and npm drops it where that
 * fails, so it is loaded lazily, only when a route needs it. When it cannot be loaded the rows say
 * `not run: pulsar-client native library missing`; nothing here runs without it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { TAG_HEADER, withTimeout, type Inbox, type SmokeContext, type SmokeMessage } from "./messages";
import { adminGet, type PulsarLogin } from "./pulsar-login";
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

/** Loads pulsar-client, or says why it cannot be loaded (not installed, or its C++ library does not load). */
export function loadPulsarClient(load: () => unknown = () => createRequire(__filename)("pulsar-client")): PulsarLoad {
    try {
        const m = load() as Partial<PulsarModule> | undefined;
        return typeof m?.Client === "function" ? { module: m as PulsarModule } : { missing: "pulsar-client has no Client export" };
    } catch (err) {
        return { missing: (err as Error).message.split("\n")[0] ?? String(err) };
    }
}

/**
 * Whether a planned (partitioned) topic exists, from the admin REST API's list of a namespace's partitioned topics:
 * a lookup through the client would create it on a broker that auto-creates topics.
 */
export function adminTopicExists(adminUrl: string, login: PulsarLogin, timeoutMs: number): (topic: string) => Promise<boolean> {
    const lists = new Map<string, Promise<string[]>>();
    return async (topic) => {
        const namespace = /^persistent:\/\/([^/]+\/[^/]+)\//.exec(topic)?.[1];
        if (!namespace) {
            return false;
        }
        let list = lists.get(namespace);
        if (!list) {
            list = adminGet(adminUrl, `admin/v2/persistent/${namespace}/partitioned`, login, timeoutMs).then(
                (topics) => topics as string[],
                (err: unknown) => {
                    throw new Error(`${adminUrl}: partitioned topics of ${namespace}: ${errorText(err)}`, { cause: err });
                },
            );
            lists.set(namespace, list);
        }
        return (await list).includes(topic);
    };
}

export class PulsarTransport implements StreamTransport {
    private client?: PulsarClient;
    private readonly consumers: PulsarConsumer[] = [];
    private readonly producers = new Map<string, Promise<PulsarProducer>>();
    private open_ = false;
    /** A folder holding the CA file pulsar-client reads (the C++ client takes a path, not PEM text). */
    private caDir?: string;

    constructor(
        private readonly serviceUrl: string,
        private readonly login: PulsarLogin,
        private readonly pulsar: PulsarModule,
        private readonly topicExists: (topic: string) => Promise<boolean>,
        private readonly ctx: SmokeContext,
        private readonly inbox: Inbox,
        /** The inbox key a tag arrives under (the edge hop tells central's arrivals from Kafka's). @default the tag */
        private readonly arrivalKey: (tag: string) => string = (tag) => tag,
    ) {}

    /** The client settings for this cluster's login: its token, its CA, host names verified. */
    clientConfig(): PulsarClientConfig {
        const t = this.ctx.timeoutMs;
        const config: PulsarClientConfig = { serviceUrl: this.serviceUrl, operationTimeoutSeconds: Math.ceil(t / 1000), connectionTimeoutMs: t };
        if (this.login.token !== undefined) {
            config.authentication = new this.pulsar.AuthenticationToken({ token: this.login.token });
        }
        if (this.serviceUrl.startsWith("pulsar+ssl://")) {
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
            if (!(await withTimeout(this.topicExists(topic), t, `Pulsar admin API did not list ${topic} within ${t} ms`))) {
                missing.set(topic, `topic ${topic} does not exist on Pulsar at ${this.serviceUrl}`);
            }
        }
        const client = new this.pulsar.Client(this.clientConfig());
        this.client = client;
        this.open_ = true;
        for (const topic of new Set(consume.filter((x) => !missing.has(x)))) {
            // A subscription of its own, from the end: only what this run sends arrives; unsubscribed on close.
            const consumer = await withTimeout(
                client.subscribe({ topic, subscription: this.ctx.runId, subscriptionType: "Exclusive", subscriptionInitialPosition: "Latest" }),
                t,
                `no subscription to ${topic} within ${t} ms`,
            );
            this.consumers.push(consumer);
            void this.receiveLoop(consumer);
        }
        return missing;
    }

    private async receiveLoop(consumer: PulsarConsumer): Promise<void> {
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
                this.inbox.arrive(this.arrivalKey(tag), at);
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
