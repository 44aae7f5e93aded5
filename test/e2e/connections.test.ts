/**
 * Connections and Notion OAuth through the REST surface, against the sandbox: internal-integration tokens, OAuth
 * consent (start → sandbox authorize → callback), refresh, delete, resolution rules, restart, no token leaks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { expectError } from '../support/contract.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';

const OAUTH = { clientId: 'gateway-client', clientSecret: 'gateway-client-secret-0123456789' };
let sandbox: Sandbox;
let gateway: RunningGateway;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [
      { token: 'secret_alpha_integration', name: 'Alpha' },
      { token: 'secret_beta_integration', name: 'Beta' },
    ],
    oauth: OAUTH,
  });
  gateway = await startGateway({
    NOTION_BASE_URL: sandbox.url,
    NOTION_OAUTH_CLIENT_ID: OAUTH.clientId,
    NOTION_OAUTH_CLIENT_SECRET: OAUTH.clientSecret,
    NOTION_OAUTH_REDIRECT_URI: 'https://gateway.example.com/oauth/callback',
    OAUTH_RETURN_ORIGINS: 'https://chatgpt.com',
  });
  call = api(gateway.url);
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

/** Follows the consent redirect the way a browser would, without following the final hop to the callback. */
async function consent(startQuery = '', extra = ''): Promise<URL> {
  const start = await fetch(`${gateway.url}/oauth/start${startQuery}`, {
    headers: { authorization: `Bearer ${API_TOKEN}` },
    redirect: 'manual',
  });
  expect(start.status).toBe(302);
  const authorize = new URL(start.headers.get('location')!);
  expect(authorize.origin).toBe(sandbox.url);
  expect(authorize.pathname).toBe('/v1/oauth/authorize');
  const approved = await fetch(`${authorize}${extra}`, { redirect: 'manual' });
  return new URL(approved.headers.get('location')!);
}

/** Adds the Alpha workspace's internal integration; returns its connection id. */
async function addAlpha(): Promise<string> {
  const created = await call('POST', '/v1/connections', { token: 'secret_alpha_integration' });
  expect(created.status).toBe(200);
  return created.json.result.connection.connection_id;
}

