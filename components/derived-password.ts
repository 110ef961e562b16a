/**
 * Per-principal passwords derived from one secret seed, so no password is stored in config and the same stack
 * always yields the same password (no churn on every `pulumi up`, unlike a random value without state).
 */
import { createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/**
 * HMAC-SHA256 of `<system>:<principal>` keyed with the seed, base64url (43 characters, no padding). Pure; exported
 * for testing. The `system` label keeps a service's RabbitMQ and Kafka passwords different under one seed.
 */
export function derivePassword(seed: string, system: string, principal: string): string {
    if (seed.length === 0) {
        throw new Error(`derivePassword: the seed for ${system} principal "${principal}" is empty; set a secret seed`);
    }
    return createHmac("sha256", seed).update(`${system}:${principal}`).digest("base64url");
}

/** The password of a RabbitMQ user the program creates: RabbitControlPlane sets it, ServiceCredentials hands it out. */
export function rabbitmqUserPassword(seed: pulumi.Input<string>, user: string): pulumi.Output<string> {
    return derivedPassword(seed, "rabbitmq", user);
}

/** The derived password as a secret Output (secret even when the seed is not). */
export function derivedPassword(seed: pulumi.Input<string>, system: string, principal: string): pulumi.Output<string> {
    return pulumi.secret(pulumi.output(seed).apply((s) => derivePassword(s, system, principal)));
}
