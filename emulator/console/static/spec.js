// The served OpenAPI document (/openapi.json, read from its control-plane twin so the console's own
// reads stay out of the journal), loaded once: operations for "Try it" and the
// reference, the scopes the API knows, and which control-plane endpoints this emulator has.
import { control } from "./api.js";

let doc = null;
let loading = null;

export function loadSpec() {
  loading ||= control("GET", "/_emulator/openapi.json").then((answer) => { doc = answer.data; return doc; });
  return loading;
}

export const spec = () => doc;

export function hasControl(method, path) {
  return Boolean(doc?.paths?.[path]?.[method.toLowerCase()]);
}

export async function knownScopes() {
  const data = await loadSpec();
  return Object.keys(data.components?.securitySchemes?.oauth2?.flows?.clientCredentials?.scopes || {});
}

export function operations() {
  const out = [];
  for (const [path, ops] of Object.entries(doc?.paths || {})) {
    for (const [method, op] of Object.entries(ops)) out.push({ method: method.toUpperCase(), path, op });
  }
  return out;
}

/** Follow a local $ref ("#/components/schemas/X") to its schema. */
export function resolve(schema) {
  let seen = 0;
  while (schema && schema.$ref && seen++ < 20) {
    schema = schema.$ref.split("/").slice(1).reduce((node, key) => node?.[key], doc);
  }
  return schema || {};
}

/** A valid-looking example for a JSON Schema: examples, defaults, enums, then required properties. */
export function example(schema, depth = 0) {
  schema = resolve(schema);
  if (depth > 6) return null;
  if (schema.examples?.length) return schema.examples[0];
  if (schema.example !== undefined) return schema.example;
  if (schema.default !== undefined) return schema.default;
  if (schema.const !== undefined) return schema.const;
  if (schema.enum?.length) return schema.enum[0];
  for (const key of ["oneOf", "anyOf", "allOf"]) {
    if (schema[key]?.length) {
      const choice = schema[key].find((s) => resolve(s).type !== "null") || schema[key][0];
      return example(choice, depth + 1);
    }
  }
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  if (type === "object" || schema.properties) {
    const out = {};
    for (const name of schema.required || []) out[name] = example(schema.properties?.[name] || {}, depth + 1);
    return out;
  }
  if (type === "array") {
    const item = example(schema.items || {}, depth + 1);
    return Array.from({ length: schema.minItems || (schema.required ? 1 : 0) || 1 }, () => item);
  }
  if (type === "integer" || type === "number") return schema.minimum ?? 1;
  if (type === "boolean") return false;
  if (type === "string") {
    if (schema.format === "uuid") return "00000000-0000-4000-8000-000000000000";
    if (schema.format === "date-time") return "2025-01-01T00:00:00Z";
    if (schema.format === "email") return "someone@example.com";
    return "example".padEnd(schema.minLength || 0, "x");
  }
  return null;
}
