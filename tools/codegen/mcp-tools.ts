/**
 * Derives one MCP tool definition per operation flagged `x-mcp` in the spec.
 *
 * Every tools/list carries every listed tool, so what is listed is lean: a client needs to know which arguments a
 * tool takes, what they mean and what comes back, not every constraint the server checks. Two schemas per tool:
 * - the full input schema (the operation's request body plus its path and query parameters, every `$ref`
 *   inlined, every constraint kept) goes to generated/mcp-validation.json: the server validates arguments against
 *   it, exactly as before, and never lists it;
 * - the listed input schema is that schema without what only a validator needs (patterns, formats, lengths,
 *   sealed-object flags); the listed output schema is the envelope's `result` (what the tool returns as
 *   `structuredContent`) down to the types and the fields a client reads, looser than the result, never stricter.
 * Both are portable as the MCP Inspector's `--strict` check asks: one `type` per schema (nullable is an `anyOf`),
 * no schema without a validation keyword.
 */
import {
  flattenUnion,
  inlineRefs,
  type McpExtension,
  type OpenApiDocument,
  type Operation,
  operationsOf,
  resolveRef,
  type Schema,
} from './normalise.ts';

export interface McpToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: Schema;
  outputSchema: Schema;
  annotations: McpExtension['annotations'];
  _meta: { operationId: string; method: string; path: string; toolset: string };
}

