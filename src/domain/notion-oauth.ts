/**
 * Notion OAuth (public integration), authorization-code flow. The HTTP layer (src/http/oauth.ts) wires
 * GET /oauth/start → startAuthorization and GET /oauth/callback → completeAuthorization.
 *
 * State: `<nonce>.<hmac>` — 32 random bytes, signed with HMAC-SHA256 under a server secret, stored in
 * `oauth_states` with its expiry (10 minutes), owner, return_url and connection hint, and consumed atomically
 * exactly once. Forged, unknown, expired and replayed states are told apart in the `oauth_state_invalid` message.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { DEFAULT_NOTION_BASE_URL, exchangeCode } from '../notion/connection-api.ts';
import { GatewayError } from '../shared/errors.ts';
import type { NotionCallMetrics } from '../shared/metrics.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';
import type { Store } from '../store/store.ts';
import type { ConnectionSummary } from './connection-types.ts';
import type { ConnectionService } from './connections.ts';

export const DEFAULT_STATE_TTL_MS = 10 * 60_000;
/** Stored as a state's owner when the Notion user who authorizes becomes the owner (sign-in). */
const SIGN_IN_OWNER = '@notion-user';
/** The user principal of a Notion user. */
export const userPrincipalOf = (notionUserId: string): Principal => ({ id: `user:${notionUserId}`, kind: 'user' });
const MAX_HINT = 200;
const MAX_RETURN_URL = 2048;

export interface NotionOAuthOptions {
  store: Store;
  connections: ConnectionService;
  /** NOTION_OAUTH_CLIENT_ID / NOTION_OAUTH_CLIENT_SECRET / NOTION_OAUTH_REDIRECT_URI: all three or OAuth is off. */
  clientId?: string | null;
  clientSecret?: string | null;
  redirectUri?: string | null;
  /** OAUTH_STATE_SECRET: signs states. Absent → a random per-process secret (single instance only; logged). */
  stateSecret?: string | null;
  notionBaseUrl?: string;
  notionTimeoutMs?: number;
  notionMetrics?: NotionCallMetrics;
  /** OAUTH_RETURN_ORIGINS: origins a return_url may point to (e.g. https://chatgpt.com). Empty → no return_url. */
  allowedReturnOrigins?: string[];
  stateTtlMs?: number;
  logger?: Logger;
  now?: () => Date;
  /**
   * Called once a connection is stored, before the browser is redirected (the authorization server's sign-in); it may
   * name another return URL (e.g. one carrying a single-use ticket for the browser that completed the flow).
   */
  onCompleted?: (result: CompleteAuthorizationResult) => Promise<{ returnUrl?: string } | undefined>;
}

export interface StartAuthorizationInput {
  returnUrl?: string | null;
  connectionHint?: string | null;
  /** Who will own the connection (default: the operator). */
  principal?: Principal;
  /**
   * Sign-in ("Connect Notion" from the authorization server's consent page): the connection belongs to the Notion
   * user who authorizes, as the user principal `user:<notion user id>`; `principal` is ignored.
   */
  signIn?: boolean;
  /** A return URL on this gateway itself (the consent page), exempt from OAUTH_RETURN_ORIGINS. */
  ownReturnUrl?: string | null;
}

export interface StartAuthorizationResult {
  authorizeUrl: string;
  /** The signed state (also inside authorizeUrl). */
  state: string;
  expiresAt: string;
}

export interface CompleteAuthorizationInput {
  code?: string | null;
  state?: string | null;
  error?: string | null;
}

export interface CompleteAuthorizationResult {
  connection: ConnectionSummary;
  /** Who owns the connection now. */
  owner: Principal;
  /** false when the same owner + workspace + bot was already connected (updated, not duplicated). */
  created: boolean;
  returnUrl?: string;
  connectionHint?: string;
}

