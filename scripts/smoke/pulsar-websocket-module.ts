/**
 * The smoke's native Pulsar client where pulsar-client cannot be installed (its install downloads a C++ library from
 * outside the package registries): pulsar-client's API, as much of it as the smoke uses (scripts/smoke/pulsar.ts),
 * over the broker's WebSocket API (scripts/pulsar-websocket.ts). It talks to the cluster's web service, so the
 * client's settings carry `webServiceUrl` (the admin URL the stack exports) besides the binary `serviceUrl`.
 */
import { readFileSync } from "node:fs";
import { PulsarWebSocket, type PulsarMessage as WsMessage, type PulsarWsConsumer } from "../pulsar-websocket";
import type { PulsarClientConfig, PulsarModule } from "./pulsar";

class Token {
    constructor(readonly p: { token: string }) {}
}

class Message {
    constructor(readonly m: WsMessage) {}
    getProperties(): Record<string, string> {
        return this.m.properties;
    }
}

class Consumer {
    constructor(private readonly c: PulsarWsConsumer) {}
    async receive(timeoutMs = 30_000): Promise<Message> {
        const m = await this.c.receive(timeoutMs);
        if (!m) {
            // As pulsar-client: a receive that times out rejects.
            throw new Error(`no message within ${timeoutMs} ms`);
        }
        return new Message(m);
    }
    async acknowledge(m: Message): Promise<void> {
        this.c.acknowledge(m.m);
    }
    async unsubscribe(): Promise<void> {
        await this.c.unsubscribe();
    }
    close(): Promise<void> {
        return this.c.close();
    }
}

class Client {
    private readonly ws: PulsarWebSocket;
    constructor(c: PulsarClientConfig) {
        if (!c.webServiceUrl) {
            throw new Error("the WebSocket client needs the cluster's web service URL (webServiceUrl: the stack's pulsarAdminUrl)");
        }
        const token = c.authentication instanceof Token ? c.authentication.p.token : undefined;
        const caPem = c.tlsTrustCertsFilePath ? readFileSync(c.tlsTrustCertsFilePath, "utf8") : undefined;
        this.ws = new PulsarWebSocket(c.webServiceUrl, { ...(token ? { token } : {}), ...(caPem ? { caPem } : {}) }, c.connectionTimeoutMs ?? 10_000);
    }
    async createProducer(c: { topic: string }) {
        const p = await this.ws.producer(c.topic);
        return {
            send: async (m: { data: Buffer; properties?: Record<string, string> }) => p.send({ payload: m.data, ...(m.properties ? { properties: m.properties } : {}) }),
            close: () => p.close(),
        };
    }
    async subscribe(c: { topic: string; subscription: string; subscriptionType?: "Exclusive"; subscriptionInitialPosition?: "Latest" }) {
        return new Consumer(await this.ws.consumer(c.topic, c.subscription, { type: c.subscriptionType ?? "Exclusive", initialPosition: c.subscriptionInitialPosition ?? "Latest" }));
    }
    async close(): Promise<void> {}
}

export const webSocketPulsarModule: PulsarModule = { Client, AuthenticationToken: Token };
