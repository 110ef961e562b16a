import { describe, expect, it } from "vitest";
import { loadedModulesByPackage } from "../../scripts/bench/modules";
import { parseReport } from "../../scripts/bench/child";

describe("loaded modules by package", () => {
    it("counts module paths inside each package, scoped names included, the innermost node_modules deciding", () => {
        const counts = loadedModulesByPackage(
            [
                "/p/node_modules/@pulumi/aws/index.js",
                "/p/node_modules/@pulumi/aws/s3/index.js",
                "/p/node_modules/@pulumi/pulumi/index.js",
                "/p/node_modules/@pulumi/aws/node_modules/semver/index.js",
                "/p/components/kafka.ts",
            ],
            ["@pulumi/aws", "@pulumi/pulumi", "@pulumi/gcp"],
        );
        expect(counts).toEqual({ "@pulumi/aws": 2, "@pulumi/pulumi": 1, "@pulumi/gcp": 0 });
    });
});

describe("a child's report", () => {
    it("is the last BENCH_RESULT line of its stdout", () => {
        expect(parseReport('noise\nBENCH_RESULT {"a":1}\nBENCH_RESULT {"a":2}\nmore noise\n')).toEqual({ a: 2 });
    });

    it("is undefined when the child printed none", () => {
        expect(parseReport("warning: something\n")).toBeUndefined();
    });
});
