/**
 * An edge site under mocks (components/edge-site.ts), and central's side of it (components/edge-sites.ts,
 * components/pulsar-chart-values.ts): every custom resource validates against its CRD (reference/crd-schemas.json),
 * every chart value is one the chart has, and what the replication needs at each end is declared.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EdgeSite, replicationSpecs } from "../../components/edge-site";
import { edgeOutputsSchema } from "../../scripts/smoke/edge";
import { AUTHENTICATION_PROVIDERS_WITH_TLS, pulsarHelmValues } from "../../components/pulsar-cluster";
import { edgeRawConfig, engineConfigFromStackFile, planEdgeSite, validateEdgeConfig, type CentralView, type EdgeSitePlan } from "../../topology";
import { planStack } from "../support/stacks";
import { crdErrors, customResources, ofType, recordResources, settle, unknownHelmKeys, type Recorded } from "./support";

let recorded: Recorded[];
beforeAll(async () => {
    recorded = await recordResources();
});
beforeEach(() => {
    recorded.length = 0;
});

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const central = (): CentralView => ({ ...planStack("prod", { phase: 2 }).edgePairing!.view, caCertificate: CA });

function sitePlan(view: CentralView | undefined): EdgeSitePlan {
    const raw = edgeRawConfig(engineConfigFromStackFile(readFileSync(resolve(__dirname, "../../edge/Pulumi.paranal.yaml"), "utf8"), "edge/Pulumi.paranal.yaml"));
    return planEdgeSite(validateEdgeConfig(raw.values, raw.secretKeys), view);
}

async function build(plan: EdgeSitePlan, caIssued = false): Promise<EdgeSite> {
    const site = new EdgeSite("edge", { plan, caIssued });
    await settle(recorded);
    return site;
}

describe("an edge site under mocks", () => {
    it("replicating: a connection to central and a geo-replication with AuthenticationTls, all valid against their CRDs", async () => {
        const plan = sitePlan(central());
        await build(plan);
        const crs = customResources(recorded).filter((r) => r.inputs.apiVersion.startsWith("resource.streamnative.io"));
        for (const cr of crs) {
            expect(crdErrors(cr.inputs), `${cr.inputs.kind} ${cr.inputs.metadata.name}`).toEqual([]);
        }
        const geo = customResources(recorded, "PulsarGeoReplication");
        expect(geo.map((g) => g.inputs.spec)).toEqual([replicationSpecs(plan).geoReplication]);
        expect(geo[0]!.inputs.spec.clusterParamsOverride.authentication.authPlugin).toBe("org.apache.pulsar.client.impl.auth.AuthenticationTls");
        const connections = customResources(recorded, "PulsarConnection").map((c) => c.inputs.spec);
        // The site's own connection names its cluster (the operator's namespace reconcile needs it), central's too.
        expect(connections.map((c) => c.clusterName).sort()).toEqual(["edge-paranal", "pulsar"]);
        expect(connections.find((c) => c.clusterName === "pulsar")).toMatchObject({ brokerServiceSecureURL: "pulsar+ssl://pulsar.cosmic-ai.example:6651", tlsAllowInsecureConnection: false });
        const ns = customResources(recorded, "PulsarNamespace").find((n) => n.inputs.spec.name === "public/observatories")!;
        expect(ns.inputs.spec).toMatchObject({ geoReplicationRefs: [{ name: "to-central" }], messageTTL: "0s", backlogQuotaRetentionPolicy: "producer_request_hold" });
        const cert = customResources(recorded, "Certificate").find((c) => c.inputs.metadata.name === "edge-replicator")!;
        expect(cert.inputs.spec).toMatchObject({ commonName: "public.edge-paranal-replicator", usages: ["client auth"] });
        const caSecret = ofType(recorded, "kubernetes:core/v1:Secret").find((s) => s.inputs.metadata.name === "central-ca")!;
        // Secret data reaches the engine as a secret value: its text carries the certificate under ca.crt.
        expect(JSON.stringify(caSecret.inputs.stringData)).toContain(JSON.stringify(CA).slice(1, -1));
        expect(JSON.stringify(caSecret.inputs.stringData)).toContain("ca.crt");
    });

    it("its chart values are the chart's (clusterName as documented) and mount the replicator's files", () => {
        const t = sitePlan(central()).topology;
        const v = pulsarHelmValues(t.pulsar!, null) as any;
        expect(unknownHelmKeys(v)).toEqual([]);
        expect(v.clusterName).toBe("edge-paranal");
        // What the site ingested before central paired is replicated too (the broker's default starts at the end).
        expect(v.broker.configData.PULSAR_PREFIX_replicationStartAt).toBe("earliest");
        expect(sitePlan(undefined).topology.pulsar!.brokerConfig).toEqual({ webSocketServiceEnabled: "true", PULSAR_PREFIX_replicationStartAt: "earliest" });
        expect(v.broker.extraVolumeMounts.map((m: any) => m.mountPath)).toEqual(expect.arrayContaining(["/pulsar/certs/replicator", "/pulsar/certs/central-ca"]));
    });

    it("buffering (central has not accepted it): no connection to central, no geo-replication, the namespace unreplicated", async () => {
        await build(sitePlan(undefined));
        expect(customResources(recorded, "PulsarGeoReplication")).toEqual([]);
        expect(customResources(recorded, "PulsarConnection").map((c) => c.inputs.spec.clusterName)).toEqual(["edge-paranal"]);
        const ns = customResources(recorded, "PulsarNamespace").find((n) => n.inputs.spec.name === "public/observatories")!;
        expect(ns.inputs.spec.geoReplicationRefs).toBeUndefined();
    });

    it("exports its CA certificate from its second update on (the first records caIssued)", async () => {
        const first = await build(sitePlan(undefined), false);
        expect(first.outputs.caIssued).toBe(true);
        expect(first.outputs.edgeCaCertificate).toBeUndefined();
        recorded.length = 0;
        const second = await build(sitePlan(undefined), true);
        expect(pulumi.Output.isInstance(second.outputs.edgeCaCertificate)).toBe(true);
    });

    it("exports what npm run smoke reads of a site (scripts/smoke/edge.ts), as `pulumi stack output --json` prints it", async () => {
        const site = await build(sitePlan(central()), true);
        const printed = JSON.parse(JSON.stringify(await new Promise((ok) => pulumi.output(site.outputs).apply(ok))));
        // The CA is read from a Secret cert-manager writes, which the mocks do not fill: only its key is checked here.
        expect(Object.keys(printed)).toContain("edgeCaCertificate");
        const read = edgeOutputsSchema.parse({ ...printed, edgeCaCertificate: CA });
        expect(read).toMatchObject({
            site: "paranal",
            clusterName: "edge-paranal",
            replicating: true,
            pulsarServiceUrl: "pulsar+ssl://pulsar-broker.messaging.svc.cluster.local:6651",
            pulsarAdminUrl: "https://pulsar-broker.messaging.svc.cluster.local:8443",
        });
    });
});

describe("central's side", () => {
    it("prod from phase 2: brokers and proxy accept TLS client certificates and trust the site's CA; values stay the chart's", () => {
        for (const phase of [2, 3]) {
            const t = planStack("prod", { phase });
            const v = pulsarHelmValues(t.pulsar!, t.offload) as any;
            expect(unknownHelmKeys(v)).toEqual([]);
            for (const c of [v.broker, v.proxy]) {
                expect(c.extraEnvs).toContainEqual({ name: "authenticationProviders", value: AUTHENTICATION_PROVIDERS_WITH_TLS });
            }
            for (const c of [v.tls.broker, v.tls.proxy]) {
                expect(c.cacerts).toEqual({ enabled: true, certs: [{ name: "edge-paranal", existingSecret: "edge-paranal-ca", secretKeys: ["ca.crt"] }] });
            }
            // Central keeps the chart's cluster name: a running cluster's name keys its metadata.
            expect(v.clusterName).toBeUndefined();
        }
    });

    it("a stack without edge sites changes nothing: no extra provider, no cacerts", () => {
        const t = planStack("dev", { phase: 2 });
        const v = pulsarHelmValues(t.pulsar!, t.offload) as any;
        expect(v.broker.extraEnvs.map((e: any) => e.name)).not.toContain("authenticationProviders");
        expect(v.tls.broker.cacerts).toBeUndefined();
    });
});
