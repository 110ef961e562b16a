/** The config rules that span several keys (environment guard rails, pairings, tenants, streams). Pure. */
import { AUDIT_BRIDGE_SERVICE } from "./control-plane";
import { GATE_NAMES, MATCHER_SERVICE, ORCHESTRATOR_SERVICES, SERVICES, STREAMS } from "./catalog";
import type { ConfigProblem, PlatformConfig } from "./config-schema";
import { kopImageTag, kopPairingProblem } from "./kop";
import { MAX_PHASE, PHASE_CAPABILITIES } from "./phases";
import { JVM_OVERHEAD_MIB, jvmFitProblem, jvmReservedMiB, pulsarMem } from "./sizing";

/** Rules that span several keys. */
export function crossFieldProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key, value, allowed });
    const k = c.kafka;

    // Kafka provider vs cloud.
    if (k.provider === "msk" && c.cloud !== "aws") {
        add("kafka.provider", k.provider, `msk exists only on AWS but cloud is "${c.cloud}": use confluent or external, or set cloud: aws`);
    }
    if (k.provider === "msk" && k.brokerCount % k.subnetIds.length !== 0) {
        add("kafka.brokerCount", k.brokerCount, `a multiple of the ${k.subnetIds.length} subnets in kafka.subnetIds`);
    }
    if (k.provider === "msk" && k.replicationFactor > k.brokerCount) {
        add("kafka.replicationFactor", k.replicationFactor, `at most kafka.brokerCount (${k.brokerCount})`);
    }
    if (k.minInsyncReplicas > k.replicationFactor) {
        add("kafka.minInsyncReplicas", k.minInsyncReplicas, `at most kafka.replicationFactor (${k.replicationFactor})`);
    }
    if (k.provider === "external" && k.sasl && c.kafkaSaslPassword === undefined) {
        add("kafkaSaslPassword", undefined, `required when kafka.sasl is set: run \`pulumi config set --secret kafkaSaslPassword <password>\``);
    }
    if (c.rabbitmqPassword === undefined) {
        add("rabbitmqPassword", undefined, "required: run `pulumi config set --secret rabbitmqPassword <password>`");
    }
    if (c.credentialSeed === undefined) {
        add("credentialSeed", undefined, "required: run `pulumi config set --secret credentialSeed \"$(openssl rand -hex 32)\"`");
    }

    // Environment guard rails.
    if (c.environment === "prod") {
        if (!c.pulsar.tls.enabled) {
            add("pulsar.tls.enabled", c.pulsar.tls.enabled, "true in prod: brokers, proxy and KoP listeners must use TLS");
        }
        if (!c.pulsar.auth.token) {
            add("pulsar.auth.token", c.pulsar.auth.token, "true in prod: token authentication and authorization");
        }
        if (k.replicationFactor < 3) {
            add("kafka.replicationFactor", k.replicationFactor, "at least 3 in prod");
        }
        if (k.minInsyncReplicas < 2) {
            add("kafka.minInsyncReplicas", k.minInsyncReplicas, "at least 2 in prod");
        }
        if (c.pulsar.brokers < 3) {
            add("pulsar.brokers", c.pulsar.brokers, "at least 3 in prod");
        }
        if (c.orchestrator.replicas < 2) {
            add("orchestrator.replicas", c.orchestrator.replicas, "at least 2 in prod");
        }
        if (k.provider === "external" && (!k.tls || !k.sasl)) {
            add("kafka.tls", k.tls, "an external Kafka in prod needs tls: true and sasl credentials");
        }
    }
    if (c.environment === "local" && (c.pulsar.tls.enabled || c.pulsar.auth.token)) {
        add(c.pulsar.tls.enabled ? "pulsar.tls.enabled" : "pulsar.auth.token", true,
            "false for the local environment: its standalone broker runs without TLS and token auth");
    }
    if (c.environment === "local" && c.cloud !== "none") {
        add("cloud", c.cloud, `none for the local environment (it runs on a local Kubernetes, nothing in a cloud)`);
    }
    if (c.environment === "prod" && c.kubernetes.renderYamlTo !== undefined) {
        add("kubernetes.renderYamlTo", c.kubernetes.renderYamlTo, "unset in prod: manifests are applied to the cluster, not written to a folder");
    }

    // KoP pairing: refused whatever the phase, so a bump to 1 never discovers it.
    const pairing = kopPairingProblem(c.pulsar.kop.distribution, c.pulsar.kop.version, c.pulsar.version);
    if (pairing) {
        add("pulsar.kop.version", c.pulsar.kop.version, pairing);
    }
    problems.push(...kopSourceProblems(c));
    problems.push(...imagePinProblems(c));
    problems.push(...sizingProblems(c));
    problems.push(...reachabilityProblems(c));
    if (c.pulsar.auth.token && c.pulsar.auth.tokenEpoch === undefined) {
        add("pulsar.auth.tokenEpoch", undefined, "the month the Pulsar tokens are issued (YYYY-MM), required with token auth: they expire pulsar.auth.tokenLifetimeDays later; rotate by setting the current month");
    }

    // Tiered storage.
    const ts = c.tieredStorage;
    if (ts.enabled) {
        if (c.cloud === "none") {
            add("tieredStorage.enabled", ts.enabled, `false when cloud is "none": offload needs a GCS (cloud: gcp) or S3 (cloud: aws) bucket`);
        }
        if (ts.bucket === undefined) {
            add("tieredStorage.bucket", ts.bucket, "a bucket name, required when tieredStorage.enabled is true");
        }
        if (ts.region === undefined) {
            add("tieredStorage.region", ts.region, "the bucket's region, required when tieredStorage.enabled is true");
        }
        if (c.cloud === "aws") {
            for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
                if (c.kubernetes[key] === undefined) {
                    add(`kubernetes.${key}`, undefined, "the EKS cluster's IAM OIDC provider, required for S3 offload (the brokers assume their IAM role through it)");
                }
            }
        }
    }

    // Edge sites (topology/edge-plan.ts): replication over mutual TLS to a Pulsar that exists.
    const es = c.edgeSites;
    if (es.sites.length > 0) {
        // Before phase 1 there is no central Pulsar: the sites are accepted but nothing is planned for them, and they
        // buffer (topology/edge-plan.ts: central exports no edgeReplication yet).
        if (!c.pulsar.tls.enabled) {
            add("pulsar.tls.enabled", false, "true with edgeSites: the sites replicate over mutual TLS only (seed 004)");
        }
        if (es.endpoint === undefined) {
            add("edgeSites.endpoint", undefined, "the DNS name the sites reach this stack's Pulsar proxy at, required with edgeSites.sites");
        }
        const seenSites = new Set<string>();
        es.sites.forEach((x, i) => {
            if (seenSites.has(x.name)) {
                add(`edgeSites.sites[${i}].name`, x.name, "a site listed once: two sites of one name would be one Pulsar cluster name (edge-<site>) twice");
            }
            seenSites.add(x.name);
        });
        const stacks = es.sites.map((x) => x.stack);
        stacks.forEach((st, i) => {
            if (stacks.indexOf(st) !== i) {
                add(`edgeSites.sites[${i}].stack`, st, "each site's own stack: one stack is one cluster");
            }
        });
    }

    // The archive (topology/archive-plan.ts): mandatory in prod, where audit continuity is (seed 002).
    const ar = c.archive;
    if (ar.bucket !== undefined) {
        if (c.cloud === "none") {
            add("archive.bucket", ar.bucket, `unset when cloud is "none": the archive needs an S3 (cloud: aws) or GCS (cloud: gcp) bucket`);
        }
        if (ar.region === undefined) {
            add("archive.region", ar.region, "the archive bucket's region, required with archive.bucket");
        }
        if (ts.enabled && ts.bucket === ar.bucket) {
            add("archive.bucket", ar.bucket, "a bucket of its own, not tieredStorage.bucket: the archive's lifecycle and grants differ from the offload's");
        }
        const mskIam = k.provider === "msk" && k.auth === "iam";
        if (mskIam && ar.mskConnectPlugin === undefined && c.cloud !== "none") {
            add("archive.mskConnectPlugin", undefined, "the sink plugin's ZIP in S3 ({ bucketArn, fileKey }), required for MSK Connect (MSK with kafka.auth iam)");
        }
        if (k.provider !== "confluent" && !mskIam && ar.connectImage === undefined && c.cloud !== "none") {
            add("archive.connectImage", undefined, "the image (repository:tag) Strimzi builds the Kafka Connect workers into, required for the archive on Kubernetes (MSK with SCRAM, an existing cluster)");
        }
    } else if (c.environment === "prod") {
        add("archive.bucket", ar.bucket, "an archive bucket name, required in prod: the audit trail is archived in every phase (seed 002, audit continuity)");
    }
    if (ar.bucket !== undefined && c.cloud === "aws" && k.provider !== "confluent" && !(k.provider === "msk" && k.auth === "iam")) {
        // The Kubernetes Connect workers reach S3 through IRSA.
        for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
            if (c.kubernetes[key] === undefined) {
                add(`kubernetes.${key}`, undefined, "the EKS cluster's IAM OIDC provider, required for the archive on S3 (the Connect workers assume their IAM role through it)");
            }
        }
    }

    if (k.provider === "msk" && k.auth === "iam") {
        for (const key of ["oidcProviderArn", "oidcProviderUrl"] as const) {
            if (c.kubernetes[key] === undefined) {
                add(`kubernetes.${key}`, undefined, "the EKS cluster's IAM OIDC provider, required with kafka.auth iam (each service assumes its MSK IAM role through it)");
            }
        }
    }

    // Tenants. Phase 3 routes each tenant to `<tenant>/orchestrator`; without tenants there is nothing to isolate and the
    // services would get an empty tenant list, so the phase needs at least one.
    if (PHASE_CAPABILITIES[c.phase].tenantIsolation && c.tenants.length === 0) {
        add("tenants", c.tenants, `at least one tenant at phase ${c.phase} (per-tenant isolation): e.g. [{ name: team-a, adminRoles: [team-a.admin] }], or stay at phase ${c.phase - 1}`);
    }
    const seen = new Set<string>();
    c.tenants.forEach((t, i) => {
        if (seen.has(t.name)) {
            add(`tenants[${i}].name`, t.name, "a tenant name not used by another entry of tenants");
        }
        seen.add(t.name);
        t.adminRoles.forEach((role, j) => {
            if (role.includes("*")) {
                add(`tenants[${i}].adminRoles[${j}]`, role, "a concrete role, not a wildcard");
            }
        });
        if (new Set(t.namespaces).size !== t.namespaces.length || t.namespaces.includes("orchestrator")) {
            add(`tenants[${i}].namespaces`, t.namespaces, "distinct names other than `orchestrator` (created for every tenant)");
        }
    });

    problems.push(...streamProblems(c));
    return problems;
}

function streamProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key, value, allowed });
    const clientOf = new Map(SERVICES.map((s) => [s.name, s.client]));
    const builtIn = new Map(STREAMS.map((s) => [s.name, s]));
    for (const s of c.streams) {
        const key = `streams.${s.name}`;
        const base = builtIn.get(s.name);
        if (base?.criticality === "critical" && s.criticality !== "critical") {
            add(`${key}.criticality`, s.criticality, `critical: ${s.name} is a critical stream; it cuts over only through gates.${base.gate}`);
        }
        if (s.criticality === "critical" && s.gate === undefined) {
            add(`${key}.gate`, s.gate, `one of ${GATE_NAMES.join(" | ")}: a critical stream cuts over only when its gate is true`);
        }
        if (base?.gate !== undefined && s.gate !== base.gate) {
            add(`${key}.gate`, s.gate, `${base.gate}: the gate of a critical stream cannot be swapped by an override`);
        }
        if (s.bridge === "kop" && base && (s.pulsarFrom !== base.pulsarFrom || s.cutoverAt !== base.cutoverAt)) {
            add(`${key}.${s.pulsarFrom !== base.pulsarFrom ? "pulsarFrom" : "cutoverAt"}`, s.pulsarFrom !== base.pulsarFrom ? s.pulsarFrom : s.cutoverAt,
                `unset: ${s.name} is bridged through KoP and moves with the orchestrator services (phase 1 KoP, phase 2 native)`);
        }
        if (s.cutoverAt < s.pulsarFrom) {
            add(`${key}.cutoverAt`, s.cutoverAt, `at least pulsarFrom (${s.pulsarFrom}): a stream reaches Pulsar before it cuts over`);
        }
        if (s.producers.length === 0) {
            add(`${key}.producers`, s.producers, "at least one producing service");
        }
        const dup = (list: string[]) => list.length !== new Set(list).size;
        if (dup(s.producers) || dup(s.consumers)) {
            add(`${key}.${dup(s.producers) ? "producers" : "consumers"}`, dup(s.producers) ? s.producers : s.consumers, "each service once");
        }
        // A KoP-bridged stream moves with the orchestrator's KAFKA_BROKERS switch, so all of its clients must be
        // orchestrator services, and orchestrator services may only use KoP-bridged streams.
        for (const svc of [...s.producers, ...s.consumers]) {
            const client = clientOf.get(svc);
            if (s.bridge === "kop" && client !== "orchestrator") {
                add(`${key}.${s.producers.includes(svc) ? "producers" : "consumers"}`, svc,
                    `orchestrator services only (${ORCHESTRATOR_SERVICES.join(", ")}): ${s.name} is bridged through KoP with them`);
            }
            if (s.bridge === "dual-publish" && client === "orchestrator") {
                add(`${key}.${s.producers.includes(svc) ? "producers" : "consumers"}`, svc,
                    `a non-orchestrator service: orchestrator services point all their Kafka traffic at KoP in phase 1, so they cannot dual-publish ${s.name}`);
            }
            if (client === "kafka-only" && s.producers.includes(svc)) {
                add(`${key}.producers`, svc, "a service that can write to Pulsar: kafka-only services only consume");
            }
        }
    }

    // Kafka decommission: explicit, gated, and only when nothing still needs Kafka.
    const k = c.kafka;
    if (k.decommission) {
        if (c.phase !== MAX_PHASE) {
            add("kafka.decommission", true, `only at phase ${MAX_PHASE}; the stack is at phase ${c.phase}`);
        }
        const notCutOver = c.streams.filter((s) => c.phase < s.cutoverAt || (s.gate !== undefined && !c.gates[s.gate]));
        if (notCutOver.length > 0) {
            add("kafka.decommission", true,
                `only when every stream is cut over; not yet: ${notCutOver.map((s) => (s.gate && !c.gates[s.gate] ? `${s.name} (gates.${s.gate} is false)` : s.name)).join(", ")}`);
        }
        const kafkaReaders = c.streams.flatMap((s) => s.consumers.filter((svc) => clientOf.get(svc) === "kafka-only").map((svc) => `${svc} on ${s.name}`));
        if (kafkaReaders.length > 0) {
            add("kafka.decommission", true,
                `only when no kafka-only service still reads Kafka: ${kafkaReaders.join(", ")} (move them, or drop them from streams.<name>.consumers)`);
        }
        if (!k.decommissionConfirmed) {
            add("kafka.decommissionConfirmed", k.decommissionConfirmed, "true together with kafka.decommission: it deletes the Kafka cluster and its topics");
        }
    } else if (k.decommissionConfirmed) {
        add("kafka.decommissionConfirmed", true, "false unless kafka.decommission is true");
    }
    return problems;
}

