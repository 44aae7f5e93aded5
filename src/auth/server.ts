/**
 * The OAuth 2.1 authorization server (oidc-provider, itself a Koa application) on the gateway's own origin, and the
 * resource-server metadata the MCP and REST surfaces point clients to.
 *
 *   /.well-known/oauth-authorization-server, /.well-known/openid-configuration   RFC 8414 / OpenID discovery
 *   /.well-known/oauth-protected-resource[/mcp]                                   RFC 9728 (REST / MCP resource)
 *   /oauth/authorize, /oauth/token, /oauth/register, /oauth/revoke, /oauth/jwks   the library's endpoints
 *   /oauth/interaction/:uid…                                                      sign-in (operator; "Connect Notion") and consent
 *
 * Authorization code + PKCE S256 (required, except for the pre-registered Custom GPT Actions client), refresh tokens
 * (rotated for public clients), Dynamic Client Registration, RFC 8707 resource indicators: an access token's
 * audience is `PUBLIC_BASE_URL/mcp` (MCP) or `PUBLIC_BASE_URL` (REST). Records live in the database (src/auth/adapter.ts).
 */
import type { IncomingMessage } from 'node:http';
import type { Context, Next } from 'koa';
import Mustache from 'mustache';
import Provider, { errors } from 'oidc-provider';
import type { Logger } from 'pino';
import type { ConnectionService } from '../domain/connections.ts';
import type { CompleteAuthorizationResult, NotionOAuth } from '../domain/notion-oauth.ts';
import type { TokenCipher } from '../security/token-cipher.ts';
import type { Store } from '../store/store.ts';
import { createAdapterClass, purgeExpiredRecords, recordStore } from './adapter.ts';
import { type ActionsClient, isActionsClient, registerActionsClient } from './clients.ts';
import { createInteractions } from './interactions.ts';
import { loadServerKeys } from './keys.ts';
import { createRegistrationGuard, UNUSED_CLIENT_TTL_SECONDS } from './registration.ts';
import { createTokenVerifier, NOTION_SCOPE, type TokenVerifier } from './tokens.ts';

export interface AuthorizationServerOptions {
  /** PUBLIC_BASE_URL: the issuer, and the origin of both resources. */
  issuer: string;
  store: Store;
  cipher: TokenCipher;
  connections: ConnectionService;
  notionOAuth: NotionOAuth;
  /** What the operator may sign in with on the sign-in page: ACTION_API_TOKEN and OPERATOR_PASSWORD when set. */
  operatorSecrets: string[];
  trustProxy: boolean;
  accessTokenTtlSeconds: number;
  logger: Logger;
}

export type Audience = 'mcp' | 'rest';

export interface AuthorizationServer {
  readonly issuer: string;
  /** The resource (token audience) of a surface. */
  resourceOf(audience: Audience): string;
  /** Its RFC 9728 metadata URL (named in `WWW-Authenticate: Bearer resource_metadata="…"`). */
  resourceMetadataUrl(audience: Audience): string;
  verifier: TokenVerifier;
  /** Koa middleware: the library's endpoints, discovery, protected-resource metadata and the consent pages. */
  middleware(ctx: Context, next: Next): Promise<void>;
  /** Registers (or replaces) a Custom GPT Actions client, like `npm run oauth:client`. */
  registerActionsClient(input: { name: string; redirectUris: string[]; clientId?: string }): Promise<ActionsClient>;
  /** Hook for Notion OAuth completions (sign-in from the consent page). */
  onNotionCompleted(result: CompleteAuthorizationResult): Promise<{ returnUrl?: string } | undefined>;
  /** Client records stored now: all, and those that never expire (pre-registered Actions clients). */
  registeredClients(): Promise<{ total: number; withoutExpiry: number }>;
  close(): void;
}

const DAY = 24 * 3600;

/** Paths oidc-provider answers itself (its `routes` below, plus RFC 8414 and OpenID discovery). */
const PROVIDER_PATH =
  /^\/oauth\/(authorize(\/[^/]+)?|token|register(\/[^/]+)?|revoke|jwks|userinfo|introspect|par|logout(\/.*)?)$|^\/\.well-known\/(openid-configuration|oauth-authorization-server)$/;

/**
 * Browser-based clients (MCP Inspector's web UI) discover and register from another origin: the metadata and the
 * registration endpoint answer CORS, preflight included (they need no cookie; the library does the token endpoint).
 */
