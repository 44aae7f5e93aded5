/**
 * MCP adapter: a low-level SDK `Server` whose tools are exactly generated/mcp-tools.json. `tools/call` validates the
 * arguments against the tool's full input schema (generated/mcp-validation.json: the listed one is lean, the
 * validation unchanged) and hands them to `engine.invoke` under the tool's operationId: the same function the REST
 * route calls. Results carry `structuredContent` plus the same JSON as one text item.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { ValidateFunction } from 'ajv';
import { operationPolicies } from '../../generated/operations.ts';
import { TOOLSETS, type Toolset } from '../contract/openapi.ts';
import type { CallContext } from '../engine/context.ts';
import type { Engine } from '../engine/engine.ts';
import type { OperationId } from '../engine/types.ts';
import { GatewayError, toErrorBody } from '../shared/errors.ts';
import { createAjv, issuesFromAjv, validationFailed } from '../shared/validation.ts';
import { instructionsFor } from './instructions.ts';
import { StatelessJsonTransport } from './json-transport.ts';

interface GeneratedTool extends Tool {
  _meta: { operationId: string; method: string; path: string; toolset: Toolset };
}

interface CatalogEntry {
  tool: Tool;
  toolset: Toolset;
  operationId: OperationId;
  validate: ValidateFunction;
}

/** The tools one client sees: what tools/list returns and what tools/call accepts. */
export interface McpToolView {
  listed: Tool[];
  byName: Map<string, CatalogEntry>;
  /** The server instructions for these tools (initialize answers them). */
  instructions: string;
}

export interface McpToolCatalog extends McpToolView {
  /** The tools of these toolsets (the configured default when none is asked for); in read-only mode reads only. */
  view(toolsets?: readonly string[]): McpToolView;
}

export interface CatalogOptions {
  /** MCP_TOOLSETS: what a client gets unless it asks for others with `?toolsets=`. `all` is every toolset. */
  toolsets: readonly string[];
  /** READ_ONLY: only tools with readOnlyHint are listed or callable. */
  readOnly: boolean;
}

/** `core,research` → the known toolsets it names (`all` = every one); unknown names are refused. */
export function parseToolsets(names: readonly string[]): Toolset[] {
  const wanted = names.map((n) => n.trim()).filter(Boolean);
  if (wanted.includes('all')) return [...TOOLSETS];
  const unknown = wanted.filter((n) => !(TOOLSETS as readonly string[]).includes(n));
  if (unknown.length > 0) {
    throw new GatewayError(
      'bad_request',
      `Unknown toolset ${unknown.join(', ')}; known: ${TOOLSETS.join(', ')}, all.`,
      {
        toolsets: [...TOOLSETS],
      },
    );
  }
  return wanted as Toolset[];
}

/**
 * What a client gets by default (MCP_TOOLSETS' default): the Notion primitives, ChatGPT's deep-research pair, the
 * friendly row tools and the jobs.
 */
export const DEFAULT_TOOLSETS: readonly Toolset[] = ['core', 'research', 'rows', 'jobs'];

export function loadToolCatalog(
  engineHas: (id: string) => id is OperationId,
  options: CatalogOptions = { toolsets: DEFAULT_TOOLSETS, readOnly: false },
): McpToolCatalog {
  const generated = (name: string) =>
    JSON.parse(readFileSync(join(import.meta.dirname, '../../generated', name), 'utf8'));
  const { tools } = generated('mcp-tools.json') as { tools: GeneratedTool[] };
  const { inputs: fullInputs, shared_arguments: shared } = generated('mcp-validation.json') as {
    inputs: Record<string, Tool['inputSchema']>;
    shared_arguments: Record<string, string>;
  };
  const ajv = createAjv();
  const entries: CatalogEntry[] = [];
  for (const { _meta, ...tool } of tools) {
    if (!engineHas(_meta.operationId))
      throw new Error(`MCP tool ${tool.name} names unknown operation ${_meta.operationId}`);
    const fullInput = fullInputs[tool.name];
    if (!fullInput) throw new Error(`MCP tool ${tool.name} has no input schema in generated/mcp-validation.json`);
    entries.push({
      tool,
      toolset: _meta.toolset,
      operationId: _meta.operationId,
      validate: ajv.compile(fullInput),
    });
  }
  const views = new Map<string, McpToolView>();
  const view = (toolsets: readonly string[] = options.toolsets): McpToolView => {
    const chosen = new Set(parseToolsets(toolsets));
    const key = [...chosen].sort().join(',');
    let found = views.get(key);
    if (!found) {
      const visible = entries.filter(
        // Read-only mode lists what the engine's read-only guard lets through: operations that do not write.
        (e) => chosen.has(e.toolset) && (!options.readOnly || !operationPolicies[e.operationId].writes),
      );
      const listed = visible.map((e) => e.tool);
      found = {
        listed,
        byName: new Map(visible.map((e) => [e.tool.name, e])),
        instructions: instructionsFor(listed, shared),
      };
      views.set(key, found);
    }
    return found;
  };
  return { ...view(), view };
}