/**
 * Where the KoP handler comes from. No Kafka protocol handler for Pulsar 4.0 is published as a downloadable release
 * asset (streamnative/kop stops at 3.1.x; datastax/starlight-for-kafka's 4.0 line ships inside DataStax Luna
 * Streaming 4.0, whose release notes list pulsar-protocol-handler-kafka-4.0.3.3.nar), so the default is an image that
 * carries it (images/pulsar-kop/Dockerfile); a download must name its URL and checksum.
 */
function kopSourceProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const kop = c.pulsar.kop;
    if (kop.source === "download") {
        if (kop.narUrl === undefined) {
            problems.push({ key: "pulsar.kop.narUrl", value: undefined, allowed: "the NAR's URL, required with pulsar.kop.source download" });
        }
        if (kop.sha256 === undefined) {
            problems.push({
                key: "pulsar.kop.sha256",
                value: undefined,
                allowed: "the NAR's sha256 (sha256sum of the file), required with pulsar.kop.source download: every broker start checks the download against it",
            });
        }
        return problems;
    }
    if (STOCK_PULSAR_IMAGES.includes(c.pulsar.imageRepository)) {
        problems.push({
            key: "pulsar.imageRepository",
            value: c.pulsar.imageRepository,
            allowed:
                "an image that carries the Kafka protocol handler in /pulsar/protocols, since pulsar.kop.source is image: the stock Apache images carry none " +
                "(build images/pulsar-kop/Dockerfile and push it), or set pulsar.kop.source: download with narUrl and sha256",
        });
    }
    const tag = kopImageTag(c.pulsar.version, kop.distribution, kop.version);
    if (c.pulsar.imageTag !== tag) {
        problems.push({
            key: "pulsar.imageTag",
            value: c.pulsar.imageTag,
            allowed: `${tag} (<pulsar.version>-<kop.distribution>-<kop.version>, as images/pulsar-kop/Dockerfile tags it): the tag says which handler the image carries`,
        });
    }
    return problems;
}

