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
 * On PostgreSQL several replicas serve one service: a message for a session another replica holds is relayed to it
 * (src/store/sse-relay.ts), after the same principal check as a local one. Streams carry a keep-alive comment well
 * under Cloudflare's 100 s idle limit, and on shutdown end with a `retry` hint so clients reconnect elsewhere.
 *
 * SSE sessions are bound to the principal that opened them: a session id is not a credential. With MCP_AUTH=none
 * there is no principal: the session is bound to nobody and its id (a random UUID, sent only on that stream) is the
 * only thing that reaches it. That grants nothing MCP_AUTH=none does not already grant (anyone may open a session).
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type Router from '@koa/router';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  InitializeRequestSchema,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
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
  /** Replicas on one PostgreSQL: relays messages for sessions another process holds (absent: this process only). */
  relay?: SseRelayPort;
  /** How often an open stream gets a keep-alive comment (default 25 s). */
  sseKeepAliveMs?: number;
}

/** What the routes need of the relay (src/store/sse-relay.ts implements it; app.ts wires it). */
export interface SseRelayPort {
  opened(sessionId: string, binding: SseBindingRecord): Promise<void>;
  closed(sessionId: string): Promise<void>;
  binding(sessionId: string): Promise<SseBindingRecord | undefined>;
  forward(sessionId: string, kind: 'incoming' | 'outgoing', message: unknown): Promise<void>;
}

export interface SseBindingRecord {
  bound: boolean;
  principalId: string | null;
  grantId: string | null;
}

/** The SDK's session ids are UUIDs; anything else names no session (and never reaches a uuid column). */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface SseSession {
  transport: SSEServerTransport;
  /** The open event stream (for the keep-alive and the closing retry hint). */
  stream: ServerResponse;
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

export interface McpRoutes {
  /** Relayed messages from other replicas land here (the relay's delivery callback). */
  deliverRelayed(sessionId: string, kind: 'incoming' | 'outgoing', message: unknown): void;
  /** Open legacy SSE streams. */
  sseSessionCount(): number;
  close(): Promise<void>;
}

export function mountMcpRoutes(router: Router, options: McpRoutesOptions): McpRoutes {
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
    const { transport, release } = pool.acquire(toolsFor(ctx), () => callContext(ctx, 'chatgpt_mcp', 'mcp'));
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
    const sessionLogger = logger.child({ sse_session: transport.sessionId, principal: (boundTo ?? OPERATOR).id });
    const principal = boundTo ?? OPERATOR;
    const server = createMcpServer(
      engine,
      toolsFor(ctx),
      // Each call on a long-lived SSE session gets its own request id.
      () => {
        const requestId = randomUUID();
        return {
          requestId,
          actor: 'chatgpt_mcp',
          principal,
          logger: sessionLogger.child({ request_id: requestId }),
          transport: 'sse',
        };
      },
      version,
    );
    const sessionId = transport.sessionId;
    sseSessions.set(sessionId, { transport, stream: ctx.res, boundTo });
    ctx.respond = false;
    // Reverse proxies (nginx) must not buffer the stream; the SDK's writeHead keeps headers set before it.
    ctx.res.setHeader('X-Accel-Buffering', 'no');
    const keepAlive = setInterval(() => {
      if (!ctx.res.writableEnded) ctx.res.write(': keep-alive\n\n');
    }, options.sseKeepAliveMs ?? 25_000);
    keepAlive.unref();
    transport.onclose = () => {
      clearInterval(keepAlive);
      sseSessions.delete(sessionId);
      options.relay
        ?.closed(sessionId)
        .catch((error: unknown) => sessionLogger.warn({ err: error }, 'sse relay: could not forget the session'));
    };
    await options.relay?.opened(sessionId, {
      bound: boundTo !== null,
      principalId: boundTo?.id ?? null,
      grantId: boundTo?.grantId ?? null,
    });
    await server.connect(transport);
  });

  /** The session a POST /messages names, checked against the caller before any byte of the body is read. */
  const sessionOf = async (ctx: Context, next: Next) => {
    const sessionId = typeof ctx.query.sessionId === 'string' ? ctx.query.sessionId : '';
    const unknown = () => new GatewayError('not_found', 'Unknown or closed SSE session: open a new one with GET /sse.');
    const local = sseSessions.get(sessionId);
    const binding: SseBindingRecord | undefined = local
      ? {
          bound: local.boundTo !== null,
          principalId: local.boundTo?.id ?? null,
          grantId: local.boundTo?.grantId ?? null,
        }
      : SESSION_ID.test(sessionId)
        ? await options.relay?.binding(sessionId)
        : undefined;
    if (!binding) throw unknown();
    const caller = (ctx.state as RequestState).principal ?? null;
    if (binding.bound && (caller?.id !== binding.principalId || (caller.grantId ?? null) !== binding.grantId)) {
      throw new GatewayError('forbidden', 'This SSE session belongs to another principal.');
    }
    ctx.state.sseSession = local;
    ctx.state.sseSessionId = sessionId;
    await next();
  };

  /** A message for a session another replica holds: validated here as the SDK would, then relayed. */
  const relayMessage = async (ctx: Context, sessionId: string, body: unknown) => {
    const refused = invalidParams(body);
    if (refused) {
      await options.relay!.forward(
        sessionId,
        'outgoing',
        rpcError(ctx, refused.id, ErrorCode.InvalidParams, refused.message),
      );
    } else if (!JSONRPCMessageSchema.safeParse(body).success) {
      throw new GatewayError('bad_request', 'Invalid message: send one JSON-RPC message per POST.');
    } else {
      await options.relay!.forward(sessionId, 'incoming', body);
    }
    ctx.status = 202;
    ctx.body = 'Accepted';
  };

  router.post('/messages', guard, authenticate, sessionOf, readBody, async (ctx) => {
    const session = ctx.state.sseSession as SseSession | undefined;
    const body = (ctx.state as McpState).mcpBody;
    if (!session) {
      await relayMessage(ctx, ctx.state.sseSessionId as string, body);
      return;
    }
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
    deliverRelayed(sessionId, kind, message) {
      const session = sseSessions.get(sessionId);
      if (!session) return;
      const delivered =
        kind === 'outgoing'
          ? session.transport.send(message as JSONRPCMessage)
          : session.transport.handleMessage(message);
      delivered.catch((error: unknown) =>
        logger.warn({ err: error, sse_session: sessionId }, 'sse relay: could not deliver a relayed message'),
      );
    },
    sseSessionCount: () => sseSessions.size,
    async close() {
      // A retry hint before the end: clients reconnect (to another replica, behind a balancer) a second later.
      await Promise.all(
        [...sseSessions.values()].map((s) => {
          if (!s.stream.writableEnded) s.stream.write('retry: 1000\n\n');
          return s.transport.close();
        }),
      );
      sseSessions.clear();
      await pool.close();
    },
  };
}
