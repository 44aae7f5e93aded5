/**
 * Who a request comes from, from its headers alone (never its body). Two credentials, both `Authorization: Bearer`:
 *   - the operator's static API token (ACTION_API_TOKEN), compared as SHA-256 digests with timingSafeEqual so
 *     neither its content nor its length leaks through timing → the operator principal;
 *   - with OAUTH=on, an access token of the gateway's authorization server (src/auth) whose audience is the surface
 *     reached (MCP: `PUBLIC_BASE_URL/mcp`, REST: `PUBLIC_BASE_URL`) → a user principal limited to its grant.
 * A refusal is a 401 whose `WWW-Authenticate` names the RFC 9728 metadata, so an MCP client can start OAuth.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Audience, AuthorizationServer } from '../auth/server.ts';
import { GatewayError } from '../shared/errors.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';
import type { RequestState } from './context.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

const bearerOf = (authorization: string | undefined): string | null =>
  /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1] ?? null;

/** A matcher for one expected token (its digest computed once, not per request). */
export function bearerMatcher(expectedToken: string): (authorization: string | undefined) => boolean {
  const expected = digest(expectedToken);
  return (authorization) => {
    const token = bearerOf(authorization);
    return token !== null && timingSafeEqual(digest(token), expected);
  };
}

/** Why the last authentication of this request failed (an OAuth token's error goes into the challenge). */
interface Refusal {
  error: 'invalid_token' | 'insufficient_scope';
  description: string;
}

const REFUSAL = Symbol('auth-refusal');

export interface Gatekeeper {
  /** The principal of a request reaching `audience`, or null. */
  authenticate(ctx: Context, audience: Audience): Promise<Principal | null>;
  /** The 401 (403 for a missing scope) to throw, with its `WWW-Authenticate` challenge set. */
  refuse(ctx: Context, audience: Audience): GatewayError;
}

/** Authenticates or throws the refusal; the principal is also kept on the request (`ctx.state.principal`). */
export async function requirePrincipal(gatekeeper: Gatekeeper, ctx: Context, audience: Audience): Promise<Principal> {
  const principal = await gatekeeper.authenticate(ctx, audience);
  if (!principal) throw gatekeeper.refuse(ctx, audience);
  const state = ctx.state as RequestState;
  state.principal = principal;
  // From here on every log line of the request (the access log included) names who is calling.
  state.logger = state.logger.child({ principal: principal.id });
  return principal;
}

export function createGatekeeper(apiToken: string, oauth: AuthorizationServer | null): Gatekeeper {
  const isOperator = bearerMatcher(apiToken);
  return {
    async authenticate(ctx, audience) {
      const authorization = ctx.get('Authorization');
      if (isOperator(authorization)) return OPERATOR;
      const token = bearerOf(authorization);
      if (!oauth || token === null || !oauth.verifier.looksLikeJwt(token)) return null;
      const checked = await oauth.verifier.check(token, oauth.resourceOf(audience));
      if (checked.ok) return checked.principal;
      (ctx.state as Record<symbol, Refusal>)[REFUSAL] = { error: checked.error, description: checked.description };
      return null;
    },
    refuse(ctx, audience) {
      const refusal = (ctx.state as Record<symbol, Refusal | undefined>)[REFUSAL];
      if (!oauth) {
        ctx.set('WWW-Authenticate', 'Bearer');
        return new GatewayError('unauthorized', 'Send the API token as `Authorization: Bearer <token>`.');
      }
      const params = [`resource_metadata="${oauth.resourceMetadataUrl(audience)}"`, 'scope="notion"'];
      if (refusal)
        params.push(`error="${refusal.error}"`, `error_description="${refusal.description.replace(/"/g, "'")}"`);
      ctx.set('WWW-Authenticate', `Bearer ${params.join(', ')}`);
      if (refusal?.error === 'insufficient_scope') {
        return new GatewayError('forbidden', refusal.description, {}, 403);
      }
      return new GatewayError(
        'unauthorized',
        refusal
          ? `${refusal.description} Sign in again (OAuth) or send the operator's API token.`
          : 'Sign in with OAuth (see WWW-Authenticate: resource_metadata) or send the API token as `Authorization: Bearer <token>`.',
      );
    },
  };
}