/** Apache's published Pulsar images: none of them contains a Kafka protocol handler. */
export const STOCK_PULSAR_IMAGES: readonly string[] = ["apachepulsar/pulsar", "apachepulsar/pulsar-all", "docker.io/apachepulsar/pulsar", "docker.io/apachepulsar/pulsar-all"];

/** The image names `orchestrator.digests` takes: the orchestrator services', the matcher Function's and the audit bridge's. */
export const ORCHESTRATOR_IMAGES: readonly string[] = [...ORCHESTRATOR_SERVICES, `${MATCHER_SERVICE}-function`, AUDIT_BRIDGE_SERVICE];

/** prod runs every image by digest: a tag can be moved, a digest cannot. */
function imagePinProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    for (const name of Object.keys(c.orchestrator.digests)) {
        if (!ORCHESTRATOR_IMAGES.includes(name)) {
            problems.push({ key: `orchestrator.digests.${name}`, value: c.orchestrator.digests[name], allowed: `one of the images the program runs: ${ORCHESTRATOR_IMAGES.join(", ")}` });
        }
    }
    if (c.environment !== "prod") {
        return problems;
    }
    const missing = ORCHESTRATOR_IMAGES.filter((n) => c.orchestrator.digests[n] === undefined);
    if (missing.length > 0) {
        problems.push({
            key: "orchestrator.digests",
            value: c.orchestrator.digests,
            allowed: `a digest for every image in prod (missing: ${missing.join(", ")}): pulumi config set --path 'orchestrator.digests.<image>' sha256:<64 hex>`,
        });
    }
    if (c.pulsar.imageDigest === undefined) {
        problems.push({ key: "pulsar.imageDigest", value: undefined, allowed: "the broker image's digest (sha256:<64 hex>), required in prod" });
    }
    if (c.observability.enabled && !c.observability.kafkaExporterImage.includes("@sha256:")) {
        problems.push({ key: "observability.kafkaExporterImage", value: c.observability.kafkaExporterImage, allowed: "an image pinned by digest in prod: <repository>:<tag>@sha256:<64 hex>" });
    }
    return problems;
}

