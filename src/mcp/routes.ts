/**
 * MCP transports on Koa. Streamable HTTP at /mcp is stateless and answers in JSON (json-transport.ts), from a pool
 * of servers that keep nothing of a request, so any replica can answer any call. Legacy SSE (GET /sse + POST
 * /messages) is stateful by nature: its sessions live in this process until the stream closes.
 *
 * Every MCP route runs, in order: the Host/Origin check (DNS rebinding), authentication from the headers alone, and
 * only then the body reader. HTTP-level refusals (403 host, 401, 405) answer the gateway's error envelope; anything
 * about the JSON-RPC message itself (unparsable, too large, wrong media type, too slow, invalid params) answers a
 * JSON-RPC error, with the gateway's error body in `error.data`.
 *
 * SSE sessions are bound to the principal that opened them: a session id is not a credential. With MCP_AUTH=none
 * there is no principal: the session is bound to nobody and its id (a random UUID, sent only on that stream) is the
 * only thing that reaches it. That grants nothing MCP_AUTH=none does not already grant (anyone may open a session).
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  type JSONRPCMessage,
  ListToolsRequestSchema,
  PingRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import { GatewayError, toErrorBody } from '../shared/errors.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';
import { createGatekeeper, type Gatekeeper, requirePrincipal } from '../transport/auth.ts';
import { type BodyLimits, readJsonBody } from '../transport/body.ts';
import { callContext, closeIfBodyUnread, type RequestState, requestIdOf } from '../transport/context.ts';
import { hostGuard } from '../transport/hosts.ts';
import { createMcpServer, createMcpServerPool, type McpToolCatalog } from './server.ts';

export interface McpRoutesOptions {
  engine: Engine;
  catalog: McpToolCatalog;
  version: string;
  /** 'bearer': the operator token or an OAuth access token for the MCP resource; 'none': explicitly unauthenticated. */
  auth: 'bearer' | 'none';
  apiToken: string;
  /** Who a request comes from under 'bearer' (default: the operator token only). */
  gatekeeper?: Gatekeeper;
  logger: Logger;
  /** Host names the MCP endpoints answer (Host and Origin); see src/transport/hosts.ts. */
  allowedHosts: readonly string[];
  body: BodyLimits;
}

interface SseSession {
  transport: SSEServerTransport;
  /** null when opened under MCP_AUTH=none. */
  boundTo: Principal | null;
}

interface McpState extends RequestState {
  mcpBody?: unknown;
}

/** Requests whose params the SDK would refuse with an internal error and a raw zod dump: refused here as -32602. */
const PARAM_SCHEMAS: Record<string, { safeParse(v: unknown): { success: boolean; error?: unknown } }> = {
  initialize: InitializeRequestSchema,
  ping: PingRequestSchema,
  'tools/list': ListToolsRequestSchema,
  'tools/call': CallToolRequestSchema,
};

interface InvalidParams {
  id: string | number | null;
  message: string;
}

