/**
 * The `messaging-guardrails` CrossGuard pack. Importing this file starts the policy server (new PolicyPack serves
 * gRPC at once): tests and scripts import ./guardrails instead.
 *
 *   pulumi preview --policy-pack policies --policy-pack-config policies/config/<env>.json
 */
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, guardrails } from "./guardrails";

// Advisory unless the policy config says otherwise: policies/config/prod.json makes every policy mandatory.
new PolicyPack(PACK_NAME, { enforcementLevel: "advisory", policies: guardrails("advisory") });
