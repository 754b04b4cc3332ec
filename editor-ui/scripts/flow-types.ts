// The TypeScript types of the flow document, generated from the JSON Schema the engine writes
// (schema/flow-v1.schema.json) with json-schema-to-typescript. `src/flow/generated.test.ts`
// fails when src/flow/generated.ts is not what this makes; `npm run generate` rewrites it.

import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import { compile, type JSONSchema } from "json-schema-to-typescript";

const SCHEMA_PATH = resolve(dirname(fileURLToPath(import.meta.url)), "../../schema/flow-v1.schema.json");

const BANNER = `// Generated from schema/flow-v1.schema.json by \`npm run generate\` (json-schema-to-typescript).
// Do not edit: change the engine's model, regenerate the schema, then run \`npm run generate\`.`;

/** Keywords that say what a value may be; a schema with none of them allows any JSON value. */
const TYPE_KEYWORDS = ["type", "$ref", "allOf", "anyOf", "oneOf", "not", "enum", "const", "properties", "items"];
/** Keywords whose value is a schema, a list of schemas, or a map of names to schemas. */
const SCHEMA_VALUES = ["items", "additionalProperties", "not", "contains"];
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf", "prefixItems"];
const SCHEMA_MAPS = ["properties", "$defs"];

const JSON_VALUE: JSONSchema = {
  description: "Any JSON value.",
  tsType: "string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }",
};
const JSON_VALUE_REF: JSONSchema = { $ref: "#/$defs/JsonValue" };

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Two rewrites that keep the schema's meaning and help the generator:
 * - a `$ref` beside other keywords (a field's description) becomes `allOf: [{ $ref }]`, so the
 *   referenced type keeps its name instead of being copied as `Retry1`, `Retry2`…;
 * - a schema that allows any JSON value (`additionalProperties: true`, or no type keyword at all)
 *   refers to `JsonValue` instead of becoming an object type.
 */
function normalise(schema: Schema): Schema {
  if ("$ref" in schema && Object.keys(schema).length > 1) {
    const { $ref, ...rest } = schema;
    return { ...rest, allOf: [{ $ref }] };
  }
  if (!TYPE_KEYWORDS.some((keyword) => keyword in schema)) return { ...schema, allOf: [JSON_VALUE_REF] };
  const result: Schema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (keyword === "additionalProperties" && value === true) result[keyword] = JSON_VALUE_REF;
    else if (SCHEMA_MAPS.includes(keyword)) result[keyword] = mapValues(value, normalise);
    else if (SCHEMA_LISTS.includes(keyword) && Array.isArray(value)) result[keyword] = value.map((item) => (isObject(item) ? normalise(item) : item));
    else if (SCHEMA_VALUES.includes(keyword) && isObject(value)) result[keyword] = normalise(value);
    else result[keyword] = value;
  }
  return result;
}

function mapValues(value: unknown, f: (schema: Schema) => Schema): Schema {
  if (!isObject(value)) return {};
  return Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, isObject(schema) ? f(schema) : schema]));
}

/** A node kind's schema (an object whose `type` is a constant) is named after it: `say` → `SayNode`. */
function nodeName(schema: Schema): string | undefined {
  const properties = schema.properties;
  const type = isObject(properties) && isObject(properties.type) ? properties.type : {};
  // The generator has already turned `const` into a one-value `enum` when it asks.
  const kind = type.const ?? (Array.isArray(type.enum) && type.enum.length === 1 ? type.enum[0] : undefined);
  if (typeof kind !== "string") return undefined;
  return kind.replace(/(^|_)(\w)/g, (_, __, letter: string) => letter.toUpperCase()) + "Node";
}

/** The contents of src/flow/generated.ts for the schema as it is now. */
export async function flowTypes(): Promise<string> {
  const schema = normalise(JSON.parse(await readFile(SCHEMA_PATH, "utf8")) as Schema);
  const defs = isObject(schema.$defs) ? schema.$defs : {};
  schema.$defs = { ...defs, JsonValue: JSON_VALUE };
  return compile(schema as JSONSchema, "FlowDocument", {
    bannerComment: BANNER,
    additionalProperties: false,
    customName: (node) => nodeName(node as Schema),
  });
}
