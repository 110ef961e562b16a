/**
 * Reliability guard rails: replicated Kafka topics, durable RabbitMQ with quorum queues and dead-letter paths,
 * Deployments that schedule, heal and roll safely, and a KoP handler that runs on the Pulsar it is paired with.
 */
import type { EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import type * as kafka from "@pulumi/kafka";
import type * as rabbitmq from "@pulumi/rabbitmq";
import type { Unwrap } from "@pulumi/pulumi";
import { KOP_DISTRIBUTIONS, kopPairingProblem, parseKopImageTag, type KopDistribution } from "../../topology/kop";
import { ENVIRONMENT_CONFIG, TYPES, environmentOf, list, objectName, ofType, podSpecOf, record, type Container } from "./common";
import { isPulsarRelease } from "./security";

// ---------------------------------------------------------------------------------------------
// Kafka topics.

export const MIN_REPLICATION = 3;
export const MIN_INSYNC = 2;

export function kafkaTopicReplicated(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "kafka-topic-replicated",
        description: `In prod Kafka topics have replication factor >= ${MIN_REPLICATION} and min.insync.replicas >= ${MIN_INSYNC}.`,
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== TYPES.kafkaTopic || environmentOf(args) !== "prod") {
                return;
            }
            const t = args.props as Unwrap<kafka.TopicArgs>;
            const label = `Kafka topic ${t.name ?? args.name}`;
            if (t.replicationFactor < MIN_REPLICATION) {
                report(`${label} has replicationFactor ${t.replicationFactor}: set kafka.replicationFactor to at least ${MIN_REPLICATION}`);
            }
            const isr = Number(record(t.config)?.["min.insync.replicas"] ?? 1);
            if (!(isr >= MIN_INSYNC)) {
                report(`${label} has min.insync.replicas ${isr}: set kafka.minInsyncReplicas to at least ${MIN_INSYNC} (acks=all then survives one broker loss)`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// RabbitMQ.

export function rabbitmqDurable(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "rabbitmq-durable",
        description: "RabbitMQ exchanges and queues are durable and not auto-deleted, so a broker restart loses nothing.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (args.type !== TYPES.rabbitExchange && args.type !== TYPES.rabbitQueue) {
                return;
            }
            const r = args.props as Unwrap<rabbitmq.QueueArgs>;
            const kind = args.type === TYPES.rabbitQueue ? "queue" : "exchange";
            if (r.settings?.durable !== true) {
                report(`RabbitMQ ${kind} ${r.name ?? args.name} is not durable: set settings.durable: true`);
            }
            if (r.settings?.autoDelete === true) {
                report(`RabbitMQ ${kind} ${r.name ?? args.name} is auto-deleted: set settings.autoDelete: false`);
            }
        },
    };
}

/** A queue's declared arguments, from `settings.arguments` or `settings.argumentsJson`. */
export function queueArguments(q: Unwrap<rabbitmq.QueueArgs>): Record<string, unknown> {
    const json = q.settings?.argumentsJson;
    let fromJson: Record<string, unknown> = {};
    if (typeof json === "string" && json !== "") {
        try {
            fromJson = record(JSON.parse(json)) ?? {};
        } catch {
            fromJson = {};
        }
    }
    return { ...fromJson, ...(record(q.settings?.arguments) ?? {}) };
}

export function rabbitmqQuorumQueues(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "rabbitmq-quorum-queues",
        description: "In prod RabbitMQ queues are quorum queues (replicated, with a delivery limit).",
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== TYPES.rabbitQueue || environmentOf(args) !== "prod") {
                return;
            }
            const q = args.props as Unwrap<rabbitmq.QueueArgs>;
            const type = queueArguments(q)["x-queue-type"];
            if (type !== "quorum") {
                report(`RabbitMQ queue ${q.name ?? args.name} is a ${String(type ?? "classic")} queue: declare it with arguments {"x-queue-type": "quorum"}`);
            }
        },
    };
}

