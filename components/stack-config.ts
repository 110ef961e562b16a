/**
 * The program's side of the one config reader (topology/stack-file.ts): the config map the engine handed this
 * process (PULUMI_CONFIG, every value a string) and its secret keys (PULUMI_CONFIG_SECRET_KEYS), unchanged, then
 * `rawConfigFromEngine` coerces them exactly as `npm run plan` does for a stack file.
 */
import * as pulumi from "@pulumi/pulumi";
import { rawConfigFromEngine, type EngineConfig, type RawConfig } from "../topology";

/** `isConfigSecret` is exported by the SDK's runtime (runtime/config.js) but marked @internal in its typings. */
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

/** Every config key of the process with its string value, and which of them are secret: the engine's view. */
export function engineConfigOfProcess(): EngineConfig {
    const values = pulumi.runtime.allConfig();
    return { values, secretKeys: new Set(Object.keys(values).filter((k) => isConfigSecret?.(k) === true)) };
}

/** The project's stack config, coerced by declared type, for `validateConfig`. */
export function readRawConfig(): RawConfig {
    return rawConfigFromEngine(engineConfigOfProcess());
}
