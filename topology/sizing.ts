/**
 * How big the Pulsar cluster's JVMs and disks are, per environment, and the two rules that keep them honest:
 *
 * - A JVM fits its container: heap + direct memory + non-heap overhead <= the memory limit. The Pulsar images start
 *   every component with `PULSAR_MEM` (bookies too; autorecovery reads `BOOKIE_MEM`); the chart's own defaults are
 *   `-Xmx256m` with no limit (values.yaml 4.7.0 L1424 broker, L999 bookkeeper, L672 zookeeper) and the standalone's is
 *   `-Xms2g -Xmx2g -XX:MaxDirectMemorySize=4g` (conf/pulsar_env.sh), which a 2 GiB limit kills at start.
 * - The bookies hold what the namespaces allow: each topic keeps up to its namespace's retention size (or, where
 *   tiered storage offloads, up to the offload size threshold; the rest lives in the bucket) on `writeQuorum` bookies.
 *
 * The chart writes no rack information for BookKeeper (values.yaml 4.7.0 has no placement keys): zone safety comes
 * from spreading bookies, brokers and ZooKeeper over zones (topologySpreadConstraints) with a write quorum of 3 and an
 * ack quorum of 2 for prod, so one zone's loss leaves every entry acknowledged on a surviving bookie.
 * Pure.
 */
import type { Environment } from "./config-schema";

export interface JvmSizing {
    /** -Xms and -Xmx, MiB. */
    heapMiB: number;
    /**
     * -XX:MaxDirectMemorySize, MiB: always set, since without it the JDK lets direct memory grow to the heap size
     * and Netty (every Pulsar component) allocates off-heap.
     */
    directMiB: number;
    /** Container memory request and limit, MiB. */
    memoryMiB: number;
    /** Container CPU request. */
    cpu: string;
}

export interface PulsarSizing {
    broker: JvmSizing;
    bookie: JvmSizing & { journalGi: number; ledgersGi: number };
    zookeeper: JvmSizing & { dataGi: number };
    proxy: JvmSizing;
    autorecovery: JvmSizing;
    /** The chart's toolset pod (pulsar-admin and the other CLIs, for the runbooks). */
    toolset: JvmSizing;
    /** The standalone broker (local). */
    standalone: JvmSizing & { dataGi: number };
    /** BookKeeper ensemble / write quorum / ack quorum of every ledger (broker.conf managedLedgerDefault*). */
    ensemble: number;
    writeQuorum: number;
    ackQuorum: number;
    /** Retention size (and backlog quota) of every namespace, per topic partition (each is a managed ledger), GiB. */
    topicRetentionGi: number;
    /** Spread brokers, bookies and ZooKeeper over zones (`topology.kubernetes.io/zone`), not only hosts. */
    zoneSpread: boolean;
}

/** Non-heap JVM memory (metaspace, code cache, thread stacks, GC structures) kept free under the limit, MiB. */
export const JVM_OVERHEAD_MIB = 512;
/** Share of the bookies' ledger disks the namespaces may fill (the rest is compaction and GC headroom). */
export const LEDGER_FILL = 0.8;

const jvm = (heapMiB: number, directMiB: number, cpu: string): JvmSizing => ({ heapMiB, directMiB, memoryMiB: heapMiB + directMiB + JVM_OVERHEAD_MIB, cpu });

/** Defaults per environment: what a stack gets unless it sets `pulsar.sizing`. */
export const SIZING_DEFAULTS: Record<Environment, PulsarSizing> = {
    local: {
        broker: jvm(512, 512, "500m"),
        bookie: { ...jvm(512, 512, "500m"), journalGi: 5, ledgersGi: 10 },
        zookeeper: { ...jvm(256, 128, "100m"), dataGi: 5 },
        proxy: jvm(256, 256, "100m"),
        autorecovery: jvm(256, 128, "100m"),
        toolset: jvm(128, 128, "100m"),
        standalone: { ...jvm(512, 512, "500m"), dataGi: 10 },
        ensemble: 1,
        writeQuorum: 1,
        ackQuorum: 1,
        topicRetentionGi: 0.1,
        zoneSpread: false,
    },
    dev: {
        broker: jvm(1024, 1024, "500m"),
        bookie: { ...jvm(1024, 1024, "500m"), journalGi: 20, ledgersGi: 200 },
        zookeeper: { ...jvm(512, 256, "250m"), dataGi: 20 },
        proxy: jvm(512, 512, "250m"),
        autorecovery: jvm(256, 128, "100m"),
        toolset: jvm(128, 128, "100m"),
        standalone: { ...jvm(512, 512, "500m"), dataGi: 10 },
        ensemble: 2,
        writeQuorum: 2,
        ackQuorum: 2,
        topicRetentionGi: 2,
        zoneSpread: false,
    },
    prod: {
        broker: jvm(4096, 4096, "2"),
        bookie: { ...jvm(4096, 4096, "2"), journalGi: 100, ledgersGi: 1000 },
        zookeeper: { ...jvm(1024, 512, "500m"), dataGi: 50 },
        proxy: jvm(1024, 1024, "1"),
        autorecovery: jvm(512, 256, "250m"),
        toolset: jvm(128, 128, "100m"),
        standalone: { ...jvm(512, 512, "500m"), dataGi: 10 },
        ensemble: 3,
        writeQuorum: 3,
        ackQuorum: 2,
        topicRetentionGi: 10,
        zoneSpread: true,
    },
};

