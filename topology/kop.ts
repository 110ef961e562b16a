/**
 * Which Kafka-on-Pulsar protocol handler runs on the brokers, and whether it fits the Pulsar version.
 *
 * Both distributions register the protocol name `kafka` and read the same `kafka*` broker keys:
 * - `streamnative`: streamnative/kop, whose public repository was archived in January 2024 at the 3.1.x line
 *   (research/anchors-mission.md, section 1.8; streamnative/kop#2020). Release x.y.z.m runs only on Pulsar x.y.z
 *   (its README, "version compatibility"). Later lines are published to Maven Central
 *   (`io.streamnative.pulsar.handlers:pulsar-protocol-handler-kafka` 4.0.x.y, 4.1.0.y), but built against
 *   StreamNative's own Pulsar build (`io.streamnative:pulsar-broker` of the same version, their poms say), not the
 *   Apache Pulsar the chart deploys.
 * - `starlight`: DataStax Starlight for Kafka, the maintained fork. Release line x.y runs on Pulsar x.y.*
 *   ("Starlight for Kafka version 4.0 is compatible with ... Pulsar version 4.0.x", DataStax installation guide); its
 *   4.0.3.x pom builds against org.apache.pulsar 4.0.3. 4.0.3.3 is the handler shipped in Luna Streaming 4.0.7.1
 *   (datastax/release-notes Luna_Streaming_4.0_Release_Notes.md); the public repository's releases page carries no
 *   4.x asset, so the handler reaches the brokers in an image (images/pulsar-kop/Dockerfile) or from a URL the stack
 *   names with its checksum (topology/config-rules.ts).
 */
import { pulsarTopicParts } from "./naming";

export const KOP_DISTRIBUTIONS = ["starlight", "streamnative"] as const;
export type KopDistribution = (typeof KOP_DISTRIBUTIONS)[number];

/** The newest streamnative/kop line built against Apache Pulsar; later ones are built against StreamNative's Pulsar. */
export const LAST_OSS_STREAMNATIVE_KOP = "3.1";

const FOUR_PART = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/;
const THREE_PART = /^(\d+)\.(\d+)\.(\d+)$/;

/**
 * Returns why the pairing is wrong, or undefined when the handler runs on that Pulsar.
 * Both versions are named in every message, as the user has to change one of them.
 */
export function kopPairingProblem(
    distribution: KopDistribution,
    kopVersion: string,
    pulsarVersion: string,
): string | undefined {
    const kop = FOUR_PART.exec(kopVersion);
    const pulsar = THREE_PART.exec(pulsarVersion);
    if (!kop) {
        return `KoP version "${kopVersion}" is not of the form x.y.z.m (e.g. 4.0.3.3)`;
    }
    if (!pulsar) {
        return `Pulsar version "${pulsarVersion}" is not of the form x.y.z (e.g. 4.0.12)`;
    }
    const [, kMajor, kMinor, kPatch] = kop;
    const [, pMajor, pMinor, pPatch] = pulsar;
    if (distribution === "streamnative") {
        if (`${kMajor}.${kMinor}.${kPatch}` !== `${pMajor}.${pMinor}.${pPatch}`) {
            return (
                `streamnative KoP ${kopVersion} runs only on Pulsar ${kMajor}.${kMinor}.${kPatch}, ` +
                `but pulsar.version is ${pulsarVersion}: set pulsar.version to ${kMajor}.${kMinor}.${kPatch} ` +
                `or use pulsar.kop.distribution "starlight"`
            );
        }
        const [lastMajor, lastMinor] = LAST_OSS_STREAMNATIVE_KOP.split(".").map(Number) as [number, number];
        if (Number(kMajor) > lastMajor || (Number(kMajor) === lastMajor && Number(kMinor) > lastMinor)) {
            return (
                `streamnative KoP ${kopVersion} is built against StreamNative's Pulsar build (io.streamnative:pulsar-broker:${kopVersion}), ` +
                `not the Apache Pulsar ${pulsarVersion} the chart deploys; the last line built against Apache Pulsar is ${LAST_OSS_STREAMNATIVE_KOP}.x; ` +
                `use pulsar.kop.distribution "starlight" for Pulsar 4.x`
            );
        }
        return undefined;
    }
    if (`${kMajor}.${kMinor}` !== `${pMajor}.${pMinor}`) {
        return (
            `starlight KoP ${kopVersion} runs on Pulsar ${kMajor}.${kMinor}.x, but pulsar.version is ` +
            `${pulsarVersion}: pick a Starlight for Kafka ${pMajor}.${pMinor}.x.y release or Pulsar ${kMajor}.${kMinor}.x`
        );
    }
    return undefined;
}

/**
 * The tag of a broker image that carries the handler: `<pulsar>-<distribution>-<kop>` (`4.0.12-starlight-4.0.3.3`).
 * images/pulsar-kop/Dockerfile documents it; the policy pack reads the pairing back from it with parseKopImageTag.
 */
export function kopImageTag(pulsarVersion: string, distribution: KopDistribution, kopVersion: string): string {
    return `${pulsarVersion}-${distribution}-${kopVersion}`;
}

/** The pairing a `kopImageTag` tag names (a digest after it is ignored), or undefined when the tag is not one. */
export function parseKopImageTag(tag: string): { pulsar: string; distribution: KopDistribution; kop: string } | undefined {
    const m = /^(\d+\.\d+\.\d+)-(starlight|streamnative)-(\d+\.\d+\.\d+\.\d+)(?:@sha256:[0-9a-f]{64})?$/.exec(tag);
    return m ? { pulsar: m[1] as string, distribution: m[2] as KopDistribution, kop: m[3] as string } : undefined;
}

/**
 * The name a Kafka client uses for a Pulsar topic through KoP, which is also the name KoP reports for it: the short
 * name in KoP's default namespace, the full `persistent://tenant/namespace/topic` elsewhere.
 *
 * KoP resolves a Kafka topic name by its slashes, not its dots (KopTopic.expandToFullName in Starlight for Kafka and
 * streamnative/kop): `topic` is `persistent://<default namespace>/topic`, `tenant/ns/topic` and
 * `persistent://tenant/ns/topic` are themselves, anything else is refused; so a dotted `tenant.ns.topic` is a topic
 * of the default namespace with dots in its name. Its metadata lists a topic under its full name less the default
 * namespace's prefix (KopTopic.removeDefaultNamespacePrefix), so the full form is the one name that a producer, a
 * consumer group's offsets and a lag exporter listing the cluster all see alike.
 */
export function kopTopicName(pulsarTopic: string, defaultNamespace: string): string {
    const { namespace, local } = pulsarTopicParts(pulsarTopic);
    return namespace === defaultNamespace ? local : pulsarTopic;
}

/**
 * KoP's default namespace (`kafkaTenant/kafkaNamespace` of the broker config): Kafka clients reach topics in it by
 * their short name, others by their full name (kopTopicName).
 */
export function kopDefaultNamespaceOf(brokerConfig: Record<string, string>): string {
    // Unset keys mean KoP's own defaults (kafkaTenant=public, kafkaNamespace=default).
    return `${brokerConfig.PULSAR_PREFIX_kafkaTenant ?? "public"}/${brokerConfig.PULSAR_PREFIX_kafkaNamespace ?? "default"}`;
}
