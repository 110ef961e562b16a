import { describe, expect, it } from "vitest";
import { evaluationCategories, summarizeProfile, type CpuProfile } from "../../scripts/bench/profile";

/** A made-up checkout path: the categories are relative to whatever root they are given. */
const root = "/srv/checkout/messaging-platform";
const frame = (functionName: string, url = "") => ({ functionName, url });

// (root) -> main (index.ts) -> registerResource (@pulumi/pulumi) -> prepareStackTraceWithSourceMaps (node:internal/source_map)
//                                                                -> serialize (google-protobuf)
//        -> (garbage collector)
const profile: CpuProfile = {
    nodes: [
        { id: 1, callFrame: frame("(root)"), children: [2, 6] },
        { id: 2, callFrame: frame("main", `file://${root}/index.ts`), children: [3] },
        { id: 3, callFrame: frame("registerResource", `file://${root}/node_modules/@pulumi/pulumi/runtime/resource.js`), children: [4, 5] },
        { id: 4, callFrame: frame("prepareStackTraceWithSourceMaps", "node:internal/source_map/prepare_stack_trace") },
        { id: 5, callFrame: frame("serialize", `file://${root}/node_modules/google-protobuf/google-protobuf.js`) },
        { id: 6, callFrame: frame("(garbage collector)") },
    ],
    samples: [4, 4, 3, 5, 6, 2],
    timeDeltas: [1000, 1000, 1000, 1000, 2000, 1000],
};

describe("the profile summary", () => {
    const { totalMs, shares } = summarizeProfile(profile, evaluationCategories(root));
    const ms = Object.fromEntries(shares.map((s) => [s.category, s.ms]));

    it("counts every sample once, largest category first", () => {
        expect(totalMs).toBe(7);
        expect(shares.reduce((a, s) => a + s.percent, 0)).toBeCloseTo(100);
        expect(shares[0]?.ms).toBe(2);
    });

    it("attributes a frame by the frame that spent the time, and by its callers for stack-trace mapping", () => {
        expect(ms["stack traces: source-mapping frames (node:internal/source_map)"]).toBe(2);
        expect(ms["Pulumi SDK, other (@pulumi/pulumi)"]).toBe(1);
        expect(ms["mock RPC serialization (google-protobuf, @grpc)"]).toBe(1);
        expect(ms["garbage collection"]).toBe(2);
        expect(ms["components (components/, index.ts)"]).toBe(1);
    });
});
