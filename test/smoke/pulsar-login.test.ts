/**
 * How the smoke client logs in to a Pulsar cluster (scripts/smoke/pulsar-login.ts), checked against what the cluster
 * checks: the admin API over real TLS (Node's TLS client against a local HTTPS server whose certificate a CA signs,
 * as cert-manager's does), and the token verified as the broker's AuthenticationProviderToken verifies it (HS256 with
 * the stack's signing key, subject = a super user of the chart, not expired).
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jwtVerify } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulsarSigningKey } from "../../components/pulsar-token";
import { pulsarAdmin } from "../../scripts/smoke/pulsar";
import { adminRequest, pulsarLoginToken, pulsarTokenEnv } from "../../scripts/smoke/pulsar-login";
import { UsageError } from "../../scripts/smoke/usage-error";
import { PLATFORM_ADMIN_ROLE } from "../../topology";
import { planStack } from "../support/stacks";
import { httpsServer, testPki, type RunningServer, type TestPki } from "../support/tls";

const TOKEN = "header.payload.signature";
let pki: TestPki;
let server: RunningServer;
const seen: { url?: string; authorization?: string }[] = [];

beforeAll(async () => {
    pki = await testPki(["localhost"]);
    server = await httpsServer(pki, (req, res) => {
        seen.push({ ...(req.url ? { url: req.url } : {}), ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
        if (req.headers.authorization !== `Bearer ${TOKEN}`) {
            res.writeHead(401).end();
            return;
        }
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(["persistent://public/observatories/telescope-telemetry"]));
    });
}, 30_000);
afterAll(() => server.close());

describe("the admin API over TLS", () => {
    it("trusts the cluster's CA, verifies the host name, and presents the token as a bearer", async () => {
        seen.length = 0;
        const got = await adminRequest("GET", `https://localhost:${server.port}`, "admin/v2/persistent/public/observatories/partitioned", { token: TOKEN, caPem: pki.caPem }, 5000);
        expect(got).toEqual(["persistent://public/observatories/telescope-telemetry"]);
        expect(seen).toEqual([{ url: "/admin/v2/persistent/public/observatories/partitioned", authorization: `Bearer ${TOKEN}` }]);
    });

    it("refuses a host the certificate does not name, as a client of the cluster would", async () => {
        await expect(adminRequest("GET", `https://127.0.0.1:${server.port}`, "admin/v2/clusters", { token: TOKEN, caPem: pki.caPem }, 5000)).rejects.toThrow(/does not match certificate's altnames/);
    });

    it("refuses a certificate its CA is not given for", async () => {
        await expect(adminRequest("GET", `https://localhost:${server.port}`, "admin/v2/clusters", { token: TOKEN }, 5000)).rejects.toThrow(/certificate/);
        const other = await testPki(["localhost"]);
        await expect(adminRequest("GET", `https://localhost:${server.port}`, "admin/v2/clusters", { token: TOKEN, caPem: other.caPem }, 5000)).rejects.toThrow(/certificate/);
    });

    it("says a refused token is refused", async () => {
        await expect(adminRequest("GET", `https://localhost:${server.port}`, "admin/v2/clusters", { token: "wrong", caPem: pki.caPem }, 5000)).rejects.toThrow("GET /admin/v2/clusters answered 401 (the token was refused)");
    });

    it("a topic's existence comes from its namespace's list of partitioned topics, through the same login", async () => {
        const exists = pulsarAdmin(`https://localhost:${server.port}`, { token: TOKEN, caPem: pki.caPem }, 5000);
        expect(await exists.topicExists("persistent://public/observatories/telescope-telemetry")).toBe(true);
        expect(await exists.topicExists("persistent://public/observatories/other")).toBe(false);
        const refused = pulsarAdmin(`https://127.0.0.1:${server.port}`, { token: TOKEN, caPem: pki.caPem }, 5000);
        await expect(refused.topicExists("persistent://public/observatories/telescope-telemetry")).rejects.toThrow(/partitioned topics of public\/observatories: .*altnames/);
    });
});

describe("the token the smoke client presents", () => {
    const prod = planStack("prod", { phase: 1 }).pulsar!;
    let dir: string;
    beforeAll(() => {
        dir = mkdtempSync(join(tmpdir(), "smoke-pulumi-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** A stand-in for the pulumi CLI that answers `config get credentialSeed --stack prod` and logs its arguments. */
    function fakePulumi(seed: string): string {
        const bin = join(dir, "pulumi");
        writeFileSync(bin, `#!/bin/sh\necho "$@" > "${dir}/args"\n[ "$1 $2 $3" = "config get credentialSeed" ] && printf '%s\\n' '${seed}' && exit 0\nexit 1\n`);
        chmodSync(bin, 0o755);
        return bin;
    }

    it("is none without token auth", async () => {
        expect(await pulsarLoginToken(planStack("local", { phase: 2 }).pulsar!, pulsarTokenEnv(), { stack: "local", pulumi: "/nonexistent/pulumi" }, {})).toBeUndefined();
    });

    it("is a super user's, signed with the key of the stack's seed and the plan's validity: what the broker accepts", async () => {
        const token = (await pulsarLoginToken(prod, pulsarTokenEnv(), { stack: "prod", pulumi: fakePulumi("prod-seed") }, {})) as string;
        const { payload, protectedHeader } = await jwtVerify(token, pulsarSigningKey("prod-seed"), { currentDate: new Date((prod.auth!.validity.issuedAt + 60) * 1000) });
        expect(protectedHeader.alg).toBe("HS256");
        expect(payload.sub).toBe(PLATFORM_ADMIN_ROLE);
        expect(payload.exp).toBe(prod.auth!.validity.expiresAt);
        // The role is one the cluster makes a super user: its token Secret is among the chart's super users'.
        expect(prod.auth!.superUserTokens.map((t) => t.role)).toContain(PLATFORM_ADMIN_ROLE);
        // Another seed's key does not verify it.
        await expect(jwtVerify(token, pulsarSigningKey("another-seed"))).rejects.toThrow();
    });

    it("comes from the environment first, per cluster", async () => {
        expect(pulsarTokenEnv()).toBe("MP_PULSAR_TOKEN");
        expect(pulsarTokenEnv("edge-paranal")).toBe("MP_PULSAR_TOKEN_EDGE_PARANAL");
        expect(await pulsarLoginToken(prod, pulsarTokenEnv("edge-paranal"), { stack: "x", pulumi: "/nonexistent/pulumi" }, { MP_PULSAR_TOKEN_EDGE_PARANAL: "given" })).toBe("given");
    });

    it("refuses an empty token or an empty seed, naming the variable", async () => {
        await expect(pulsarLoginToken(prod, pulsarTokenEnv(), { stack: "prod", pulumi: "/nonexistent/pulumi" }, { MP_PULSAR_TOKEN: " " })).rejects.toThrow(
            'MP_PULSAR_TOKEN = " ": a Pulsar token (JWT) of a super user (platform-admin), not empty',
        );
        await expect(pulsarLoginToken(prod, pulsarTokenEnv(), { stack: "prod", pulumi: fakePulumi("") }, {})).rejects.toThrow(
            "MP_PULSAR_TOKEN = (not set): a Pulsar token, or a credentialSeed that is not empty",
        );
    });

    it("reads the seed of the right stack, in the right project folder", async () => {
        await pulsarLoginToken(prod, pulsarTokenEnv("edge-paranal"), { stack: "organization/messaging-edge/paranal", cwd: "/repo/edge", pulumi: fakePulumi("s") }, {});
        const { readFileSync } = await import("node:fs");
        expect(readFileSync(join(dir, "args"), "utf8").trim()).toBe("config get credentialSeed --stack organization/messaging-edge/paranal --cwd /repo/edge");
    });

    it("without either, names the variable and the command that would read the seed", async () => {
        const missing = pulsarLoginToken(prod, pulsarTokenEnv(), { stack: "prod", pulumi: "/nonexistent/pulumi" }, {});
        await expect(missing).rejects.toThrow(UsageError);
        await expect(pulsarLoginToken(prod, pulsarTokenEnv(), { stack: "prod", pulumi: "/nonexistent/pulumi" }, {})).rejects.toThrow(
            /MP_PULSAR_TOKEN = \(not set\): a Pulsar token of a super user \(platform-admin\), or the stack's secret credentialSeed .*`pulumi config get credentialSeed --stack prod` .*the pulumi CLI is not on PATH/,
        );
    });
});
