/**
 * Pulsar runtime guard rails: what a running cluster does with what the stack declares.
 *
 * - A function's or connector's code comes from somewhere the cluster serves: a `function://` package needs package
 *   management on the brokers (off by default: broker.conf enablePackagesManagement=false), no location needs an image
 *   that carries the code (Function Mesh otherwise runs its bare runner image).
 * - A connector reads from its secrets only the config fields it marks sensitive (pulsar-io IOConfigUtils
 *   loadWithSecrets): any other secretsMap key is never read.
 * - The offloader has credentials it can use: the GCS driver reads a JSON key file (jclouds google-cloud-storage), the
 *   S3 driver the pod's IRSA role or a key Secret.
 * - A namespace offloads before it deletes: offload thresholds below retention, or nothing ever reaches the bucket.
 * - Registered schemas are what Pulsar parses: a JSON or AVRO schema's definition is an Avro record (avsc parses it).
 * - A namespace that creates topics on first use (a tenant's own) creates what KoP and schemas need.
 * - prod keeps every entry on 3 bookies and acknowledged by 2, spreads brokers, bookies and ZooKeeper over zones, and
 *   has bookie disks for what the namespaces may keep.
 * - The KoP handler a broker loads is the one that was pinned: a download is checked against its sha256 before it is
 *   moved into place, and prod takes it from the image, not from the network at every start.
 */
import type { EnforcementLevel, PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Type } from "avsc";
import { AUTOMATIC_TOPICS_PROPERTY } from "../../topology/naming";
import { bookieCapacity, quantityMiB, type StoredTopic } from "../../topology/sizing";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, list, ofType, record, type Container } from "./common";
import { tenantBoundary } from "./isolation";
import { allContainers, podViews, pulsarValues } from "./pods";

const SECRET_TYPE = "kubernetes:core/v1:Secret";

// ---------------------------------------------------------------------------------------------
// Function and connector code.

const PACKAGE_URL = /^(function|sink|source):\/\//;

export function functionCodeServable(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "function-code-servable",
        description:
            "Every Function Mesh Function and Sink loads code the cluster can serve: a function:// package only with package management on the brokers, no location only from its own image.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const values = args.resources.map((r) => pulsarValues(r)).find((v) => v !== undefined);
            const packages = String(record(record(values?.broker)?.configData)?.enablePackagesManagement ?? "false") === "true";
            for (const r of [...ofType(args.resources, TYPES.pulsarFunction), ...ofType(args.resources, TYPES.pulsarSink)]) {
                const spec = record(r.props.spec) ?? {};
                const label = `${r.type.split(":").pop()} ${String(record(r.props.metadata)?.name ?? r.name)}`;
                for (const runtime of ["python", "java", "golang"] as const) {
                    const rt = record(spec[runtime]);
                    if (!rt) {
                        continue;
                    }
                    const location = [rt.pyLocation, rt.jarLocation, rt.goLocation].find((x) => typeof x === "string" && x !== "") as string | undefined;
                    if (location !== undefined && PACKAGE_URL.test(location) && !packages) {
                        report(
                            `${label}: loads ${location}, which Function Mesh fetches with \`pulsar-admin packages download\`: the brokers have no package management ` +
                                `(broker.configData.enablePackagesManagement), so the instance never starts; carry the code in spec.image instead`,
                            r.urn,
                        );
                    }
                    if (location === undefined && typeof spec.image !== "string") {
                        report(`${label}: no ${runtime} code location and no spec.image: the operator's default runner image has no code to run`, r.urn);
                    }
                }
            }
        },
    };
}

/**
 * The config fields each connector reads from its secrets: those marked `sensitive` in its config class (pulsar-io
 * kafka KafkaSinkConfig at 4.0: only sslTruststorePassword).
 */