function fullInputSchemaOf(doc: OpenApiDocument, op: Operation): Schema {
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  const body = bodySchema ? inlineRefs(doc, bodySchema) : { type: 'object', properties: {} };
  if (Array.isArray(body.oneOf)) {
    // A union body: each (sealed) branch is checked whole, chosen by its tag.
    if (op.parameters?.length) throw new Error(`${op.operationId}: a union body cannot take path or query parameters`);
    return { type: 'object', oneOf: body.oneOf, discriminator: body.discriminator };
  }
  const properties = { ...(body.properties as Record<string, Schema>) };
  const required = [...((body.required as string[]) ?? [])];
  for (const param of op.parameters ?? []) {
    const name = param.name as string;
    if (properties[name]) throw new Error(`${op.operationId}: parameter ${name} clashes with a body property`);
    properties[name] = { ...inlineRefs(doc, param.schema as Schema), description: param.description };
    if (param.required) required.push(name);
  }
  // Unknown arguments are refused, as the sealed REST body schemas refuse unknown fields.
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

function resultSchemaOf(doc: OpenApiDocument, op: Operation): Schema {
  const envelopeSchema = op.responses['200']?.content?.['application/json']?.schema;
  if (!envelopeSchema) throw new Error(`${op.operationId}: an MCP tool needs a 200 JSON response`);
  const envelope = resolveRef(doc, envelopeSchema);
  const result = (envelope.properties as Record<string, Schema> | undefined)?.result;
  if (!result) throw new Error(`${op.operationId}: the 200 response is not an Envelope<…>`);
  const inlined = inlineRefs(doc, result);
  if (inlined.type !== 'object') throw new Error(`${op.operationId}: an MCP outputSchema must be an object`);
  return inlined;
}

/** Keywords only a validator needs: the server checks them against the full schema and names the failing field. */
const VALIDATOR_ONLY = new Set([
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'uniqueItems',
]);

/** `type: [X, "null"]` → `anyOf: [{type: X, …}, {type: "null"}]`: the spelling every client's dialect maps. */
function portableType(schema: Schema): Schema {
  if (!Array.isArray(schema.type)) return schema;
  const { type, description, ...rest } = schema;
  const types = type as string[];
  const branches = types.map((t) => (t === 'null' ? { type: 'null' } : { ...rest, type: t }));
  return { ...(description === undefined ? {} : { description }), anyOf: branches };
}

/** A free-form value (`unknown`, `{}`) says what it is: any JSON value. */
const ANY_VALUE: Schema = {
  anyOf: [
    { type: 'string' },
    { type: 'number' },
    { type: 'boolean' },
    { type: 'object' },
    { type: 'array' },
    { type: 'null' },
  ],
};

/**
 * Arguments many tools take (connection, retry key, dry run, new select options): where one carries the shared description (the most frequent
 * one), the server instructions say it once instead of each tool repeating it; a tool whose argument means
 * something else (audit_list filters by connection_id) keeps its own description.
 */
export const SHARED_ARGUMENTS = ['connection_id', 'idempotency_key', 'dry_run', 'create_options'] as const;

/** The most frequent description of an argument across the tools' full input schemas. */
export function sharedDescription(inputs: readonly Schema[], name: string): string | undefined {
  const counts = new Map<string, number>();
  for (const input of inputs) {
    const described = ((input.properties as Record<string, Schema> | undefined)?.[name]?.description ?? '') as string;
    if (described) counts.set(described, (counts.get(described) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
}

/**
 * What is listed of an input schema: its structure, required fields, enums, defaults and descriptions; a value the
 * spec leaves free says so (any JSON value) rather than carrying no keyword at all.
 */
function leanInput(node: Schema, shared?: Readonly<Record<string, string | undefined>>): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(node)) {
    if (VALIDATOR_ONLY.has(key) || key === 'additionalProperties') continue;
    if (key === 'properties') {
      const properties = Object.entries(value as Record<string, Schema>);
      if (properties.length > 0)
        out.properties = Object.fromEntries(
          properties.map(([name, schema]) => {
            if (!shared || shared[name] === undefined || schema.description !== shared[name]) {
              return [name, leanInput(schema)];
            }
            const { description: _shared, ...rest } = schema;
            return [name, leanInput(rest)];
          }),
        );
    } else if (key === 'items' || key === 'not') {
      out[key] = Object.keys(value as Schema).length === 0 ? ANY_VALUE : leanInput(value as Schema);
    } else if (key === 'anyOf' || key === 'oneOf' || key === 'allOf') {
      out[key] = (value as Schema[]).map((s) => leanInput(s));
    } else {
      out[key] = value;
    }
  }
  const lean = portableType(out);
  return Object.keys(lean).some((k) => k !== 'description' && k !== 'default') ? lean : { ...lean, ...ANY_VALUE };
}

/**
 * What is listed of a result: its fields with their types; a nested object or array keeps its type
 * only (the tool's description says what it holds). No descriptions, formats, required lists or sealed objects: a
 * listed output schema may accept more than the server sends, never less (clients check results against it).
 */
function leanOutput(node: Schema, depth: number): Schema {
  if (Array.isArray(node.anyOf)) {
    const branches = (node.anyOf as Schema[]).map((s) => leanOutput(s, depth));
    return { anyOf: branches };
  }
  const type = node.type;
  if (Array.isArray(type)) {
    return {
      anyOf: (type as string[]).map((t) => (t === 'null' ? { type: 'null' } : leanOutput({ ...node, type: t }, depth))),
    };
  }
  if (type === 'object') {
    // `x-mcp-listed` (spec): only the fields a client reads are named; the others still come back, and are allowed.
    const listed = node['x-mcp-listed'] as string[] | undefined;
    const properties = Object.entries((node.properties as Record<string, Schema> | undefined) ?? {}).filter(
      ([name]) => !listed || listed.includes(name),
    );
    if (depth >= 1 || properties.length === 0) return { type: 'object' };
    return {
      type: 'object',
      properties: Object.fromEntries(properties.map(([name, schema]) => [name, leanOutput(schema, depth + 1)])),
    };
  }
  if (type === 'array') {
    const items = node.items as Schema | undefined;
    return { type: 'array', items: items && Object.keys(items).length > 0 ? leanOutput(items, depth) : ANY_VALUE };
  }
  if (typeof type === 'string') {
    // A reader reads the value it gets; the spec and the tool's description say which values there are. An enum here
    // would be repeated in every tools/list for nothing a client checks.
    return { type };
  }
  return ANY_VALUE;
}

/**
 * The hints a client needs to hear: readOnlyHint always; destructiveHint and idempotentHint only on a write (MCP:
 * "meaningful only when readOnlyHint == false") and only where they differ from MCP's defaults (destructive,
 * not idempotent); openWorldHint only where it is false (default true). Read back with those defaults, the listing
 * says exactly what the spec says (rules.ts has checked all four are set there).
 */
export function listedAnnotations(a: McpExtension['annotations']): McpExtension['annotations'] {
  const listed: Record<string, boolean> = { readOnlyHint: a.readOnlyHint };
  if (!a.readOnlyHint && !a.destructiveHint) listed.destructiveHint = false;
  if (!a.readOnlyHint && a.idempotentHint) listed.idempotentHint = true;
  if (!a.openWorldHint) listed.openWorldHint = false;
  return listed as McpExtension['annotations'];
}

export interface McpTools {
  /** What tools/list answers (each tool's `_meta` is the server's and stays unlisted). */
  tools: McpToolDefinition[];
  validation: {
    /** The shared arguments' description, said once in the server instructions. */
    shared_arguments: Record<string, string>;
    /** The full input schema of every tool, by name: what tools/call validates arguments against. */
    inputs: Record<string, Schema>;
  };
}

export function buildMcpTools(doc: OpenApiDocument): McpTools {
  const flagged = operationsOf(doc)
    .filter(({ op }) => op['x-mcp'])
    .map((o) => {
      const input = fullInputSchemaOf(doc, o.op);
      // What is listed of a union is one object (its kinds, and each kind's args as a free object).
      return { ...o, input, listed: Array.isArray(input.oneOf) ? flattenUnion(input) : input };
    });
  const shared = Object.fromEntries(
    SHARED_ARGUMENTS.map((name) => [
      name,
      sharedDescription(
        flagged.map((o) => o.listed),
        name,
      ),
    ]),
  );
  const built = flagged
    .map(({ method, path, op, input, listed }) => {
      const mcp = op['x-mcp'] as McpExtension;
      const tool: McpToolDefinition = {
        name: mcp.tool,
        title: mcp.title,
        description: op.description ?? op.summary ?? '',
        inputSchema: leanInput(listed, shared),
        outputSchema: leanOutput(resultSchemaOf(doc, op), 0),
        annotations: listedAnnotations(mcp.annotations),
        _meta: { operationId: op.operationId, method: method.toUpperCase(), path, toolset: mcp.toolset },
      };
      return { tool, input };
    })
    .sort((a, b) => a.tool.name.localeCompare(b.tool.name));
  return {
    tools: built.map((b) => b.tool),
    validation: {
      shared_arguments: Object.fromEntries(Object.entries(shared).filter(([, d]) => d !== undefined)) as Record<
        string,
        string
      >,
      inputs: Object.fromEntries(built.map((b) => [b.tool.name, b.input])),
    },
  };
}
