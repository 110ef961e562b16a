/**
 * Seed 004's edge -> central hop ("Edge ingest -> central ETL"): for each edge site the central stack accepts, smoke
 * messages produced to the telescope ingest topic on the site's Pulsar must arrive on the same topic at central, which
 * only the site's replicator writes (central's copy of the namespace lists central alone: one-way replication,
 * topology/edge-plan.ts). The replicator copies each message with its properties and adds `replicated_from`
 * (pulsar-client's Message.getReplicatedFrom), so the smoke tag survives the hop.
 *
 * Central is consumed where the sites replicate to (central's `edgeReplication` output: the edge endpoint, its CA),
 * so the hop checks the path the replicator takes, central's proxy certificate naming that endpoint included. The
 * runner therefore needs what a site host has: the site's Pulsar and central's edge endpoint.
 */
import { z } from "zod";
import { edgeIngestStream, type Topology } from "../../topology";
import { exercise, Inbox, type SmokeContext } from "./messages";
import { adminTopicExists, PulsarTransport, type PulsarModule } from "./pulsar";
import type { PulsarLogin } from "./pulsar-login";
import type { ProbeResult } from "./report";
import { errorText } from "./transport";

/** One accepted site, as central's plan names it. */
export interface EdgeHop {
    site: string;
    clusterName: string;
    /** The site's stack (`organization/messaging-edge/<site>`). */
    stack: string;
    /** The replicated topic (telescope telemetry). */
    topic: string;
}

export function edgeHops(t: Topology): EdgeHop[] {
    const { topic } = edgeIngestStream();
    return (t.edgePairing?.sites ?? []).map((s) => ({ site: s.name, clusterName: s.clusterName, stack: s.stack, topic }));
}

/** What an edge stack exports (components/edge-site.ts), as the smoke reads it. */
export const edgeOutputsSchema = z.object({
    site: z.string(),
    clusterName: z.string(),
    replicating: z.boolean(),
    replicationOff: z.string().optional(),
    pulsarServiceUrl: z.string().regex(/^pulsar(\+ssl)?:\/\//, "pulsar://host:port or pulsar+ssl://host:port"),
    pulsarAdminUrl: z.string().regex(/^https?:\/\//, "http(s)://host:port (exported since the edge hop exists: run `pulumi up` on the site)"),
    edgeCaCertificate: z.string().includes("BEGIN CERTIFICATE").optional(),
});
export type EdgeOutputs = z.output<typeof edgeOutputsSchema>;

/** A site as the smoke reaches it: its outputs and its login, or why it cannot be reached. */
export type EdgeEnd = { outputs: EdgeOutputs; login: PulsarLogin } | { unreadable: string };

/** Where central takes the sites' replication: its edge endpoint, as its `edgeReplication` output says. */
export interface CentralEdgeEndpoint {
    serviceUrl: string;
    adminUrl: string;
    login: PulsarLogin;
}

export function edgeRow(h: EdgeHop): Pick<ProbeResult, "route" | "path" | "protocol" | "broker" | "target"> {
    return { route: `${h.clusterName} -> central`, path: "geo-replication", protocol: "pulsar->pulsar", broker: `${h.clusterName}->central`, target: h.topic };
}

/**
 * Runs one site's hop: subscribes at central, produces at the site, and waits for each message to be replicated. The
 * row is untimed: the link to a remote site is not held to the 50 ms routing target; its latencies are reported.
 */
export async function runEdgeHop(hop: EdgeHop, end: EdgeEnd | undefined, central: CentralEdgeEndpoint | string, pulsar: PulsarModule, ctx: SmokeContext): Promise<ProbeResult> {
    const base: ProbeResult = { ...edgeRow(hop), status: "failed", latenciesMs: [], sent: 0, received: 0, untimed: true };
    if (typeof central === "string") {
        return { ...base, reason: central };
    }
    if (!end) {
        return { ...base, reason: `the outputs of ${hop.stack} were not read` };
    }
    if ("unreadable" in end) {
        return { ...base, reason: end.unreadable };
    }
    const o = end.outputs;
    if (o.clusterName !== hop.clusterName) {
        return { ...base, reason: `the outputs read for ${hop.site} are those of cluster ${o.clusterName}, not ${hop.clusterName}` };
    }
    if (!o.replicating) {
        return { ...base, reason: `${hop.clusterName} does not replicate: ${o.replicationOff ?? "its outputs say so"}; run \`pulumi up\` on ${hop.stack} (docs/runbooks.md, "Add an edge site")` };
    }
    const inbox = new Inbox();
    const site = new PulsarTransport(o.pulsarServiceUrl, end.login, pulsar, adminTopicExists(o.pulsarAdminUrl, end.login, ctx.timeoutMs), ctx, inbox);
    const centre = new PulsarTransport(central.serviceUrl, central.login, pulsar, adminTopicExists(central.adminUrl, central.login, ctx.timeoutMs), ctx, inbox);
    try {
        let missing: Map<string, string>;
        try {
            missing = await centre.open([hop.topic], []);
        } catch (err) {
            return { ...base, reason: `central: ${errorText(err)}` };
        }
        try {
            missing = new Map([...missing, ...(await site.open([], [hop.topic]))]);
        } catch (err) {
            return { ...base, reason: `${hop.clusterName}: ${errorText(err)}` };
        }
        const absent = missing.get(hop.topic);
        if (absent) {
            return { ...base, reason: absent };
        }
        const done = await exercise(ctx, `edge:${hop.clusterName}`, inbox, (m) => site.send(hop.topic, m));
        if (done.error) {
            return { ...base, reason: `${done.error} (is ${hop.clusterName} replicating? \`pulsar-admin topics stats ${hop.topic}\` on the site shows the replicator's backlog)`, latenciesMs: done.latenciesMs, sent: done.sent, received: done.received };
        }
        return {
            ...base,
            status: "passed",
            latenciesMs: done.latenciesMs,
            sent: done.sent,
            received: done.received,
            detail: `${done.received - 1}/${done.sent - 1} produced at ${hop.clusterName} arrived at central`,
        };
    } finally {
        await Promise.all([site.close(), centre.close()]);
    }
}
