/**
 * Per-request plumbing shared by every route: the request id, the access log, the envelope and the one place that
 * turns any thrown error into the standard error envelope (never a stack trace).
 */
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import type { Actor, CallContext } from '../engine/context.ts';
import { GatewayError, toErrorBody } from '../shared/errors.ts';
import type { MetricsTransport } from '../shared/metrics.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';

export interface RequestState {
  requestId: string;
  logger: Logger;
  principal?: Principal;
  /** The operation this request ran and its connection, filled in by the engine (src/engine/context.ts `trace`). */
  trace: { operation?: string; connectionId?: string };
}

const state = (ctx: Context) => ctx.state as RequestState;

// An inbound X-Request-Id is kept when it is a plausible id, so a caller can correlate; otherwise a new one is made.
const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function requestContext(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    const inbound = ctx.get('X-Request-Id');
    const requestId = ACCEPTABLE_REQUEST_ID.test(inbound) ? inbound : randomUUID();
    const started = performance.now();
    state(ctx).requestId = requestId;
    state(ctx).logger = logger.child({ request_id: requestId });
    state(ctx).trace = {};
    ctx.set('X-Request-Id', requestId);
    try {
      await next();
    } finally {
      // The path only: query strings can carry OAuth codes and cursors, which do not belong in logs.
      const { trace } = state(ctx);
      state(ctx).logger.info(
        {
          method: ctx.method,
          path: ctx.path,
          status: ctx.status,
          ms: Math.round(performance.now() - started),
          operation: trace.operation,
          connection_id: trace.connectionId,
        },
        'request',
      );
    }
  };
}

export const requestIdOf = (ctx: Context) => state(ctx).requestId;

export function okEnvelope(result: unknown, ctx: Context, replayed = false) {
  const meta = replayed ? { request_id: requestIdOf(ctx), idempotent_replay: true } : { request_id: requestIdOf(ctx) };
  return { ok: true, result, error: null, meta };
}

export function errorEnvelope(error: GatewayError, ctx: Context) {
  return { ok: false, result: null, error: toErrorBody(error), meta: { request_id: requestIdOf(ctx) } };
}

export function errorHandler() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined && ctx.respond !== false) {
        throw new GatewayError('not_found', `Nothing at ${ctx.method} ${ctx.path}.`);
      }
    } catch (thrown) {
      let error = thrown instanceof GatewayError ? thrown : null;
      if (!error && thrown instanceof URIError) {
        // Malformed percent-encoding in a path or query (e.g. `/v1/connections/%ff`): the caller's mistake, no stack.
        state(ctx).logger.debug({ err_type: 'URIError' }, 'malformed percent-encoding');
        error = new GatewayError('bad_request', 'The URL has malformed percent-encoding.');
      }
      if (!error) {
        state(ctx).logger.error({ err: thrown }, 'unhandled error');
        error = new GatewayError('internal_error', `Unexpected error; quote request id ${requestIdOf(ctx)}.`);
      }
      closeIfBodyUnread(ctx);
      if (ctx.headerSent || ctx.respond === false) {
        state(ctx).logger.warn({ code: error.code }, 'error after the response started');
        return;
      }
      ctx.status = error.status;
      ctx.body = errorEnvelope(error, ctx);
    }
  };
}

/**
 * An error answered before the body was read (401, 403, 413…): close the connection after the answer instead of
 * draining whatever the client still sends, and cut it a moment later if the client keeps the socket open.
 */
export function closeIfBodyUnread(ctx: Context): void {
  if (ctx.req.complete || ctx.headerSent) return;
  ctx.set('Connection', 'close');
  ctx.res.once('finish', () => {
    if (!ctx.req.complete) setTimeout(() => ctx.req.socket.destroy(), 1_000).unref();
  });
}

export function callContext(ctx: Context, actor: Actor, transport?: MetricsTransport): CallContext {
  return {
    requestId: requestIdOf(ctx),
    actor,
    principal: state(ctx).principal ?? OPERATOR,
    logger: state(ctx).logger,
    transport,
    trace: state(ctx).trace,
  };
}