describe('connections', () => {
  // The gateway and sandbox are shared for speed; every test starts with no connections, so none depends on what
  // another one left behind (each passes alone, with -t, and in a shuffled run).
  beforeEach(async () => {
    const list = await call('GET', '/v1/connections');
    for (const c of list.json.result.connections as Array<{ connection_id: string }>) {
      const removed = await call('DELETE', `/v1/connections/${c.connection_id}`);
      expect(removed.status).toBe(200);
    }
  });

  it('starts empty and asks for a connection by name', async () => {
    const list = await call('GET', '/v1/connections');
    expect(list.json.result).toEqual({ connections: [], default_connection_id: null });
    const search = await call('POST', '/v1/search', {});
    expectError(search, 400, 'connection_required');
  });

  it('adds an internal integration after verifying it with Notion, without duplicating it', async () => {
    const bad = await call('POST', '/v1/connections', { token: 'secret_not_a_real_token' });
    expectError(bad, 400, 'connection_invalid');
    expect(bad.text).not.toContain('secret_not_a_real_token');

    const created = await call('POST', '/v1/connections', { token: 'secret_alpha_integration' });
    expect(created.status).toBe(200);
    expect(created.json.result.created).toBe(true);
    expect(created.json.result.connection).toMatchObject({
      kind: 'internal',
      workspace_name: 'Alpha',
      owner: 'operator',
    });
    const again = await call('POST', '/v1/connections', { token: 'secret_alpha_integration' });
    expect(again.json.result.created).toBe(false);
    expect(again.json.result.connection.connection_id).toBe(created.json.result.connection.connection_id);

    const list = await call('GET', '/v1/connections');
    expect(list.json.result.connections).toHaveLength(1);
    expect(list.json.result.default_connection_id).toBe(created.json.result.connection.connection_id);
    expect(list.text).not.toContain('secret_alpha_integration');
  });

  it('connects a second workspace through Notion OAuth and then needs connection_id', async () => {
    await addAlpha();
    const beta = sandbox.workspaces().find((w) => w.name === 'Beta')!;
    const callback = await consent('?return_url=https%3A%2F%2Fchatgpt.com%2Fdone', `&sandbox_workspace=${beta.id}`);
    expect(callback.pathname).toBe('/oauth/callback');
    const done = await fetch(`${gateway.url}/oauth/callback${callback.search}`, { redirect: 'manual' });
    expect(done.status).toBe(302);
    const back = new URL(done.headers.get('location')!);
    expect(back.origin).toBe('https://chatgpt.com');
    const connectionId = back.searchParams.get('connection_id');
    expect(connectionId).toMatch(/^[0-9a-f-]{36}$/);

    const replay = await api(gateway.url, null)('GET', `/oauth/callback${callback.search}`);
    expectError(replay, 400, 'oauth_state_invalid');

    const list = await call('GET', '/v1/connections');
    expect(list.json.result.connections.map((c: { kind: string }) => c.kind).sort()).toEqual(['internal', 'oauth']);
    expect(list.json.result.default_connection_id).toBeNull();

    const ambiguous = await call('POST', '/v1/search', {});
    expectError(ambiguous, 400, 'connection_required');
    expect(ambiguous.json.error.details.connections).toHaveLength(2);
    // With no single connection to probe, /v1/meta does not claim Notion is down.
    const meta = await call('GET', '/v1/meta');
    expect(meta.json.result.notion.reachable).toBeNull();

    const scoped = await call('POST', '/v1/search', { connection_id: connectionId });
    expect(scoped.status).toBe(200);

    const refreshed = await call('POST', '/v1/connections/refresh', { connection_id: connectionId });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.result.connection_id).toBe(connectionId);
    expect(scoped.text + refreshed.text + list.text).not.toMatch(/"(access|refresh)_token"/);

    const removed = await call('DELETE', `/v1/connections/${connectionId}?remote=true`);
    expect(removed.json.result).toEqual({ connection_id: connectionId, deleted: true, revoked: true });
    const gone = await call('POST', '/v1/search', { connection_id: connectionId });
    expectError(gone, 404, 'connection_not_found');
  });

  it('refuses OAuth callbacks with a forged or missing state and return URLs off the allowlist', async () => {
    const forged = await api(gateway.url, null)('GET', '/oauth/callback?code=abc&state=forged');
    expectError(forged, 400, 'oauth_state_invalid');
    const start = await call('GET', '/oauth/start?return_url=https%3A%2F%2Fevil.example%2F');
    expectError(start, 400, 'bad_request');
    expect(start.json.error.message).toContain('https://evil.example');
    const unauthenticated = await api(gateway.url, null)('GET', '/oauth/start');
    expectError(unauthenticated, 401, 'unauthorized');
  });

  it('reports a declined consent precisely, and sends the browser back with the error code when it can', async () => {
    const callback = await consent('', '&sandbox_deny=1');
    const declined = await api(gateway.url, null)('GET', `/oauth/callback${callback.search}`);
    expectError(declined, 502, 'oauth_failed');

    const withReturn = await consent('?return_url=https%3A%2F%2Fchatgpt.com%2Fdone', '&sandbox_deny=1');
    const back = await fetch(`${gateway.url}/oauth/callback${withReturn.search}`, { redirect: 'manual' });
    expect(back.status).toBe(302);
    const location = new URL(back.headers.get('location')!);
    expect(location.origin + location.pathname).toBe('https://chatgpt.com/done');
    expect(location.searchParams.get('error')).toBe('oauth_failed');
  });

  it('never logs a token', async () => {
    // Hand the gateway every secret in this test, so it does not rely on earlier tests for something to leak.
    await addAlpha();
    expect((await call('POST', '/v1/connections', { token: 'secret_beta_integration' })).status).toBe(200);
    const callback = await consent();
    const done = await api(gateway.url, null)('GET', `/oauth/callback${callback.search}`);
    expect(done.status).toBe(200);
    expect((await call('GET', '/v1/connections')).json.result.connections).toHaveLength(3);
    const log = gateway.logs.join('\n');
    for (const secret of ['secret_alpha_integration', 'secret_beta_integration', OAUTH.clientSecret]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('restart', () => {
  it('keeps connections across a restart of the embedded store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ng-restart-'));
    const env = { NOTION_BASE_URL: sandbox.url, PGLITE_DATA_DIR: join(dir, 'pglite'), DATABASE_URL: '' };
    try {
      const first = await startGateway(env);
      const created = await api(first.url)('POST', '/v1/connections', { token: 'secret_beta_integration' });
      await first.close();
      const second = await startGateway(env);
      const list = await api(second.url)('GET', '/v1/connections');
      await second.close();
      expect(list.json.result.connections.map((c: { connection_id: string }) => c.connection_id)).toEqual([
        created.json.result.connection.connection_id,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('NOTION_TOKEN at start', () => {
  it('serves even when Notion refuses the token, and says why without printing it', async () => {
    const gw = await startGateway({ NOTION_BASE_URL: sandbox.url, NOTION_TOKEN: 'secret_unknown_to_notion' });
    try {
      expect((await api(gw.url)('GET', '/health')).status).toBe(200);
      expect((await api(gw.url)('GET', '/v1/connections')).json.result.connections).toEqual([]);
      const warning = gw.logs.find((line) => line.includes('NOTION_TOKEN was not stored'));
      expect(warning).toContain('connection_invalid');
      expect(gw.logs.join('\n')).not.toContain('secret_unknown_to_notion');
    } finally {
      await gw.close();
    }
  });

  it('seeds a valid token once, however often the gateway restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ng-seed-'));
    const env = {
      NOTION_BASE_URL: sandbox.url,
      NOTION_TOKEN: 'secret_alpha_integration',
      PGLITE_DATA_DIR: join(dir, 'pg'),
      DATABASE_URL: '',
    };
    try {
      for (let i = 0; i < 2; i++) {
        const gw = await startGateway(env);
        const list = await api(gw.url)('GET', '/v1/connections');
        await gw.close();
        expect(list.json.result.connections).toHaveLength(1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