/** Quorums that BookKeeper accepts and that survive what the environment must survive; every JVM fits its container. */
function sizingProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const s = c.pulsar.sizing;
    const add = (key: string, value: unknown, allowed: string) => problems.push({ key: `pulsar.sizing.${key}`, value, allowed });
    const bookies = c.environment === "local" ? 1 : c.pulsar.bookies;
    if (s.ensemble > bookies) {
        add("ensemble", s.ensemble, `at most the bookie count (${bookies}): a ledger is written across ensemble bookies`);
    }
    if (s.writeQuorum > s.ensemble) {
        add("writeQuorum", s.writeQuorum, `at most the ensemble (${s.ensemble})`);
    }
    if (s.ackQuorum > s.writeQuorum) {
        add("ackQuorum", s.ackQuorum, `at most the write quorum (${s.writeQuorum})`);
    }
    if (c.environment === "prod" && (s.writeQuorum < 3 || s.ackQuorum < 2)) {
        add(s.writeQuorum < 3 ? "writeQuorum" : "ackQuorum", s.writeQuorum < 3 ? s.writeQuorum : s.ackQuorum,
            "write quorum 3 and ack quorum 2 in prod: every entry is acknowledged by two bookies and stored on three, so the loss of one bookie (or zone) loses nothing");
    }
    if (c.environment === "prod" && !s.zoneSpread) {
        add("zoneSpread", s.zoneSpread, "true in prod: brokers, bookies and ZooKeeper spread over zones, not only hosts");
    }
    for (const component of ["broker", "bookie", "zookeeper", "proxy", "autorecovery", "toolset", "standalone"] as const) {
        const j = s[component];
        const options = pulsarMem(j);
        const problem = jvmFitProblem(options, `${j.memoryMiB}Mi`);
        if (problem) {
            const needed = (jvmReservedMiB(options) as number) + JVM_OVERHEAD_MIB;
            add(`${component}.memoryMiB`, j.memoryMiB, `at least heapMiB + directMiB + ${JVM_OVERHEAD_MIB} (${needed}): the JVM ${problem}`);
        }
    }
    return problems;
}