const sharedValidator = new AjvJsonSchemaValidator();

/** A result's JSON, made once: the size policy measures it and the text content reuses it. */
const jsonOf = new WeakMap<object, string>();
const serialise = (result: Record<string, unknown>): string => {
  let json = jsonOf.get(result);
  if (json === undefined) {
    json = JSON.stringify(result);
    jsonOf.set(result, json);
  }
  return json;
};

/** The result twice, as MCP asks: structured, and as JSON text for clients that only read text. */
function toolResult(
  result: Record<string, unknown>,
  requestId: string,
  replayed: boolean,
  coerced: string[],
): CallToolResult {
  const meta: Record<string, unknown> = { request_id: requestId };
  if (replayed) meta.idempotent_replay = true;
  if (coerced.length > 0) meta.coerced_arguments = coerced;
  return { content: [{ type: 'text', text: serialise(result) }], structuredContent: result, _meta: meta };
}

/**
 * Some clients send a nested object or array argument as a JSON string (`"body": "{\"a\":1}"`). Where the schema
 * wants an object or an array (and never a string) and the string parses to that shape, the parsed value is used and
 * validated like any other; the names of the arguments so read are returned so the result can say so.
 */
export function coerceJsonStringArguments(schema: Tool['inputSchema'], args: Record<string, unknown>): string[] {
  const coerced: string[] = [];
  const properties = (schema.properties ?? {}) as Record<string, { type?: unknown; anyOf?: unknown[] }>;
  for (const [name, value] of Object.entries(args)) {
    if (typeof value !== 'string') continue;
    const wanted = acceptedTypes(properties[name]);
    if (wanted.has('string') || (!wanted.has('object') && !wanted.has('array'))) continue;
    const trimmed = value.trim();
    if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      continue;
    }
    const kind = Array.isArray(parsed) ? 'array' : parsed !== null && typeof parsed === 'object' ? 'object' : null;
    if (kind && wanted.has(kind)) {
      args[name] = parsed;
      coerced.push(name);
    }
  }
  return coerced;
}

function acceptedTypes(schema: { type?: unknown; anyOf?: unknown[]; oneOf?: unknown[] } | undefined): Set<string> {
  const found = new Set<string>();
  if (!schema || typeof schema !== 'object') return found;
  if (typeof schema.type === 'string') found.add(schema.type);
  if (Array.isArray(schema.type)) for (const t of schema.type) found.add(String(t));
  for (const branch of [...(schema.anyOf ?? []), ...(schema.oneOf ?? [])]) {
    for (const t of acceptedTypes(branch as typeof schema)) found.add(t);
  }
  return found;
}

/**
 * What the client receives for a result: the size policy counts this, not the bare result. The result is carried
 * twice: as structured content (its JSON) and as text (that JSON again, escaped inside a string), plus the frame.
 */
const toolResultSize = (result: unknown) => {
  const json = serialise(result as Record<string, unknown>);
  return json.length + quotedLength(json) + 128;
};

/**
 * The length of JSON.stringify(json) for a string that is itself JSON.stringify output, without building it: such a
 * string holds no raw control character (they are escaped, and each escape starts with a backslash), so quoting it
 * adds the two quotes and one backslash before every `"` and `\`.
 */
export function quotedLength(json: string): number {
  let extra = 2;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) extra++;
  }
  return json.length + extra;
}

function errorResult(error: GatewayError, requestId: string): CallToolResult {
  const payload = { ok: false, error: toErrorBody(error), meta: { request_id: requestId } };
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(payload) }] };
}

