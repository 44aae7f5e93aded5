import { Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectionService } from '../../src/domain/connections.ts';
import { createNotionOAuth, type NotionOAuthOptions } from '../../src/domain/notion-oauth.ts';
import { generateKeySpec, parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { OPERATOR } from '../../src/shared/principal.ts';
import { startSandbox } from '../../tools/notion-sandbox/index.ts';
import { openTestStore, resetStore, type TestStore } from '../support/db.ts';
import { gatewayError } from '../support/errors.ts';
import { authorize } from './helpers.ts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

const REDIRECT = 'https://gateway.example.test/oauth/callback';
const client = { clientId: 'cid', clientSecret: 'csecret' };

describe('Notion OAuth', () => {
  let store: TestStore;
  let sandbox: Sandbox;
  const cipher = new TokenCipher(parseKeyring(generateKeySpec('k1')));
  let clock = new Date();
  const now = () => clock;

  const setup = (over: Partial<NotionOAuthOptions> = {}) => {
    const connections = createConnectionService({
      store,
      cipher,
      notionBaseUrl: sandbox.url,
      oauthClient: client,
      now,
    });
    const oauth = createNotionOAuth({
      store,
      connections,
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri: REDIRECT,
      stateSecret: 'test-state-secret',
      notionBaseUrl: sandbox.url,
      allowedReturnOrigins: ['https://chatgpt.com'],
      now,
      ...over,
    });
    return { oauth, connections };
  };

  /** start → sandbox consent (auto-approved) → callback parameters. */
  const dance = async (
    oauth: ReturnType<typeof setup>['oauth'],
    extra: Record<string, string> = {},
    returnUrl?: string,
  ) => {
    const { authorizeUrl } = await oauth.startAuthorization({ returnUrl });
    return authorize(authorizeUrl, extra);
  };

  beforeAll(async () => {
    [store, sandbox] = await Promise.all([
      openTestStore(),
      startSandbox({
        workspaces: [
          { token: 'secret_a', name: 'Alpha' },
          { token: 'secret_b', name: 'Beta' },
        ],
        oauth: client,
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), sandbox?.close()]);
  });
  beforeEach(async () => {
    await resetStore(store);
    clock = new Date();
  });

  it('builds the Notion authorize URL with a signed state stored for 10 minutes', async () => {
    const { oauth } = setup();
    const start = await oauth.startAuthorization({
      returnUrl: 'https://chatgpt.com/back?x=1',
      connectionHint: 'work',
    });
    const url = new URL(start.authorizeUrl);
    expect(url.origin + url.pathname).toBe(`${sandbox.url}/v1/oauth/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cid',
      redirect_uri: REDIRECT,
      response_type: 'code',
      owner: 'user',
      state: start.state,
    });
    expect(new Date(start.expiresAt).getTime() - clock.getTime()).toBe(10 * 60_000);
    const [row] = await store.query<{ return_url: string; connection_hint: string; owner: string }>(
      'select * from oauth_states',
    );
    expect(row).toMatchObject({
      return_url: 'https://chatgpt.com/back?x=1',
      connection_hint: 'work',
      owner: 'operator',
    });
  });

  it('happy path: callback exchanges the code and stores an OAuth connection with its refresh token', async () => {
    const { oauth, connections } = setup();
    const cb = await dance(oauth, {}, 'https://chatgpt.com/done');
    const result = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const ws = sandbox.workspaces().find((w) => w.name === 'Alpha')!;
    expect(result.created).toBe(true);
    expect(result.returnUrl).toBe('https://chatgpt.com/done');
    expect(result.connection).toMatchObject({
      kind: 'oauth',
      workspace_id: ws.id,
      workspace_name: 'Alpha',
      owner: 'operator',
    });
    const row = await store.connections.find(result.connection.connection_id);
    expect(row?.refresh_token_enc).toMatch(/^v1:k1:/);
    const token = await (await connections.resolve(OPERATOR, result.connection.connection_id)).accessToken();
    const me = await new Client({ auth: token, baseUrl: sandbox.url }).users.me({});
    expect(me.id).toBe(result.connection.bot_id);
  });

  it('return_url must be on an allowed origin', async () => {
    const { oauth } = setup();
    for (const bad of ['https://evil.example/x', 'javascript:alert(1)', 'not a url']) {
      expect((await gatewayError(oauth.startAuthorization({ returnUrl: bad }))).code).toBe('bad_request');
    }
    const { oauth: noOrigins } = setup({ allowedReturnOrigins: [] });
    expect((await gatewayError(noOrigins.startAuthorization({ returnUrl: 'https://chatgpt.com/' }))).message).toMatch(
      /no return origin is configured/,
    );
    expect(await store.query('select * from oauth_states')).toEqual([]);
  });

  it('a forged state is refused before any Notion call', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth);
    const [nonce, sig] = cb.state!.split('.') as [string, string];
    const flipped = `${sig.slice(0, -2)}${sig.endsWith('AA') ? 'BA' : 'AA'}`;
    sandbox.clearRequestLog();
    for (const [state, message] of [
      [`${nonce}.${flipped}`, /signature is invalid/],
      ['garbage', /malformed/],
      [null, /no state/],
    ] as const) {
      const err = await gatewayError(oauth.completeAuthorization({ code: cb.code, state }));
      expect(err.code).toBe('oauth_state_invalid');
      expect(err.message).toMatch(message);
    }
    // Signed by another server's secret.
    const { oauth: other } = setup({ stateSecret: 'another-secret' });
    const err = await gatewayError(other.completeAuthorization({ code: cb.code, state: cb.state }));
    expect(err.message).toMatch(/signature is invalid/);
    expect(sandbox.requestLog().filter((r) => r.path === '/v1/oauth/token')).toEqual([]);
    // The genuine state still works afterwards.
    expect((await oauth.completeAuthorization({ code: cb.code, state: cb.state })).created).toBe(true);
  });

  it('an expired state is refused', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth);
    clock = new Date(clock.getTime() + 10 * 60_000 + 1);
    const err = await gatewayError(oauth.completeAuthorization({ code: cb.code, state: cb.state }));
    expect(err.code).toBe('oauth_state_invalid');
    expect(err.message).toMatch(/expired/);
  });

  it('a replayed state is refused (single use)', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth);
    await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const err = await gatewayError(oauth.completeAuthorization({ code: cb.code, state: cb.state }));
    expect(err.code).toBe('oauth_state_invalid');
    expect(err.message).toMatch(/already used/);
  });

  it('concurrent callbacks with one state: exactly one wins', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth);
    const results = await Promise.allSettled(
      [1, 2, 3].map(() => oauth.completeAuthorization({ code: cb.code, state: cb.state })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe('oauth_state_invalid');
    }
  });

  it('access_denied → oauth_failed, carrying the return_url; nothing stored', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth, { sandbox_deny: '1' }, 'https://chatgpt.com/back');
    expect(cb.error).toBe('access_denied');
    const err = await gatewayError(oauth.completeAuthorization({ state: cb.state, error: cb.error }));
    expect(err.code).toBe('oauth_failed');
    expect(err.message).toMatch(/denied/);
    expect(err.details).toMatchObject({ notion_error: 'access_denied', return_url: 'https://chatgpt.com/back' });
    expect(await store.connections.listLive()).toEqual([]);
  });

  it('a token-exchange error at Notion → oauth_failed with Notion’s code', async () => {
    const { oauth } = setup();
    const cb = await dance(oauth);
    // The code was already spent by someone else (Notion codes are single use).
    await fetch(`${sandbox.url}/v1/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('cid:csecret').toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ grant_type: 'authorization_code', code: cb.code, redirect_uri: REDIRECT }),
    });
    const err = await gatewayError(oauth.completeAuthorization({ code: cb.code, state: cb.state }));
    expect(err.code).toBe('oauth_failed');
    expect(err.details).toMatchObject({ notion_code: 'invalid_grant', notion_status: 400 });
    // Wrong client secret.
    const { oauth: wrongSecret } = setup({ clientSecret: 'nope' });
    const cb2 = await dance(wrongSecret);
    const err2 = await gatewayError(wrongSecret.completeAuthorization({ code: cb2.code, state: cb2.state }));
    expect(err2.code).toBe('oauth_failed');
    expect(err2.details).toMatchObject({ notion_code: 'invalid_client' });
    expect(await store.connections.listLive()).toEqual([]);
  });

  it('the same workspace twice → one connection (updated), another workspace → a second one', async () => {
    const { oauth, connections } = setup();
    const beta = sandbox.workspaces().find((w) => w.name === 'Beta')!;
    const cb1 = await dance(oauth);
    const first = await oauth.completeAuthorization({ code: cb1.code, state: cb1.state });
    const cb2 = await dance(oauth);
    const second = await oauth.completeAuthorization({ code: cb2.code, state: cb2.state });
    expect(second.created).toBe(false);
    expect(second.connection.connection_id).toBe(first.connection.connection_id);
    const cb3 = await dance(oauth, { sandbox_workspace: beta.id });
    const third = await oauth.completeAuthorization({ code: cb3.code, state: cb3.state });
    expect(third.created).toBe(true);
    expect(third.connection.workspace_name).toBe('Beta');
    expect((await connections.list(OPERATOR)).map((c) => c.workspace_name).sort()).toEqual(['Alpha', 'Beta']);
  });

  it('refresh: a new pair is stored and the old refresh token is spent', async () => {
    const { oauth, connections } = setup();
    const cb = await dance(oauth);
    const { connection } = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const before = await store.connections.find(connection.connection_id);
    const oldAccess = cipher.decrypt(before!.access_token_enc, before!.id);
    await connections.refresh(OPERATOR, connection.connection_id);
    const after = await store.connections.find(connection.connection_id);
    const newAccess = cipher.decrypt(after!.access_token_enc, after!.id);
    expect(newAccess).not.toBe(oldAccess);
    expect(after!.refresh_token_enc).not.toBe(before!.refresh_token_enc);
    const me = await new Client({ auth: newAccess, baseUrl: sandbox.url }).users.me({});
    expect(me.id).toBe(connection.bot_id);
    // Refreshing again uses the new refresh token (the old one would be invalid_grant).
    await connections.refresh(OPERATOR, connection.connection_id);
  });

  it('accessToken() refreshes by itself when the token is about to expire', async () => {
    const { oauth, connections } = setup();
    const cb = await dance(oauth);
    const { connection } = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const handle = await connections.resolve(OPERATOR, connection.connection_id);
    const t1 = await handle.accessToken();
    expect(await handle.accessToken()).toBe(t1); // no expiry known → no refresh
    await store.connections.update(connection.connection_id, {
      token_expires_at: new Date(clock.getTime() + 60_000), // inside the 5-minute skew
    });
    sandbox.clearRequestLog();
    const [t2, t2b] = await Promise.all([handle.accessToken(), handle.accessToken()]);
    expect(t2).not.toBe(t1);
    expect(t2b).toBe(t2);
    expect(sandbox.requestLog().filter((r) => r.path === '/v1/oauth/token')).toHaveLength(1); // single flight
  });

  it('a token revoked at Notion → connection_invalid on refresh', async () => {
    const { oauth, connections } = setup();
    const cb = await dance(oauth);
    const { connection } = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const row = await store.connections.find(connection.connection_id);
    await new Client({ baseUrl: sandbox.url }).oauth.revoke({
      token: cipher.decrypt(row!.access_token_enc, row!.id),
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    const err = await gatewayError(connections.refresh(OPERATOR, connection.connection_id));
    expect(err.code).toBe('connection_invalid');
    expect(err.message).toMatch(/reconnect/);
  });

  it('remove with remote: true revokes the OAuth token at Notion', async () => {
    const { oauth, connections } = setup();
    const cb = await dance(oauth);
    const { connection } = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
    const res = await connections.remove(OPERATOR, connection.connection_id, { remote: true });
    expect(res).toEqual({ connection_id: connection.connection_id, deleted: true, revoked: true });
    expect(sandbox.requestLog().some((r) => r.path === '/v1/oauth/revoke' && r.status === 200)).toBe(true);
    expect((await gatewayError(connections.refresh(OPERATOR, connection.connection_id))).code).toBe(
      'connection_not_found',
    );
  });

  it('not configured → oauth_not_configured', async () => {
    const { oauth } = setup({ clientId: null, clientSecret: null });
    expect(oauth.configured).toBe(false);
    expect((await gatewayError(oauth.startAuthorization())).code).toBe('oauth_not_configured');
    expect((await gatewayError(oauth.completeAuthorization({ code: 'x', state: 'y' }))).code).toBe(
      'oauth_not_configured',
    );
    const connections = createConnectionService({ store, cipher, notionBaseUrl: sandbox.url });
    const cb = await dance(setup().oauth);
    const done = await setup().oauth.completeAuthorization({ code: cb.code, state: cb.state });
    expect((await gatewayError(connections.refresh(OPERATOR, done.connection.connection_id))).code).toBe(
      'oauth_not_configured',
    );
  });
});
