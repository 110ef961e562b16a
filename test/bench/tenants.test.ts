import { describe, expect, it } from "vitest";
import { CONFIG_NAMESPACE, validateConfig } from "../../topology";
import { generateTenants, tenantName, withTenants } from "../../scripts/bench/tenants";
import { rawStack } from "../support/stacks";

describe("generated tenants", () => {
    it.each([10, 100, 1000, 5000])("%i tenants in prod at phase 3 pass topology/config.ts", (n) => {
        const tenants = generateTenants(n);
        const config = validateConfig(rawStack("prod", { phase: 3, tenants }));
        expect(config.tenants).toHaveLength(n);
        expect(new Set(config.tenants.map((t) => t.name)).size).toBe(n);
    });

    it("names are zero-padded DNS labels in generation order, each administered by its own role", () => {
        expect(generateTenants(3)).toEqual([
            { name: "tenant-00000", adminRoles: ["tenant-00000.admin"] },
            { name: "tenant-00001", adminRoles: ["tenant-00001.admin"] },
            { name: "tenant-00002", adminRoles: ["tenant-00002.admin"] },
        ]);
        expect(tenantName(99_999)).toBe("tenant-99999");
    });

    it.each([-1, 1.5, 100_000])("refuses %s tenants", (n) => {
        expect(() => generateTenants(n)).toThrow(/a whole number of tenants from 0 to 99999/);
    });

    it("replace the tenants of an engine config, as JSON under the project's key, leaving the rest", () => {
        const config = { [`${CONFIG_NAMESPACE}:phase`]: "3", [`${CONFIG_NAMESPACE}:tenants`]: "[]" };
        const out = withTenants(config, generateTenants(2));
        expect(out[`${CONFIG_NAMESPACE}:phase`]).toBe("3");
        expect(JSON.parse(out[`${CONFIG_NAMESPACE}:tenants`] as string)).toEqual(generateTenants(2));
        expect(config[`${CONFIG_NAMESPACE}:tenants`]).toBe("[]");
    });
});
