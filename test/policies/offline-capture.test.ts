import { beforeAll, describe, expect, it } from "vitest";
import type { CapturedResource } from "../../policies/offline";
import { captureProgram } from "../../policies/offline";
import { TYPES } from "../../policies/rules/common";
import { stackConfigFacts } from "../../policies/rules/migration";
import { engineConfig } from "../../scripts/policy";
import { resolve } from "node:path";

describe("captureProgram: a program under mocks, described as the engine describes it to the pack", () => {
    let resources: CapturedResource[];
    const one = (type: string) => resources.find((r) => r.type === type) as CapturedResource;

    beforeAll(async () => {
        const { config, secretKeys } = engineConfig(resolve(__dirname, "../../Pulumi.prod.yaml"), 2);
        resources = await captureProgram(() => import("./fixtures/program"), { project: "messaging-platform", stack: "prod", config, secretKeys });
    });

    it("records every resource, the stack included", () => {
        expect(resources.map((r) => r.type).sort()).toEqual(
            [TYPES.stack, TYPES.s3Bucket, TYPES.s3PublicAccessBlock, TYPES.s3Versioning, TYPES.rabbitQueue].sort(),
        );
    });

    it("keeps protect and retainOnDelete from the register request", () => {
        expect(one(TYPES.rabbitQueue)).toMatchObject({ protect: true, retainOnDelete: true });
        expect(one(TYPES.s3Bucket)).toMatchObject({ protect: false, retainOnDelete: true });
    });

    it("links companions to their bucket by parent and property dependency", () => {
        const bucket = one(TYPES.s3Bucket);
        const block = one(TYPES.s3PublicAccessBlock);
        expect(block.parent).toBe(bucket.urn);
        expect(block.propertyDependencies.bucket).toEqual([bucket.urn]);
        expect(block.inputs.bucket).toBe("fixture-offload");
    });

    it("shows stack outputs with secrets in plain text, as policies see them", () => {
        expect(one(TYPES.stack).outputs).toMatchObject({ bucketName: "fixture-offload", adminPassword: "offline-placeholder-messaging-platform-rabbitmqPassword" });
    });

    it("lets the migration invariants read the stack config (phase override included)", () => {
        expect(stackConfigFacts()).toEqual({ phase: 2, auditParity: false, kafkaDecommissionConfirmed: false });
    });
});
