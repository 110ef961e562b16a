/**
 * Seed 000's "zero cross-tenant data access" on Apache Pulsar 4.0 with token authentication and authorization (the
 * second profile of scripts/pulsar.ts, a broker of this file's own): the local stack's phase-3 tenancy applied with
 * the super user's token, then each role the plan grants logs in with a token signed as components/pulsar-token.ts
 * signs them. Each role can do exactly what its grants say and is refused the action it was not granted; across
 * tenants, a tenant's admin reaches nothing of another tenant and a shared service (the orchestrator's `public.*`
 * roles, which serve every tenant by design) only the tenant namespaces that grant it. A client reaches the broker over TLS with the CA it trusts, host name checked.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulsarSigningKey, pulsarToken } from "../../components/pulsar-token";
import { tenancySpecs } from "../../components/pulsar-tenancy";
import { PLATFORM_ADMIN_ROLE } from "../../topology";
import { startPulsar, type Pulsar } from "../../scripts/pulsar";
import { PulsarWebSocket } from "../../scripts/pulsar-websocket";
import { RestPulsarCursors } from "../../scripts/transition/cursors";
import { planStack } from "../support/stacks";
import { testPki, type TestPki } from "../support/tls";
import { adminOf } from "./admin";
import { applyTenancy, AS_PLANNED } from "./resources-operator";
import { resolve } from "node:path";

const key = pulsarSigningKey("isolation-test-seed");
const token = (role: string) => pulsarToken(key, role);
const plan = planStack("local", { phase: 3 }).pulsar!;

/** Whether `role` may open a producer (or a consumer) on `topic`: the broker answers the WebSocket upgrade. */
async function may(p: Pulsar, role: string, action: "produce" | "consume", topic: string): Promise<boolean | string> {
    const ws = new PulsarWebSocket(p.webUrl, { token: await token(role) });
    try {
        const client = action === "produce" ? await ws.producer(topic) : await ws.consumer(topic, `${role}-probe`);
        if (action === "produce") {
            await (client as Awaited<ReturnType<PulsarWebSocket["producer"]>>).send({ payload: "isolation probe" });
        }
        await client.close();
        return true;
    } catch (err) {
        const m = /HTTP (\d+)/.exec((err as Error).message);
        // 401/403 are the refusals; anything else is not an answer about permissions.
        return m && ["401", "403"].includes(m[1] as string) ? false : (err as Error).message;
    }
}

/** The topics the plan grants on: topic grants by name, namespace grants through one catalog topic of the namespace. */
function grantedTopics(): { role: string; topic: string; actions: string[] }[] {
    return plan.permissions.map((g) => ({
        role: g.role,
        actions: g.actions,
        topic: g.resourceType === "topic" ? g.resourceName : `persistent://${g.resourceName}/${plan.namespaces.find((n) => n.name === g.resourceName)?.automaticTopics?.topics[0] ?? "user-requests"}`,
    }));
}

