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
    // A union (oneOf) gets its properties from its branches; elsewhere an object without them trips the Actions editor.
    if (obj.type === 'object' && !('properties' in obj) && !('oneOf' in obj)) obj.properties = {};
    // Ajv refuses a discriminator `mapping`; every branch of ours spells its tag as a one-value enum, which says it
    // (openapi-typescript, which wants it, is given it back: withDiscriminatorMappings).
    const discriminator = obj.discriminator as { mapping?: unknown } | undefined;
    if (discriminator && typeof discriminator === 'object') delete discriminator.mapping;
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

/** The one value (or values) a union branch's tag property allows. */
function tagValues(schema: Schema | undefined, where: string): string[] {
  if (typeof schema?.const === 'string') return [schema.const];
  if (Array.isArray(schema?.enum)) return schema.enum as string[];
  throw new Error(`${where}: a union branch's tag must be a string literal`);
}

/**
 * A discriminated union (`oneOf` + `discriminator`) as one object, for the readers that take no combinators (the
 * Actions importer, an MCP client's listing): its tag lists every branch's value with each branch's description,
 * a member the branches share unchanged stays, one that varies (each kind's `args`) is a free object. The server
 * still validates the union itself (openapi.full.json, mcp-validation.json).
 */
export function flattenUnion(union: Schema, resolve: (schema: Schema) => Schema = (s) => s): Schema {
  const tag = (union.discriminator as { propertyName?: string } | undefined)?.propertyName;
  if (!tag || !Array.isArray(union.oneOf)) throw new Error('flattenUnion: not a discriminated union');
  const branches = (union.oneOf as Schema[]).map(resolve);
  const members = (b: Schema) => (b.properties ?? {}) as Record<string, Schema>;
  const names = [...new Set(branches.flatMap((b) => Object.keys(members(b))))];
  const properties: Record<string, Schema> = {};
  for (const name of names) {
    const variants = branches.map((b) => members(b)[name]);
    const descriptions = [...new Set(variants.map((v) => v?.description).filter((d) => typeof d === 'string'))];
    const description = descriptions.length > 0 ? { description: descriptions.join('; ') } : {};
    if (name === tag) {
      properties[name] = { type: 'string', enum: variants.flatMap((v) => tagValues(v, tag)), ...description };
    } else if (variants.every((v) => v && JSON.stringify(v) === JSON.stringify(variants[0]))) {
      properties[name] = variants[0]!;
    } else if (variants.every((v) => v && resolve(v).type === 'object')) {
      // The tag's description says what each kind's object holds.
      properties[name] = { type: 'object', additionalProperties: true, properties: {} };
    } else {
      throw new Error(`flattenUnion: member ${name} varies between the branches and is not always an object`);
    }
  }
  const required = names.filter((n) => branches.every((b) => ((b.required as string[]) ?? []).includes(n)));
  const sealed = branches.every((b) => b.additionalProperties === false);
  return {
    type: 'object',
    required,
    properties,
    ...(union.description === undefined ? {} : { description: union.description }),
    ...(sealed ? { additionalProperties: false } : {}),
  };
}

/** Names of the component schemas `node` reaches, following `$ref`s. */
function reachableSchemas(doc: OpenApiDocument, node: unknown, seen = new Set<string>()): Set<string> {
  walk(node, (obj) => {
    const ref = obj.$ref;
    if (typeof ref !== 'string' || !ref.startsWith('#/components/schemas/')) return;
    const name = ref.slice('#/components/schemas/'.length);
    if (seen.has(name)) return;
    seen.add(name);
    reachableSchemas(doc, doc.components.schemas[name], seen);
  });
  return seen;
}

/**
 * The Actions document: ChatGPT's importer takes no oneOf/anyOf/allOf in a request body, so every discriminated
 * union becomes one object (flattenUnion); the branches nothing references any more are dropped.
 */
export function flattenUnionsForActions(input: OpenApiDocument): OpenApiDocument {
  const doc = structuredClone(input);
  const schemas = doc.components.schemas;
  for (const [name, schema] of Object.entries(schemas)) {
    if (schema.discriminator && Array.isArray(schema.oneOf))
      schemas[name] = flattenUnion(schema, (s) => resolveRef(doc, s));
  }
  const used = reachableSchemas(doc, { paths: doc.paths, security: doc.components.securitySchemes });
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  return doc;
}

/**
 * openapi-typescript types a union branch's tag by the discriminator's `mapping`, else by the branch's schema name
 * (`kind: "BulkJobStart"`): the copy it reads gets the mapping back from each branch's one-value tag.
 */
export function withDiscriminatorMappings(input: OpenApiDocument): OpenApiDocument {
  const doc = structuredClone(input);
  walk(doc, (obj) => {
    const discriminator = obj.discriminator as { propertyName?: string; mapping?: Record<string, string> } | undefined;
    if (!discriminator?.propertyName || !Array.isArray(obj.oneOf)) return;
    const tag = discriminator.propertyName;
    discriminator.mapping = Object.fromEntries(
      (obj.oneOf as Schema[]).flatMap((branch) => {
        const ref = branch.$ref as string;
        const member = (resolveRef(doc, branch).properties as Record<string, Schema> | undefined)?.[tag];
        return tagValues(member, tag).map((value) => [value, ref]);
      }),
    );
  });
  return doc;
}
