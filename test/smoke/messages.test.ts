import { describe, expect, it } from "vitest";
import { exercise, Inbox, queueKey, smokeMessage, TAG_HEADER, type SmokeContext } from "../../scripts/smoke/messages";

const ctx: SmokeContext = { runId: "smoke-run-1", messages: 2, timeoutMs: 200 };

describe("smoke messages", () => {
    it("are tagged with the run, the probe and the sequence number", () => {
        const m = smokeMessage(ctx, "user-requests:direct:kafka-kafka", 1);
        expect(m.tag).toBe("smoke-run-1/user-requests:direct:kafka-kafka/1");
        expect(m.headers).toEqual({ [TAG_HEADER]: m.tag, "smoke-run": "smoke-run-1" });
        expect(JSON.parse(m.body.toString())).toMatchObject({ smokeTest: true, runId: "smoke-run-1", seq: 1 });
    });
});

describe("exercising a probe", () => {
    it("sends a warm-up and K timed messages, one at a time, and times only the K", async () => {
        const inbox = new Inbox();
        const sent: string[] = [];
        const done = await exercise(ctx, "p", inbox, async (m) => {
            sent.push(m.tag);
            setTimeout(() => inbox.arrive(m.tag), 1);
        });
        expect(sent).toEqual(["smoke-run-1/p/0", "smoke-run-1/p/1", "smoke-run-1/p/2"]);
        expect(done).toMatchObject({ sent: 3, received: 3 });
        expect(done.latenciesMs).toHaveLength(2);
        expect(done.error).toBeUndefined();
    });

    it("counts an arrival reported before the wait began", async () => {
        const inbox = new Inbox();
        const done = await exercise(ctx, "p", inbox, async (m) => inbox.arrive(m.tag));
        expect(done.received).toBe(3);
    });

    it("stops at the first message that does not arrive, and says which and where", async () => {
        const inbox = new Inbox();
        const done = await exercise(
            ctx,
            "p",
            inbox,
            async (m) => {
                if (!m.tag.endsWith("/2")) {
                    inbox.arrive(queueKey(m.tag, "jobs.dispatch"));
                }
            },
            (m) => [queueKey(m.tag, "jobs.dispatch")],
        );
        expect(done).toMatchObject({ sent: 3, received: 2, error: "message 2 of 2 was not consumed from jobs.dispatch within 200 ms" });
    });

    it("fails a message whose copy does not arrive", async () => {
        const inbox = new Inbox();
        const done = await exercise(ctx, "p", inbox, async (m) => inbox.arrive(queueKey(m.tag, "a")), (m) => [queueKey(m.tag, "a"), queueKey(m.tag, "control.audit")]);
        expect(done.error).toBe("warm-up message was not consumed from control.audit within 200 ms");
        // Which copy was missing, so a multi-hop probe can say which hop failed.
        expect(done.unarrived).toMatch(/\/p\/0@control\.audit$/);
    });

    it("reports a producer error and a message marked failed by its consumer", async () => {
        const refused = await exercise(ctx, "p", new Inbox(), async () => {
            throw new Error("This server does not host this topic-partition");
        });
        expect(refused).toMatchObject({ sent: 0, received: 0, error: "This server does not host this topic-partition" });
        expect(refused.unarrived).toBeUndefined();
        const inbox = new Inbox();
        const wrong = await exercise(ctx, "p", inbox, async (m) => inbox.fail(m.tag, "dead-lettered from a (expired)"));
        expect(wrong.error).toBe("dead-lettered from a (expired)");
    });
});