describe("tenant isolation with the program's tokens and grants (Apache Pulsar 4.0, token auth, TLS)", () => {
    let p: Pulsar;
    let pki: TestPki;
    beforeAll(async () => {
        pki = await testPki(["localhost"]);
        const superUserToken = await token(PLATFORM_ADMIN_ROLE);
        p = await startPulsar({ clusterName: "isolation", auth: { signingKey: key, superUser: PLATFORM_ADMIN_ROLE, superUserToken, tls: pki } });
        await applyTenancy(tenancySpecs(plan, resolve(__dirname, "../../schemas")), AS_PLANNED, "isolation", adminOf(() => ({ webUrl: p.webUrl, token: superUserToken })));
    }, 180_000);
    afterAll(async () => p?.stop());

    it("refuses a client without a token, and one with a token signed by another key", async () => {
        const topic = "persistent://public/default/user-requests";
        expect((await fetch(`${p.webUrl}/admin/v2/tenants`)).status).toBe(401);
        await expect(new PulsarWebSocket(p.webUrl).producer(topic)).rejects.toThrow(/HTTP 401/);
        const forged = await pulsarToken(pulsarSigningKey("another-seed"), PLATFORM_ADMIN_ROLE);
        await expect(new PulsarWebSocket(p.webUrl, { token: forged }).producer(topic)).rejects.toThrow(/HTTP 401/);
    });

    it("each granted role may do exactly what it was granted on its topic, and is refused the rest", async () => {
        const rows: string[] = [];
        for (const g of grantedTopics()) {
            for (const action of ["produce", "consume"] as const) {
                const got = await may(p, g.role, action, g.topic);
                if (got !== g.actions.includes(action)) {
                    rows.push(`${g.role} ${action} ${g.topic}: ${got} (granted: ${g.actions.join("+")})`);
                }
            }
        }
        expect(rows).toEqual([]);
    }, 120_000);

    it("across tenants a role reaches exactly the namespaces it is granted: a tenant's admin nothing of another tenant, a shared service only the tenants that grant it", async () => {
        const grants = grantedTopics();
        const tenantOf = (name: string) => name.replace(/^persistent:\/\//, "").split("/")[0] as string;
        const namespaceOf = (topic: string) => topic.replace(/^persistent:\/\//, "").split("/").slice(0, 2).join("/");
        const granted = (role: string, action: "produce" | "consume", topic: string) =>
            plan.tenants.some((t) => t.name === tenantOf(topic) && t.adminRoles.includes(role)) ||
            plan.permissions.some((g) => g.role === role && g.actions.includes(action) && (g.resourceName === topic || g.resourceName === namespaceOf(topic)));
        const roles = [...new Set([...grants.map((g) => g.role), ...plan.tenants.flatMap((t) => t.adminRoles)])].filter((r) => r !== PLATFORM_ADMIN_ROLE);
        const topics = [...new Set(grants.map((g) => g.topic))];
        const rows: string[] = [];
        let refused = 0;
        for (const role of roles) {
            const own = role.split(".")[0] as string;
            for (const topic of topics.filter((t) => tenantOf(t) !== own)) {
                for (const action of ["produce", "consume"] as const) {
                    const got = await may(p, role, action, topic);
                    refused += got === false ? 1 : 0;
                    if (got !== granted(role, action, topic)) {
                        rows.push(`${role} ${action} ${topic}: ${got} (granted: ${granted(role, action, topic)})`);
                    }
                }
            }
        }
        // Both kinds are exercised: tenant admins (team-a.admin) and shared services refused somewhere.
        expect(roles).toEqual(expect.arrayContaining(["team-a.admin", "team-b.admin"]));
        expect(refused).toBeGreaterThan(0);
        expect(rows).toEqual([]);
    }, 180_000);

    it("a client reaches the broker over TLS only with the CA that signed its certificate, host name checked", async () => {
        const topic = "persistent://public/default/user-requests";
        const admin = await token(PLATFORM_ADMIN_ROLE);
        const tls = new PulsarWebSocket(p.webUrlTls!, { token: admin, caPem: pki.caPem });
        const producer = await tls.producer(topic);
        await producer.send({ payload: "over tls" });
        await producer.close();
        await expect(new PulsarWebSocket(p.webUrlTls!, { token: admin }).producer(topic)).rejects.toThrow(/self-signed|unable to verify|certificate/);
        const byAddress = new PulsarWebSocket(p.webUrlTls!.replace("localhost", "127.0.0.1"), { token: admin, caPem: pki.caPem });
        await expect(byAddress.producer(topic)).rejects.toThrow(/IP: 127.0.0.1 is not in the cert's list|altnames/);
    });

    // The handover's and the drain check's admin calls (scripts/transition/cursors.ts) on a cluster like dev's and prod's:
    // TLS with the platform's CA and the super user's token. They went through fetch, which takes no CA, and every
    // failure read "fetch failed"; the rule: each admin call the tools make trusts the CA given and names its cause.
    it("the handover's and drain check's admin calls work over TLS with the CA and token, and say why when they cannot", async () => {
        const topic = "persistent://public/default/tool-signals";
        const admin = await token(PLATFORM_ADMIN_ROLE);
        const cursors = new RestPulsarCursors(p.webUrlTls!, { token: admin, caPem: pki.caPem, timeoutMs: 10_000 });
        await cursors.atEnd(topic, "execution-coordinator");
        expect(await cursors.backlog(topic, "execution-coordinator")).toBe(0);
        expect((await cursors.written(topic)).size).toBeGreaterThan(0);
        await expect(new RestPulsarCursors(p.webUrlTls!, { token: admin }).backlog(topic, "execution-coordinator")).rejects.toThrow(/^GET https:\/\/localhost:\d+\/admin\/v2\/persistent\/public\/default\/tool-signals\/partitions: (self-signed certificate|unable to verify)/);
        await expect(new RestPulsarCursors(p.webUrlTls!, { caPem: pki.caPem }).backlog(topic, "execution-coordinator")).rejects.toThrow(/HTTP 401 \(the token was refused\)/);
    });
});
