/** Reads the project's stack config into the validator's RawConfig shape (values + which keys are secret). */
import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, configSchema, type RawConfig } from "../topology";

/** `Config.get` returns the stored string; structured and numeric values are JSON in it. */
function parseValue(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/** `isConfigSecret` is exported by the SDK's runtime (runtime/config.js) but marked @internal in its typings. */
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret?: (key: string) => boolean }).isConfigSecret;

/** Reads every key of the config schema from the stack, with which of them are secret. */
export function readRawConfig(config: pulumi.Config): RawConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const key of Object.keys(configSchema.shape)) {
        const text = config.get(key);
        if (text === undefined) {
            continue;
        }
        // Secrets stay strings: a numeric-looking password must not become a number.
        values[key] = key in SECRET_KEYS ? text : parseValue(text);
        if (isConfigSecret?.(`${config.name}:${key}`)) {
            secretKeys.add(key);
        }
    }
    return { values, secretKeys };
}
