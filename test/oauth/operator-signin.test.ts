/**
 * Developer Mode with only an internal token: OAUTH=on and no Notion public integration. The MCP SDK's own OAuth client
 * (discovery, DCR, PKCE, resource indicator) → the sign-in page → the operator signs in with OPERATOR_PASSWORD or the
 * API token → ticks some of the operator's connections → the token reaches exactly those. Wrong secrets are refused
 * and, after OPERATOR_ATTEMPTS from one address, throttled (even the right one). With a Notion public integration
 * configured, the page offers both sign-ins.
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_ATTEMPTS } from '../../src/auth/interactions.ts';
import { API_TOKEN } from '../support/gateway.ts';
import {
  CookieBrowser,
  consentChoices,
  MemoryProvider,
  OPERATOR_PASSWORD,
  type OperatorWorld,
  startOAuthWorld,
  startOperatorWorld,
} from '../support/oauth.ts';

const REDIRECT = 'http://127.0.0.1:5173/oauth/callback';

const resultOf = (res: unknown) => (res as { structuredContent?: Record<string, any> }).structuredContent ?? {};

/** The SDK starts an authorization; the browser lands on the sign-in page. */
async function startSignIn(url: string) {
  const provider = new MemoryProvider({
    redirect: REDIRECT,
    clientName: 'Developer Mode test',
    state: 'operator-state',
  });
  const serverUrl = `${url}/mcp`;
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  const browser = new CookieBrowser();
  const { url: pageUrl, res } = await browser.follow(provider.authorizationUrl!, (u) => u.href.startsWith(REDIRECT));
  expect(res.status).toBe(200);
  return { provider, serverUrl, browser, pageUrl, html: await res.text() };
}

describe('Developer Mode: OAuth with operator sign-in only (no Notion public integration)', () => {
  let world: OperatorWorld;
  beforeAll(async () => {
    world = await startOperatorWorld([{ name: 'Garden' }, { name: 'Studio' }, { name: 'Archive' }]);
  }, 60_000);
  afterAll(async () => world?.close());

  async function signInAndUse(secret: string, ticked: string[]) {
    const { provider, serverUrl, browser, pageUrl, html } = await startSignIn(world.url);
    expect(html).toContain('Operator sign-in');
    expect(html).not.toContain('/notion"'); // no "Connect Notion": nothing to connect with
    const signedIn = await browser.post(new URL(`${pageUrl.pathname}/operator`, world.url), [['secret', secret]]);
    expect(signedIn.status).toBe(303);
    const consent = await browser.follow(new URL(signedIn.headers.get('location')!, world.url));
    expect(consent.res.status).toBe(200);
    const offered = consentChoices(await consent.res.text());
    expect(offered.map((c) => c.label).sort()).toEqual(['Archive', 'Garden', 'Studio']);
    const confirmed = await browser.post(new URL(`${pageUrl.pathname}/confirm`, world.url), [
      ['decision', 'allow'],
      ...ticked.map((name): [string, string] => ['connection_id', world.connections[name]!]),
    ]);
    expect(confirmed.status).toBe(303);
    const back = await browser.follow(new URL(confirmed.headers.get('location')!, world.url), (u) =>
      u.href.startsWith(REDIRECT),
    );
    expect(back.url.searchParams.get('state')).toBe('operator-state');
    const code = back.url.searchParams.get('code');
    expect(code).toBeTruthy();
    expect(await auth(provider, { serverUrl, authorizationCode: code! })).toBe('AUTHORIZED');

    const client = new Client({ name: 'developer-mode', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(serverUrl), { authProvider: provider }));
    const listed = resultOf(await client.callTool({ name: 'connections_list', arguments: {} }));
    expect(listed.connections.map((c: { workspace_name: string }) => c.workspace_name).sort()).toEqual(
      [...ticked].sort(),
    );
    for (const name of ['Garden', 'Studio', 'Archive']) {
      const res = await client.callTool({
        name: 'notion_search',
        arguments: { query: '', connection_id: world.connections[name] },
      });
      if (ticked.includes(name)) expect(res.isError, name).toBeFalsy();
      else {
        expect(res.isError, name).toBe(true);
        const error = resultOf(res).error ?? JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error;
        expect(error.code).toBe('connection_forbidden');
      }
    }
    await client.close();
  }

  it('signs in with OPERATOR_PASSWORD; the token reaches exactly the ticked connections', async () => {
    await signInAndUse(OPERATOR_PASSWORD, ['Garden', 'Archive']);
  });

  it('signs in with the operator token (ACTION_API_TOKEN) as well', async () => {
    await signInAndUse(API_TOKEN, ['Studio']);
  });

  it('refuses a wrong secret, then throttles the address (even the right secret) after the allowed attempts', async () => {
    const { browser, pageUrl } = await startSignIn(world.url);
    const attempt = (secret: string) =>
      browser.post(new URL(`${pageUrl.pathname}/operator`, world.url), [['secret', secret]]);
    for (let i = 0; i < OPERATOR_ATTEMPTS; i++) {
      const res = await attempt(`wrong-password-${i}`);
      expect(res.status).toBe(401);
      const html = await res.text();
      expect(html).toContain('role="alert"');
      expect(html).toContain('That is not the operator token or password.');
      expect(html).not.toContain(OPERATOR_PASSWORD);
    }
    const throttled = await attempt('wrong-again');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await throttled.text()).toContain('Too many wrong sign-ins');
    const right = await attempt(OPERATOR_PASSWORD);
    expect(right.status).toBe(429);
    // An empty secret never matches.
    expect(await (await attempt('')).text()).toContain('Too many wrong sign-ins');
  });
});

describe('with a Notion public integration configured', () => {
  it('the sign-in page offers both Connect Notion and the operator sign-in', async () => {
    const world = await startOAuthWorld([{ name: 'Garden' }]);
    try {
      const { html } = await startSignIn(world.url);
      expect(html).toContain('Connect Notion');
      expect(html).toContain('/notion"');
      expect(html).toContain('Or sign in as the operator');
      expect(html).toContain('name="secret"');
    } finally {
      await world.close();
    }
  });
});
