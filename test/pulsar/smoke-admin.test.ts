/**
 * What the smoke asks a cluster's admin API (scripts/smoke/pulsar.ts pulsarAdmin), against Apache Pulsar 4.0 on
 * partitioned topics: whether a planned topic exists, and the removal of subscriptions interrupted runs left.
 */
import { describe, expect, it } from "vitest";
import { pulsarAdmin } from "../../scripts/smoke/pulsar";
import { admin, adminJson, freshNamespace } from "./admin";
import { pulsar } from "./admin";

describe("the smoke's admin calls on Apache Pulsar 4.0", () => {
    it("finds a partitioned topic, and not one that was never created", async () => {
        const ns = await freshNamespace("smoke-exists");
        await admin("PUT", `/admin/v2/persistent/${ns}/telescope-telemetry/partitions`, 2);
        const a = pulsarAdmin(pulsar().webUrl, {}, 5000);
        expect(await a.topicExists(`persistent://${ns}/telescope-telemetry`)).toBe(true);
        expect(await a.topicExists(`persistent://${ns}/never-created`)).toBe(false);
    });

    it("deletes the idle subscriptions earlier runs left on every partition, keeping its own and everyone else's", async () => {
        const ns = await freshNamespace("smoke-leftovers");
        const base = `/admin/v2/persistent/${ns}/audit-trail`;
        await admin("PUT", `${base}/partitions`, 3);
        for (const s of ["smoke-m1abc-0a1b2c", "smoke-m2abc-3d4e5f", "audit-archiver"]) {
            await admin("PUT", `${base}/subscription/${s}`);
        }
        const removed = await pulsarAdmin(pulsar().webUrl, {}, 5000).removeLeftoverSubscriptions(`persistent://${ns}/audit-trail`, "smoke-m2abc-3d4e5f");
        expect(removed).toEqual(["smoke-m1abc-0a1b2c"]);
        expect((await adminJson<string[]>(`${base}/subscriptions`)).sort()).toEqual(["audit-archiver", "smoke-m2abc-3d4e5f"]);
        const perPartition = await adminJson<{ partitions: Record<string, { subscriptions: Record<string, unknown> }> }>(`${base}/partitioned-stats?perPartition=true`);
        for (const p of Object.values(perPartition.partitions)) {
            expect(Object.keys(p.subscriptions).sort()).toEqual(["audit-archiver", "smoke-m2abc-3d4e5f"]);
        }
    });
});
