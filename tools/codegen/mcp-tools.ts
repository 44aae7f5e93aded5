/**
 * Derives one MCP tool definition per operation flagged `x-mcp` in the spec. The tool's input schema is the
 * operation's request body plus its path and query parameters, with every `$ref` inlined; its output schema is
 * the envelope's `result` (what the tool returns as `structuredContent`).
 */
import {
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
  annotations: McpExtension['annotations'] & { title: string };
  _meta: { operationId: string; method: string; path: string; toolset: string };
}

function inputSchemaOf(doc: OpenApiDocument, op: Operation): Schema {
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  const body = bodySchema ? inlineRefs(doc, bodySchema) : { type: 'object', properties: {} };
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

function outputSchemaOf(doc: OpenApiDocument, op: Operation): Schema {
  const envelopeSchema = op.responses['200']?.content?.['application/json']?.schema;
  if (!envelopeSchema) throw new Error(`${op.operationId}: an MCP tool needs a 200 JSON response`);
  const envelope = resolveRef(doc, envelopeSchema);
  const result = (envelope.properties as Record<string, Schema> | undefined)?.result;
  if (!result) throw new Error(`${op.operationId}: the 200 response is not an Envelope<…>`);
  const inlined = inlineRefs(doc, result);
  if (inlined.type !== 'object') throw new Error(`${op.operationId}: an MCP outputSchema must be an object`);
  return slimOutput(inlined) as Schema;
}

/**
 * An output schema states the shape of a result; the prose about it already is in the tool's description and the
 * input schema. Every tools/list carries it, so it goes without descriptions, and a long enum (the error codes)
 * becomes a plain string: the largest savings for the smallest loss (the full documents keep everything).
 */
function slimOutput(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(slimOutput);
  if (node === null || typeof node !== 'object') return node;
  const { description: _description, ...rest } = node as Record<string, unknown>;
  if (Array.isArray(rest.enum) && rest.enum.length > 8) {
    const { enum: _values, ...plain } = rest;
    return { ...plain, type: 'string' };
  }
  return Object.fromEntries(
    Object.entries(rest).map(([key, value]) => [key, key === 'properties' ? slimProperties(value) : slimOutput(value)]),
  );
}

/** `properties` maps names to schemas: a property may itself be called "description". */
const slimProperties = (properties: unknown) =>
  Object.fromEntries(
    Object.entries(properties as Record<string, unknown>).map(([name, schema]) => [name, slimOutput(schema)]),
  );

export function buildMcpTools(doc: OpenApiDocument): { tools: McpToolDefinition[] } {
  const tools = operationsOf(doc)
    .filter(({ op }) => op['x-mcp'])
    .map(({ method, path, op }) => {
      const mcp = op['x-mcp'] as McpExtension;
      return {
        name: mcp.tool,
        title: mcp.title,
        description: op.description ?? op.summary ?? '',
        inputSchema: inputSchemaOf(doc, op),
        outputSchema: outputSchemaOf(doc, op),
        annotations: { title: mcp.title, ...mcp.annotations },
        _meta: { operationId: op.operationId, method: method.toUpperCase(), path, toolset: mcp.toolset },
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { tools };
}