interface RabbitPolicyView {
    vhost: unknown;
    pattern: RegExp | undefined;
    applyTo: string;
    deadLetterExchange: unknown;
}

function regex(pattern: unknown): RegExp | undefined {
    try {
        return typeof pattern === "string" ? new RegExp(pattern) : undefined;
    } catch {
        return undefined;
    }
}

export function rabbitmqDeadLetter(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "rabbitmq-dead-letter",
        description:
            "Every RabbitMQ work queue has a dead-letter path: an x-dead-letter-exchange argument or a policy matching it with dead-letter-exchange.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const policies: RabbitPolicyView[] = ofType(args.resources, TYPES.rabbitPolicy).map((r) => {
                const p = r.props as Unwrap<rabbitmq.PolicyArgs>;
                return {
                    vhost: p.vhost,
                    pattern: regex(p.policy?.pattern),
                    applyTo: p.policy?.applyTo ?? "all",
                    deadLetterExchange: record(p.policy?.definition)?.["dead-letter-exchange"],
                };
            });
            const queues = ofType(args.resources, TYPES.rabbitQueue);
            const dlx = new Set<unknown>(policies.map((p) => p.deadLetterExchange).filter((x) => x !== undefined));
            queues.forEach((q) => dlx.add(queueArguments(q.props as Unwrap<rabbitmq.QueueArgs>)["x-dead-letter-exchange"]));
            dlx.delete(undefined);
            // Dead-letter queues are where the path ends: the queues bound to a dead-letter exchange.
            const deadLetterQueues = new Set(
                ofType(args.resources, TYPES.rabbitBinding)
                    .map((b) => b.props as Unwrap<rabbitmq.BindingArgs>)
                    .filter((b) => dlx.has(b.source))
                    .map((b) => `${b.vhost}|${b.destination}`),
            );
            for (const q of queues) {
                const props = q.props as Unwrap<rabbitmq.QueueArgs>;
                const name = props.name ?? q.name;
                if (deadLetterQueues.has(`${props.vhost}|${name}`) || hasDeadLetterPath(props, name, policies)) {
                    continue;
                }
                report(
                    `RabbitMQ queue ${name} has no dead-letter path: add a policy (applyTo queues) whose pattern matches it with ` +
                        `definition "dead-letter-exchange", or declare it with an x-dead-letter-exchange argument`,
                    q.urn,
                );
            }
        },
    };
}

/**
 * The policy RabbitMQ applies to a queue: of the policies of its vhost whose pattern matches and that apply to queues,
 * the one with the highest priority (a queue takes exactly one policy; rabbitmq.com/docs/policies).
 */
export function effectivePolicy(policies: Unwrap<rabbitmq.PolicyArgs>[], vhost: unknown, queue: string): Unwrap<rabbitmq.PolicyArgs> | undefined {
    return policies
        .filter((p) => p.vhost === vhost && ["queues", "all", "classic_queues", "quorum_queues"].includes(p.policy?.applyTo ?? "all") && regex(p.policy?.pattern)?.test(queue) === true)
        .sort((a, b) => Number(b.policy?.priority ?? 0) - Number(a.policy?.priority ?? 0))[0];
}

