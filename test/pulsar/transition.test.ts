/**
 * The handover's and the drain check's Pulsar subscriptions (scripts/transition/cursors.ts RestPulsarCursors) against
 * Apache Pulsar 4.0 itself, on partitioned topics as the program declares every Pulsar topic. The rule: every admin
 * call the tools make works on a partitioned topic's base name, or is made per partition; a stub that answers the
 * base name (as the old test's did) proves nothing, since the broker refuses a peek there (405) and has no stats (404).
 */
import { describe, expect, it } from "vitest";
import { RestPulsarCursors, partitionNames } from "../../scripts/transition/cursors";
import { drainCheck, drainMarks, handover } from "../../scripts/transition/steps";
import { admin, adminJson, freshNamespace, produce, pulsar } from "./admin";

const cursors = () => new RestPulsarCursors(pulsar().webUrl);
const publishTime = async (topic: string, sub: string): Promise<number> => {
    const r = await admin("GET", `${topic.replace("persistent://", "/admin/v2/persistent/")}/subscription/${sub}/position/1`);
    return Date.parse(r.headers.get("x-pulsar-publish-time") ?? "");
};

describe("Pulsar subscriptions of the handover and the drain check, on Apache Pulsar 4.0", () => {
    it("reads a partitioned topic's first unread message and backlog partition by partition", async () => {
        const ns = await freshNamespace("cursors");
        const topic = `persistent://${ns}/user-requests`;
        await admin("PUT", `/admin/v2/persistent/${ns}/user-requests/partitions`, 3);
        const c = cursors();
        await c.atTime(topic, "old", 0);
        await produce(topic, "m0", 0);
        await produce(topic, "m1", 1);
        await produce(topic, "m2", 2);
        // The old subscription has read m0 (partition 0): its first unread is m1, the earliest left on any partition.
        await admin("POST", `/admin/v2/persistent/${ns}/user-requests-partition-0/subscription/old/skip/1`);
        const m1 = await publishTime(`${topic}-partition-1`, "old");
        expect(await c.firstUnread(topic, "old")).toBe(m1);
        expect(await c.backlog(topic, "old")).toBe(2);
        // The broker itself refuses what the old code asked for on the base name.
        expect((await admin("GET", `/admin/v2/persistent/${ns}/user-requests/subscription/old/position/1`, undefined, [405])).status).toBe(405);
        expect((await admin("GET", `/admin/v2/persistent/${ns}/user-requests/stats`, undefined, [404])).status).toBe(404);
    });

    it("creates a subscription before anything writes: the namespace creates the topic partitioned, with no backlog", async () => {
        const ns = await freshNamespace("first-subscribe", 4);
        const topic = `persistent://${ns}/tool-signals`;
        const c = cursors();
        expect(await c.backlog(topic, "new-sink")).toBeUndefined();
        expect(await c.firstUnread(topic, "new-sink")).toBeUndefined();
        await c.atEnd(topic, "new-sink");
        expect(await adminJson<{ partitions: number }>(`/admin/v2/persistent/${ns}/tool-signals/partitions`)).toMatchObject({ partitions: 4 });
        expect(await c.backlog(topic, "new-sink")).toBe(0);
        await produce(topic, "first", 3);
        expect(await c.backlog(topic, "new-sink")).toBe(1);
        // An existing subscription moved to the end: nothing left to read.
        await c.atEnd(topic, "new-sink");
        expect(await c.backlog(topic, "new-sink")).toBe(0);
    });

    it("still reads a non-partitioned topic", async () => {
        const ns = await freshNamespace("non-partitioned");
        const topic = `persistent://${ns}/single`;
        await admin("PUT", `/admin/v2/persistent/${ns}/single`);
        const c = cursors();
        await c.atTime(topic, "s", 0);
        await produce(topic, "a");
        expect(partitionNames(topic, 0)).toEqual([topic]);
        expect(await c.firstUnread(topic, "s")).toBe(await publishTime(topic, "s"));
        expect(await c.backlog(topic, "s")).toBe(1);
    });

    it("hands over from one subscription to another and drains it, on a partitioned topic", async () => {
        const ns = await freshNamespace("handover");
        const topic = `persistent://${ns}/user-requests`;
        const log = { broker: "pulsar" as const, topic };
        await admin("PUT", `/admin/v2/persistent/${ns}/user-requests/partitions`, 3);
        const c = cursors();
        await c.atTime(topic, "old-sub", 0);
        for (let p = 0; p < 3; p++) {
            await produce(topic, `m${p}`, p);
        }
        await admin("POST", `/admin/v2/persistent/${ns}/user-requests-partition-0/subscription/old-sub/skip/1`);
        const oldFirst = await c.firstUnread(topic, "old-sub");
        const rows = await handover(
            [{ cursor: { owner: "mcp-matcher", log, protocol: "pulsar" }, start: { at: "first-unread", of: [{ owner: "old-sub", log, protocol: "pulsar" }] } }],
            { pulsar: c, kopNamespace: "public/default" },
        );
        expect(rows).toEqual([expect.objectContaining({ ok: true })]);
        // Positioned at the old one's first unread less the margin: at least what it had left, on every partition.
        expect(oldFirst).toBeDefined();
        expect(await c.firstUnread(topic, "mcp-matcher")).toBeLessThanOrEqual(oldFirst as number);
        expect(await c.backlog(topic, "mcp-matcher")).toBeGreaterThanOrEqual(2);
        const stats = await adminJson<{ partitions: Record<string, { subscriptions: Record<string, unknown> }> }>(`/admin/v2/persistent/${ns}/user-requests/partitioned-stats?perPartition=true`);
        expect(Object.values(stats.partitions).every((p) => "mcp-matcher" in p.subscriptions)).toBe(true);

        // The drain check: a backlog fails the row, a drained subscription passes it.
        const pending = await drainCheck([{ cursor: { owner: "old-sub", log, protocol: "pulsar" }, why: "the old subscription drains before settling" }], { pulsar: c, kopNamespace: "public/default" }, new Map());
        expect(pending).toEqual([expect.objectContaining({ ok: false, detail: "backlog 2" })]);
        await admin("POST", `/admin/v2/persistent/${ns}/user-requests/subscription/old-sub/resetcursor/${Date.now() + 1000}`);
        const drained = await drainCheck([{ cursor: { owner: "old-sub", log, protocol: "pulsar" }, why: "the old subscription drains before settling" }], { pulsar: c, kopNamespace: "public/default" }, new Map());
        expect(drained).toEqual([expect.objectContaining({ ok: true, detail: "backlog 0" })]);
    });

    // The rule, for Pulsar as for Kafka: an abandoned log is drained when it is read to its end AND that end stood still
    // since the last check. A reader keeping up with a writer still at it shows a backlog of 0 between two messages;
    // passing it then let settle move the reader while the writer (a service that moves at settle too) still wrote
    // (the drill's 3 -> 2, tenant topics: lost messages). The old check looked at the backlog only.
    it("does not call an abandoned log drained while it is still written, even with no backlog", async () => {
        const ns = await freshNamespace("quiescent");
        const topic = `persistent://${ns}/tool-signals`;
        await admin("PUT", `/admin/v2/persistent/${ns}/tool-signals/partitions`, 2);
        const c = cursors();
        const drain = [{ cursor: { owner: "execution-coordinator", log: { broker: "pulsar" as const, topic }, protocol: "pulsar" as const }, why: "abandoned", quiescent: true }];
        const brokers = { pulsar: c, kopNamespace: "public/default" };
        await c.atEnd(topic, "execution-coordinator");
        const marks = await drainMarks(drain, brokers);
        // A message written and read (acknowledged) between two checks: no backlog, but the log moved.
        await produce(topic, "late", 1);
        await admin("POST", `/admin/v2/persistent/${ns}/tool-signals/subscription/execution-coordinator/skip_all`);
        expect(await c.backlog(topic, "execution-coordinator")).toBe(0);
        const moving = await drainCheck(drain, brokers, marks);
        expect(moving).toEqual([expect.objectContaining({ ok: false, detail: expect.stringMatching(/^still written since the last check \(0:0 1:0 -> 0:0 1:1\)$/) })]);
        // Nothing written since: drained.
        expect(await drainCheck(drain, brokers, marks)).toEqual([expect.objectContaining({ ok: true, detail: "backlog 0" })]);
    });
});
