import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { directoryBytes, lockedPackageCount, packageSizes } from "../../scripts/bench/install";

describe("install sizes", () => {
    const dir = mkdtempSync(join(tmpdir(), "bench-install-test-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (path: string, bytes: number) => {
        mkdirSync(join(dir, path, ".."), { recursive: true });
        writeFileSync(join(dir, path), "x".repeat(bytes));
    };
    file("node_modules/zod/index.js", 300);
    file("node_modules/zod/v4/core.js", 200);
    file("node_modules/@pulumi/aws/index.js", 1000);
    file("node_modules/@pulumi/gcp/index.js", 10);
    file("node_modules/.package-lock.json", 7);

    it("a directory's size is the sum of its files' sizes, however deep", () => {
        expect(directoryBytes(join(dir, "node_modules"))).toBe(1517);
    });

    it("packages are listed by name (scoped ones as @scope/name), largest first, npm's own files left out", () => {
        expect(packageSizes(join(dir, "node_modules"))).toEqual([
            { name: "@pulumi/aws", bytes: 1000 },
            { name: "zod", bytes: 500 },
            { name: "@pulumi/gcp", bytes: 10 },
        ]);
    });

    it("the lockfile's package count is its node_modules entries, not the root", () => {
        const lock = { lockfileVersion: 3, packages: { "": {}, "node_modules/zod": {}, "node_modules/@pulumi/aws": {}, "node_modules/a/node_modules/b": {} } };
        expect(lockedPackageCount(JSON.stringify(lock))).toBe(3);
    });
});
