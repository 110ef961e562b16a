/**
 * Generated tenants for the scaling benchmark: `count` distinct entries of the `tenants` stack config that
 * topology/config.ts accepts (DNS-1123 names, neither `public` nor `pulsar`, one concrete admin role each).
 */
import { CONFIG_NAMESPACE } from "../../topology/config";

/** One entry of the `tenants` stack config, as it is written in a stack file. */
export interface TenantEntry {
    name: string;
    adminRoles: string[];
}

/** The i-th generated tenant's name: `tenant-00042`; zero-padded so names sort in generation order. */
export function tenantName(i: number): string {
    return `tenant-${String(i).padStart(5, "0")}`;
}

/** `count` tenants, `tenant-00000` upwards, each administered by `<name>.admin`. */
export function generateTenants(count: number): TenantEntry[] {
    if (!Number.isInteger(count) || count < 0 || count > 99_999) {
        throw new Error(`generateTenants(${count}): a whole number of tenants from 0 to 99999 (names have five digits)`);
    }
    return Array.from({ length: count }, (_, i) => ({ name: tenantName(i), adminRoles: [`${tenantName(i)}.admin`] }));
}

/** An engine config (full keys, JSON values, as scripts/policy.ts `engineConfig` returns it) with its tenants replaced. */
export function withTenants(config: Record<string, string>, tenants: TenantEntry[]): Record<string, string> {
    return { ...config, [`${CONFIG_NAMESPACE}:tenants`]: JSON.stringify(tenants) };
}
