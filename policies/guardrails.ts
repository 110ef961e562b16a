/**
 * The pack's policies, assembled at one enforcement level. Importable without starting the policy server
 * (policies/index.ts does that), so tests and `npm run policy` use this list.
 */
import type { EnforcementLevel, Policies } from "@pulumi/policy";
import { archivePolicies } from "./rules/archive";
import { crossSiteReplicationMtls } from "./rules/cross-site";
import { isolationPolicies } from "./rules/isolation";
import { migrationPolicies, stackConfigFacts, type MigrationFactsSource } from "./rules/migration";
import { reliabilityPolicies } from "./rules/reliability";
import { connectivityPolicies } from "./rules/connectivity";
import { observabilityPolicies } from "./rules/observability";
import { pulsarRuntimePolicies } from "./rules/pulsar-runtime";
import { securityPolicies } from "./rules/security";
import { tlsPolicies } from "./rules/tls";
import { workloadPolicies } from "./rules/workloads";

export const PACK_NAME = "messaging-guardrails";

/**
 * @param level the level every policy starts at; `--policy-pack-config` (policies/config/<env>.json) overrides it
 * @param facts where the migration invariants read phase and gates from @default the stack's config
 */
export function guardrails(level: EnforcementLevel, facts: MigrationFactsSource = stackConfigFacts): Policies {
    return [
        ...securityPolicies(level),
        ...archivePolicies(level),
        crossSiteReplicationMtls(level),
        ...reliabilityPolicies(level),
        ...workloadPolicies(level),
        ...tlsPolicies(level),
        ...connectivityPolicies(level),
        ...pulsarRuntimePolicies(level),
        ...observabilityPolicies(level),
        ...isolationPolicies(level),
        ...migrationPolicies(level, facts),
    ];
}
