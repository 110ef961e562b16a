/**
 * Reads a stack settings file (`Pulumi.<stack>.yaml`) into the validator's RawConfig, so `npm run plan`
 * and the tests see exactly what `pulumi preview` would, without Pulumi. Secrets (`secure:` values) are not
 * decrypted: they are present, secret, and shown as `<secret>`.
 */
import { parse } from "yaml";
import { CONFIG_NAMESPACE, type RawConfig } from "./config";

export const SECRET_PLACEHOLDER = "<secret>";

/**
 * @param text the YAML text of a stack settings file
 * @param overrides values that replace the file's (e.g. `{ phase: 2 }` for `--phase 2`)
 */
export function rawConfigFromStackFile(text: string, overrides: Record<string, unknown> = {}): RawConfig {
    const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    const prefix = `${CONFIG_NAMESPACE}:`;
    for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
        if (!fullKey.startsWith(prefix)) {
            continue; // provider config (kubernetes:, aws:, ...) is not ours to validate
        }
        const key = fullKey.slice(prefix.length);
        if (isSecure(value)) {
            values[key] = SECRET_PLACEHOLDER;
            secretKeys.add(key);
        } else {
            values[key] = value;
        }
    }
    return { values: { ...values, ...overrides }, secretKeys };
}

function isSecure(value: unknown): boolean {
    return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}
