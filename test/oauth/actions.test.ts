/**
 * Custom GPT Actions OAuth: the pre-registered confidential client (client_secret_post, no PKCE, state required,
 * ChatGPT's two callback hosts), the Actions document declaring the OAuth scheme, tokens with the REST audience;
 * plus the authorization server's metadata, the 401 challenges, Deny, and keys that survive a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gptRedirectUris } from '../../src/auth/clients.ts';
import { createTestDatabase, testDatabaseUrl } from '../support/db.ts';
import { API_TOKEN, api, startGateway } from '../support/gateway.ts';
import { authorizeThrough, CookieBrowser, type OAuthWorld, startOAuthWorld } from '../support/oauth.ts';

const GPT = 'g-TestGpt123';
const CALLBACK = `https://chatgpt.com/aip/${GPT}/oauth/callback`;

describe('Custom GPT Actions OAuth', () => {
  let world: OAuthWorld;
  let client: { client_id: string; client_secret: string; redirect_uris: string[] };

  beforeAll(async () => {
    world = await startOAuthWorld([{ name: 'Solo' }, { name: 'Other' }]);
    client = await world.gateway.gateway.authServer!.registerActionsClient({
      name: 'My Notion GPT',
      redirectUris: gptRedirectUris(GPT),
    });
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  const authorizeUrl = (params: Record<string, string>) => {
    const url = new URL(`${world.url}/oauth/authorize`);
    for (const [k, v] of Object.entries({
      client_id: client.client_id,
      redirect_uri: CALLBACK,
      response_type: 'code',
      scope: 'notion',
      ...params,
    }))
      url.searchParams.set(k, v);
    return url;
  };

  it('registers both ChatGPT callback hosts', () => {
    expect(client.client_id).toMatch(/^gpt-actions-/);
    expect(client.redirect_uris).toEqual([
      `https://chat.openai.com/aip/${GPT}/oauth/callback`,
      `https://chatgpt.com/aip/${GPT}/oauth/callback`,
    ]);
  });

  it('the Actions document declares the OAuth authorization-code scheme, and only it', async () => {
    const doc = (await api(world.url, null)('GET', '/openapi.json')).json;
    expect(doc.components.securitySchemes).toEqual({
      OAuth2: {
        type: 'oauth2',
        flows: {
          authorizationCode: {
            authorizationUrl: `${world.url}/oauth/authorize`,
            tokenUrl: `${world.url}/oauth/token`,
            scopes: { notion: expect.any(String) },
          },
        },
      },
    });
    expect(doc.security).toEqual([{ OAuth2: ['notion'] }]);
    expect(JSON.stringify(doc)).not.toContain('BearerAuth');
    // The full document and the server keep the operator's bearer token.
    const full = (await api(world.url, null)('GET', '/openapi.full.json')).json;
    expect(full.components.securitySchemes.BearerAuth).toBeDefined();
  });

  it('requires state; needs no PKCE; exchanges the code with client_secret_post; the token opens REST only', async () => {
    const browser = new CookieBrowser();
    const noState = await browser.fetch(authorizeUrl({}));
    expect(noState.status).toBe(400);
    expect(await noState.text()).toContain('state is required');

    const solo = world.sandbox.workspaces().find((w) => w.name === 'Solo')!.id;
    const back = await authorizeThrough(browser, world, authorizeUrl({ state: 'gpt-state-1' }), {
      connect: [solo],
      redirectPrefix: CALLBACK,
    });
    expect(back.searchParams.get('state')).toBe('gpt-state-1');
    const code = back.searchParams.get('code')!;
    const exchange = (fields: Record<string, string>) =>
      fetch(`${world.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields),
      });
    const wrongSecret = await exchange({
      grant_type: 'authorization_code',
      code,
      redirect_uri: CALLBACK,
      client_id: client.client_id,
      client_secret: 'wrong',
    });
    expect(wrongSecret.status).toBe(401);
    // Signed in with a grant already, the next authorization goes straight back with a fresh code.
    const again = await authorizeThrough(browser, world, authorizeUrl({ state: 'gpt-state-2' }), {
      redirectPrefix: CALLBACK,
    });
    const res = await exchange({
      grant_type: 'authorization_code',
      code: again.searchParams.get('code')!,
      redirect_uri: CALLBACK,
      client_id: client.client_id,
      client_secret: client.client_secret,
    });
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as { access_token: string; refresh_token: string; token_type: string };
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.refresh_token).toBeTruthy();
    const claims = JSON.parse(Buffer.from(tokens.access_token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ iss: world.url, aud: world.url, scope: 'notion', client_id: client.client_id });

    const call = api(world.url, tokens.access_token);
    const listed = await call('GET', '/v1/connections');
    expect(listed.status).toBe(200);
    expect(listed.json.result.connections.map((c: { workspace_name: string }) => c.workspace_name)).toEqual(['Solo']);
    // One granted connection: connection_id may be left out.
    const search = await call('POST', '/v1/search', { query: '' });
    expect(search.status).toBe(200);
    // The REST token is not an MCP token.
    const mcp = await fetch(`${world.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${tokens.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(mcp.status).toBe(401);

    // Revoking the refresh token ends the grant: its access token stops working at once.
    const revoked = await fetch(`${world.url}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: tokens.refresh_token,
        token_type_hint: 'refresh_token',
        client_id: client.client_id,
        client_secret: client.client_secret,
      }),
    });
    expect(revoked.status).toBe(200);
    const after = await call('GET', '/v1/connections');
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('Deny returns access_denied to the client', async () => {
    const browser = new CookieBrowser();
    const { url: page, res } = await browser.follow(authorizeUrl({ state: 'deny-me' }));
    expect(res.status).toBe(200);
    const denied = await browser.post(new URL(`${page.pathname}/confirm`, world.url), [['decision', 'deny']]);
    const done = await browser.follow(new URL(denied.headers.get('location')!, world.url), (u) =>
      u.href.startsWith(CALLBACK),
    );
    expect(done.url.searchParams.get('error')).toBe('access_denied');
    expect(done.url.searchParams.get('state')).toBe('deny-me');
  });

  it('serves RFC 8414 and RFC 9728 metadata and challenges with resource_metadata', async () => {
    const as = (await api(world.url, null)('GET', '/.well-known/oauth-authorization-server')).json;
    expect(as).toMatchObject({
      issuer: world.url,
      authorization_endpoint: `${world.url}/oauth/authorize`,
      token_endpoint: `${world.url}/oauth/token`,
      registration_endpoint: `${world.url}/oauth/register`,
      code_challenge_methods_supported: ['S256'],
      response_types_supported: ['code'],
    });
    expect(as.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
    expect(as.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['none', 'client_secret_post']));
    const oidc = (await api(world.url, null)('GET', '/.well-known/openid-configuration')).json;
    expect(oidc.issuer).toBe(world.url);
    for (const [path, resource] of [
      ['/.well-known/oauth-protected-resource/mcp', `${world.url}/mcp`],
      ['/.well-known/oauth-protected-resource', world.url],
    ] as const) {
      const prm = (await api(world.url, null)('GET', path)).json;
      expect(prm).toMatchObject({ resource, authorization_servers: [world.url], scopes_supported: ['notion'] });
    }
    // Browser-based clients (MCP Inspector's web UI) discover and register from another origin.
    const preflight = await fetch(`${world.url}/.well-known/oauth-protected-resource/mcp`, {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:6274', 'access-control-request-headers': 'mcp-protocol-version' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('mcp-protocol-version');
    const registered = await fetch(`${world.url}/oauth/register`, {
      method: 'POST',
      headers: { origin: 'http://localhost:6274', 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://localhost:6274/oauth/callback'],
        token_endpoint_auth_method: 'none',
      }),
    });
    expect(registered.status).toBe(201);
    expect(registered.headers.get('access-control-allow-origin')).toBe('*');
    const discovery = await fetch(`${world.url}/.well-known/oauth-authorization-server`, {
      headers: { origin: 'http://localhost:6274' },
    });
    expect(discovery.headers.get('access-control-allow-origin')).toBeTruthy();
    for (const path of ['/sse', '/v1/connections']) {
      const res = await api(world.url, null)('GET', path);
      expect(res.status, path).toBe(401);
      const suffix = path === '/sse' ? '/mcp' : '';
      expect(res.headers.get('www-authenticate')).toBe(
        `Bearer resource_metadata="${world.url}/.well-known/oauth-protected-resource${suffix}", scope="notion"`,
      );
    }
    // The operator's token works everywhere, as before.
    expect((await api(world.url, API_TOKEN)('GET', '/v1/connections')).status).toBe(200);
    // GET / says how to sign in.
    expect((await api(world.url, null)('GET', '/')).json.auth).toContain(
      `${world.url}/.well-known/oauth-authorization-server`,
    );
  });
});

describe('the authorization server keeps its keys, clients and grants across restarts', () => {
  it('a token issued before a restart still verifies after it (same database)', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'ng-oauth-restart-'));
    // The same data across the restart: a PGlite directory, or one database under `npm run test:pg`.
    const serverUrl = testDatabaseUrl();
    const database = serverUrl ? await createTestDatabase(serverUrl) : null;
    const env: Record<string, string> = database
      ? { DATABASE_URL: database.databaseUrl }
      : { PGLITE_DATA_DIR: join(dir, 'pglite') };
    let world = await startOAuthWorld([{ name: 'Kept' }], env);
    try {
      const client = await world.gateway.gateway.authServer!.registerActionsClient({
        name: 'Restart GPT',
        redirectUris: gptRedirectUris(GPT),
      });
      const browser = new CookieBrowser();
      const url = new URL(`${world.url}/oauth/authorize`);
      for (const [k, v] of Object.entries({
        client_id: client.client_id,
        redirect_uri: CALLBACK,
        response_type: 'code',
        scope: 'notion',
        state: 's',
      }))
        url.searchParams.set(k, v);
      const back = await authorizeThrough(browser, world, url, {
        connect: [world.sandbox.workspaces()[0]!.id],
        redirectPrefix: CALLBACK,
      });
      const token = (await (
        await fetch(`${world.url}/oauth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code: back.searchParams.get('code')!,
            redirect_uri: CALLBACK,
            client_id: client.client_id,
            client_secret: client.client_secret,
          }),
        })
      ).json()) as { access_token: string };
      // Restart on the same data (and the same port, the issuer).
      const port = new URL(world.url).port;
      await world.gateway.close();
      const gateway = await startGateway({
        ...env,
        PORT: port,
        PUBLIC_BASE_URL: world.url,
        OAUTH: 'on',
        NOTION_BASE_URL: world.sandbox.url,
        NOTION_OAUTH_CLIENT_ID: 'gateway-notion-client',
        NOTION_OAUTH_CLIENT_SECRET: 'gateway-notion-secret',
        NOTION_OAUTH_REDIRECT_URI: `${world.url}/oauth/callback`,
      });
      world = { ...world, gateway };
      const listed = await api(world.url, token.access_token)('GET', '/v1/connections');
      expect(listed.status).toBe(200);
      expect(listed.json.result.connections).toHaveLength(1);
    } finally {
      await world.close();
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('npm run oauth:client', () => {
  it('registers a client the gateway then knows, printing its id and secret once', async () => {
    const { execFile } = await import('node:child_process');
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { promisify } = await import('node:util');
    const { TEST_ENCRYPTION_KEYS } = await import('../support/gateway.ts');
    const dir = mkdtempSync(join(tmpdir(), 'ng-oauth-cli-'));
    const serverUrl = testDatabaseUrl();
    const database = serverUrl ? await createTestDatabase(serverUrl) : null;
    const storage: Record<string, string> = database
      ? { DATABASE_URL: database.databaseUrl, ACTION_API_TOKEN: API_TOKEN }
      : { DATA_DIR: dir, PGLITE_DATA_DIR: join(dir, 'pglite') };
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['tools/cli/oauth-client.ts', '--gpt-id', 'g-Cli42', '--name', 'CLI GPT'],
        {
          env: {
            ...process.env,
            ...storage,
            TOKEN_ENCRYPTION_KEYS: TEST_ENCRYPTION_KEYS,
            PUBLIC_BASE_URL: 'https://gw.example',
          },
        },
      );
      const clientId = /^Client ID: +(\S+)$/m.exec(stdout)?.[1];
      const secret = /^Client Secret: +(\S+)$/m.exec(stdout)?.[1];
      expect(clientId).toMatch(/^gpt-actions-/);
      expect(secret?.length).toBeGreaterThanOrEqual(40);
      expect(stdout).toContain('Authorization URL:     https://gw.example/oauth/authorize');
      expect(stdout).toContain('https://chatgpt.com/aip/g-Cli42/oauth/callback');
      const world = await startOAuthWorld([{ name: 'Cli' }], storage);
      try {
        const page = await new CookieBrowser().follow(
          `${world.url}/oauth/authorize?client_id=${clientId}&response_type=code&scope=notion&state=s&redirect_uri=${encodeURIComponent('https://chatgpt.com/aip/g-Cli42/oauth/callback')}`,
        );
        expect(page.res.status).toBe(200);
        expect(await page.res.text()).toContain('<strong>CLI GPT</strong>');
      } finally {
        await world.close();
      }
    } finally {
      await database?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