export const CONNECTOR_SENSITIVE_FIELDS: Record<string, readonly string[]> = {
    "org.apache.pulsar.io.kafka.KafkaBytesSink": ["sslTruststorePassword"],
    "org.apache.pulsar.io.kafka.KafkaStringSink": ["sslTruststorePassword"],
};

export function connectorSecretsReadable(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "connector-secrets-readable",
        description: "A connector's secretsMap names only config fields the connector reads from secrets (its sensitive fields); any other is silently ignored.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.pulsarSink) {
                return;
            }
            const spec = record(args.props.spec) ?? {};
            const sensitive = CONNECTOR_SENSITIVE_FIELDS[String(spec.className)];
            if (!sensitive) {
                return;
            }
            for (const key of Object.keys(record(spec.secretsMap) ?? {}).filter((k) => !sensitive.includes(k))) {
                report(
                    `Sink ${String(record(args.props.metadata)?.name ?? args.name)}: secretsMap.${key} is never read: ${String(spec.className)} takes only ` +
                        `${sensitive.join(", ")} from secrets (IOConfigUtils.loadWithSecrets); deliver it as a mounted file (Kafka FileConfigProvider)`,
                );
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Offload.

export function offloadCredentialsPresent(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "offload-credentials-present",
        description: "When the brokers offload, the offloader has credentials it reads: a GCS key file Secret the chart mounts, or the S3 driver's IRSA role or key Secret.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const secrets = ofType(args.resources, SECRET_TYPE);
            for (const r of args.resources) {
                const values = pulsarValues(r);
                const broker = record(values?.broker) ?? {};
                const offload = record(broker.storageOffload) ?? {};
                if (offload.driver === "google-cloud-storage") {
                    const name = offload.gcsServiceAccountSecret;
                    const file = offload.gcsServiceAccountJsonFile;
                    if (typeof name !== "string" || typeof file !== "string") {
                        report(
                            "chart broker: offloads to GCS without storageOffload.gcsServiceAccountSecret and gcsServiceAccountJsonFile: the chart mounts a Secret volume of that name " +
                                "(unset, the pods never start) and the GCS offloader reads a JSON key file from it",
                            r.urn,
                        );
                        continue;
                    }
                    const secret = secrets.find((s) => record(s.props.metadata)?.name === name);
                    const data = record(secret?.props.data) ?? record(secret?.props.stringData);
                    if (!secret) {
                        report(`chart broker: the GCS key Secret ${name} is not declared: the broker pods wait for it forever`, r.urn);
                    } else if (data && !(file in data)) {
                        report(`chart broker: Secret ${name} has no key ${file}: the offloader finds no key file`, r.urn);
                    }
                }
                if (offload.driver === "aws-s3") {
                    const role = record(record(broker.service_account)?.annotations)?.["eks.amazonaws.com/role-arn"];
                    if (typeof role !== "string" && typeof offload.secret !== "string") {
                        report("chart broker: offloads to S3 with neither an IRSA role (broker.service_account.annotations) nor storageOffload.secret: every offload fails", r.urn);
                    }
                }
            }
        },
    };
}

/** A Pulsar duration (`604800s`, `8760h`, `7d`, `30m`, a number of seconds) in seconds; undefined if not one. */
export function durationSeconds(v: unknown): number | undefined {
    const m = /^(\d+)([smhdw]?)$/.exec(String(v ?? "").trim());
    const unit: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    return m ? Number(m[1]) * (unit[m[2] as string] as number) : undefined;
}

/** A size (`10240Mi`, `10G`, a number of bytes) in bytes; undefined if not one. */
export function sizeBytes(v: unknown): number | undefined {
    const s = String(v ?? "").trim();
    if (/^\d+$/.test(s)) {
        return Number(s);
    }
    const mib = quantityMiB(s);
    return mib === undefined ? undefined : mib * 1024 * 1024;
}

