/**
 * Bearer-token check for the operator's static API token (ACTION_API_TOKEN). Compared as SHA-256 digests with
 * timingSafeEqual, so neither the content nor the length of the token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import { GatewayError } from '../shared/errors.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function bearerMatches(authorization: string | undefined, expectedToken: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), digest(expectedToken));
}

/** The 401 every surface answers: RFC 6750 challenge header plus the envelope's `unauthorized` code. */
export function unauthorized(ctx: Context): GatewayError {
  ctx.set('WWW-Authenticate', 'Bearer');
  return new GatewayError('unauthorized', 'Send the API token as `Authorization: Bearer <token>`.');
}

/**
 * Who a request comes from, decided from its headers alone (never its body): null when it carries no valid
 * credential. Today the operator's bearer token is the only credential; OAuth 2.1 adds per-user principals.
 */
export type Authenticator = (ctx: Context) => Principal | null;

export const operatorBearer =
  (apiToken: string): Authenticator =>
  (ctx) =>
    bearerMatches(ctx.get('Authorization'), apiToken) ? OPERATOR : null;
