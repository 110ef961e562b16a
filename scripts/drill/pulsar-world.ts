/**
 * The drill's Pulsar half, on a real Apache Pulsar broker: its admin API creates the plan's tenants, namespaces and
 * partitioned topics; producers and subscriptions are native, over the broker's WebSocket API
 * (scripts/pulsar-websocket.ts). A service's pods share one subscription named after the service (`Shared`: each
 * message to one pod), and acknowledge what their handler finished every 200 ms, as they commit on Kafka; a pod that
 * crashes acknowledges nothing, and the broker redelivers what it held.
 */
import { pulsarAdminTopicPath, pulsarTopicParts } from "../../topology";
import { pulsarAdminCall, refusal } from "../pulsar-admin-http";
import { PulsarWebSocket, type PulsarMessage, type PulsarWsConsumer, type PulsarWsProducer } from "../pulsar-websocket";

export class PulsarSide {
    private readonly ws: PulsarWebSocket;
    private readonly producers = new Map<string, Promise<PulsarWsProducer>>();
    private readonly ready = new Set<string>();

    constructor(
        readonly webUrl: string,
        readonly clusterName: string,
    ) {
        this.ws = new PulsarWebSocket(webUrl);
    }

    private async admin(method: string, path: string, body: unknown, accept: number[]): Promise<void> {
        const r = await pulsarAdminCall(method, this.webUrl, path, { body, timeoutMs: 10_000 });
        if ((r.status < 200 || r.status >= 300) && !accept.includes(r.status)) {
            throw new Error(`${method} ${path}: HTTP ${r.status}${refusal(r.status)} ${r.text.slice(0, 200)}`);
        }
    }

    /** The topic's tenant and namespace (where missing), then the topic with `partitions` partitions. */
    async createTopic(topic: string, partitions: number): Promise<void> {
        const { tenant, namespace } = pulsarTopicParts(topic);
        if (!this.ready.has(namespace)) {
            await this.admin("PUT", `/admin/v2/tenants/${tenant}`, { allowedClusters: [this.clusterName], adminRoles: [] }, [409]);
            await this.admin("PUT", `/admin/v2/namespaces/${namespace}`, {}, [409]);
            this.ready.add(namespace);
        }
        await this.admin("PUT", `${pulsarAdminTopicPath(topic)}/partitions`, partitions, [409]);
    }

    async send(topic: string, value: string): Promise<void> {
        let p = this.producers.get(topic);
        if (!p) {
            p = this.ws.producer(topic);
            this.producers.set(topic, p);
            p.catch(() => this.producers.delete(topic));
        }
        await (await p).send({ payload: value });
    }

    /**
     * Joins a subscription; resolves once the broker has accepted the consumer (the pod is ready). `ackEach`: each
     * message is acknowledged as soon as its handler finished (pulsar-io's sinks acknowledge a record once the Kafka
     * producer has it), else with the next commit.
     */
    async subscribe(topic: string, subscription: string, handle: (value: string) => Promise<void>, ackEach = false): Promise<PulsarReader> {
        const consumer = await this.ws.consumer(topic, subscription, { type: "Shared", initialPosition: "Latest" });
        return new PulsarReader(consumer, handle, ackEach);
    }

    async close(): Promise<void> {
        await Promise.all([...this.producers.values()].map(async (p) => (await p.catch(() => undefined))?.close()));
    }
}

/** One pod's consumer on one subscription. */
export class PulsarReader {
    private done: PulsarMessage[] = [];
    private running = true;
    private readonly loop: Promise<void>;

    constructor(
        private readonly consumer: PulsarWsConsumer,
        handle: (value: string) => Promise<void>,
        ackEach: boolean,
    ) {
        this.loop = (async () => {
            while (this.running) {
                const m = await consumer.receive(200).catch(() => undefined);
                if (m && this.running) {
                    await handle(m.payload.toString());
                    if (ackEach) {
                        consumer.acknowledge(m);
                    } else {
                        this.done.push(m);
                    }
                }
            }
        })();
    }

    /** Acknowledges what the handler finished. */
    commit(): void {
        for (const m of this.done) {
            this.consumer.acknowledge(m);
        }
        this.done = [];
    }

    async stop(crash: boolean): Promise<void> {
        this.running = false;
        await this.loop;
        if (!crash) {
            this.commit();
        }
        await this.consumer.close();
    }
}