/** What a server answers with: the tools its client may see, and the context of the call in hand. */
interface Binding {
  catalog: McpToolView;
  contextForCall: () => CallContext;
}

/**
 * A server whose tools and call context are read from `binding` at each request (pooled servers rebind, always to a
 * view of the same instructions: the SDK answers initialize with the ones it was built with).
 */
function buildServer(engine: Engine, binding: Binding, version: string): Server {
  const server = new Server(
    { name: 'notion-gateway', title: 'Notion Gateway', version },
    {
      capabilities: { tools: { listChanged: false } },
      instructions: binding.catalog.instructions,
      // One validator for every server: the SDK would otherwise build (and compile into) a new Ajv each time.
      jsonSchemaValidator: sharedValidator,
    },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: binding.catalog.listed }));

  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    const entry = binding.catalog.byName.get(request.params.name);
    if (!entry) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
    const ctx = binding.contextForCall();
    const args = { ...(request.params.arguments ?? {}) };
    const coerced = coerceJsonStringArguments(entry.tool.inputSchema, args);
    if (!entry.validate(args)) {
      const issues = issuesFromAjv(entry.validate.errors ?? [], (pointer) => ({ location: 'arguments', pointer }));
      return errorResult(validationFailed(issues), ctx.requestId);
    }
    try {
      const { result, replayed } = await engine.invoke(entry.operationId, args as never, {
        ...ctx,
        measure: toolResultSize,
      });
      return toolResult(result as Record<string, unknown>, ctx.requestId, replayed, coerced);
    } catch (error) {
      // engine.invoke throws only GatewayError.
      return errorResult(error as GatewayError, ctx.requestId);
    }
  });

  return server;
}

/** A server for one long-lived session (legacy SSE). */
export function createMcpServer(
  engine: Engine,
  catalog: McpToolView,
  contextForCall: () => CallContext,
  version: string,
): Server {
  return buildServer(engine, { catalog, contextForCall }, version);
}

export interface McpServerPool {
  /**
   * An idle server bound to this request, with the transport it stays connected to; `release` once the exchange is
   * answered.
   */
  acquire(
    catalog: McpToolView,
    contextForCall: () => CallContext,
  ): { transport: StatelessJsonTransport; release(): void };
  close(): Promise<void>;
}

interface PooledServer {
  server: Server;
  transport: StatelessJsonTransport;
  binding: Binding;
}

/**
 * Stateless Streamable HTTP answers each request on its own, but needs neither a fresh server nor a fresh transport
 * for it: building a server (handlers, capabilities) and connecting it were most of the per-request cost. A server
 * serves one request at a time, connected once to its own StatelessJsonTransport; released, it is rebound to the
 * next request of a view with the same instructions (they are fixed when a server is built). At most `maxIdle` wait
 * in the pool; under more concurrency extra servers are built and dropped.
 */
export function createMcpServerPool(engine: Engine, version: string, maxIdle = 32): McpServerPool {
  const idle = new Map<string, PooledServer[]>();
  let idleCount = 0;
  const unbound = (): CallContext => {
    throw new Error('MCP server used outside a request');
  };
  const build = (binding: Binding): PooledServer => {
    const server = buildServer(engine, binding, version);
    const transport = new StatelessJsonTransport();
    // Its start() does nothing: the server is listening once this returns.
    void server.connect(transport);
    return { server, transport, binding };
  };
  return {
    acquire(catalog, contextForCall) {
      const waiting = idle.get(catalog.instructions);
      const reused = waiting?.pop();
      if (reused) idleCount--;
      const entry = reused ?? build({ catalog, contextForCall });
      entry.binding.catalog = catalog;
      entry.binding.contextForCall = contextForCall;
      return {
        transport: entry.transport,
        release() {
          entry.binding.contextForCall = unbound;
          if (idleCount >= maxIdle) {
            void entry.server.close();
            return;
          }
          const queue = idle.get(entry.binding.catalog.instructions) ?? [];
          queue.push(entry);
          idle.set(entry.binding.catalog.instructions, queue);
          idleCount++;
        },
      };
    },
    async close() {
      const all = [...idle.values()].flat();
      idle.clear();
      idleCount = 0;
      await Promise.all(all.map((e) => e.server.close()));
    },
  };
}