export function offloadBeforeRetention(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "offload-before-retention",
        description: "A namespace's offload thresholds are below its retention: a ledger past retention is deleted, so a threshold at or above it never offloads anything.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.pulsarNamespace) {
                return;
            }
            const spec = record(args.props.spec) ?? {};
            const name = String(spec.name ?? args.name);
            const time = durationSeconds(spec.offloadThresholdTime);
            const retention = durationSeconds(spec.retentionTime);
            if (spec.offloadThresholdTime !== undefined && time !== undefined && retention !== undefined && time >= retention) {
                report(`PulsarNamespace ${name}: offloadThresholdTime ${String(spec.offloadThresholdTime)} is not below retentionTime ${String(spec.retentionTime)}: ledgers are deleted before they are old enough to offload`);
            }
            const size = sizeBytes(spec.offloadThresholdSize);
            const retained = sizeBytes(spec.retentionSize);
            if (spec.offloadThresholdSize !== undefined && size !== undefined && retained !== undefined && size >= retained) {
                report(`PulsarNamespace ${name}: offloadThresholdSize ${String(spec.offloadThresholdSize)} is not below retentionSize ${String(spec.retentionSize)}: a topic is trimmed before it holds enough to offload`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Schemas.

/** Why Pulsar could not use a schema definition of this type, or undefined. Pure; exported for testing. */
export function schemaProblem(type: unknown, schema: unknown): string | undefined {
    if (type !== "JSON" && type !== "AVRO") {
        return undefined;
    }
    let parsed: unknown;
    try {
        parsed = JSON.parse(String(schema));
    } catch {
        return `the ${type} schema definition is not JSON`;
    }
    if (record(parsed)?.type !== "record") {
        const hint = record(parsed)?.$schema !== undefined || record(parsed)?.type === "object" ? " (it is a JSON Schema document)" : "";
        return `a ${type} schema's definition must be an Avro record: Pulsar parses it as Avro${hint}`;
    }
    try {
        Type.forSchema(parsed as Parameters<typeof Type.forSchema>[0]);
    } catch (e) {
        return `the Avro record does not parse: ${(e as Error).message}`;
    }
    return undefined;
}

export function schemasParseAsAvro(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "schemas-parse-as-avro",
        description: "A PulsarTopic's JSON or AVRO schema is an Avro record definition that parses (Pulsar stores and checks JSON schemas as Avro).",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.pulsarTopic) {
                return;
            }
            const spec = record(args.props.spec) ?? {};
            const info = record(spec.schemaInfo);
            const problem = info ? schemaProblem(info.type, info.schema) : undefined;
            if (problem) {
                report(`PulsarTopic ${String(spec.name ?? args.name)}: ${problem}`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// Durability (prod).

const ZONE = "topology.kubernetes.io/zone";

export function pulsarDurability(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "pulsar-durability",
        description:
            "In prod every ledger is written to 3 bookies and acknowledged by 2, brokers, bookies and ZooKeeper spread over zones, and the bookies' disks hold what the namespaces may keep.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateStack: (args, report) => {
            if (environmentOf(args) !== "prod") {
                return;
            }
            const release = args.resources.find((r) => pulsarValues(r) !== undefined);
            if (!release) {
                return;
            }
            const values = pulsarValues(release) as Record<string, unknown>;
            const config = record(record(values.broker)?.configData) ?? {};
            // The chart's own defaults when unset (values.yaml broker.configData: 2/2/2).
            const q = (k: string) => Number(config[`managedLedgerDefault${k}`] ?? 2);
            const [ensemble, write, ack] = [q("EnsembleSize"), q("WriteQuorum"), q("AckQuorum")];
            if (write < 3 || ack < 2 || ensemble < write) {
                report(`chart broker: ensemble/write/ack quorum ${ensemble}/${write}/${ack}: prod needs at least 3/3/2, so one bookie's (or zone's) loss loses no acknowledged entry (pulsar.sizing)`, release.urn);
            }
            const bookkeeper = record(values.bookkeeper) ?? {};
            const bookies = Number(bookkeeper.replicaCount ?? 4);
            if (ensemble > bookies) {
                report(`chart broker: ensemble ${ensemble} is more than the ${bookies} bookies: no ledger can be created`, release.urn);
            }
            for (const c of ["broker", "bookkeeper", "zookeeper"]) {
                const spread = list(record(values[c])?.topologySpreadConstraints).map((t) => record(t)?.topologyKey);
                if (!spread.includes(ZONE)) {
                    report(`chart ${c}: no topologySpreadConstraints over ${ZONE}: the chart's anti-affinity spreads over hosts only, so one zone may hold every replica`, release.urn);
                }
            }
            const ledgersGi = (quantityMiB(String(record(record(bookkeeper.volumes)?.ledgers)?.size ?? "50Gi")) ?? 0) / 1024;
            const topics = storedTopics(args.resources);
            const capacity = bookieCapacity(bookies, ledgersGi, write, topics);
            if (capacity.neededBytes > capacity.availableBytes) {
                const gi = (b: number) => (b / 1024 ** 3).toFixed(0);
                report(
                    `chart bookkeeper: the namespaces may keep ${gi(capacity.neededBytes)} GiB (every partition's retention or offload threshold, ${write} copies), ` +
                        `but ${bookies} bookies x ${ledgersGi.toFixed(0)} Gi ledgers give ${gi(capacity.availableBytes)} GiB usable: bookies go read-only when full (pulsar.sizing.bookie.ledgersGi, pulsar.sizing.topicRetentionGi)`,
                    release.urn,
                );
            }
        },
    };
}

/** The catalog's topics a namespace creates on first use (its AUTOMATIC_TOPICS_PROPERTY), when it allows that. */
function automaticTopicNames(ns: Record<string, unknown>): string[] {
    if (record(ns.topicAutoCreationConfig)?.allow !== true) {
        return [];
    }
    return String(record(ns.properties)?.[AUTOMATIC_TOPICS_PROPERTY] ?? "").split(",").filter((t) => t !== "");
}

/**
 * Each topic with what its namespace lets every partition keep: the declared ones, and those a namespace creates on
 * first use (once used, they hold as much as a declared one; counting only declared topics would size the bookies for
 * none of a tenant's messages).
 */
function storedTopics(resources: PolicyResource[]): StoredTopic[] {
    const namespaces = new Map(ofType(resources, TYPES.pulsarNamespace).map((n) => [String(record(n.props.spec)?.name), record(n.props.spec) ?? {}]));
    const stored = (ns: Record<string, unknown> | undefined, partitions: unknown): StoredTopic[] => {
        const retentionBytes = sizeBytes(ns?.retentionSize);
        if (!ns || retentionBytes === undefined) {
            return [];
        }
        const offload = sizeBytes(ns.offloadThresholdSize);
        return [{ partitions: Math.max(1, Number(partitions ?? 1)), retentionBytes, ...(offload !== undefined ? { offloadThresholdBytes: offload } : {}) }];
    };
    const declared = ofType(resources, TYPES.pulsarTopic).flatMap((t) => {
        const spec = record(t.props.spec) ?? {};
        return stored(namespaces.get(String(spec.name ?? "").replace(/^persistent:\/\//, "").split("/").slice(0, 2).join("/")), spec.partitions);
    });
    const automatic = [...namespaces.values()].flatMap((ns) => automaticTopicNames(ns).flatMap(() => stored(ns, record(ns.topicAutoCreationConfig)?.partitions)));
    return [...declared, ...automatic];
}

// ---------------------------------------------------------------------------------------------
// Automatic topic creation.

/**
 * Where a namespace creates topics on first use, they are what KoP and the catalog's schemas need: partitioned (the
 * broker's default type is non-partitioned, and KoP serves only partitioned topics), a partition count set, producers
 * allowed to register a schema (with auto update off Pulsar refuses even a topic's first schema: PersistentTopic
 * addSchema, "Schema not found and schema auto updating is disabled"), and the topics it is for named in its
 * properties. Only a declared tenant's own namespace does this: the shared public namespaces declare every topic, so
 * a misspelt name there fails instead of creating a topic nobody reads.
 */
export function automaticTopicCreation(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "automatic-topic-creation",
        description:
            "A namespace that creates topics on first use is a declared tenant's own, creates them partitioned with a set partition count, lets producers register their schema, and lists the topics it is for.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const boundary = tenantBoundary(args.resources);
            for (const n of ofType(args.resources, TYPES.pulsarNamespace)) {
                const spec = record(n.props.spec) ?? {};
                const auto = record(spec.topicAutoCreationConfig);
                if (auto?.allow !== true) {
                    continue;
                }
                const name = String(spec.name ?? n.name);
                const { tenant, side } = boundary(name);
                const problems = [
                    ...(side !== "own" ? [`${tenant} is ${side === "shared" ? "the shared tenant: declare its topics" : "no declared tenant"}`] : []),
                    ...(auto.type !== "partitioned" ? [`type ${JSON.stringify(auto.type)} (allowed: "partitioned"; KoP serves only partitioned topics)`] : []),
                    ...(!(Number(auto.partitions) >= 1) ? [`partitions ${JSON.stringify(auto.partitions)} (allowed: a whole number >= 1)`] : []),
                    ...(spec.isAllowAutoUpdateSchema !== true ? ["isAllowAutoUpdateSchema is not true: Pulsar would refuse the first producer that carries a schema"] : []),
                    ...(automaticTopicNames(spec).length === 0 ? [`no topics listed in its ${AUTOMATIC_TOPICS_PROPERTY} property`] : []),
                ];
                for (const problem of problems) {
                    report(`PulsarNamespace ${name} creates topics on first use, but ${problem}`, n.urn);
                }
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The KoP handler.

/** A container that downloads a protocol handler NAR. */
function fetchesNar(c: Container): boolean {
    const text = [...(c.command ?? []), ...(c.args ?? []), ...(c.env ?? []).map((e) => String(e.value ?? ""))].join(" ");
    return /\.nar\b/.test(text) && /\b(curl|wget)\b/.test(text);
}

/** Why a NAR download is not verified before the broker can load it, or undefined. Pure; exported for testing. */
export function narVerificationProblem(c: Container): string | undefined {
    const script = [...(c.command ?? []), ...(c.args ?? [])].join(" ");
    const check = script.search(/sha256sum -c|sha256sum --check/);
    if (check < 0) {
        return `init container ${c.name ?? "?"} downloads the KoP NAR without checking its sha256: whatever the URL serves is loaded into every broker`;
    }
    const finalMove = script.search(/\bmv\b/);
    if (finalMove >= 0 && finalMove < check) {
        return `init container ${c.name ?? "?"} moves the NAR into the protocols folder before checking it`;
    }
    return undefined;
}

export function kopHandlerPinned(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "kop-handler-pinned",
        description: "A downloaded KoP handler is checked against its pinned sha256 before the broker can load it; in prod the handler comes with the image, not from the network at every start.",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            for (const view of podViews(args)) {
                for (const c of allContainers(view.pod).filter(fetchesNar)) {
                    const problem = narVerificationProblem(c);
                    if (problem) {
                        report(`${view.label}: ${problem}`);
                    }
                    if (environmentOf(args) === "prod") {
                        report(`${view.label}: fetches the KoP handler at every start (${c.name ?? "?"}); prod takes it from the image (pulsar.kop.source: image, images/pulsar-kop)`);
                    }
                }
            }
        },
    };
}

export function pulsarRuntimePolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        functionCodeServable(level),
        connectorSecretsReadable(level),
        offloadCredentialsPresent(level),
        offloadBeforeRetention(level),
        schemasParseAsAvro(level),
        automaticTopicCreation(level),
        pulsarDurability(level),
        kopHandlerPinned(level),
    ];
}
