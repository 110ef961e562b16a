/**
 * The Pulsar schema of a JSON stream, derived from its JSON Schema contract (schemas/*.json).
 *
 * For type JSON, Pulsar stores an Avro record definition as the schema, not a JSON Schema document: the JSON schema
 * type "generate[s] and store[s] an avro schema" (apache/pulsar#2071, #3766); the broker validates the definition as
 * Avro and only falls back to the legacy Jackson JsonSchema model for old clients (StructSchemaDataValidator), and a
 * draft 2020-12 document registered as JSON breaks every Avro-based reader ("SchemaParseException: Type not supported:
 * object", PIP-464). The JSON Schema files stay the contract the services validate payloads with; this derives the
 * record Pulsar checks compatibility with.
 *
 * The mapping: string -> string, integer -> long, number -> double, boolean -> boolean, a string enum -> an Avro enum,
 * `[T, "null"]` or not required -> a union with null (default null, or the JSON default first), a free-form object
 * (`additionalProperties: true` and no properties) -> a map of JSON scalars (Avro has no "any" type). Anything else is
 * refused with the path that has it. Pure.
 */

export interface AvroRecord {
    type: "record";
    name: string;
    namespace: string;
    doc?: string;
    fields: { name: string; type: unknown; default?: unknown; doc?: string }[];
}

/** The Avro namespace of the platform's records. */
export const AVRO_NAMESPACE = "ai.cosmic.orchestrator";

export interface JsonSchemaNode {
    type?: string | string[];
    title?: string;
    description?: string;
    properties?: Record<string, JsonSchemaNode>;
    required?: string[];
    enum?: unknown[];
    additionalProperties?: boolean | JsonSchemaNode;
    default?: unknown;
}

const SCALARS: Record<string, string> = { string: "string", integer: "long", number: "double", boolean: "boolean" };
const JSON_SCALARS = ["null", "boolean", "long", "double", "string"];

const avroName = (s: string) => s.replace(/[^A-Za-z0-9_]/g, "_").replace(/^([^A-Za-z_])/, "_$1");
const pascal = (s: string) => avroName(s.charAt(0).toUpperCase() + s.slice(1));

function fieldType(node: JsonSchemaNode, path: string, fieldName: string): { type: unknown; nullable: boolean } {
    const types = Array.isArray(node.type) ? node.type : node.type !== undefined ? [node.type] : [];
    const nullable = types.includes("null");
    const rest = types.filter((t) => t !== "null");
    if (rest.length !== 1) {
        throw new Error(`${path}: a JSON Schema type of exactly one kind (or that kind and null) has an Avro form; found ${JSON.stringify(node.type)}`);
    }
    const t = rest[0] as string;
    if (t === "string" && node.enum !== undefined) {
        if (!node.enum.every((e) => typeof e === "string" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(e))) {
            throw new Error(`${path}: only enums of Avro-name strings have an Avro form; found ${JSON.stringify(node.enum)}`);
        }
        return { type: { type: "enum", name: `${pascal(fieldName)}Value`, symbols: node.enum }, nullable };
    }
    if (SCALARS[t]) {
        return { type: SCALARS[t], nullable };
    }
    if (t === "object" && node.properties === undefined && node.additionalProperties !== false) {
        return { type: { type: "map", values: JSON_SCALARS }, nullable };
    }
    throw new Error(`${path}: JSON Schema type ${t} with this shape has no Avro form here (nested records and arrays are not mapped)`);
}

/**
 * The Avro record of a JSON Schema object (draft 2020-12, as schemas/*.json write it).
 * @param schema the parsed JSON Schema document
 * @param file its name, for errors
 */
export function avroRecordFromJsonSchema(schema: JsonSchemaNode & { $id?: string }, file: string): AvroRecord {
    if (schema.type !== "object" || schema.properties === undefined) {
        throw new Error(`${file}: the top level must be an object with properties to become an Avro record`);
    }
    if (!schema.title) {
        throw new Error(`${file}: needs a title (the Avro record's name)`);
    }
    const required = new Set(schema.required ?? []);
    const fields = Object.entries(schema.properties).map(([name, node]) => {
        const { type, nullable } = fieldType(node, `${file}#/properties/${name}`, name);
        const optional = nullable || !required.has(name);
        const doc = node.description !== undefined ? { doc: node.description } : {};
        if (!optional) {
            return { name: avroName(name), type, ...doc };
        }
        // A union's default must match its first branch: the JSON default leads when there is one.
        return node.default !== undefined
            ? { name: avroName(name), type: [type, "null"], default: node.default, ...doc }
            : { name: avroName(name), type: ["null", type], default: null, ...doc };
    });
    return { type: "record", name: pascal(schema.title), namespace: AVRO_NAMESPACE, ...(schema.description ? { doc: schema.description } : {}), fields };
}
