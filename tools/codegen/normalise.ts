/**
 * Normalises what the TypeSpec OpenAPI 3.1 emitter writes into what every consumer accepts. Every patch to the
 * emitted document lives here, in one place, with the reason beside it.
 */

import type { OpenApiDocument, Schema } from '../../src/contract/openapi.ts';
import { operationsOf } from '../../src/contract/openapi.ts';

export type {
  EngineExtension,
  McpExtension,
  OpenApiDocument,
  Operation,
  Schema,
} from '../../src/contract/openapi.ts';
export { operationsOf } from '../../src/contract/openapi.ts';

/** `NotionGateway.Models.Connection` → `Connection`: the namespaces are a TypeSpec layout detail, not API. */
function shortSchemaName(name: string): string {
  return name.replace(/^NotionGateway\.[A-Za-z]+\./, '');
}

function walk(node: unknown, visit: (obj: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
  } else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    for (const value of Object.values(node)) walk(value, visit);
  }
}

/** `{}` accepts everything and `{not: {}}` (what seal-object-schemas emits) nothing: say so plainly. */
function schemaAsBoolean(schema: Schema | boolean): Schema | boolean {
  if (typeof schema === 'boolean') return schema;
  const keys = Object.keys(schema);
  if (keys.length === 0) return true;
  if (keys.length === 1 && schema.not && Object.keys(schema.not as Schema).length === 0) return false;
  return schema;
}

function isPlainTypedSchema(s: unknown): s is Schema {
  return !!s && typeof s === 'object' && typeof (s as Schema).type === 'string' && !('$ref' in (s as Schema));
}

export function normaliseDocument(input: OpenApiDocument): OpenApiDocument {
  const doc = structuredClone(input);

  // Short component names, unique or the build fails.
  const renamed: Record<string, Schema> = {};
  for (const [name, schema] of Object.entries(doc.components.schemas)) {
    const short = shortSchemaName(name);
    if (renamed[short]) throw new Error(`Two schemas would both be called ${short}: rename one in spec/.`);
    renamed[short] = schema;
  }
  doc.components.schemas = Object.fromEntries(Object.entries(renamed).sort(([a], [b]) => a.localeCompare(b)));

  walk(doc, (obj) => {
    if (typeof obj.$ref === 'string' && obj.$ref.startsWith('#/components/schemas/')) {
      obj.$ref = `#/components/schemas/${shortSchemaName(obj.$ref.slice('#/components/schemas/'.length))}`;
    }
    // 3.1 emits Record<unknown> as `unevaluatedProperties`: openapi-typescript, openapi-backend (draft-07 Ajv) and
    // Prism ignore or mishandle it, and the GPT Actions editor rejects objects without `properties`.
    if ('unevaluatedProperties' in obj) {
      const extra = obj.unevaluatedProperties as Schema | boolean;
      delete obj.unevaluatedProperties;
      obj.additionalProperties = schemaAsBoolean(extra);
    }
    if (obj.type === 'object' && !('properties' in obj)) obj.properties = {};
    // `anyOf: [{type: X}, {type: null}]` → `type: [X, "null"]`: same meaning, and no anyOf for Actions to trip on.
    const anyOf = obj.anyOf as unknown[] | undefined;
    if (Array.isArray(anyOf) && anyOf.length === 2) {
      const nullIndex = anyOf.findIndex((s) => (s as Schema)?.type === 'null' && Object.keys(s as Schema).length === 1);
      const other = anyOf[1 - nullIndex];
      if (nullIndex >= 0 && isPlainTypedSchema(other) && other.type !== 'object') {
        delete obj.anyOf;
        Object.assign(obj, other, { type: [other.type, 'null'] });
      }
    }
  });

  // An empty tag list and empty parameter lists are noise in every consumer's view.
  if (Array.isArray(doc.tags) && doc.tags.length === 0) delete doc.tags;
  for (const { op } of operationsOf(doc)) {
    if (Array.isArray(op.parameters) && op.parameters.length === 0) delete op.parameters;
    // TypeSpec writes `explode: false` on every query parameter; it only means something for arrays and objects, and
    // openapi-backend splits a scalar marked that way into an array (`?state=a` fails "must be string").
    for (const param of op.parameters ?? []) {
      const type = (param.schema as Schema | undefined)?.type;
      if (param.explode === false && type !== 'array' && type !== 'object') delete param.explode;
    }
    // TypeSpec keeps the doc comment's line breaks; one paragraph reads better in every client.
    if (op.description) op.description = op.description.replace(/\s*\n\s*/g, ' ');
  }
  return doc;
}

/** Follows a local `$ref` (`#/components/schemas/X`). */
export function resolveRef(doc: OpenApiDocument, schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`Unresolved reference ${ref}`);
  return target;
}

/**
 * Inlines every `$ref` (what an MCP client gets must stand alone: no `$defs` block copied into each tool).
 * The contract has no recursive models; a cycle would be a spec bug, so it fails loudly.
 */
export function inlineRefs(doc: OpenApiDocument, schema: Schema, seen: string[] = []): Schema {
  if (typeof schema.$ref === 'string') {
    if (seen.includes(schema.$ref)) throw new Error(`Recursive schema ${schema.$ref} cannot be inlined`);
    const { $ref, ...siblings } = schema;
    return { ...inlineRefs(doc, resolveRef(doc, schema), [...seen, $ref as string]), ...siblings };
  }
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (Array.isArray(value)) {
      out[key] = value.map((v) => (v && typeof v === 'object' ? inlineRefs(doc, v as Schema, seen) : v));
    } else if (value && typeof value === 'object' && key !== 'enum' && key !== 'const' && key !== 'default') {
      out[key] = inlineRefs(doc, value as Schema, seen);
    } else {
      out[key] = value;
    }
  }
  return out;
}
