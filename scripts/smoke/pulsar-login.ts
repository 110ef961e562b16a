/**
 * How the smoke client logs in to one Pulsar cluster, the way that cluster checks a client:
 *
 * - Token auth (the chart's AuthenticationProviderToken): the JWT of the platform's super user (PLATFORM_ADMIN_ROLE,
 *   in the chart's `superUsers`), so every probed topic may be produced and consumed. It is signed here with the key
 *   derived from the stack's secret `credentialSeed` and the plan's validity: the very token the cluster's Secret
 *   `<release>-token-platform-admin` holds (components/credentials.ts). An environment variable may carry a token
 *   instead, for a runner that is given a token but not the stack's secrets.
 * - TLS: the cluster's CA certificate, and the host name of every URL checked against the certificate's names, as
 *   the services and the replicator check it (pulsar-client's `tlsValidateHostname`, Node's `checkServerIdentity`).
 *   A certificate that does not name the host the runner uses fails here as it would fail for a client.
 */
import { get as httpGet } from "node:http";
import { get as httpsGet } from "node:https";
import { pulsarSigningKey, pulsarToken } from "../../components/pulsar-token";
import { PLATFORM_ADMIN_ROLE, type PulsarPlan } from "../../topology";
import { stackSecret, type StackSecretSource } from "./secrets";

export interface PulsarLogin {
    /** The super user's JWT: `Authorization: Bearer` on the admin API, AuthenticationToken on the binary protocol. */
    token?: string;
    /** The CA certificate (PEM) the cluster's certificates chain to. */
    caPem?: string;
}

/** The environment variable that may carry a cluster's token: MP_PULSAR_TOKEN for central, ..._EDGE_<SITE> for a site. */
export function pulsarTokenEnv(edgeCluster?: string): string {
    return edgeCluster === undefined ? "MP_PULSAR_TOKEN" : `MP_PULSAR_TOKEN_${edgeCluster.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * The token the smoke client presents to a cluster with token auth: the env var's, else the super user's token signed
 * with the key derived from the stack's `credentialSeed` (read as `seed` describes). Undefined without token auth.
 */
export async function pulsarLoginToken(
    p: Pick<PulsarPlan, "tokenAuth" | "auth">,
    tokenEnv: string,
    seed: Omit<StackSecretSource, "env" | "key" | "what">,
    env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
    if (!p.tokenAuth) {
        return undefined;
    }
    const given = env[tokenEnv];
    if (given !== undefined) {
        return given;
    }
    const secret = stackSecret(
        {
            ...seed,
            env: tokenEnv,
            key: "credentialSeed",
            what: `a Pulsar token of a super user (${PLATFORM_ADMIN_ROLE}), or the stack's secret credentialSeed the cluster's tokens are signed with`,
        },
        env,
    );
    return pulsarToken(pulsarSigningKey(secret), PLATFORM_ADMIN_ROLE, p.auth?.validity);
}

/**
 * GET of a Pulsar admin REST path as JSON, with the login's token and CA; the host name is verified against the
 * certificate. Rejects with the status or the TLS error (e.g. "Hostname/IP does not match certificate's altnames").
 */
export function adminGet(adminUrl: string, path: string, login: PulsarLogin, timeoutMs: number): Promise<unknown> {
    const url = new URL(path, adminUrl.endsWith("/") ? adminUrl : `${adminUrl}/`);
    const headers = login.token ? { Authorization: `Bearer ${login.token}` } : {};
    return new Promise((resolve, reject) => {
        const onResponse = (res: import("node:http").IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", reject);
            res.on("end", () => {
                const body = Buffer.concat(chunks).toString("utf8");
                if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) {
                    reject(new Error(`GET ${url.pathname} answered ${res.statusCode}${res.statusCode === 401 ? " (the token was refused)" : res.statusCode === 403 ? " (the role may not read it)" : ""}`));
                    return;
                }
                try {
                    resolve(JSON.parse(body));
                } catch {
                    reject(new Error(`GET ${url.pathname} answered ${res.statusCode} with no JSON`));
                }
            });
        };
        const req =
            url.protocol === "https:"
                ? httpsGet(url, { headers, timeout: timeoutMs, ...(login.caPem ? { ca: login.caPem } : {}) }, onResponse)
                : httpGet(url, { headers, timeout: timeoutMs }, onResponse);
        req.on("timeout", () => req.destroy(new Error(`GET ${url.pathname}: no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}