export function rabbitmqQueuesBounded(level: EnforcementLevel): StackValidationPolicy {
    return {
        name: "rabbitmq-queues-bounded",
        description:
            "Every RabbitMQ queue's policy bounds it (max-length or max-length-bytes) and refuses publishes past the bound (overflow reject-publish), so a stalled " +
            "consumer cannot grow a queue until the broker's memory or disk alarm blocks every publisher; at-least-once dead-lettering has reject-publish as RabbitMQ requires.",
        enforcementLevel: level,
        validateStack: (args, report) => {
            const policies = ofType(args.resources, TYPES.rabbitPolicy).map((r) => r.props as Unwrap<rabbitmq.PolicyArgs>);
            for (const q of ofType(args.resources, TYPES.rabbitQueue)) {
                const props = q.props as Unwrap<rabbitmq.QueueArgs>;
                const name = props.name ?? q.name;
                const p = effectivePolicy(policies, props.vhost, name);
                const d = { ...(record(p?.policy?.definition) ?? {}), ...Object.fromEntries(Object.entries(queueArguments(props)).map(([k, v]) => [k.replace(/^x-/, ""), v])) };
                const label = `RabbitMQ queue ${name}${p ? ` (policy ${p.name})` : ""}`;
                if (d["max-length"] === undefined && d["max-length-bytes"] === undefined) {
                    report(`${label}: unbounded: no max-length or max-length-bytes applies to it (rabbitmq.maxQueueLength)`, q.urn);
                } else if (d.overflow !== "reject-publish" && d.overflow !== "reject-publish-dlx") {
                    report(`${label}: overflow ${String(d.overflow ?? "drop-head")}: past the bound the oldest messages are dropped; set overflow: reject-publish so publishers are refused instead`, q.urn);
                }
                if (d["dead-letter-strategy"] === "at-least-once" && d.overflow !== "reject-publish") {
                    report(`${label}: dead-letter-strategy at-least-once without overflow reject-publish: RabbitMQ falls back to at-most-once dead-lettering`, q.urn);
                }
            }
        },
    };
}

function hasDeadLetterPath(q: Unwrap<rabbitmq.QueueArgs>, name: string, policies: RabbitPolicyView[]): boolean {
    if (queueArguments(q)["x-dead-letter-exchange"] !== undefined) {
        return true;
    }
    return policies.some(
        (p) => p.deadLetterExchange !== undefined && p.vhost === q.vhost && (p.applyTo === "queues" || p.applyTo === "all") && p.pattern?.test(name) === true,
    );
}

// ---------------------------------------------------------------------------------------------
// Deployments.

function deploymentPolicy(
    level: EnforcementLevel,
    name: string,
    description: string,
    check: (containers: Container[], pod: ReturnType<typeof podSpecOf>) => string[],
    types: string[] = [TYPES.deployment],
): ResourceValidationPolicy {
    return {
        name,
        description,
        enforcementLevel: level,
        validateResource: (args, report) => {
            if (!types.includes(args.type)) {
                return;
            }
            const pod = podSpecOf(args.props);
            for (const problem of check(pod.containers ?? [], pod)) {
                report(`${objectName(args.props, args.name)}: ${problem}`);
            }
        },
    };
}

export function deploymentResources(level: EnforcementLevel): ResourceValidationPolicy {
    return deploymentPolicy(level, "deployment-resources", "Deployment containers set CPU and memory requests and limits.", (containers) =>
        containers.flatMap((c) => {
            const missing = (["requests", "limits"] as const).flatMap((k) =>
                (["cpu", "memory"] as const).filter((r) => record(c.resources?.[k])?.[r] === undefined).map((r) => `${k}.${r}`),
            );
            return missing.length === 0 ? [] : [`container ${c.name ?? "?"} has no resources.${missing.join(", resources.")}: set them so it schedules and cannot starve its node`];
        }),
    );
}

export function deploymentProbes(level: EnforcementLevel): ResourceValidationPolicy {
    return deploymentPolicy(level, "deployment-probes", "Deployment containers have readiness and liveness probes.", (containers) =>
        containers.flatMap((c) => {
            const missing = (["readinessProbe", "livenessProbe"] as const).filter((p) => c[p] === undefined);
            return missing.length === 0 ? [] : [`container ${c.name ?? "?"} has no ${missing.join(" or ")}: add an HTTP probe on the service port`];
        }),
    );
}