/** `PULSAR_MEM` for a JVM sizing: fixed heap (-Xms = -Xmx) and the direct-memory cap. */
export function pulsarMem(j: JvmSizing): string {
    return `-Xms${j.heapMiB}m -Xmx${j.heapMiB}m -XX:MaxDirectMemorySize=${j.directMiB}m`;
}

/** The memory a `PULSAR_MEM`-style option string reserves (heap + direct), MiB; undefined when it sets no -Xmx. */
export function jvmReservedMiB(options: string): number | undefined {
    const units: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };
    const toMiB = (n: string, unit: string) => Number(n) * (units[unit.toLowerCase()] as number);
    const heap = /-Xmx(\d+)([kKmMgGtT])/.exec(options);
    if (!heap) {
        return undefined;
    }
    const direct = /-XX:MaxDirectMemorySize=(\d+)([kKmMgGtT])/.exec(options);
    // Without an explicit cap, direct memory may grow to the heap size (the JDK's default).
    const heapMiB = toMiB(heap[1] as string, heap[2] as string);
    return heapMiB + (direct ? toMiB(direct[1] as string, direct[2] as string) : heapMiB);
}

/** A Kubernetes memory quantity in MiB (`2Gi`, `512Mi`, `1G`...); undefined when it is not one. */
export function quantityMiB(q: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/.exec(q.trim());
    if (!m) {
        return undefined;
    }
    const f = { Ki: 1 / 1024, Mi: 1, Gi: 1024, Ti: 1024 * 1024, K: 1000 / 1024 ** 2, M: 1e6 / 1024 ** 2, G: 1e9 / 1024 ** 2, T: 1e12 / 1024 ** 2 } as Record<string, number>;
    return m[2] ? Number(m[1]) * (f[m[2]] as number) : Number(m[1]) / 1024 ** 2;
}

/** Why a JVM does not fit its container, or undefined. Pure; the rule every JVM the program sizes must pass. */
export function jvmFitProblem(options: string, limit: string | undefined): string | undefined {
    const reserved = jvmReservedMiB(options);
    if (reserved === undefined) {
        return `sets no -Xmx: the image's default heap (PULSAR_MEM in conf/pulsar_env.sh) applies, whatever the container's limit`;
    }
    const limitMiB = limit === undefined ? undefined : quantityMiB(limit);
    if (limitMiB === undefined) {
        return `has no memory limit to fit its ${reserved} MiB of heap and direct memory into`;
    }
    if (reserved + JVM_OVERHEAD_MIB > limitMiB) {
        return `reserves ${reserved} MiB of heap and direct memory (${options}) plus ~${JVM_OVERHEAD_MIB} MiB of non-heap memory, more than its ${limit} limit: the kernel kills it (OOMKilled)`;
    }
    return undefined;
}

export interface StoredTopic {
    partitions: number;
    /** What a partition may keep (its namespace's retention size), bytes. */
    retentionBytes: number;
    /** Where offload applies, the size above which a partition's ledgers move to the bucket, bytes. */
    offloadThresholdBytes?: number;
}

export interface BookieCapacity {
    /** Bytes the ledger disks must hold in the worst case the namespaces allow (every copy counted). */
    neededBytes: number;
    /** Bytes the namespaces may fill: ledgersGi on every bookie, times LEDGER_FILL. */
    availableBytes: number;
}

/**
 * What the bookies must hold when every partition keeps what its namespace allows (offloaded partitions only up to
 * the offload threshold), `writeQuorum` copies each, against what their ledger disks give. Pure.
 */
export function bookieCapacity(bookies: number, ledgersGi: number, writeQuorum: number, topics: StoredTopic[]): BookieCapacity {
    const perPartition = (t: StoredTopic) => (t.offloadThresholdBytes === undefined ? t.retentionBytes : Math.min(t.retentionBytes, t.offloadThresholdBytes));
    const neededBytes = topics.reduce((sum, t) => sum + t.partitions * perPartition(t), 0) * writeQuorum;
    return { neededBytes, availableBytes: bookies * ledgersGi * 1024 ** 3 * LEDGER_FILL };
}

