/**
 * The Pulumi CLI's own config rules, applied before any program runs: what `pulumi preview` refuses with
 * "validating stack config: ..." (pulumi/pulumi pkg/v3@v3.274.1 `workspace/config.go`, `mergeConfig` and
 * `validateStackConfigValue`; type checks in sdk/v3 `go/common/workspace/project.go`, `ValidateConfigValue`):
 *
 * 1. A key declared under Pulumi.yaml `config:` in the project's namespace with neither `default` nor `value` is
 *    required: a stack without it fails with "Stack 'S' is missing configuration value 'K'".
 * 2. Declared defaults/values are merged into the stack config first (so a `secret: true` key with a default fails
 *    rule 3: a project default is never encrypted).
 * 3. A key declared `secret: true` must be stored encrypted (`secure:`): "must be encrypted as it's secret".
 * 4. A value must have the declared type. Top-level scalars arrive as strings (config.Value.MarshalString), so
 *    `integer` accepts strings strconv.Atoi parses and `boolean` accepts "true" / "false"; objects and arrays are
 *    checked as the JSON they are stored as.
 *
 * Pure: `npm run plan` and the tests apply these rules to Pulumi.<stack>.yaml exactly as the CLI would.
 */
import type { EngineValue } from "./stack-file";

/** One entry of Pulumi.yaml `config:` (sdk/v3 workspace.ProjectConfigType). */
export interface ProjectConfigType {
    type?: "string" | "integer" | "boolean" | "array" | "object";
    items?: { type: string; items?: unknown };
    description?: string;
    default?: unknown;
    value?: unknown;
    secret?: boolean;
}

export interface ProjectDeclaration {
    name: string;
    config: Record<string, ProjectConfigType>;
}

/** Pulumi.yaml's `name` and `config`, from its parsed YAML. */
export function projectDeclaration(doc: unknown): ProjectDeclaration {
    const d = (doc ?? {}) as { name?: unknown; config?: Record<string, unknown> };
    const config: Record<string, ProjectConfigType> = {};
    const name = String(d.name ?? "");
    for (const [key, decl] of Object.entries(d.config ?? {})) {
        // Shorthand (`key: 3`): a default for a key of the project's namespace, a value otherwise
        // (sdk/v3 workspace/project.go `RewriteShorthandConfigValues`).
        const shorthand = decl === null || typeof decl !== "object" || Array.isArray(decl);
        config[key] = shorthand ? (isProjectKey(name, key) ? { default: decl } : { value: decl }) : (decl as ProjectConfigType);
    }
    return { name, config };
}

function isProjectKey(projectName: string, key: string): boolean {
    return !key.includes(":") || key.startsWith(`${projectName}:`);
}

/** The full key (`project:key`) of a declared config key; keys with a `:` are already namespaced. */
export function declaredKey(projectName: string, key: string): string {
    return key.includes(":") ? key : `${projectName}:${key}`;
}

function validType(type: string, items: ProjectConfigType["items"], value: unknown): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            if (typeof value === "number") {
                return Number.isInteger(value);
            }
            // strconv.Atoi: optional sign, decimal digits, fits in 64 bits.
            return typeof value === "string" && /^[+-]?\d+$/.test(value) && Number.isSafeInteger(Number(value));
        case "boolean":
            return value === "true" || value === "false" || typeof value === "boolean";
        case "object":
            return value !== null && typeof value === "object" && !Array.isArray(value);
        default:
            // array
            return Array.isArray(value) && items !== undefined && value.every((v) => validType(items.type, items.items as ProjectConfigType["items"], v));
    }
}

/**
 * What the CLI would refuse in this stack's config before running the program, in the CLI's words.
 * @param stack the stack's config as the engine holds it (full keys), see `engineConfigFromStackFile`
 */
export function projectConfigProblems(project: ProjectDeclaration, stackName: string, stack: Record<string, EngineValue>): string[] {
    const problems: string[] = [];
    const merged = { ...stack };
    const missing: string[] = [];
    for (const key of Object.keys(project.config).sort()) {
        const decl = project.config[key] as ProjectConfigType;
        const full = declaredKey(project.name, key);
        const has = full in merged;
        const hasDefault = decl.default !== undefined;
        const hasValue = decl.value !== undefined;
        if (!has && !hasDefault && !hasValue && full.startsWith(`${project.name}:`)) {
            missing.push(key);
            continue;
        }
        if (!has && (hasDefault || hasValue)) {
            const v = hasDefault ? decl.default : decl.value;
            const primitive = typeof v === "string" || typeof v === "number" || typeof v === "boolean";
            merged[full] = { text: primitive ? String(v) : JSON.stringify(v), secure: false, object: !primitive };
        }
    }
    if (missing.length > 0) {
        const quoted = missing.map((k) => `'${k}'`);
        const list = quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
        problems.push(`Stack '${stackName}' is missing configuration ${missing.length === 1 ? "value" : "values"} ${list}`);
    }
    for (const key of Object.keys(project.config).sort()) {
        const decl = project.config[key] as ProjectConfigType;
        const v = merged[declaredKey(project.name, key)];
        if (v === undefined || decl.type === undefined) {
            continue;
        }
        if (decl.secret && !v.secure) {
            problems.push(`Stack '${stackName}' with configuration key '${key}' must be encrypted as it's secret`);
            continue;
        }
        // Secrets cannot be decrypted offline; their type is checked by the program once decrypted.
        if (v.secure) {
            continue;
        }
        const content: unknown = v.object ? JSON.parse(v.text) : v.text;
        if (!validType(decl.type, decl.items, content)) {
            problems.push(`Stack '${stackName}' with configuration key '${key}' must be of type '${decl.type}'`);
        }
    }
    return problems;
}