export function deploymentRunAsNonRoot(level: EnforcementLevel): ResourceValidationPolicy {
    return deploymentPolicy(level, "deployment-run-as-non-root", "Deployment pods run as a non-root user.", (containers, pod) => {
        if (pod.securityContext?.runAsNonRoot === true) {
            return containers.filter((c) => c.securityContext?.runAsNonRoot === false).map((c) => `container ${c.name ?? "?"} overrides runAsNonRoot to false: remove the override`);
        }
        return containers
            .filter((c) => c.securityContext?.runAsNonRoot !== true)
            .map((c) => `container ${c.name ?? "?"} may run as root: set spec.template.spec.securityContext.runAsNonRoot: true`);
    });
}

/** Why an image reference is not pinned, or undefined. Pure; exported for testing. */
export function imagePinProblem(image: string | undefined): string | undefined {
    if (!image) {
        return "has no image";
    }
    if (/@sha256:[0-9a-f]{64}$/.test(image)) {
        return undefined;
    }
    const lastSegment = image.slice(image.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (colon < 0) {
        return `image "${image}" has no tag (it means latest): pin a version tag or digest`;
    }
    if (lastSegment.slice(colon + 1) === "latest") {
        return `image "${image}" uses the latest tag: pin a version tag or digest (orchestrator.tag)`;
    }
    return undefined;
}

export function deploymentPinnedImages(level: EnforcementLevel): ResourceValidationPolicy {
    return deploymentPolicy(
        level,
        "deployment-pinned-images",
        "Workload images are pinned to a version tag or digest (no latest, no tagless image).",
        (containers, pod) =>
            [...(pod.initContainers ?? []), ...containers].flatMap((c) => {
                const problem = imagePinProblem(c.image);
                return problem ? [`container ${c.name ?? "?"} ${problem}`] : [];
            }),
        [TYPES.deployment, TYPES.statefulSet],
    );
}

export const MIN_PROD_REPLICAS = 2;

export function deploymentReplicas(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "deployment-replicas",
        description: `In prod Deployments run at least ${MIN_PROD_REPLICAS} replicas.`,
        enforcementLevel: level,
        configSchema: ENVIRONMENT_CONFIG,
        validateResource: (args, report) => {
            if (args.type !== TYPES.deployment || environmentOf(args) !== "prod") {
                return;
            }
            const replicas = record(args.props.spec)?.replicas ?? 1;
            if (typeof replicas !== "number" || replicas < MIN_PROD_REPLICAS) {
                report(`${objectName(args.props, args.name)}: runs ${String(replicas)} replica(s) in prod: set orchestrator.replicas to at least ${MIN_PROD_REPLICAS}`);
            }
        },
    };
}

// ---------------------------------------------------------------------------------------------
// KoP pairing.

/** The KoP distribution and version a NAR URL names (release asset `pulsar-protocol-handler-kafka-<v>.nar`). */
export function kopFromNarUrl(url: string): { distribution: KopDistribution; version: string } | undefined {
    const m = /pulsar-protocol-handler-kafka-(\d+\.\d+\.\d+\.\d+)\.nar/.exec(url);
    if (!m) {
        return undefined;
    }
    const distribution: KopDistribution = /streamnative/.test(url) ? "streamnative" : "starlight";
    return KOP_DISTRIBUTIONS.includes(distribution) ? { distribution, version: m[1] as string } : undefined;
}

function narUrlOf(containers: Container[]): string | undefined {
    for (const c of containers) {
        const e = (c.env ?? []).find((x) => x.name === "KOP_NAR_URL");
        if (typeof e?.value === "string") {
            return e.value;
        }
    }
    return undefined;
}

function imageTag(image: string | undefined): string | undefined {
    const noDigest = image?.replace(/@sha256:[0-9a-f]+$/, "");
    const last = noDigest?.slice(noDigest.lastIndexOf("/") + 1);
    const colon = last?.lastIndexOf(":") ?? -1;
    return last && colon >= 0 ? last.slice(colon + 1) : undefined;
}

