import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main, parseCli } from "../../scripts/smoke";
import type { PulsarModule } from "../../scripts/smoke/pulsar";
import { rabbitmqPassword, RABBITMQ_PASSWORD_ENV, smokeStack } from "../../scripts/smoke/run";
import { plan, validateConfig, type PhaseId } from "../../topology";
import { rawStack } from "../support/stacks";
import { stackOutputs } from "./fixture/deploy";
import { UsageError } from "../../scripts/smoke/usage-error";

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s) => ((out += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s) => ((err += String(s)), true));
    const code = await main(args, env);
    vi.restoreAllMocks();
    return { code, out, err };
}

afterEach(() => vi.restoreAllMocks());

describe("npm run smoke flags", () => {
    it("default to 10 messages, 5000 ms, 120000 ms for the archive (twice Connect's offset commit interval), text, and native Pulsar required", () => {
        expect(parseCli(["--stack", "local"])).toEqual({ stack: "local", messages: 10, timeoutMs: 5000, archiveTimeoutMs: 120_000, allowMissingNative: false, format: "text" });
    });

    it("take the outputs file, config file, counts, format and --allow-missing-native", () => {
        const args = ["-s", "dev", "--outputs", "o.json", "--config-file", "c.yaml", "--messages", "3", "--timeout-ms", "250", "--archive-timeout-ms", "9000", "--allow-missing-native", "--format", "json"];
        expect(parseCli(args)).toEqual({
            stack: "dev",
            outputsFile: "o.json",
            configFile: "c.yaml",
            messages: 3,
            timeoutMs: 250,
            archiveTimeoutMs: 9000,
            allowMissingNative: true,
            format: "json",
        });
    });

    it("exit 2 naming every bad flag, its value and what is allowed", async () => {
        const r = await run(["--messages", "0", "--timeout-ms", "fast", "--archive-timeout-ms", "soon", "--format", "yaml"]);
        expect(r.code).toBe(2);
        expect(r.out).toBe("");
        expect(r.err).toContain("npm run smoke: 5 problems:");
        expect(r.err).toContain('--archive-timeout-ms = "soon": an integer from 100 to 3600000');
        expect(r.err).toContain("--stack = (not set): the stack to test (required): one of dev, local, prod");
        expect(r.err).toContain('--messages = "0": an integer from 1 to 10000');
        expect(r.err).toContain('--timeout-ms = "fast": an integer from 100 to 600000');
        expect(r.err).toContain('--format = "yaml": text | json');
    });

    it("exit 2 on an unknown flag, naming it and the flags allowed", async () => {
        const r = await run(["--stack", "local", "--kafka", "x"]);
        expect(r.code).toBe(2);
        expect(r.err).toBe(
            "npm run smoke: unknown flag --kafka: allowed --stack, --outputs, --config-file, --messages, --timeout-ms, --archive-timeout-ms, --pulsar-ca, --edge-outputs, --allow-missing-native, --format, --help\n",
        );
    });

    it("exit 2 for a stack without a settings file, listing the stacks", async () => {
        const r = await run(["--stack", "staging", "--outputs", "/dev/null"]);
        expect(r.code).toBe(2);
        expect(r.err).toBe("npm run smoke: --stack staging: no stack file Pulumi.staging.yaml; the stacks that exist: dev, local, prod\n");
    });

    it("exit 2 when the outputs file does not exist", async () => {
        const r = await run(["--stack", "local", "--outputs", "/nonexistent/outputs.json"]);
        expect(r.code).toBe(2);
        expect(r.err).toContain('--outputs = "/nonexistent/outputs.json": a readable file');
    });
});