function cors(ctx: Context, methods: string): boolean {
  ctx.set('Access-Control-Allow-Origin', '*');
  if (ctx.method !== 'OPTIONS') return false;
  ctx.set('Access-Control-Allow-Methods', methods);
  ctx.set('Access-Control-Allow-Headers', ctx.get('Access-Control-Request-Headers') || 'content-type');
  ctx.set('Access-Control-Max-Age', '3600');
  ctx.status = 204;
  return true;
}

export async function createAuthorizationServer(options: AuthorizationServerOptions): Promise<AuthorizationServer> {
  const issuer = options.issuer.replace(/\/+$/, '');
  const resources: Record<Audience, string> = { mcp: `${issuer}/mcp`, rest: issuer };
  const log = options.logger.child({ component: 'oauth-server' });
  const Adapter = createAdapterClass(options.store, options.cipher, {
    unusedClientTtl: (clientId) => (isActionsClient(clientId) ? undefined : UNUSED_CLIENT_TTL_SECONDS),
  });
  const registrations = createRegistrationGuard();
  const keys = await loadServerKeys(recordStore(Adapter, 'ServerKey'));
  const grants = recordStore(Adapter, 'GrantConnections');

  const provider = new Provider(issuer, {
    adapter: Adapter,
    jwks: { keys: keys.signing },
    cookies: { keys: keys.cookies, long: { signed: true }, short: { signed: true } },
    scopes: ['openid', 'offline_access', NOTION_SCOPE],
    claims: { openid: ['sub'] },
    clientDefaults: {
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'RS256',
    },
    routes: {
      authorization: '/oauth/authorize',
      token: '/oauth/token',
      registration: '/oauth/register',
      revocation: '/oauth/revoke',
      jwks: '/oauth/jwks',
      userinfo: '/oauth/userinfo',
      introspection: '/oauth/introspect',
      end_session: '/oauth/logout',
      pushed_authorization_request: '/oauth/par',
    },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Without a `resource` parameter: the Custom GPT Actions client gets the REST audience, others MCP.
        defaultResource: (_ctx: unknown, client: { clientId: string }, oneOf?: string[]) =>
          oneOf?.[0] ?? (isActionsClient(client.clientId) ? resources.rest : resources.mcp),
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== resources.mcp && resource !== resources.rest) {
            throw new errors.InvalidTarget!(`unknown resource; use ${resources.mcp} or ${resources.rest}`);
          }
          return {
            scope: NOTION_SCOPE,
            audience: resource,
            accessTokenTTL: options.accessTokenTtlSeconds,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    pkce: { required: (_ctx: unknown, client: { clientId: string }) => !isActionsClient(client.clientId) },
    // The grant id travels in the token: the resource server looks up which connections consent allowed.
    extraTokenClaims: (_ctx: unknown, token: { kind: string; grantId?: string }) =>
      token.kind === 'AccessToken' && token.grantId ? { gid: token.grantId } : undefined,
    // OAuth 2.1: a refresh token whenever the client may use one, `offline_access` or not.
    issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    // …and tokens outlive the browser's sign-in session (a connector keeps working after the cookie is gone).
    expiresWithSession: () => false,
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/oauth/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 3600,
      Grant: 30 * DAY,
      Session: 14 * DAY,
      RefreshToken: 30 * DAY,
    },
    renderError: (ctx: Context, out: { error: string; error_description?: string }) => {
      ctx.type = 'html';
      ctx.body = errorPage(out.error, out.error_description);
    },
  });
  // oidc-provider builds every endpoint URL (discovery, registration_client_uri, audiences) from the request's origin.
  // Requests reach it with that origin pinned to the issuer's (pinOrigin below), so it reads X-Forwarded-* that are
  // ours, never the client's: the endpoints are PUBLIC_BASE_URL's whatever Host a request carries.
  provider.proxy = true;
  const issuerUrl = new URL(issuer);
  const pinOrigin = (ctx: Context) => {
    const headers = ctx.req.headers;
    headers.host = issuerUrl.host;
    headers['x-forwarded-host'] = issuerUrl.host;
    headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    // The client address the provider sees: the socket's, unless the gateway trusts its proxy.
    if (!options.trustProxy) headers['x-forwarded-for'] = ctx.req.socket.remoteAddress ?? '';
  };
  if (issuer.startsWith('https://') && !options.trustProxy) {
    // TLS ends at a proxy or tunnel in front of the gateway: without X-Forwarded-Proto trusted, requests look like
    // plain http and the sign-in's secure cookies cannot be set.
    log.warn('OAUTH=on with an https PUBLIC_BASE_URL and TRUST_PROXY=false: behind a proxy, set TRUST_PROXY=true');
  }
  log.info(
    { issuer, metadata: `${issuer}/.well-known/oauth-authorization-server`, mcp_resource: resources.mcp },
    'OAuth 2.1 authorization server on',
  );
  provider.on('server_error', (_ctx: unknown, error: Error) => log.error({ err: error }, 'authorization server error'));
  const providerCallback = provider.callback();

  const interactions = createInteractions({
    provider,
    issuer,
    resources,
    grants,
    tickets: recordStore(Adapter, 'SignInTicket'),
    signIns: recordStore(Adapter, 'SignIn'),
    connections: options.connections,
    notionOAuth: options.notionOAuth,
    operatorSecrets: options.operatorSecrets,
    grantTtlSeconds: 30 * DAY,
    logger: log,
  });

  const protectedResource = (audience: Audience) => ({
    resource: resources[audience],
    authorization_servers: [issuer],
    scopes_supported: [NOTION_SCOPE],
    bearer_methods_supported: ['header'],
    resource_name: audience === 'mcp' ? 'Notion Gateway (MCP)' : 'Notion Gateway (REST)',
    resource_documentation: `${issuer}/`,
  });

  /** Hands a request to oidc-provider (headers already set, e.g. X-Request-Id and CORS, are on ctx.res and kept). */
  const toProvider = async (ctx: Context) => {
    ctx.respond = false;
    await providerCallback(ctx.req as IncomingMessage, ctx.res);
  };

  const purge = () => purgeExpiredRecords(options.store).catch((e) => log.warn({ err: e }, 'OAuth purge failed'));
  void purge();
  const purgeTimer = setInterval(purge, 10 * 60_000);
  purgeTimer.unref();

  return {
    issuer,
    resourceOf: (audience) => resources[audience],
    resourceMetadataUrl: (audience) =>
      `${issuer}/.well-known/oauth-protected-resource${audience === 'mcp' ? '/mcp' : ''}`,
    verifier: createTokenVerifier({ issuer, signingKeys: keys.signing, grants }),
    async middleware(ctx, next) {
      const path = ctx.path;
      if (path === '/.well-known/oauth-protected-resource' || path === '/.well-known/oauth-protected-resource/mcp') {
        if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'OPTIONS') return next();
        if (cors(ctx, 'GET')) return;
        ctx.body = protectedResource(path.endsWith('/mcp') ? 'mcp' : 'rest');
        return;
      }
      if (path === '/oauth/register' && cors(ctx, 'POST')) return;
      if (path === '/oauth/authorize' && isActionsClient(String(ctx.query.client_id ?? '')) && !ctx.query.state) {
        // The Actions client skips PKCE; `state` is what protects its redirect, so it is required.
        ctx.status = 400;
        ctx.type = 'html';
        ctx.body = errorPage('invalid_request', 'state is required for this client.');
        return;
      }
      if (path === '/oauth/register' && ctx.method === 'POST' && !(await registrations.admit(ctx, ctx.ip))) return;
      if (PROVIDER_PATH.test(path)) {
        pinOrigin(ctx);
        return toProvider(ctx);
      }
      if (path.startsWith('/oauth/interaction/')) {
        pinOrigin(ctx);
        return interactions.handle(ctx, next);
      }
      return next();
    },
    registerActionsClient: (input) => registerActionsClient(options.store, options.cipher, input),
    onNotionCompleted: (result) => interactions.onNotionCompleted(result),
    async registeredClients() {
      const [row] = await options.store.query<{ total: number; without_expiry: number }>(
        `select count(*)::int as "total", count(*) filter (where "expires_at" is null)::int as "without_expiry"
         from "oauth_records" where "model" = 'Client'`,
      );
      return { total: Number(row?.total ?? 0), withoutExpiry: Number(row?.without_expiry ?? 0) };
    },
    close() {
      clearInterval(purgeTimer);
    },
  };
}

// Mustache escapes every {{value}}: nothing from the request reaches the page as markup.
const ERROR_PAGE =
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><p role="alert"><code>{{error}}</code>{{#description}}: {{description}}{{/description}}</p><p>Go back to the app you came from and start again.</p></main></body></html>';

export function errorPage(error: string, description?: string): string {
  return Mustache.render(ERROR_PAGE, { error, description });
}