/**
 * What a Pulsar workload pairs: the Pulsar version and the KoP handler, read from the NAR it downloads
 * (`pulsar-protocol-handler-kafka-<v>.nar`) or, when it downloads none, from its image's tag
 * (`<pulsar>-<distribution>-<kop>`, topology/kop.ts kopImageTag). Undefined when it is not a Pulsar workload.
 */
export function kopPairingOf(type: string, props: Record<string, unknown>): { pulsar?: string; kop?: { distribution: KopDistribution; version: string }; source: string } | undefined {
    let image: string | undefined;
    let narUrl: string | undefined;
    if (type === TYPES.helmRelease && isPulsarRelease(props)) {
        const values = record(props.values) ?? {};
        const tag = values.defaultPulsarImageTag;
        image = typeof tag === "string" ? `pulsar:${tag}` : undefined;
        narUrl = narUrlOf(list(record(values.broker)?.initContainers) as Container[]);
    } else if (type === TYPES.statefulSet) {
        const pod = podSpecOf(props);
        const pulsar = (pod.containers ?? []).find((c) => [...(c.command ?? []), ...(c.args ?? [])].some((a) => /bin\/pulsar\b/.test(a)));
        if (!pulsar) {
            return undefined;
        }
        image = pulsar.image;
        narUrl = narUrlOf(pod.initContainers ?? []);
    } else {
        return undefined;
    }
    const tag = imageTag(image);
    if (narUrl !== undefined) {
        const kop = kopFromNarUrl(narUrl);
        // The Pulsar version leads the tag (`4.0.12`, or `4.0.12-<distribution>-<kop>` for an image with a handler).
        const pulsar = tag ? (/^\d+\.\d+\.\d+(?=$|-)/.exec(tag)?.[0] ?? tag) : undefined;
        return { ...(pulsar ? { pulsar } : {}), ...(kop ? { kop } : {}), source: `NAR ${narUrl}` };
    }
    const parsed = tag ? parseKopImageTag(tag) : undefined;
    return parsed
        ? { pulsar: parsed.pulsar, kop: { distribution: parsed.distribution, version: parsed.kop }, source: `image tag ${tag}` }
        : { source: `image tag ${tag ?? "(none)"}` };
}

export function kopMatchesPulsar(level: EnforcementLevel): ResourceValidationPolicy {
    return {
        name: "kop-matches-pulsar",
        description: "The Kafka-on-Pulsar handler runs on the Pulsar version it was built for.",
        enforcementLevel: level,
        validateResource: (args, report) => {
            const pairing = kopPairingOf(args.type, args.props);
            if (!pairing) {
                return;
            }
            const label = `Pulsar workload ${args.name}`;
            if (!pairing.kop || pairing.pulsar === undefined) {
                report(
                    `${label}: cannot tell the KoP handler and the Pulsar version from ${pairing.source}: name the NAR pulsar-protocol-handler-kafka-<x.y.z.m>.nar, ` +
                        `or tag the image <pulsar>-<distribution>-<kop> (images/pulsar-kop)`,
                );
                return;
            }
            const problem = kopPairingProblem(pairing.kop.distribution, pairing.kop.version, pairing.pulsar);
            if (problem) {
                report(`${label}: ${problem}`);
            }
        },
    };
}

/** Every reliability policy, at one level. */
export function reliabilityPolicies(level: EnforcementLevel): (ResourceValidationPolicy | StackValidationPolicy)[] {
    return [
        kafkaTopicReplicated(level),
        rabbitmqDurable(level),
        rabbitmqQuorumQueues(level),
        rabbitmqDeadLetter(level),
        rabbitmqQueuesBounded(level),
        deploymentResources(level),
        deploymentProbes(level),
        deploymentRunAsNonRoot(level),
        deploymentPinnedImages(level),
        deploymentReplicas(level),
        kopMatchesPulsar(level),
    ];
}

