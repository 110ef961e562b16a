/** Test fixtures: the committed stack files as raw config, and helpers to derive variants from them. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { plan, rawConfigFromStackFile, validateConfig, type RawConfig, type Topology } from "../../topology";

export const STACKS = ["local", "dev", "prod"] as const;
export type StackName = (typeof STACKS)[number];

const root = resolve(__dirname, "../..");

export function stackText(stack: StackName): string {
    return readFileSync(resolve(root, `Pulumi.${stack}.yaml`), "utf8");
}

export function rawStack(stack: StackName, overrides: Record<string, unknown> = {}): RawConfig {
    return rawConfigFromStackFile(stackText(stack), overrides);
}

export function planStack(stack: StackName, overrides: Record<string, unknown> = {}): Topology {
    return plan(validateConfig(rawStack(stack, overrides)));
}

/** A deep copy of a stack's raw config with `edit` applied to its values. */
export function editRaw(stack: StackName, edit: (values: Record<string, any>) => void): RawConfig {
    const raw = rawStack(stack);
    const values = structuredClone(raw.values) as Record<string, any>;
    edit(values);
    return { values, secretKeys: new Set(raw.secretKeys) };
}

/**
 * The local stack ready for a Kafka decommission: phase 3, both gates approved, both confirmations set, and the
 * Kafka-only readers (etl-pipeline, audit-archiver) moved off Kafka by stream overrides.
 */
export function decommissionReady(v: Record<string, any>): void {
    v.phase = 3;
    v.gates = { auditParity: true, lifecycleParity: true };
    v.kafka.decommission = true;
    v.kafka.decommissionConfirmed = true;
    v.streams = {
        "job-lifecycle": { consumers: ["notification-service"] },
        "job-metrics": { consumers: ["metrics-collector"] },
        "audit-trail": { consumers: ["metrics-collector"] },
        "telescope-telemetry": { consumers: ["metrics-collector"] },
    };
}
