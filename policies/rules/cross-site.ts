/**
 * Cross-site replication (seed 004: "Enforce TLS/mTLS for cross-site replication"), on both ends:
 * - an edge site: every PulsarGeoReplication's destination connection uses TLS URLs only, verifies the host and
 *   never allows an insecure connection; in prod the cluster entry authenticates with a client certificate
 *   (AuthenticationTls, `clusterParamsOverride.authentication`);
 * - central: where it grants an edge replicator (a role `public.edge-<site>-replicator`), the brokers accept client
 *   certificates (authenticationProviders with AuthenticationProviderTls) and trust more than their own CA (cacerts).
 */
import type { EnforcementLevel, PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, list, ofType, record } from "./common";

const TLS_PLUGIN = "org.apache.pulsar.client.impl.auth.AuthenticationTls";
const TLS_PROVIDER = "org.apache.pulsar.broker.authentication.AuthenticationProviderTls";

const specOf = (r: PolicyResource) => record(r.props.spec) ?? {};
const nameOf = (r: PolicyResource) => String(record(r.props.metadata)?.name ?? r.name);

/** Why a geo-replication's destination connection (and auth) is not mutual TLS, or []. Pure; exported for testing. */
export function replicationTlsProblems(geo: Record<string, unknown>, destination: Record<string, unknown> | undefined, prod: boolean): string[] {
    const problems: string[] = [];
    if (!destination) {
        return ["its destination connection is not declared with it"];
    }
    for (const plain of ["brokerServiceURL", "adminServiceURL"]) {
        if (destination[plain] !== undefined) {
            problems.push(`its destination connection sets ${plain} (${String(destination[plain])}): use only the TLS URLs (brokerServiceSecureURL, adminServiceSecureURL)`);
        }
    }
    if (typeof destination.brokerServiceSecureURL !== "string" || !destination.brokerServiceSecureURL.startsWith("pulsar+ssl://")) {
        problems.push("its destination connection has no pulsar+ssl:// brokerServiceSecureURL");
    }
    if (destination.tlsAllowInsecureConnection === true) {
        problems.push("its destination connection allows insecure TLS (tlsAllowInsecureConnection): the peer's certificate must be verified");
    }
    if (destination.tlsEnableHostnameVerification === false) {
        problems.push("its destination connection turns hostname verification off");
    }
    const auth = record(record(geo.clusterParamsOverride)?.authentication);
    if (prod && auth?.authPlugin !== TLS_PLUGIN) {
        problems.push(`its cluster entry authenticates with ${JSON.stringify(auth?.authPlugin ?? "nothing")}: in prod the replicator presents a client certificate (clusterParamsOverride.authentication.authPlugin ${TLS_PLUGIN})`);
    }
    return problems;
}

export function crossSiteReplicationMtls(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "cross-site-replication-mtls",
        description: "Geo-replication between sites runs over verified TLS with client certificates (prod), and central accepts them where it grants a site's replicator.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateStack: (args, report) => {
            const prod = environmentOf(args) === "prod";
            const connections = ofType(args.resources, TYPES.pulsarConnection);
            for (const geo of ofType(args.resources, TYPES.pulsarGeoReplication)) {
                const spec = specOf(geo);
                const dest = String(record(spec.destinationConnectionRef)?.name ?? "");
                const destination = connections.find((c) => nameOf(c) === dest);
                for (const p of replicationTlsProblems(spec, destination ? specOf(destination) : undefined, prod)) {
                    report(`PulsarGeoReplication ${nameOf(geo)}: ${p}`, geo.urn);
                }
            }
            const replicatorGrants = ofType(args.resources, TYPES.pulsarPermission).filter((r) => list(specOf(r).roles).some((x) => /^public\.edge-[a-z0-9-]+-replicator$/.test(String(x))));
            if (replicatorGrants.length === 0) {
                return;
            }
            const release = ofType(args.resources, TYPES.helmRelease)[0];
            if (!release) {
                return; // no chart (standalone, or Pulsar missing: other policies say so)
            }
            const values = record(release.props.values) ?? {};
            for (const component of ["broker", "proxy"]) {
                const envs = list(record(values[component])?.extraEnvs).map((e) => record(e) ?? {});
                const providers = String(envs.find((e) => e.name === "authenticationProviders")?.value ?? "");
                if (!providers.split(",").includes(TLS_PROVIDER)) {
                    report(`${component}: edge replicators are granted (${replicatorGrants.map(nameOf).join(", ")}) but the ${component} does not accept client certificates: add ${TLS_PROVIDER} to authenticationProviders`, release.urn);
                }
                const cacerts = record(record(record(values.tls)?.[component])?.cacerts);
                if (cacerts?.enabled !== true || list(cacerts.certs).length === 0) {
                    report(`${component}: edge replicators are granted but the ${component} trusts no site CA (tls.${component}.cacerts): their certificates are refused`, release.urn);
                }
            }
        },
    };
}