/** Addresses the pods are given must be reachable from a pod: the host's loopback is the pod's own. */
function reachabilityProblems(c: PlatformConfig): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const k = c.kafka;
    if (k.provider === "external") {
        const forPods = k.clientBootstrapServers ?? k.bootstrapServers;
        const loopback = forPods.filter(isLoopback);
        if (loopback.length > 0) {
            problems.push({
                key: k.clientBootstrapServers ? "kafka.clientBootstrapServers" : "kafka.bootstrapServers",
                value: forPods,
                allowed:
                    `addresses a pod can reach: ${loopback.join(", ")} is the pod's own loopback; set kafka.clientBootstrapServers to the host as pods see it ` +
                    "(e.g. host.docker.internal:19092 on Docker Desktop, host.k3d.internal on k3d, the node's gateway address on kind)",
            });
        }
    }
    if (c.environment !== "local" && c.kubernetes.renderYamlTo === undefined && c.kubernetes.context === undefined) {
        problems.push({
            key: "kubernetes.context",
            value: undefined,
            allowed: `the kubeconfig context of the ${c.environment} cluster: an update must never land on whatever cluster is current (pulumi config set --path kubernetes.context <context>)`,
        });
    }
    return problems;
}

/** A host:port on the loopback interface. */
export function isLoopback(hostPort: string): boolean {
    const host = hostPort.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
    return host === "localhost" || host === "::1" || /^127\./.test(host);
}