function invalidParamsOf(message: unknown): InvalidParams | null {
  if (!message || typeof message !== 'object' || Array.isArray(message)) return null;
  const { method, id } = message as { method?: unknown; id?: unknown };
  if (typeof method !== 'string' || !(method in PARAM_SCHEMAS)) return null;
  if (typeof id !== 'string' && typeof id !== 'number') return null; // a notification gets no answer
  const parsed = PARAM_SCHEMAS[method]!.safeParse(message);
  if (parsed.success) return null;
  const issues = (parsed.error as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues ?? [];
  const first = issues[0];
  const where = first ? first.path.map(String).join('.') : 'params';
  const text =
    method === 'tools/call' && where === 'params.arguments'
      ? 'Invalid params: tools/call arguments must be a JSON object.'
      : `Invalid params: ${where}: ${first?.message ?? 'invalid'}.`;
  return { id, message: text };
}

/** A JSON-RPC error response; `data` carries the gateway's error body and the request id. */
function rpcError(ctx: Context, id: string | number | null, code: number, message: string, error?: GatewayError) {
  const data = error ? { ...toErrorBody(error), request_id: requestIdOf(ctx) } : { request_id: requestIdOf(ctx) };
  return { jsonrpc: '2.0' as const, id, error: { code, message, data } };
}

export function mountMcpRoutes(router: Router, options: McpRoutesOptions): { close(): Promise<void> } {
  const { engine, catalog, version, logger } = options;
  const pool = createMcpServerPool(engine, version);
  /** The toolsets a client asks for on its URL (`/mcp?toolsets=core,admin`), else the configured ones. */
  const defaultTools = catalog.view();
  const toolsFor = (ctx: Context) => {
    // Most clients use the plain URL: skip parsing a query string that is not there.
    if (ctx.querystring === '') return defaultTools;
    return catalog.view(typeof ctx.query.toolsets === 'string' ? ctx.query.toolsets.split(',') : undefined);
  };
  const sseSessions = new Map<string, SseSession>();
  const gatekeeper = options.gatekeeper ?? createGatekeeper(options.apiToken, null);
  const guard = hostGuard(options.allowedHosts);

  const authenticate = async (ctx: Context, next: Next) => {
    if (options.auth === 'bearer') await requirePrincipal(gatekeeper, ctx, 'mcp');
    // MCP_AUTH=none: no principal. Engine calls act as the operator (callContext's default), as README says.
    await next();
  };

  /** Reads the JSON-RPC body after authentication; transport-level problems answer JSON-RPC errors. */
  const readBody = async (ctx: Context, next: Next) => {
    let body: unknown;
    try {
      body = await readJsonBody(ctx, options.body, { strictType: true });
      if (body === undefined)
        throw new GatewayError('bad_request', 'The request body is empty: send a JSON-RPC message.');
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      closeIfBodyUnread(ctx);
      ctx.status = error.status;
      ctx.body =
        error.code === 'bad_request'
          ? rpcError(ctx, null, ErrorCode.ParseError, `Parse error: ${error.message}`, error)
          : rpcError(ctx, null, ErrorCode.InvalidRequest, `Invalid Request: ${error.message}`, error);
      return;
    }
    (ctx.state as McpState).mcpBody = body;
    await next();
  };

  /** Malformed params of a known request: -32602 with its id (a batch with one is refused as a whole). */
  const invalidParams = (body: unknown): (InvalidParams & { status: number }) | null => {
    if (Array.isArray(body)) {
      if (!body.some((m) => invalidParamsOf(m) !== null)) return null;
      return { status: 400, id: null, message: 'Invalid params in a batch: fix every request of the batch.' };
    }
    const bad = invalidParamsOf(body);
    return bad ? { status: 200, ...bad } : null;
  };

  router.post('/mcp', guard, authenticate, readBody, async (ctx) => {
    const body = (ctx.state as McpState).mcpBody;
    const refused = invalidParams(body);
    if (refused) {
      ctx.status = refused.status;
      ctx.body = rpcError(ctx, refused.id, ErrorCode.InvalidParams, refused.message);
      return;
    }
    const { transport, release } = pool.acquire(toolsFor(ctx), () => callContext(ctx, 'chatgpt_mcp'));
    try {
      const answer = await transport.exchange(ctx.req.headers, body);
      ctx.status = answer.status;
      if (answer.body !== undefined) {
        ctx.body = answer.body;
      } else {
        // 202 with an empty body and no type, as the SDK answers (Koa would otherwise write "Accepted").
        ctx.body = '';
        ctx.remove('Content-Type');
      }
    } finally {
      release();
    }
  });

  // Stateless: there is no server-initiated stream to GET and no session to DELETE.
  router.all('/mcp', guard, authenticate, async (ctx) => {
    ctx.set('Allow', 'POST');
    throw new GatewayError('method_not_allowed', 'This MCP endpoint is stateless: send JSON-RPC messages with POST.');
  });

  router.get('/sse', guard, authenticate, async (ctx) => {
    const boundTo = (ctx.state as RequestState).principal ?? null;
    const transport = new SSEServerTransport('/messages', ctx.res);
    const sessionLogger = logger.child({ sse_session: transport.sessionId });
    const principal = boundTo ?? OPERATOR;
    const server = createMcpServer(
      engine,
      toolsFor(ctx),
      // Each call on a long-lived SSE session gets its own request id.
      () => ({ requestId: randomUUID(), actor: 'chatgpt_mcp', principal, logger: sessionLogger }),
      version,
    );
    sseSessions.set(transport.sessionId, { transport, boundTo });
    ctx.respond = false;
    transport.onclose = () => sseSessions.delete(transport.sessionId);
    await server.connect(transport);
  });

  /** The session a POST /messages names, checked against the caller before any byte of the body is read. */
  const sessionOf = async (ctx: Context, next: Next) => {
    const sessionId = typeof ctx.query.sessionId === 'string' ? ctx.query.sessionId : '';
    const session = sseSessions.get(sessionId);
    if (!session) {
      throw new GatewayError('not_found', 'Unknown or closed SSE session: open a new one with GET /sse.');
    }
    const caller = (ctx.state as RequestState).principal ?? null;
    if (session.boundTo !== null && (caller?.id !== session.boundTo.id || caller.grantId !== session.boundTo.grantId)) {
      throw new GatewayError('forbidden', 'This SSE session belongs to another principal.');
    }
    ctx.state.sseSession = session;
    await next();
  };

  router.post('/messages', guard, authenticate, sessionOf, readBody, async (ctx) => {
    const session = ctx.state.sseSession as SseSession;
    const body = (ctx.state as McpState).mcpBody;
    const refused = invalidParams(body);
    if (refused) {
      // On SSE, answers travel on the stream; the POST itself is only acknowledged.
      await session.transport.send(
        rpcError(ctx, refused.id, ErrorCode.InvalidParams, refused.message) as JSONRPCMessage,
      );
      ctx.status = 202;
      ctx.body = 'Accepted';
      return;
    }
    ctx.respond = false;
    await session.transport.handlePostMessage(ctx.req, ctx.res, body);
  });

  return {
    async close() {
      await Promise.all([...sseSessions.values()].map((s) => s.transport.close()));
      sseSessions.clear();
      await pool.close();
    },
  };
}
