/**
 * Tenant isolation on Pulsar: a permission grants only roles of the tenant that owns the resource (roles are
 * `<tenant>.<service>`, topology/naming.ts `pulsarRole`), that tenant's admin roles, or the platform's shared
 * services' roles; admin roles are never wildcards.
 *
 * The shared services (the orchestrator Deployments, `public.<service>`) serve every tenant from the same pods, so
 * they hold one credential each, granted in every tenant's namespace: per-tenant tokens in one pod added Secrets, not
 * isolation (whoever holds the pod holds all of them). The tenant boundary is what a tenant's own roles (its admins,
 * its per-tenant Functions) cannot cross.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ORCHESTRATOR_SERVICES } from "../../topology/catalog";
import { TYPES, list, ofType, record } from "./common";

/** The platform's shared services' roles: the orchestrator Deployments and the matcher Function, in the platform's own tenant. */
const SHARED_SERVICE_ROLES: ReadonlySet<string> = new Set(ORCHESTRATOR_SERVICES.map((s) => `public.${s}`));

/** The tenant of a Pulsar resource name: `persistent://t/ns/topic`, `t/ns` or `t`. Pure; exported for testing. */
export function tenantOf(resourceName: string): string {
    return resourceName.replace(/^(non-)?persistent:\/\//, "").split("/")[0] ?? "";
}

/**
 * Which side of the tenant boundary a Pulsar resource name is on: `own` inside a declared tenant (every topic there is
 * that tenant's), `shared` in the platform's `public` tenant, `undeclared` in a tenant the stack does not declare. The
 * rules that allow something per namespace only where one tenant owns all of it (namespace grants, automatic topic
 * creation) ask this.
 */
export function tenantBoundary(resources: PolicyResource[]): (resourceName: string) => { tenant: string; side: "own" | "shared" | "undeclared" } {
    const declared = new Set(
        ofType(resources, TYPES.pulsarTenant)
            .map((t) => (record(t.props.spec) ?? {}).name)
            .filter((n): n is string => typeof n === "string"),
    );
    return (resourceName) => {
        const tenant = tenantOf(resourceName);
        return { tenant, side: tenant === "public" ? "shared" : declared.has(tenant) ? "own" : "undeclared" };
    };
}

/** Roles a permission may grant in a tenant besides `<tenant>.*` ones. */
function isWildcard(role: string): boolean {
    return role.includes("*") || role.trim() === "";
}

export function pulsarPermissionOwnTenant(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "pulsar-permission-own-tenant",
        description: "Pulsar permissions grant only roles of the resource's own tenant (`<tenant>.<service>`), that tenant's admin roles, or the platform's shared services' roles (`public.<orchestrator service>`).",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const adminRoles = new Map<string, string[]>();
            for (const t of ofType(args.resources, TYPES.pulsarTenant)) {
                const spec = record(t.props.spec) ?? {};
                if (typeof spec.name === "string") {
                    adminRoles.set(spec.name, list(spec.adminRoles).map(String));
                }
            }
            for (const p of ofType(args.resources, TYPES.pulsarPermission)) {
                const spec = record(p.props.spec) ?? {};
                const resource = String(spec.resourceName ?? "");
                const tenant = tenantOf(resource);
                const admins = adminRoles.get(tenant) ?? [];
                const foreign = list(spec.roles)
                    .map(String)
                    .filter((role) => isWildcard(role) || !(role.startsWith(`${tenant}.`) || admins.includes(role) || SHARED_SERVICE_ROLES.has(role)));
                if (foreign.length > 0) {
                    report(
                        `PulsarPermission ${p.name} on ${resource} grants ${foreign.map((r) => JSON.stringify(r)).join(", ")}, not roles of tenant ` +
                            `${tenant}: grant "${tenant}.<service>" roles, the tenant's adminRoles or a shared service's "public.<service>" only; cross-tenant access needs its own topic`,
                        p.urn,
                    );
                }
            }
        },
    };
}

/**
 * Least privilege at the tenant boundary: a grant on a whole namespace only in a declared tenant's own namespace,
 * where every topic is that tenant's (the cost per tenant stays constant); in the shared namespaces of the platform's
 * `public` tenant, grants stay per topic, since there one topic's readers are not another's.
 */
export function pulsarNamespaceGrantsInTenantNamespaces(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "pulsar-namespace-grants-tenant-only",
        description: "Pulsar grants on a whole namespace only in a declared tenant's own namespace; shared (public) namespaces are granted per topic.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const boundary = tenantBoundary(args.resources);
            for (const p of ofType(args.resources, TYPES.pulsarPermission)) {
                const spec = record(p.props.spec) ?? {};
                if (spec.resourceType !== "namespace") {
                    continue;
                }
                const resource = String(spec.resourceName ?? "");
                const { tenant, side } = boundary(resource);
                if (side !== "own") {
                    report(
                        `PulsarPermission ${p.name} grants ${list(spec.actions).join(", ")} on the whole namespace ${resource}: ` +
                            (side === "shared" ? "the public namespaces are shared, grant per topic" : `${tenant} is no declared tenant`),
                        p.urn,
                    );
                }
            }
        },
    };
}

export function pulsarTenantAdminRoles(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "pulsar-tenant-admin-roles",
        description: "Pulsar tenants name at least one concrete admin role and no wildcard.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.pulsarTenant) {
                return;
            }
            const spec = record(args.props.spec) ?? {};
            const roles = list(spec.adminRoles).map(String);
            const label = `PulsarTenant ${String(spec.name ?? args.name)}`;
            if (roles.length === 0) {
                report(`${label} has no adminRoles: set tenants[].adminRoles to the team's admin role, e.g. "<tenant>.admin"`);
            }
            const wild = roles.filter(isWildcard);
            if (wild.length > 0) {
                report(`${label} has wildcard admin roles ${wild.map((r) => JSON.stringify(r)).join(", ")}: list concrete roles in tenants[].adminRoles`);
            }
        },
    };
}

/** Every isolation policy, at one level. */
export function isolationPolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [pulsarPermissionOwnTenant(level), pulsarNamespaceGrantsInTenantNamespaces(level), pulsarTenantAdminRoles(level)];
}