describe("the Pulsar and edge flags", () => {
    it("take the CA file and one outputs file per edge site", () => {
        expect(parseCli(["-s", "prod", "--pulsar-ca", "ca.crt", "--edge-outputs", "paranal=p.json", "--edge-outputs", "la-silla=l.json"])).toMatchObject({
            pulsarCaFile: "ca.crt",
            edgeOutputs: { paranal: "p.json", "la-silla": "l.json" },
        });
    });

    it("exit 2 on an --edge-outputs that is not <site>=<file>, or a site given twice", async () => {
        const r = await run(["--stack", "prod", "--edge-outputs", "paranal", "--edge-outputs", "Paranal=x", "--edge-outputs", "a=1", "--edge-outputs", "a=2"]);
        expect(r.code).toBe(2);
        expect(r.err).toContain('--edge-outputs = "paranal": <site>=<file>: an edge site\'s name (as in the stack\'s edgeSites.sites) and a file with its outputs');
        expect(r.err).toContain('--edge-outputs = "Paranal=x": <site>=<file>');
        expect(r.err).toContain('--edge-outputs = "a=2": one file per site (a is given twice)');
    });

    describe("against prod's deployed outputs", () => {
        let dir: string;
        beforeAll(() => {
            dir = mkdtempSync(join(tmpdir(), "smoke-cli-"));
        });
        afterAll(() => rmSync(dir, { recursive: true, force: true }));
        const outputsFile = (phase: PhaseId, extra: Record<string, unknown> = {}) => {
            const platform = validateConfig(rawStack("prod", { phase }));
            const file = join(dir, `prod-${phase}.json`);
            writeFileSync(file, JSON.stringify({ ...stackOutputs(plan(platform), platform), ...extra }));
            return file;
        };

        it("exit 2 on an --edge-outputs site the stack does not accept, naming those it does", async () => {
            const r = await run(["--stack", "prod", "--outputs", outputsFile(2), "--edge-outputs", "lasilla=l.json"]);
            expect(r.code).toBe(2);
            expect(r.err).toBe('npm run smoke: --edge-outputs = "lasilla=l.json": a site prod accepts (edgeSites.sites): paranal\n');
            const early = await run(["--stack", "prod", "--outputs", outputsFile(1), "--edge-outputs", "paranal=p.json"]);
            expect(early.code).toBe(2);
            expect(early.err).toContain('--edge-outputs = "paranal=p.json": a site prod accepts (edgeSites.sites): none at phase 1 (telescope-telemetry is shadow here:');
        });

        it("a TLS Pulsar with native routes needs its CA: --pulsar-ca, or the one the stack exports for its sites", async () => {
            const fake = { module: { Client: class {}, AuthenticationToken: class {} } as unknown as PulsarModule };
            const options = { stack: "prod", messages: 1, timeoutMs: 100, pulsar: fake, env: {} };
            await expect(smokeStack({ ...options, outputsFile: outputsFile(2) })).rejects.toThrow(
                "npm run smoke: --pulsar-ca = (not set): the CA certificate (PEM file) of prod's Pulsar, which serves TLS at pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651 (its cert-manager CA Secret's ca.crt)",
            );
            const notPem = join(dir, "not.pem");
            writeFileSync(notPem, "hello");
            await expect(smokeStack({ ...options, outputsFile: outputsFile(2), pulsarCaFile: notPem })).rejects.toThrow(/--pulsar-ca = ".*not.pem": a PEM file holding the CA certificate/);
            await expect(smokeStack({ ...options, outputsFile: outputsFile(2), pulsarCaFile: notPem.replace("not.pem", "ca.pem") })).rejects.toThrow(/--pulsar-ca = ".*ca.pem": a readable PEM file/);
        });
    });
});

describe("the RabbitMQ password", () => {
    it(`comes from ${RABBITMQ_PASSWORD_ENV} first`, () => {
        expect(rabbitmqPassword("local", { [RABBITMQ_PASSWORD_ENV]: "s3cret" }, "/nonexistent/pulumi")).toBe("s3cret");
    });

    it("otherwise needs the pulumi CLI, and says so", () => {
        expect(() => rabbitmqPassword("local", {}, "/nonexistent/pulumi")).toThrow(UsageError);
        expect(() => rabbitmqPassword("local", {}, "/nonexistent/pulumi")).toThrow(
            /MP_RABBITMQ_PASSWORD = \(not set\): the password of rabbitmq.username .* \(the pulumi CLI is not on PATH\)/,
        );
    });
});
