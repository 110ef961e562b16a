/**
 * Namespace policies Pulsar would refuse are never planned. The rule: a namespace's backlog quota is strictly below
 * its retention size (Pulsar answers 412 "Backlog Quota exceeds configured retention quota" otherwise: NamespacesBase
 * checkQuotas, whichever of the two is set first); proven on Apache Pulsar itself in test/pulsar/tenancy.test.ts.
 */
import { describe, expect, it } from "vitest";
import { backlogQuotaWithin } from "../../topology/pulsar-plan";
import { quantityMiB } from "../../topology/sizing";
import { planStack, STACKS } from "../support/stacks";

describe("namespace policies Pulsar accepts", () => {
    it.each(STACKS.flatMap((stack) => [0, 1, 2, 3].map((phase) => [stack, phase] as const)))("%s at phase %i: each backlog quota is below its retention size", (stack, phase) => {
        for (const n of planStack(stack, { phase, gates: { auditParity: true, lifecycleParity: true } }).pulsar?.namespaces ?? []) {
            expect(quantityMiB(n.backlogQuotaLimitSize), n.name).toBeLessThan(quantityMiB(n.retentionSize) as number);
        }
    });

    it("the quota is 90% of the retention, rounded down to a MiB, and only MiB sizes are taken", () => {
        expect(backlogQuotaWithin("102Mi")).toBe("91Mi");
        expect(backlogQuotaWithin("10240Mi")).toBe("9216Mi");
        expect(() => backlogQuotaWithin("10Gi")).toThrow("a retention size in Mi is expected, not 10Gi");
    });
});