export interface NotionOAuth {
  readonly configured: boolean;
  startAuthorization(input?: StartAuthorizationInput): Promise<StartAuthorizationResult>;
  completeAuthorization(input: CompleteAuthorizationInput): Promise<CompleteAuthorizationResult>;
}

const stateInvalid = (message: string, details: Record<string, unknown> = {}) =>
  new GatewayError('oauth_state_invalid', message, details);

export function checkReturnUrl(returnUrl: string, allowedOrigins: string[]): string {
  if (returnUrl.length > MAX_RETURN_URL) throw new GatewayError('bad_request', 'return_url is too long.');
  let url: URL;
  try {
    url = new URL(returnUrl);
  } catch {
    throw new GatewayError('bad_request', 'return_url must be an absolute http(s) URL.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new GatewayError('bad_request', 'return_url must be an absolute http(s) URL.');
  }
  const allowed = allowedOrigins.map((o) => new URL(o).origin);
  if (!allowed.includes(url.origin)) {
    throw new GatewayError(
      'bad_request',
      allowed.length === 0
        ? 'return_url is not accepted: no return origin is configured (OAUTH_RETURN_ORIGINS).'
        : `return_url origin ${url.origin} is not allowed (allowed: ${allowed.join(', ')}).`,
      { allowed_origins: allowed },
    );
  }
  return url.toString();
}

export function createNotionOAuth(options: NotionOAuthOptions): NotionOAuth {
  const log = options.logger?.child({ component: 'oauth' });
  const now = options.now ?? (() => new Date());
  const ttl = options.stateTtlMs ?? DEFAULT_STATE_TTL_MS;
  const baseUrl = (options.notionBaseUrl ?? DEFAULT_NOTION_BASE_URL).replace(/\/+$/, '');
  const configured = Boolean(options.clientId && options.clientSecret && options.redirectUri);
  let secret: Buffer;
  if (options.stateSecret) {
    secret = Buffer.from(options.stateSecret, 'utf8');
  } else {
    secret = randomBytes(32);
    if (configured) {
      log?.warn('OAUTH_STATE_SECRET is not set: OAuth states are signed with a per-process random secret');
    }
  }
  const allowedOrigins = options.allowedReturnOrigins ?? [];
  for (const o of allowedOrigins) {
    try {
      new URL(o);
    } catch {
      throw new Error(`allowed return origin ${JSON.stringify(o)} is not a URL`);
    }
  }

  const sign = (nonce: string) => createHmac('sha256', secret).update(`notion-oauth-state.v1.${nonce}`).digest();

  function requireConfigured() {
    if (!configured) {
      throw new GatewayError(
        'oauth_not_configured',
        'Notion OAuth is not configured: set NOTION_OAUTH_CLIENT_ID, NOTION_OAUTH_CLIENT_SECRET and NOTION_OAUTH_REDIRECT_URI.',
      );
    }
    return { clientId: options.clientId!, clientSecret: options.clientSecret!, redirectUri: options.redirectUri! };
  }

  /** Checks signature and stored record, then consumes it. Returns the stored row. */
  async function takeState(state: string | null | undefined) {
    if (!state) throw stateInvalid('The OAuth callback carried no state parameter.');
    const m = /^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/.exec(state);
    if (!m) throw stateInvalid('The OAuth state is malformed.');
    const [, nonce, sig] = m as unknown as [string, string, string];
    const expected = sign(nonce);
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw stateInvalid('The OAuth state signature is invalid (forged, or issued by another server).');
    }
    const row = await options.store.oauthStates.find(nonce);
    if (!row) throw stateInvalid('The OAuth state is unknown to this server: start the connection again.');
    const at = now();
    if (row.used_at) throw stateInvalid('The OAuth state was already used: start the connection again.');
    if (row.expires_at.getTime() <= at.getTime()) {
      throw stateInvalid(`The OAuth state expired (states live ${Math.round(ttl / 60_000)} minutes): start again.`);
    }
    if (!(await options.store.oauthStates.consume(nonce, at))) {
      throw stateInvalid('The OAuth state was already used: start the connection again.');
    }
    return row;
  }

  return {
    configured,

    async startAuthorization(input = {}) {
      const { clientId, redirectUri } = requireConfigured();
      const returnUrl =
        input.ownReturnUrl ?? (input.returnUrl ? checkReturnUrl(input.returnUrl, allowedOrigins) : null);
      const hint = input.connectionHint?.trim() || null;
      if (hint && hint.length > MAX_HINT) {
        throw new GatewayError('bad_request', `connection_hint is longer than ${MAX_HINT} characters.`);
      }
      const nonce = randomBytes(32).toString('base64url');
      const at = now();
      const expiresAt = new Date(at.getTime() + ttl);
      await options.store.oauthStates.purgeExpired(at);
      await options.store.oauthStates.create({
        id: nonce,
        owner: input.signIn ? SIGN_IN_OWNER : (input.principal ?? OPERATOR).id,
        return_url: returnUrl,
        connection_hint: hint,
        expires_at: expiresAt,
      });
      const state = `${nonce}.${sign(nonce).toString('base64url')}`;
      const url = new URL(`${baseUrl}/v1/oauth/authorize`);
      url.searchParams.set('client_id', clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('owner', 'user');
      url.searchParams.set('state', state);
      log?.info({ expires_at: expiresAt.toISOString(), has_return_url: returnUrl !== null }, 'oauth started');
      return { authorizeUrl: url.toString(), state, expiresAt: expiresAt.toISOString() };
    },

    async completeAuthorization(input) {
      const client = requireConfigured();
      const row = await takeState(input.state);
      const returnUrl = row.return_url ?? undefined;
      if (input.error) {
        const denied = input.error === 'access_denied';
        log?.info({ error: input.error.slice(0, 64) }, 'oauth callback carried an error');
        throw new GatewayError(
          'oauth_failed',
          denied
            ? 'The Notion authorization was denied by the user.'
            : `Notion answered the authorization with an error (${input.error.slice(0, 64)}).`,
          { notion_error: input.error.slice(0, 64), ...(returnUrl ? { return_url: returnUrl } : {}) },
        );
      }
      if (!input.code) {
        throw new GatewayError('oauth_failed', 'The OAuth callback carried no code.', {
          ...(returnUrl ? { return_url: returnUrl } : {}),
        });
      }
      let result: Awaited<ReturnType<ConnectionService['upsertOAuth']>>;
      let owner: Principal;
      try {
        const grant = await exchangeCode(
          input.code,
          client.redirectUri,
          client,
          { baseUrl, timeoutMs: options.notionTimeoutMs, logger: options.logger, metrics: options.notionMetrics },
          now(),
        );
        if (row.owner === SIGN_IN_OWNER && !grant.owner_user_id) {
          throw new GatewayError(
            'oauth_failed',
            'Notion did not say which user authorized (a workspace-owned integration): sign in as a user.',
          );
        }
        owner =
          row.owner === SIGN_IN_OWNER
            ? userPrincipalOf(grant.owner_user_id!)
            : { id: row.owner, kind: row.owner === OPERATOR.id ? 'operator' : 'user' };
        result = await options.connections.upsertOAuth(owner, grant);
      } catch (e) {
        if (e instanceof GatewayError && returnUrl) e.details.return_url ??= returnUrl;
        throw e;
      }
      log?.info({ connection_id: result.connection.connection_id, created: result.created }, 'oauth completed');
      const completed: CompleteAuthorizationResult = {
        connection: result.connection,
        owner,
        created: result.created,
        ...(returnUrl ? { returnUrl } : {}),
        ...(row.connection_hint ? { connectionHint: row.connection_hint } : {}),
      };
      const next = await options.onCompleted?.(completed);
      if (next?.returnUrl) completed.returnUrl = next.returnUrl;
      return completed;
    },
  };
}
