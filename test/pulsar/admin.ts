/**
 * What the tests of the `pulsar` project do to the run's broker through its admin REST API (a namespace of their own,
 * topics) and its WebSocket API (messages, to a chosen partition).
 */
import { randomUUID } from "node:crypto";
import { inject } from "vitest";
import { pulsarAdminCall } from "../../scripts/pulsar-admin-http";
import { PulsarWebSocket } from "../../scripts/pulsar-websocket";

export const pulsar = () => inject("pulsar");

/** A broker's admin API: its web URL and, on the auth profile, the token to call it with. */
export interface AdminTarget {
    webUrl: string;
    token?: string;
}

/** The admin calls of one broker: the run's shared one unless told otherwise. */
export function adminOf(target: () => AdminTarget = () => ({ webUrl: pulsar().webUrl })) {
    const call = (method: string, path: string, body?: unknown, accept: number[] = []) => request(target(), method, path, body, accept);
    return {
        admin: call,
        adminJson: async <T>(path: string): Promise<T> => (await (await call("GET", path)).json()) as T,
    };
}

export type Admin = ReturnType<typeof adminOf>;

/** The run's shared broker. */
export const { admin, adminJson } = adminOf();

/**
 * Through the tools' own admin call (scripts/pulsar-admin-http.ts), answered as a fetch Response for the tests'
 * convenience (`.json()`, `.status`, `.headers.get`).
 */
async function request(target: AdminTarget, method: string, path: string, body: unknown, accept: number[]): Promise<Response> {
    const r = await pulsarAdminCall(method, target.webUrl, path, { ...(target.token ? { token: target.token } : {}), body, timeoutMs: 10_000 });
    if ((r.status < 200 || r.status >= 300) && !accept.includes(r.status)) {
        throw new Error(`${method} ${path}: HTTP ${r.status} ${r.text}`);
    }
    const headers = new Headers(Object.entries(r.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(", ") : v] as [string, string]])));
    return new Response([101, 204, 205, 304].includes(r.status) ? null : r.text, { status: r.status, headers });
}


/**
 * A namespace of this test's own in the `public` tenant, with automatic topic creation as the program declares it for
 * its namespaces (partitioned, `partitions` each: components/pulsar-tenancy.ts).
 */
export async function freshNamespace(prefix: string, partitions = 3): Promise<string> {
    const ns = `public/${prefix}-${randomUUID().slice(0, 8)}`;
    await admin("PUT", `/admin/v2/namespaces/${ns}`, {});
    await admin("POST", `/admin/v2/namespaces/${ns}/autoTopicCreation`, { allowAutoTopicCreation: true, topicType: "partitioned", defaultNumPartitions: partitions });
    return ns;
}

/**
 * Produces one message to one partition (or to a non-partitioned topic with `partition` undefined) with a real
 * client, the WebSocket API's producer (the broker's REST producer is refused once deduplication is on, as the
 * program turns it on: its messages carry no producer sequence).
 */
export async function produce(topic: string, payload: string, partition?: number, key?: string): Promise<void> {
    const producer = await new PulsarWebSocket(pulsar().webUrl).producer(partition === undefined ? topic : `${topic}-partition-${partition}`);
    try {
        await producer.send({ payload, ...(key !== undefined ? { key } : {}) });
    } finally {
        await producer.close();
    }
}
