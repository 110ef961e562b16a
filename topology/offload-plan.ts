/**
 * Tiered-storage offload of a topology: the bucket, how the brokers authenticate to it, and each namespace's
 * thresholds.
 *
 * - S3 (aws-s3 driver): the AWS default credential chain of the offloader (JCloudBlobStoreProvider
 *   AWS_CREDENTIAL_BUILDER) includes the web identity IRSA injects: the brokers' ServiceAccount carries the role.
 * - GCS (google-cloud-storage driver): the offloader builds its credentials only from the JSON key file
 *   `gcsManagedLedgerOffloadServiceAccountKeyFile` (JCloudBlobStoreProvider GOOGLE_CLOUD_STORAGE `buildCredentials`), so
 *   Workload Identity alone cannot work; the chart mounts the key from `broker.storageOffload.gcsServiceAccountSecret`
 *   (and renders that volume whether or not the secret is set: an unset name is a pod the API refuses). The key
 *   belongs to a service account that may use this bucket only.
 * - A namespace's time threshold is below its retention time: retention deletes consumed ledgers (with their
 *   offloaded copies) once they are older than it, while offload runs only when a ledger rolls over
 *   (ManagedLedgerImpl.internalTrimConsumedLedgers), so a threshold equal to the retention never offloads by time.
 * Pure.
 */
import type { PlatformConfig } from "./config";
import type { OffloadPlan, PulsarPlan } from "./model";
import { PULSAR_BROKER_SERVICE_ACCOUNT } from "./naming";
import type { PhaseCapabilities } from "./phases";
import { offloadRetained, type DeployedState } from "./transition";

/** The Secret (and its key) holding the GCS offloader's service-account key. */
export const GCS_OFFLOAD_KEY = { secret: "pulsar-gcs-offload-key", file: "gcs-service-account.json" } as const;

/**
 * The offload of a stack at a phase: when the phase offloads and the stack enables it, or when the deployed stack
 * already offloaded (the storage high-water mark).
 */
export function planOffload(config: PlatformConfig, caps: PhaseCapabilities, deployed: DeployedState): OffloadPlan | null {
    const wanted = caps.offload && config.tieredStorage.enabled && config.cloud !== "none";
    if (!wanted && !offloadRetained(config, deployed)) {
        return null;
    }
    const ts = config.tieredStorage;
    const driver = config.cloud === "aws" ? ("aws-s3" as const) : ("google-cloud-storage" as const);
    return {
        driver,
        bucket: ts.bucket as string,
        prefix: ts.prefix,
        region: ts.region as string,
        thresholdBytes: ts.thresholdBytes,
        thresholdSeconds: ts.thresholdSeconds,
        noncurrentVersionDays: ts.noncurrentVersionDays,
        brokerServiceAccount: PULSAR_BROKER_SERVICE_ACCOUNT,
        credentials: driver === "aws-s3" ? { kind: "workload-identity" } : { kind: "key-file", ...GCS_OFFLOAD_KEY },
    };
}

/** The time threshold of a namespace: the stack's, but always below the namespace's retention (half of it at most). */
export function namespaceOffloadSeconds(thresholdSeconds: number, retentionSeconds: number): number {
    return Math.min(thresholdSeconds, Math.floor(retentionSeconds / 2));
}

/** Sets every namespace's offload thresholds. */
export function applyOffloadThresholds(pulsar: PulsarPlan, offload: OffloadPlan): void {
    for (const ns of pulsar.namespaces) {
        ns.offloadThresholdSize = String(offload.thresholdBytes);
        ns.offloadThresholdTime = `${namespaceOffloadSeconds(offload.thresholdSeconds, ns.retentionSeconds)}s`;
    }
}
