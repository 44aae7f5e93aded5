/**
 * A gateway with its OAuth 2.1 authorization server on (OAUTH=on), signing users in through the Notion sandbox's
 * OAuth, plus a small cookie-keeping browser for driving the consent pages without a real browser.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type {
  OAuthClientInformationMixed,
  OAuthClientMetadata,
  OAuthTokens,
} from '@modelcontextprotocol/sdk/shared/auth.js';
import { startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, type RunningGateway, startGateway } from './gateway.ts';

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export const NOTION_CLIENT = { clientId: 'gateway-notion-client', clientSecret: 'gateway-notion-secret' };

/** A port free right now (the issuer must be known before the gateway listens). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface OAuthWorld {
  sandbox: Sandbox;
  gateway: RunningGateway;
  /** = PUBLIC_BASE_URL = issuer. */
  url: string;
  close(): Promise<void>;
}

/** The sandbox with `workspaces` (tokens are irrelevant: users connect through OAuth) and an OAUTH=on gateway. */
export async function startOAuthWorld(
  workspaces: Array<{ name: string }>,
  env: Record<string, string> = {},
): Promise<OAuthWorld> {
  const sandbox = await startSandbox({
    workspaces: workspaces.map((w, i) => ({ token: `secret_ws_${i}`, name: w.name })),
    oauth: NOTION_CLIENT,
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = await startGateway({
    PORT: String(port),
    PUBLIC_BASE_URL: url,
    OAUTH: 'on',
    NOTION_BASE_URL: sandbox.url,
    NOTION_OAUTH_CLIENT_ID: NOTION_CLIENT.clientId,
    NOTION_OAUTH_CLIENT_SECRET: NOTION_CLIENT.clientSecret,
    NOTION_OAUTH_REDIRECT_URI: `${url}/oauth/callback`,
    OAUTH_STATE_SECRET: 'test-oauth-state-secret-0123456789abcdef',
    ...env,
  });
  return {
    sandbox,
    gateway,
    url,
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}

/** fetch with a cookie jar and manual redirects: what a browser does on the consent pages, minus rendering. */
export class CookieBrowser {
  readonly #cookies = new Map<string, string>();

  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const cookie = [...this.#cookies.entries()]
      .filter(([key]) => key.startsWith(`${target.host}|`))
      .map(([key, value]) => `${key.split('|')[1]}=${value}`)
      .join('; ');
    const headers = new Headers(init.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = /max-age=0|expires=Thu, 01 Jan 1970/i.test(line) || value === '';
      if (expired) this.#cookies.delete(`${target.host}|${name}`);
      else this.#cookies.set(`${target.host}|${name}`, value);
    }
    return res;
  }

  /** Follows redirects from `url` until `stop(url)` is true or a page answers 200; returns the last response. */
  async follow(
    url: string | URL,
    stop: (url: URL) => boolean = () => false,
    init: RequestInit = {},
  ): Promise<{ url: URL; res: Response }> {
    let current = new URL(url);
    let res = await this.fetch(current, init);
    for (let hops = 0; hops < 20; hops++) {
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location) return { url: current, res };
      current = new URL(location, current);
      if (stop(current)) return { url: current, res };
      res = await this.fetch(current);
    }
    throw new Error('too many redirects');
  }

  /** Submits a consent-page form (urlencoded, like the browser). */
  post(url: string | URL, fields: Array<[string, string]>): Promise<Response> {
    return this.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The consent page's checkbox values (connection ids) and whether each is checked. */
export function consentChoices(html: string): Array<{ id: string; checked: boolean; label: string }> {
  return [
    ...html.matchAll(
      /<input type="checkbox" id="([^"]+)" name="connection_id" value="([^"]+)"( checked)?><label[^>]*>([^<]*)</g,
    ),
  ].map((m) => ({ id: m[2]!, checked: Boolean(m[3]), label: m[4]! }));
}

/**
 * Drives one authorization in `browser` from the client's authorization URL to its redirect URI: the consent page,
 * "Connect Notion" once per sandbox workspace in `connect` (sandbox consent auto-approves the named workspace),
 * then Allow with `choose(ids offered)` (default: all). Returns the redirect (code, state, iss).
 */
export async function authorizeThrough(
  browser: CookieBrowser,
  world: OAuthWorld,
  authorizationUrl: string | URL,
  options: { connect?: string[]; choose?: (offered: string[]) => string[]; redirectPrefix: string },
): Promise<URL> {
  const atClient = (u: URL) => u.href.startsWith(options.redirectPrefix);
  let { url: pageUrl, res } = await browser.follow(authorizationUrl, atClient);
  // Signed in, with a grant for this client already: no page, straight back to the client.
  if (atClient(pageUrl)) return pageUrl;
  if (res.status !== 200) throw new Error(`consent page answered ${res.status}: ${await res.text()}`);
  let html = await res.text();
  for (const workspaceId of options.connect ?? []) {
    const started = await browser.post(new URL(`${pageUrl.pathname}/notion`, world.url), []);
    const notion = new URL(started.headers.get('location')!);
    notion.searchParams.set('sandbox_workspace', workspaceId);
    ({ url: pageUrl, res } = await browser.follow(notion));
    if (res.status !== 200) throw new Error(`after Notion: ${res.status} ${await res.text()}`);
    html = await res.text();
  }
  const offered = consentChoices(html).map((c) => c.id);
  const chosen = options.choose ? options.choose(offered) : offered;
  const confirmed = await browser.post(new URL(`${pageUrl.pathname}/confirm`, world.url), [
    ['decision', 'allow'],
    ...chosen.map((id): [string, string] => ['connection_id', id]),
  ]);
  if (confirmed.status !== 303) throw new Error(`confirm answered ${confirmed.status}: ${await confirmed.text()}`);
  const done = await browser.follow(new URL(confirmed.headers.get('location')!, world.url), atClient);
  if (!atClient(done.url)) {
    throw new Error(`the authorization ended at ${done.url.href} (${done.res.status}): ${await done.res.text()}`);
  }
  return done.url;
}

export const OPERATOR_PASSWORD = 'operator-password-for-tests';

export interface OperatorWorld extends OAuthWorld {
  /** The operator's connections by workspace name (NOTION_TOKEN's first, then those added through the API). */
  connections: Record<string, string>;
}

/**
 * Developer Mode with only internal tokens: OAUTH=on without any NOTION_OAUTH_*, the operator's NOTION_TOKEN for the
 * first workspace and the others added as internal connections through `POST /v1/connections`; OPERATOR_PASSWORD set.
 */
export async function startOperatorWorld(
  workspaces: Array<{ name: string }>,
  env: Record<string, string> = {},
): Promise<OperatorWorld> {
  const sandbox = await startSandbox({
    workspaces: workspaces.map((w, i) => ({ token: `secret_ws_${i}`, name: w.name })),
  });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = await startGateway({
    PORT: String(port),
    PUBLIC_BASE_URL: url,
    OAUTH: 'on',
    NOTION_BASE_URL: sandbox.url,
    NOTION_TOKEN: 'secret_ws_0',
    OPERATOR_PASSWORD,
    ...env,
  });
  for (let i = 1; i < workspaces.length; i++) {
    const res = await fetch(`${url}/v1/connections`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ token: `secret_ws_${i}` }),
    });
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`connections_create: ${res.status} ${await res.text()}`);
  }
  const listed = (await (
    await fetch(`${url}/v1/connections`, { headers: { authorization: `Bearer ${API_TOKEN}` } })
  ).json()) as { result: { connections: Array<{ connection_id: string; workspace_name: string }> } };
  const connections = Object.fromEntries(listed.result.connections.map((c) => [c.workspace_name, c.connection_id]));
  return {
    sandbox,
    gateway,
    url,
    connections,
    async close() {
      await gateway.close();
      await sandbox.close();
    },
  };
}

