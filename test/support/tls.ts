/**
 * A CA and a server certificate it signs (the selfsigned package), as cert-manager's CA
 * issuer signs the brokers' certificates; and an HTTPS server on 127.0.0.1 serving one. For tests that check what a
 * real TLS client does with them (trust by CA, host names against the certificate's names).
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { generate } from "selfsigned";

export interface TestPki {
    caPem: string;
    /** The server certificate, for `dnsNames`, signed by the CA. */
    certPem: string;
    keyPem: string;
}

export async function testPki(dnsNames: string[]): Promise<TestPki> {
    const ca = await generate([{ name: "commonName", value: "messaging-platform test CA" }], {
        keyType: "ec",
        algorithm: "sha256",
        extensions: [
            { name: "basicConstraints", cA: true, critical: true },
            { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
        ],
    });
    const leaf = await generate([{ name: "commonName", value: dnsNames[0] ?? "server" }], {
        keyType: "ec",
        algorithm: "sha256",
        ca: { key: ca.private, cert: ca.cert },
        extensions: [
            { name: "subjectAltName", altNames: dnsNames.map((value) => ({ type: 2 as const, value })) },
            { name: "extKeyUsage", serverAuth: true },
        ],
    });
    return { caPem: ca.cert, certPem: leaf.cert, keyPem: leaf.private };
}

export interface RunningServer {
    port: number;
    close(): Promise<void>;
}

export async function httpsServer(pki: TestPki, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<RunningServer> {
    const server: Server = createServer({ cert: pki.certPem, key: pki.keyPem }, handler);
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    return {
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((ok) => server.close(() => ok())),
    };
}
