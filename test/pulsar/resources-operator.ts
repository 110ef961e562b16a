/**
 * What the Pulsar resources operator does with the PulsarTenant, PulsarNamespace, PulsarTopic and PulsarPermission
 * specs the program declares (components/pulsar-tenancy.ts tenancySpecs), done here through the admin REST API of the
 * run's broker. The operator cannot be built here (its Go module is not served), so this is the piece standing in for
 * it: each spec field becomes the admin call the field is documented to set (the CRDs' field descriptions under
 * reference/, and the admin API), so that Pulsar itself judges every value the program declares.
 *
 * Every tenant is renamed `<tenant>-<suffix>` (and every name in it), so that each test has tenants of its own on the
 * shared broker; roles keep their names.
 */
import type { tenancySpecs } from "../../components/pulsar-tenancy";
import { adminOf, type Admin } from "./admin";

type Specs = ReturnType<typeof tenancySpecs>;

/** "168h", "604800s", "30m", "7d" -> seconds. */
export function seconds(duration: string): number {
    const m = /^(\d+)([smhd])$/.exec(duration);
    if (!m) {
        throw new Error(`not a duration: ${duration}`);
    }
    return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86_400 }[m[2] as "s" | "m" | "h" | "d"];
}

import { quantityMiB } from "../../topology/sizing";

/** A size of the plan ("102Mi", "1073741824") in bytes, by the project's quantity rule (topology/sizing.ts). */
export function bytes(size: string): number {
    const mib = quantityMiB(size);
    if (mib === undefined) {
        throw new Error(`not a size: ${size}`);
    }
    return Math.round(mib * 1024 ** 2);
}

export interface Renamer {
    tenant(t: string): string;
    /** A namespace `t/ns` or topic `persistent://t/ns/x` with its tenant renamed. */
    name(n: string): string;
}

export function renamer(suffix: string): Renamer {
    const tenant = (t: string) => `${t}-${suffix}`;
    return {
        tenant,
        name: (n) => n.replace(/^(persistent:\/\/)?([^/]+)\//, (_, p: string | undefined, t: string) => `${p ?? ""}${tenant(t)}/`),
    };
}

const topicPath = (topic: string) => topic.replace(/^persistent:\/\//, "/admin/v2/persistent/");

/** Names as they are: for a broker of the test's own. */
export const AS_PLANNED: Renamer = { tenant: (t) => t, name: (n) => n };

export async function applyTenancy(specs: Specs, r: Renamer, clusterName: string, { admin }: Admin = adminOf()): Promise<void> {
    for (const t of specs.tenants) {
        // Created, or updated where it exists (the broker's own `public`), as the operator reconciles it.
        const info = { adminRoles: t.spec.adminRoles, allowedClusters: [clusterName] };
        if ((await admin("PUT", `/admin/v2/tenants/${r.tenant(t.spec.name)}`, info, [409])).status === 409) {
            await admin("POST", `/admin/v2/tenants/${r.tenant(t.spec.name)}`, info);
        }
    }
    for (const n of specs.namespaces) {
        const s = n.spec;
        const ns = `/admin/v2/namespaces/${r.name(s.name)}`;
        await admin("PUT", ns, {}, [409]);
        await admin("POST", `${ns}/retention`, { retentionTimeInMinutes: seconds(s.retentionTime) / 60, retentionSizeInMB: bytes(s.retentionSize) / 1024 ** 2 });
        await admin("POST", `${ns}/messageTTL`, seconds(s.messageTTL));
        await admin("POST", `${ns}/backlogQuota?backlogQuotaType=${s.backlogQuotaType}`, { limitSize: bytes(s.backlogQuotaLimitSize), policy: s.backlogQuotaRetentionPolicy });
        await admin("POST", `${ns}/deduplication`, s.deduplication);
        await admin("PUT", `${ns}/schemaCompatibilityStrategy`, s.schemaCompatibilityStrategy);
        if ("topicAutoCreationConfig" in s && s.topicAutoCreationConfig) {
            const a = s.topicAutoCreationConfig;
            await admin("POST", `${ns}/autoTopicCreation`, { allowAutoTopicCreation: a.allow, topicType: a.type, defaultNumPartitions: a.partitions });
        }
        if ("isAllowAutoUpdateSchema" in s && s.isAllowAutoUpdateSchema !== undefined) {
            await admin("POST", `${ns}/isAllowAutoUpdateSchema`, s.isAllowAutoUpdateSchema);
        }
        if ("properties" in s && s.properties) {
            await admin("PUT", `${ns}/properties`, s.properties);
        }
        if ("offloadThresholdSize" in s && s.offloadThresholdSize !== undefined) {
            await admin("PUT", `${ns}/offloadThreshold`, bytes(s.offloadThresholdSize));
        }
    }
    for (const t of specs.topics) {
        const path = topicPath(r.name(t.spec.name));
        await admin("PUT", `${path}/partitions`, t.spec.partitions);
        if ("schemaInfo" in t.spec && t.spec.schemaInfo) {
            await admin("POST", `${path.replace("/admin/v2/persistent/", "/admin/v2/schemas/")}/schema`, t.spec.schemaInfo);
        }
    }
    for (const p of specs.permissions) {
        const s = p.spec;
        for (const role of s.roles) {
            const base = s.resourceType === "namespace" ? `/admin/v2/namespaces/${r.name(s.resourceName)}` : topicPath(r.name(s.resourceName));
            await admin("POST", `${base}/permissions/${encodeURIComponent(role)}`, s.actions);
        }
    }
}
