/**
 * Tokens never leak: run the whole connection life cycle (internal token, OAuth code exchange, refresh, automatic
 * refresh, key rotation, removal with revocation, failures) with every log line captured at trace level, then dump
 * every table and check that no raw token, code, client secret or key appears anywhere.
 */
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createConnectionService } from '../../src/domain/connections.ts';
import { createNotionOAuth } from '../../src/domain/notion-oauth.ts';
import { rotateKeys, verifyStoredKeys } from '../../src/domain/secure-store.ts';
import { parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { OPERATOR } from '../../src/shared/principal.ts';
import { startSandbox } from '../../tools/notion-sandbox/index.ts';
import { authorize } from '../auth/helpers.ts';
import { dumpAllTables, openTestStore, type TestStore } from '../support/db.ts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

let store: TestStore;
let sandbox: Sandbox;
const lines: string[] = [];
const logger = pino({ level: 'trace' }, { write: (s: string) => void lines.push(s) });

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [
      { token: 'secret_internal_alpha_7f3a', name: 'Alpha' },
      { token: 'secret_internal_beta_9c1d', name: 'Beta' },
    ],
    oauth: { clientId: 'cid', clientSecret: 'csecret_do_not_log_42' },
  });
  store = await openTestStore({ logger });
});
afterAll(async () => {
  await Promise.all([store?.close(), sandbox?.close()]);
});

it('no raw token, code, client secret or key in logs, errors or any table', async () => {
  const k1 = randomBytes(32).toString('base64');
  const k2 = randomBytes(32).toString('base64');
  let cipher = new TokenCipher(parseKeyring(`k1:${k1}`));
  const secrets = new Set<string>([
    'secret_internal_alpha_7f3a',
    'secret_internal_beta_9c1d',
    'csecret_do_not_log_42',
    k1,
    k2,
  ]);
  const errors: string[] = [];
  const clock = { now: new Date() };
  const build = () => {
    const connections = createConnectionService({
      store,
      cipher,
      notionBaseUrl: sandbox.url,
      oauthClient: { clientId: 'cid', clientSecret: 'csecret_do_not_log_42' },
      logger,
      now: () => clock.now,
    });
    const oauth = createNotionOAuth({
      store,
      connections,
      clientId: 'cid',
      clientSecret: 'csecret_do_not_log_42',
      redirectUri: 'https://gw.example.test/oauth/callback',
      stateSecret: 'state-secret',
      notionBaseUrl: sandbox.url,
      logger,
      now: () => clock.now,
    });
    return { connections, oauth };
  };
  const collectStoredTokens = async () => {
    for (const row of await store.connections.listAll()) {
      if (!row.access_token_enc) continue;
      secrets.add(cipher.decrypt(row.access_token_enc, row.id));
      if (row.refresh_token_enc) secrets.add(cipher.decrypt(row.refresh_token_enc, row.id, 'refresh_token'));
    }
  };
  const attempt = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (e) {
      errors.push(`${(e as Error).message} ${JSON.stringify((e as { details?: unknown }).details ?? {})}`);
    }
  };

  let { connections, oauth } = build();
  const internal = await connections.seedFromEnv('secret_internal_alpha_7f3a');
  await connections.createInternal(OPERATOR, 'secret_internal_beta_9c1d');
  await attempt(connections.createInternal(OPERATOR, 'secret_wrong_token_x1'));
  secrets.add('secret_wrong_token_x1');

  const start = await oauth.startAuthorization();
  const cb = await authorize(start.authorizeUrl);
  secrets.add(cb.code!);
  const done = await oauth.completeAuthorization({ code: cb.code, state: cb.state });
  await attempt(oauth.completeAuthorization({ code: cb.code, state: cb.state })); // replay
  const start2 = await oauth.startAuthorization();
  const cb2 = await authorize(start2.authorizeUrl);
  secrets.add(cb2.code!);
  await fetch(`${sandbox.url}/v1/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('cid:csecret_do_not_log_42').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      grant_type: 'authorization_code',
      code: cb2.code,
      redirect_uri: 'https://gw.example.test/oauth/callback',
    }),
  });
  await attempt(oauth.completeAuthorization({ code: cb2.code, state: cb2.state })); // spent code
  await collectStoredTokens();

  await connections.refresh(OPERATOR, done.connection.connection_id);
  await collectStoredTokens();
  await store.connections.update(done.connection.connection_id, {
    token_expires_at: new Date(clock.now.getTime() + 1000),
  });
  const handle = await connections.resolve(OPERATOR, done.connection.connection_id);
  secrets.add(await handle.accessToken());
  await collectStoredTokens();
  await attempt(connections.resolve(OPERATOR));

  cipher = new TokenCipher(parseKeyring(`k2:${k2},k1:${k1}`));
  await rotateKeys(store, cipher, logger);
  await attempt(verifyStoredKeys(store, new TokenCipher(parseKeyring(`k1:${k1}`))));
  await attempt(verifyStoredKeys(store, new TokenCipher(parseKeyring(`k2:${k1}`))));
  ({ connections, oauth } = build());
  await collectStoredTokens();
  await connections.remove(OPERATOR, done.connection.connection_id, { remote: true });
  await connections.remove(OPERATOR, internal.connection.connection_id);

  await store.audit.record({
    connectionId: done.connection.connection_id,
    requestId: 'r1',
    actor: 'chatgpt_mcp',
    operation: 'connections_remove',
    summary: 'removed a connection',
    success: true,
  });

  const dump = await dumpAllTables(store);
  const logs = lines.join('');
  expect(lines.length).toBeGreaterThan(5);
  expect(errors.length).toBeGreaterThanOrEqual(5);
  // Sanity: the dump does hold the connections (as ciphertexts).
  expect(dump).toContain('"workspace_name":"Beta"');
  expect(dump).toMatch(/v1:k2:/);
  expect(secrets.size).toBeGreaterThanOrEqual(10);
  for (const secret of secrets) {
    expect(dump.includes(secret), `table dump contains a secret (${secret.slice(0, 6)}…)`).toBe(false);
    expect(logs.includes(secret), `logs contain a secret (${secret.slice(0, 6)}…)`).toBe(false);
    for (const e of errors) expect(e.includes(secret), `an error message contains a secret`).toBe(false);
  }
});
