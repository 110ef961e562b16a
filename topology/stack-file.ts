/**
 * One config reader for the program and every script: stack config as the Pulumi engine hands it to a program, then
 * coerced once by the declared type of each key.
 *
 * What the engine hands over (pulumi/pulumi sdk/v3@v3.274.1 `go/common/resource/config`): every value is a string.
 * A top-level YAML scalar is its text (`phase: 0` and `pulumi config set phase 2`, which writes `"2"`, both arrive as
 * the strings "0" and "2"; `true` arrives as "true": object.go `MarshalString`); a map or list arrives as its JSON
 * (`object: true`); a `secure:` value arrives decrypted, and its key is listed in PULUMI_CONFIG_SECRET_KEYS. Project
 * defaults from Pulumi.yaml are merged in before (pkg/v3 workspace/config.go `mergeConfig`).
 *
 * `rawConfigFromEngine` is the only place that turns those strings into values: a `number` key parses as a number,
 * a `boolean` key takes "true"/"false", a structured key (object, list, map) parses as JSON, a string key (and every
 * secret) stays the string. index.ts reads the runtime's config through it; `npm run plan`, `npm run policy` and the
 * tests read Pulumi.<stack>.yaml through `engineConfigFromStackFile` first, so all of them see the same values.
 * Pure: no Pulumi imports.
 */
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { CONFIG_NAMESPACE, configValueKind, type RawConfig } from "./config";
import { declaredKey, type ProjectDeclaration } from "./project-config";

export const SECRET_PLACEHOLDER = "<secret>";

/** One stack config value as the engine stores it (config.Value: text, secure, object). */
export interface EngineValue {
    text: string;
    /** Stored encrypted (`secure:`); `text` is then the ciphertext. */
    secure: boolean;
    /** A structured value: `text` is JSON. */
    object: boolean;
}

/** The config a program receives: full keys (`ns:key`) to strings, and which keys are secret. */
export interface EngineConfig {
    values: Record<string, string>;
    secretKeys: ReadonlySet<string>;
}

/** A stack or project file that is not valid YAML (or not a mapping): the message names the file, line and column. */
export class StackFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackFileError";
    }
}

function isSecure(value: unknown): value is { secure: string } {
    return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** The engine's text of a value (config object.go `MarshalString`): strings as they are, everything else as JSON. */
export function engineValue(value: unknown): EngineValue {
    if (isSecure(value)) {
        return { text: String(value.secure), secure: true, object: false };
    }
    if (typeof value === "string") {
        return { text: value, secure: false, object: false };
    }
    if (typeof value === "number" || typeof value === "boolean") {
        return { text: JSON.stringify(value), secure: false, object: false };
    }
    return { text: JSON.stringify(value ?? null), secure: false, object: true };
}

/**
 * Parses a YAML file (a stack or project file) into plain data. A syntax error names the file, line and column.
 * @param file the name shown in errors, e.g. `Pulumi.local.yaml`
 */
export function parseYamlFile(text: string, file: string): Record<string, unknown> {
    const doc = parseDocument(text, { uniqueKeys: true });
    const error = doc.errors[0];
    if (error) {
        const pos = error.linePos?.[0];
        const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
        const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
        throw new StackFileError(`${where}: invalid YAML: ${message}`);
    }
    if (doc.contents !== null && !isMap(doc.contents)) {
        const kind = isSeq(doc.contents) ? "a list" : isScalar(doc.contents) ? "a single value" : "not a mapping";
        throw new StackFileError(`${file}: expected a mapping of settings (name:, config: ...), found ${kind}`);
    }
    return (doc.toJS() ?? {}) as Record<string, unknown>;
}

/** The `config:` of a stack file as the engine stores it: full keys to engine values. */
export function stackFileConfig(text: string, file: string): Record<string, EngineValue> {
    const doc = parseYamlFile(text, file);
    const config = doc.config ?? {};
    if (typeof config !== "object" || config === null || Array.isArray(config)) {
        throw new StackFileError(`${file}: \`config:\` must be a mapping of keys to values`);
    }
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, engineValue(v)]));
}

export interface EngineConfigOptions {
    /** Pulumi.yaml's declarations: their defaults and values are merged in as the engine does. @default none */
    project?: ProjectDeclaration;
    /** The text a secret arrives as (offline nothing is decrypted). @default `<secret>` */
    secretText?: (key: string) => string;
    /** Values that replace the file's, as plain data (e.g. `{ phase: 2 }` for `--phase 2`), under the project namespace. */
    overrides?: Record<string, unknown>;
}

/** The config the engine would hand the program for this stack file. Pure. */
export function engineConfigFromStackFile(text: string, file: string, opts: EngineConfigOptions = {}): EngineConfig {
    const stored = stackFileConfig(text, file);
    for (const [key, decl] of Object.entries(opts.project?.config ?? {})) {
        const full = declaredKey(opts.project?.name ?? CONFIG_NAMESPACE, key);
        const fallback = decl.default ?? decl.value;
        if (!(full in stored) && fallback !== undefined) {
            stored[full] = engineValue(fallback);
        }
    }
    for (const [key, value] of Object.entries(opts.overrides ?? {})) {
        if (value === undefined) {
            delete stored[`${CONFIG_NAMESPACE}:${key}`];
        } else {
            stored[`${CONFIG_NAMESPACE}:${key}`] = engineValue(value);
        }
    }
    const secretText = opts.secretText ?? (() => SECRET_PLACEHOLDER);
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [key, v] of Object.entries(stored)) {
        values[key] = v.secure ? secretText(key) : v.text;
        if (v.secure) {
            secretKeys.add(key);
        }
    }
    return { values, secretKeys };
}

/**
 * The project's keys, coerced by their declared type, for `validateConfig`. Every key of the namespace is passed on,
 * known or not, so a misspelt key is refused there rather than ignored.
 */
export function rawConfigFromEngine(engine: EngineConfig): RawConfig {
    const prefix = `${CONFIG_NAMESPACE}:`;
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, text] of Object.entries(engine.values)) {
        if (!fullKey.startsWith(prefix)) {
            continue; // provider config (kubernetes:, aws:, pulumi:...) is not ours to validate
        }
        const key = fullKey.slice(prefix.length);
        const secret = engine.secretKeys.has(fullKey);
        values[key] = secret ? text : coerce(configValueKind(key), text);
        if (secret) {
            secretKeys.add(key);
        }
    }
    return { values, secretKeys };
}

/** Text as a value of the declared kind; text that does not parse stays text, so validation names it. */
function coerce(kind: ReturnType<typeof configValueKind>, text: string): unknown {
    switch (kind) {
        case "number":
            return /^[+-]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
        case "boolean":
            return text === "true" ? true : text === "false" ? false : text;
        case "structured":
            try {
                return JSON.parse(text);
            } catch {
                return text;
            }
        default:
            return text;
    }
}

/** The program's raw config for a stack file (engine view, then the one coercion), as `npm run plan` reads it. */
export function rawConfigFromStackFile(text: string, overrides: Record<string, unknown> = {}, file = "stack file", project?: ProjectDeclaration): RawConfig {
    return rawConfigFromEngine(engineConfigFromStackFile(text, file, { overrides, ...(project ? { project } : {}) }));
}
