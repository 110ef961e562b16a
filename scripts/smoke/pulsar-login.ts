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
import { pulsarAdminCall, refusal } from "../pulsar-admin-http";
import { pulsarSigningKey, pulsarToken } from "../../components/pulsar-token";
import { PLATFORM_ADMIN_ROLE, type PulsarPlan } from "../../topology";
import { stackSecret, type StackSecretSource } from "./secrets";
import { UsageError } from "./usage-error";

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
        if (given.trim() === "") {
            throw new UsageError([{ key: tokenEnv, value: given, allowed: `a Pulsar token (JWT) of a super user (${PLATFORM_ADMIN_ROLE}), not empty; unset it to sign one from credentialSeed` }]);
        }
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
    if (secret === "") {
        throw new UsageError([{ key: tokenEnv, value: undefined, allowed: `a Pulsar token, or a credentialSeed that is not empty (\`pulumi config get credentialSeed --stack ${seed.stack}\` printed nothing)` }]);
    }
    return pulsarToken(pulsarSigningKey(secret), PLATFORM_ADMIN_ROLE, p.auth?.validity);
}

/**
 * A Pulsar admin REST call with the login's token and CA, its JSON answer (undefined when it has no body); the host name
 * is verified against the certificate. Rejects with the status or the TLS error (e.g. "Hostname/IP does not match
 * certificate's altnames").
 */
export async function adminRequest(method: "GET" | "DELETE", adminUrl: string, path: string, login: PulsarLogin, timeoutMs: number): Promise<unknown> {
    const r = await pulsarAdminCall(method, adminUrl, path, { ...login, timeoutMs });
    const where = `${method} ${new URL(path.replace(/^\//, ""), adminUrl.endsWith("/") ? adminUrl : `${adminUrl}/`).pathname}`;
    if (r.status < 200 || r.status >= 300) {
        throw new Error(`${where} answered ${r.status}${refusal(r.status)}`);
    }
    if (r.text.trim() === "") {
        return undefined;
    }
    try {
        return JSON.parse(r.text);
    } catch {
        throw new Error(`${where} answered ${r.status} with no JSON`);
    }
}
