import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../scripts/policy";

const program = resolve(__dirname, "fixtures/program.ts");

async function run(argv: string[]): Promise<{ code: number; output: string }> {
    let output = "";
    const code = await main(argv, (s) => (output += s), (s) => (output += s));
    return { code, output };
}

describe("npm run policy", () => {
    it("needs --stack", async () => {
        expect(await run([])).toMatchObject({ code: 2, output: expect.stringContaining("npm run policy: --stack is required: one of dev, local, prod") });
    });

    it("refuses a phase that is not an integer", async () => {
        expect(await run(["--stack", "prod", "--phase", "two", "--program", program])).toMatchObject({ code: 2, output: expect.stringContaining("--phase \"two\"") });
    });

    it("names a missing program", async () => {
        expect(await run(["--stack", "prod", "--program", "/nonexistent/index.ts"])).toMatchObject({ code: 2, output: expect.stringContaining("--program /nonexistent/index.ts: no such file") });
    });

    it("fails a prod stack with mandatory violations and lists each one", async () => {
        const { code, output } = await run(["--stack", "prod", "--program", program]);
        expect(code).toBe(1);
        expect(output).toContain("policy config policies/config/prod.json");
        for (const policy of [
            "s3-bucket-encrypted",
            "s3-bucket-tls-only",
            "no-secret-stack-outputs",
            "stateful-resources-protected",
            "audit-trail-keeps-kafka-topic",
            "exactly-one-matcher",
        ]) {
            expect(output).toContain(`[mandatory] ${policy}`);
        }
        expect(output).not.toContain("s3-bucket-public-access-blocked");
        expect(output).not.toContain("s3-bucket-versioned");
    });
});