/**
 * Registers a public client (dynamic registration, PKCE) for `redirectUri` and builds its authorization request for
 * the MCP resource, as ChatGPT or the Inspector would: what a browser test then opens.
 */
export async function authorizationRequest(baseUrl: string, clientName: string, redirectUri: string) {
  const registration = await fetch(`${baseUrl}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: clientName, redirect_uris: [redirectUri], token_endpoint_auth_method: 'none' }),
  });
  if (registration.status !== 201) throw new Error(`registration answered ${registration.status}`);
  const { client_id } = (await registration.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${baseUrl}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'notion',
    state: 'browser-state',
    resource: `${baseUrl}/mcp`,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    authorize.searchParams.set(k, v);
  return { client_id, verifier, authorize };
}

/** Exchanges an authorization code (PKCE) for an access token and lists, over MCP, the workspaces the token reaches. */
export async function workspacesReachedWith(
  baseUrl: string,
  grant: { code: string; client_id: string; verifier: string; redirectUri: string },
): Promise<string[]> {
  const token = await fetch(`${baseUrl}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: grant.code,
      redirect_uri: grant.redirectUri,
      client_id: grant.client_id,
      code_verifier: grant.verifier,
      resource: `${baseUrl}/mcp`,
    }),
  });
  if (token.status !== 200) throw new Error(`token endpoint answered ${token.status}: ${await token.text()}`);
  const { access_token } = (await token.json()) as { access_token: string };
  const listed = await fetch(`${baseUrl}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${access_token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'connections_list', arguments: {} },
    }),
  });
  const body = (await listed.json()) as {
    result: { structuredContent: { connections: { workspace_name: string }[] } };
  };
  return body.result.structuredContent.connections.map((c) => c.workspace_name);
}

/** An in-memory OAuthClientProvider, as an MCP client application implements it (public client, PKCE, refresh). */
export class MemoryProvider implements OAuthClientProvider {
  client?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  readonly options: { redirect: string; clientName: string; state: string };
  constructor(options: { redirect: string; clientName: string; state: string }) {
    this.options = options;
  }
  get redirectUrl() {
    return this.options.redirect;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: this.options.clientName,
      redirect_uris: [this.options.redirect],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    return this.options.state;
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationMixed) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(v: string) {
    this.verifier = v;
  }
  codeVerifier() {
    return this.verifier;
  }
}
