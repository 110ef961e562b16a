/**
 * The smoke's native Pulsar transport (scripts/smoke/pulsar.ts PulsarTransport) with the WebSocket client that stands
 * in for pulsar-client where its C++ library cannot be installed (scripts/smoke/pulsar-websocket-module.ts), against
 * Apache Pulsar 4.0 on a partitioned topic: a tagged message sent arrives with its tag, and closing the transport
 * deletes the run's subscription.
 */
import { describe, expect, it } from "vitest";
import { Inbox, newRunId, TAG_HEADER, topicKey } from "../../scripts/smoke/messages";
import { pulsarAdmin, PulsarTransport } from "../../scripts/smoke/pulsar";
import { webSocketPulsarModule } from "../../scripts/smoke/pulsar-websocket-module";
import { admin, adminJson, freshNamespace, pulsar } from "./admin";

describe("the smoke's Pulsar transport over the WebSocket client, on Apache Pulsar 4.0", () => {
    it("sends a tagged message to a partitioned topic and receives it; closing removes the run's subscription", async () => {
        const ns = await freshNamespace("smoke-transport");
        const topic = `persistent://${ns}/job-completed`;
        await admin("PUT", `/admin/v2/persistent/${ns}/job-completed/partitions`, 3);
        const ctx = { runId: newRunId(), messages: 3, timeoutMs: 10_000 };
        const inbox = new Inbox();
        const { serviceUrl, webUrl } = pulsar();
        const t = new PulsarTransport({ serviceUrl, webServiceUrl: webUrl, login: {}, pulsar: webSocketPulsarModule, admin: pulsarAdmin(webUrl, {}, 5000), ctx, inbox });
        expect(await t.open([topic], [topic])).toEqual(new Map());
        expect(await adminJson<string[]>(`/admin/v2/persistent/${ns}/job-completed/subscriptions`)).toEqual([ctx.runId]);
        for (let i = 0; i < ctx.messages; i++) {
            const tag = `${ctx.runId}-${i}`;
            const arrived = inbox.expect(topicKey(tag, "Pulsar", topic), ctx.timeoutMs, `${tag} did not arrive`);
            await t.send(topic, { tag, body: Buffer.from(`message ${i}`), headers: { [TAG_HEADER]: tag } });
            expect(await arrived).toBeGreaterThan(0);
        }
        await t.close();
        expect(await adminJson<string[]>(`/admin/v2/persistent/${ns}/job-completed/subscriptions`)).toEqual([]);
    });
});
