import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../scripts/plan";

function run(args: string[]): { code: number; out: string; err: string } {
    let out = "";
    let err = "";
    const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    try {
        return { code: main(args), out, err };
    } finally {
        o.mockRestore();
        e.mockRestore();
    }
}

afterEach(() => vi.restoreAllMocks());

describe("npm run plan", () => {
    it("prints the local stack's topology", () => {
        const r = run(["--stack", "local"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("phase 0 (kafka)  environment local  cloud none");
        expect(r.out).toMatch(/user-requests\s+kafka/);
    });

    it("prints JSON that parses to the planned topology", () => {
        const r = run(["--stack", "prod", "--phase", "3", "--format", "json"]);
        const t = JSON.parse(r.out);
        expect(t.phase).toBe(3);
        expect(t.offload.driver).toBe("aws-s3");
    });

    it("with --from shows what a bump changes per stream and resource, and the rollback command", () => {
        const r = run(["--stack", "local", "--phase", "2", "--from", "1"]);
        expect(r.code).toBe(0);
        expect(r.out).toContain("phase 1 (bridge) -> 2 (native) (bump)");
        expect(r.out).toMatch(/user-requests\s+kop\s+pulsar/);
        expect(r.out).toContain("+ mcp-matcher");
        expect(r.out).toContain("pulumi config set phase 1 --stack local");
    });

    it("marks data-holding resources a rollback leaves behind as retained", () => {
        const r = run(["--stack", "local", "--phase", "1", "--from", "2"]);
        expect(r.out).toContain("- persistent://public/cosmic-ai/job-status-changed  [holds data: retained, left on the broker]");
    });

    it("exits 2 with the config error for an unknown phase", () => {
        const r = run(["--stack", "local", "--phase", "7"]);
        expect(r.code).toBe(2);
        expect(r.err).toContain("messaging-platform:phase = 7");
    });

    it("exits 2 on an unknown format", () => {
        expect(run(["--stack", "local", "--format", "yaml"]).code).toBe(2);
    });
});
