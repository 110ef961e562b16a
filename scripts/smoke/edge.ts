/**
 * Seed 004's edge -> central hop ("Edge ingest -> central ETL"): for each edge site the central stack accepts, smoke
 * messages produced to the telescope ingest topic on the site's Pulsar must arrive on the same topic at central, where
 * only the site's replicator can have put them (the run produces them at the site alone). The replicator sends each
 * stored message as it is, metadata and properties included, with `replicated_from` set (apache/pulsar
 * GeoPersistentReplicator.replicateEntries: `msg.setReplicatedFrom(localCluster)`, `producer.sendAsync(msg, ...)`),
 * so the smoke tag survives the hop.
 *
 * Central is consumed where the sites replicate to (central's `edgeReplication` output: the edge endpoint, its CA),
 * so the hop checks the path the replicator takes, central's proxy certificate naming that endpoint included. The
 * runner needs both the site's Pulsar and central's edge endpoint. From phase 2 central's copy goes on to Kafka through
 * the stream's sink; each message must then reach the run's Kafka consumer too (`KafkaLeg`).
 */
import { z } from "zod";
import { edgeIngestStream, type Topology } from "../../topology";
import { exercise, queueKey, topicKey, type Inbox, type SmokeContext } from "./messages";
import { pulsarAdmin, PulsarTransport, type PulsarModule } from "./pulsar";
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
 * Where central's copy goes on: the stream's Pulsar -> Kafka sink (phase 2 on), when the run's Kafka consumer reads its
 * topic. Each message must then also arrive there, which makes it the last smoke message on that Kafka topic: the
 * archive hop, checked after, follows it into the bucket (edge -> central -> Kafka -> archive). `unchecked` says why a
 * route with a sink could not be followed there (e.g. the run cannot use that Kafka), which the row then reports.
 */
export type KafkaLeg = { sink: string; topic: string } | { unchecked: string };

/** The inbox key of a message's arrival at central (its Kafka copy arrives under messages.ts topicKey). */
const AT_CENTRAL = "central";

/**
 * Runs one site's hop: subscribes at central, produces at the site, and waits for each message to be replicated (and,
 * with a Kafka leg, to reach Kafka through the sink). The row is untimed: the link to a remote site is not held to the
 * 50 ms routing target; its latencies (site to central) are reported.
 * @param inbox the run's inbox, which its Kafka consumer reports to
 */
export async function runEdgeHop(
    hop: EdgeHop,
    end: EdgeEnd | undefined,
    central: CentralEdgeEndpoint | string,
    pulsar: PulsarModule,
    ctx: SmokeContext,
    inbox: Inbox,
    kafka?: KafkaLeg,
    /** Where what was cleaned up (leftover subscriptions) is said. @default discarded */
    notes: string[] = [],
): Promise<ProbeResult> {
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
    const site = new PulsarTransport({ serviceUrl: o.pulsarServiceUrl, webServiceUrl: o.pulsarAdminUrl, login: end.login, pulsar, admin: pulsarAdmin(o.pulsarAdminUrl, end.login, ctx.timeoutMs), ctx, inbox, notes });
    const centre = new PulsarTransport({
        serviceUrl: central.serviceUrl,
        webServiceUrl: central.adminUrl,
        login: central.login,
        pulsar,
        admin: pulsarAdmin(central.adminUrl, central.login, ctx.timeoutMs),
        ctx,
        inbox,
        arrivalKey: (tag) => queueKey(tag, AT_CENTRAL),
        notes,
    });
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
        const leg = kafka && "sink" in kafka ? kafka : undefined;
        const done = await exercise(ctx, `edge:${hop.clusterName}`, inbox, (m) => site.send(hop.topic, m), (m) => [queueKey(m.tag, AT_CENTRAL), ...(leg ? [topicKey(m.tag, "Kafka", leg.topic)] : [])]);
        if (done.error) {
            // Which arrival was missing says which hop failed; none missing means the site's producer did not confirm.
            const hint =
                done.unarrived === undefined
                    ? `${hop.clusterName} did not take it: check the site's login and its ${hop.topic}`
                    : done.unarrived.endsWith(`@${AT_CENTRAL}`) || !leg
                      ? `is ${hop.clusterName} replicating? \`pulsar-admin topics stats ${hop.topic}\` on the site shows the replicator's backlog`
                      : `it reached central: is the sink ${leg.sink} running?`;
            return { ...base, reason: `${done.error} (${hint})`, latenciesMs: done.latenciesMs, sent: done.sent, received: done.received };
        }
        return {
            ...base,
            status: "passed",
            latenciesMs: done.latenciesMs,
            sent: done.sent,
            received: done.received,
            detail:
                `${done.received - 1}/${done.sent - 1} produced at ${hop.clusterName} arrived at central` +
                (leg ? ` and on Kafka ${leg.topic} through ${leg.sink}` : kafka && "unchecked" in kafka ? `; the Kafka leg was not checked: ${kafka.unchecked}` : ""),
        };
    } finally {
        await Promise.all([site.close(), centre.close()]);
    }
}
