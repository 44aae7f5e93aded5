/**
 * MCP transports on Koa. Streamable HTTP at /mcp is stateless: a new Server and transport per request (the SDK
 * refuses to reuse them), so any replica can answer any call. Legacy SSE (GET /sse + POST /messages) is stateful by
 * nature: its sessions live in this process until the stream closes.
 */
import { randomUUID } from 'node:crypto';
import type Router from '@koa/router';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { Engine } from '../engine/engine.ts';
import { GatewayError } from '../shared/errors.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';
import { bearerMatches, unauthorized } from '../transport/auth.ts';
import { callContext, type RequestState } from '../transport/context.ts';
import { createMcpServer, type McpToolCatalog } from './server.ts';

export interface McpRoutesOptions {
  engine: Engine;
  catalog: McpToolCatalog;
  version: string;
  /** 'bearer': the operator token (until OAuth 2.1 lands); 'none': explicitly unauthenticated. */
  auth: 'bearer' | 'none';
  apiToken: string;
  logger: Logger;
}

interface SseSession {
  transport: SSEServerTransport;
  principal: Principal;
}

export function mountMcpRoutes(router: Router, options: McpRoutesOptions): { close(): Promise<void> } {
  const { engine, catalog, version, logger } = options;
  const sseSessions = new Map<string, SseSession>();

  const authenticate = async (ctx: Context, next: Next) => {
    if (options.auth === 'bearer') {
      const ok = bearerMatches(ctx.get('Authorization'), options.apiToken);
      if (!ok) throw unauthorized(ctx);
    }
    (ctx.state as RequestState).principal = OPERATOR;
    await next();
  };

  router.post('/mcp', authenticate, async (ctx) => {
    const server = createMcpServer(engine, catalog, () => callContext(ctx, 'chatgpt_mcp'), version);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    ctx.respond = false;
    ctx.res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(ctx.req, ctx.res, (ctx.request as { body?: unknown }).body);
  });

  // Stateless: there is no server-initiated stream to GET and no session to DELETE.
  router.all('/mcp', authenticate, async (ctx) => {
    ctx.set('Allow', 'POST');
    throw new GatewayError('method_not_allowed', 'This MCP endpoint is stateless: send JSON-RPC messages with POST.');
  });

  router.get('/sse', authenticate, async (ctx) => {
    const principal = (ctx.state as RequestState).principal ?? OPERATOR;
    const transport = new SSEServerTransport('/messages', ctx.res);
    const sessionLogger = logger.child({ sse_session: transport.sessionId });
    const server = createMcpServer(
      engine,
      catalog,
      // Each call on a long-lived SSE session gets its own request id.
      () => ({ requestId: randomUUID(), actor: 'chatgpt_mcp', principal, logger: sessionLogger }),
      version,
    );
    sseSessions.set(transport.sessionId, { transport, principal });
    ctx.respond = false;
    transport.onclose = () => sseSessions.delete(transport.sessionId);
    await server.connect(transport);
  });

  router.post('/messages', authenticate, async (ctx) => {
    const sessionId = typeof ctx.query.sessionId === 'string' ? ctx.query.sessionId : '';
    const session = sseSessions.get(sessionId);
    if (!session) {
      throw new GatewayError('not_found', 'Unknown or closed SSE session: open a new one with GET /sse.', {
        session_id: sessionId,
      });
    }
    // A session id is not a credential: only the principal that opened the stream may post to it.
    if ((ctx.state as RequestState).principal?.id !== session.principal.id) {
      throw new GatewayError('forbidden', 'This SSE session belongs to another principal.');
    }
    ctx.respond = false;
    await session.transport.handlePostMessage(ctx.req, ctx.res, (ctx.request as { body?: unknown }).body);
  });

  return {
    async close() {
      await Promise.all([...sseSessions.values()].map((s) => s.transport.close()));
      sseSessions.clear();
    },
  };
}
