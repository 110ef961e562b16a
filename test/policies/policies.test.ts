import { describe, expect, it } from "vitest";
import { SPECS } from "./cases";
import { LEVEL, violations } from "./harness";
import { factsOf } from "./fixtures";

describe.each(Object.entries(SPECS))("policy %s", (name, spec) => {
    it.each(spec.cases.map((c) => [c.name, c] as const))("%s", async (_label, c) => {
        const facts = c.facts ?? factsOf("prod", 3);
        const policy = spec.make(LEVEL, () => facts);
        expect(policy.name).toBe(name);
        const found = await violations(policy, c.resources, c.config);
        expect(found, found.join("\n")).toHaveLength(c.expect.length);
        c.expect.forEach((fragment, i) => expect(found[i]).toContain(fragment));
    });
});
