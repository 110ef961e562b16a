/**
 * The drill's RabbitMQ half: the control plane's queues under a steady load published with confirms, each queue read
 * by pods that acknowledge after processing, replaced one by one at every switch (one of them crashing before its
 * acknowledgement, so RabbitMQ redelivers). The control plane is the same at every phase; what a bump changes here
 * is only that its consumers roll.
 */
import { connect, type Channel, type ChannelModel, type ConfirmChannel } from "amqplib";
import type { RabbitPlan } from "../../topology";
import { controlProbes, type ControlProbe } from "../smoke/probes";
import type { DrillMessage, Ledger } from "./world";

export interface RabbitEndpoint {
    hostname: string;
    port: number;
    username: string;
    password: string;
    vhost: string;
}

class QueuePod {
    private channel?: Channel;

    constructor(
        private readonly conn: ChannelModel,
        readonly queue: string,
    ) {}

    async start(ledger: Ledger, crashNext: () => boolean): Promise<void> {
        const ch = await this.conn.createChannel();
        this.channel = ch;
        await ch.prefetch(20);
        await ch.consume(this.queue, (msg) => {
            if (!msg) {
                return;
            }
            // A message reaches every queue its routing key matches: each copy counts for the queue it is read from.
            const m = { ...(JSON.parse(msg.content.toString()) as DrillMessage), stream: `queue:${this.queue}` };
            ledger.deliver(`queue:${this.queue}`, m);
            if (crashNext()) {
                // Processed, never acknowledged: the pod dies (its channel closes, RabbitMQ requeues what it held)
                // and restarts, as the kubelet restarts a crashed container.
                void ch
                    .close()
                    .catch(() => undefined)
                    .then(() => this.start(ledger, () => false));
                return;
            }
            ch.ack(msg);
        });
    }

    async stop(): Promise<void> {
        await this.channel?.close().catch(() => undefined);
    }
}

export class RabbitWorld {
    private conn?: ChannelModel;
    private publisher?: ConfirmChannel;
    private pods = new Map<string, QueuePod[]>();
    readonly probes: ControlProbe[];
    private seq = 0;
    /** Why the connection ended under the drill (a broker stopped mid-run): every later call fails with it. */
    private lost?: string;

    constructor(
        private readonly endpoint: RabbitEndpoint,
        private readonly plan: RabbitPlan,
        exchange: string,
        private readonly ledger: Ledger,
    ) {
        this.probes = controlProbes(plan, exchange).filter((p) => p.kind === "route");
    }

    /** The queues the load reaches, each with its stream name in the report. */
    queues(): string[] {
        return [...new Set(this.probes.flatMap((p) => p.reaches))].sort();
    }

    async start(pods: number): Promise<void> {
        const e = this.endpoint;
        this.conn = await connect({ hostname: e.hostname, port: e.port, username: e.username, password: e.password, vhost: e.vhost });
        this.conn.on("close", (err?: Error) => (this.lost ??= `the connection to RabbitMQ at ${e.hostname}:${e.port} closed${err ? `: ${err.message}` : ""}`));
        this.publisher = await this.conn.createConfirmChannel();
        for (const q of this.queues()) {
            const list: QueuePod[] = [];
            for (let i = 0; i < pods; i++) {
                const pod = new QueuePod(this.conn, q);
                await pod.start(this.ledger, () => false);
                list.push(pod);
            }
            this.pods.set(q, list);
        }
    }

    /** One message per route, confirmed; counted as produced for every queue it reaches. */
    async publish(transition: number): Promise<void> {
        if (this.lost) {
            throw new Error(this.lost);
        }
        const ch = this.publisher as ConfirmChannel;
        await Promise.all(
            this.probes.map(async (p) => {
                const id = ++this.seq;
                const sentAt = Date.now();
                const body = (queue: string): DrillMessage => ({ stream: `queue:${queue}`, id, sentAt, transition });
                // A confirm that never comes (the broker went away) fails the publish instead of holding the drill.
                await new Promise<void>((ok, fail) => {
                    const timer = setTimeout(() => fail(new Error(this.lost ?? "RabbitMQ did not confirm a publish within 10 s")), 10_000);
                    ch.publish(p.exchange, p.routingKey, Buffer.from(JSON.stringify(body(p.queue))), { persistent: true, messageId: String(id) }, (err) => {
                        clearTimeout(timer);
                        return err ? fail(err) : ok();
                    });
                });
                for (const q of p.reaches) {
                    this.ledger.produce(body(q));
                }
            }),
        );
    }

    /** Replaces every queue's pods one by one; the first replacement of each roll crashes before acknowledging. */
    async roll(): Promise<void> {
        if (this.lost) {
            throw new Error(this.lost);
        }
        let crashes = 1;
        for (const [q, list] of this.pods) {
            for (let i = 0; i < list.length; i++) {
                const fresh = new QueuePod(this.conn as ChannelModel, q);
                await fresh.start(this.ledger, () => crashes-- > 0);
                await (list[i] as QueuePod).stop();
                list[i] = fresh;
            }
        }
    }

    async stop(): Promise<void> {
        for (const list of this.pods.values()) {
            await Promise.all(list.map((p) => p.stop()));
        }
        await this.publisher?.close().catch(() => undefined);
        await this.conn?.close().catch(() => undefined);
    }
}
