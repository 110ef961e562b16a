/**
 * One Pulsar admin REST call (https://pulsar.apache.org/admin-rest-api/) as the project's tools make it: the token in
 * `Authorization: Bearer`, over TLS trusting the cluster's CA (PEM) with the host name checked, a timeout. Node's own
 * http(s) rather than fetch, which can neither take a CA nor say why a connection failed beyond "fetch failed": a
 * failure here names the call and its cause (the TLS error, the refused connection, the status).
 */
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

export interface AdminLogin {
    token?: string;
    caPem?: string;
}

export interface AdminAnswer {
    status: number;
    headers: IncomingHttpHeaders;
    text: string;
}

export function pulsarAdminCall(method: string, adminUrl: string, path: string, o: AdminLogin & { body?: unknown; timeoutMs: number }): Promise<AdminAnswer> {
    const url = new URL(path.replace(/^\//, ""), adminUrl.endsWith("/") ? adminUrl : `${adminUrl}/`);
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string> = {
        ...(o.token ? { Authorization: `Bearer ${o.token}` } : {}),
        ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}),
    };
    const what = `${method} ${url.origin}${url.pathname}`;
    return new Promise((resolve, reject) => {
        const onResponse = (res: IncomingMessage) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("error", (err) => reject(new Error(`${what}: ${err.message}`, { cause: err })));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        };
        const options = { method, headers, timeout: o.timeoutMs };
        const req = url.protocol === "https:" ? httpsRequest(url, { ...options, ...(o.caPem ? { ca: o.caPem } : {}) }, onResponse) : httpRequest(url, options, onResponse);
        req.on("timeout", () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
        req.on("error", (err) => reject(new Error(`${what}: ${err.message}`, { cause: err })));
        req.end(payload);
    });
}

/** Why a status refused the call, for an operator: what 401 and 403 mean on Pulsar. */
export function refusal(status: number): string {
    return status === 401 ? " (the token was refused)" : status === 403 ? " (the role may not do it)" : "";
}
