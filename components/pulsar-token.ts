/**
 * The Pulsar JWT material derived from a stack's secret seed: the signing key and the tokens it signs. Pure (no Pulumi),
 * so the tools that talk to a deployed cluster (npm run smoke) sign the same token the cluster's Secret holds.
 */
import { createHmac } from "node:crypto";
import { SignJWT } from "jose";
import type { TokenValidity } from "../topology";

/** The HS256 signing key for Pulsar tokens: 32 bytes, as `pulsar tokens create-secret-key` makes. Pure. */
export function pulsarSigningKey(seed: string): Buffer {
    if (seed.length === 0) {
        throw new Error("ServiceCredentials: Pulsar token auth needs the secret config credentialSeed to derive the signing key");
    }
    return createHmac("sha256", seed).update("pulsar:jwt-signing-key").digest();
}

/**
 * A Pulsar token: a JWT whose subject is the role, signed HS256, as `pulsar tokens create --secret-key ... --subject
 * <role>` makes it, with `iat` and `exp` (Pulsar's AuthenticationProviderToken refuses an expired token). The
 * validity is the plan's (topology/credentials.ts `tokenValidity`), so the same config always signs the same token.
 */
export function pulsarToken(key: Uint8Array, role: string, validity?: TokenValidity): Promise<string> {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject(role);
    if (validity) {
        jwt.setIssuedAt(validity.issuedAt).setExpirationTime(validity.expiresAt);
    }
    return jwt.sign(key);
}
