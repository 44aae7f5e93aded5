import { Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createConnectionService, normalizeConnectionId } from '../../src/domain/connections.ts';
import { generateKeySpec, parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { OPERATOR, type Principal } from '../../src/shared/principal.ts';
import { startSandbox } from '../../tools/notion-sandbox/index.ts';
import { openTestStore, resetStore, type TestStore } from '../support/db.ts';
import { gatewayError } from '../support/errors.ts';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

describe('connections', () => {
  let store: TestStore;
  let sandbox: Sandbox;
  const cipher = new TokenCipher(parseKeyring(generateKeySpec('k1')));
  const service = (over: Partial<Parameters<typeof createConnectionService>[0]> = {}) =>
    createConnectionService({ store, cipher, notionBaseUrl: sandbox.url, ...over });

  beforeAll(async () => {
    [store, sandbox] = await Promise.all([
      openTestStore(),
      startSandbox({
        workspaces: [
          { token: 'secret_a', name: 'Alpha' },
          { token: 'secret_b', name: 'Beta' },
        ],
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([store?.close(), sandbox?.close()]);
  });
  beforeEach(async () => {
    await resetStore(store);
  });

  it('an OAuth grant limits a user to the connections chosen at consent; connection_id optional with one', async () => {
    const user: Principal = { id: 'user:ada', kind: 'user' };
    const svc = service();
    const a = (await svc.createInternal(user, 'secret_a')).connection;
    const b = (await svc.createInternal(user, 'secret_b')).connection;
    const granted: Principal = { ...user, connections: [a.connection_id], grantId: 'g1' };
    expect((await svc.list(granted)).map((c) => c.connection_id)).toEqual([a.connection_id]);
    // One granted connection: no connection_id needed, although the user owns two.
    expect((await svc.resolve(granted, undefined)).summary.connection_id).toBe(a.connection_id);
    expect((await gatewayError(svc.resolve(user, undefined))).code).toBe('connection_required');
    // The user's own connection outside the grant is refused, listing the granted one.
    const outside = await gatewayError(svc.resolve(granted, b.connection_id));
    expect(outside.code).toBe('connection_forbidden');
    expect(outside.details.connections).toEqual([{ connection_id: a.connection_id, workspace_name: 'Alpha' }]);
    expect((await gatewayError(svc.remove(granted, b.connection_id))).code).toBe('connection_forbidden');
    // DEFAULT_CONNECTION_ID never widens a grant.
    const withDefault = service({ defaultConnectionId: b.connection_id });
    const two: Principal = { ...user, connections: [a.connection_id, b.connection_id] };
    expect((await withDefault.resolve(two, undefined)).summary.connection_id).toBe(b.connection_id);
    expect((await withDefault.resolve(granted, undefined)).summary.connection_id).toBe(a.connection_id);
    // An empty grant reaches nothing.
    const none: Principal = { ...user, connections: [] };
    expect(await svc.list(none)).toEqual([]);
    expect((await gatewayError(svc.resolve(none, a.connection_id))).code).toBe('connection_forbidden');
  });

  it('createInternal verifies the token with users.me and stores the workspace', async () => {
    const svc = service();
    const { connection, created } = await svc.createInternal(OPERATOR, 'secret_a');
    expect(created).toBe(true);
    expect(connection).toMatchObject({ kind: 'internal', workspace_name: 'Alpha', owner: 'operator' });
    const ws = sandbox.workspaces().find((w) => w.name === 'Alpha')!;
    expect(connection.workspace_id).toBe(ws.id);
    expect(connection.bot_id).toBe(ws.botId);
    expect(sandbox.requestLog().some((r) => r.path === '/v1/users/me' && r.status === 200)).toBe(true);
    // The handle gives the token back, and it works against Notion.
    const handle = await svc.resolve(OPERATOR, connection.connection_id);
    const me = await new Client({ auth: await handle.accessToken(), baseUrl: sandbox.url }).users.me({});
    expect(me.id).toBe(ws.botId);
  });

  it('createInternal is idempotent for the same token/workspace', async () => {
    const svc = service();
    const a = await svc.createInternal(OPERATOR, 'secret_a');
    const again = await svc.createInternal(OPERATOR, ' secret_a ');
    expect(again.created).toBe(false);
    expect(again.connection.connection_id).toBe(a.connection.connection_id);
    expect(await svc.list(OPERATOR)).toHaveLength(1);
  });

  it('createInternal refuses a token Notion rejects, and stores nothing', async () => {
    const err = await gatewayError(service().createInternal(OPERATOR, 'secret_wrong'));
    expect(err.code).toBe('connection_invalid');
    expect(await service().list(OPERATOR)).toEqual([]);
    expect((await gatewayError(service().createInternal(OPERATOR, '  '))).code).toBe('bad_request');
  });

  it('an unreachable Notion is reported as notion_unreachable', async () => {
    const err = await gatewayError(
      service({ notionBaseUrl: 'http://127.0.0.1:1', notionTimeoutMs: 2000 }).createInternal(OPERATOR, 'secret_a'),
    );
    expect(err.code).toBe('notion_unreachable');
  });

  describe('resolve', () => {
    it('no connection at all → connection_required with an empty list', async () => {
      const err = await gatewayError(service().resolve(OPERATOR));
      expect(err.code).toBe('connection_required');
      expect(err.details).toEqual({ connections: [] });
    });

    it('explicit id, the only one, the default, else connection_required listing the choices', async () => {
      const svc = service();
      const a = (await svc.createInternal(OPERATOR, 'secret_a')).connection;
      expect((await svc.resolve(OPERATOR)).summary.connection_id).toBe(a.connection_id);
      expect((await svc.resolve(OPERATOR, null)).summary.connection_id).toBe(a.connection_id);

      const b = (await svc.createInternal(OPERATOR, 'secret_b')).connection;
      const err = await gatewayError(svc.resolve(OPERATOR));
      expect(err.code).toBe('connection_required');
      expect(err.status).toBe(400);
      expect(err.details.connections).toEqual([
        { connection_id: a.connection_id, workspace_name: 'Alpha' },
        { connection_id: b.connection_id, workspace_name: 'Beta' },
      ]);

      expect((await svc.resolve(OPERATOR, b.connection_id)).summary.workspace_name).toBe('Beta');
      // Without dashes, upper case: the same id.
      expect(
        (await svc.resolve(OPERATOR, b.connection_id.replaceAll('-', '').toUpperCase())).summary.connection_id,
      ).toBe(b.connection_id);
      const withDefault = service({ defaultConnectionId: b.connection_id });
      expect((await withDefault.resolve(OPERATOR)).summary.connection_id).toBe(b.connection_id);
      // An explicit id wins over the default.
      expect((await withDefault.resolve(OPERATOR, a.connection_id)).summary.connection_id).toBe(a.connection_id);
    });

    it('unknown, malformed and deleted ids → connection_not_found; foreign ids → connection_forbidden', async () => {
      const svc = service();
      const a = (await svc.createInternal(OPERATOR, 'secret_a')).connection;
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '../x']) {
        const err = await gatewayError(svc.resolve(OPERATOR, id));
        expect(err.code).toBe('connection_not_found');
        expect(err.status).toBe(404);
      }
      // Like connection_required, the answer lists what the caller can use instead.
      const unknown = await gatewayError(svc.resolve(OPERATOR, '00000000-0000-4000-8000-000000000000'));
      expect(unknown.details.connections).toEqual([{ connection_id: a.connection_id, workspace_name: 'Alpha' }]);
      expect(unknown.message).toContain(`${a.connection_id} "Alpha"`);
      const stranger: Principal = { id: 'someone', kind: 'user' };
      const foreign = await gatewayError(svc.resolve(stranger, a.connection_id));
      expect(foreign.code).toBe('connection_forbidden');
      expect(foreign.status).toBe(403);
      // Never another principal's connections.
      expect(foreign.details.connections).toEqual([]);
      expect(foreign.message).not.toContain('Alpha');
      expect(await svc.list(stranger)).toEqual([]);
      for (const op of [() => svc.get(stranger, a.connection_id), () => svc.refresh(stranger, a.connection_id)]) {
        expect((await gatewayError(op())).code).toBe('connection_forbidden');
      }
      expect((await gatewayError(svc.remove(stranger, a.connection_id))).code).toBe('connection_forbidden');

      const handle = await svc.resolve(OPERATOR, a.connection_id);
      await svc.remove(OPERATOR, a.connection_id);
      expect((await gatewayError(svc.resolve(OPERATOR, a.connection_id))).code).toBe('connection_not_found');
      // A handle taken before the delete no longer yields a token.
      expect((await gatewayError(handle.accessToken())).code).toBe('connection_not_found');
      expect((await gatewayError(svc.remove(OPERATOR, a.connection_id))).code).toBe('connection_not_found');
      // A deleted default is skipped.
      const b = (await svc.createInternal(OPERATOR, 'secret_b')).connection;
      expect((await service({ defaultConnectionId: a.connection_id }).resolve(OPERATOR)).summary.connection_id).toBe(
        b.connection_id,
      );
    });
  });

  it('remove soft-deletes and wipes the stored ciphertexts; re-adding creates a fresh connection', async () => {
    const svc = service();
    const a = (await svc.createInternal(OPERATOR, 'secret_a')).connection;
    expect(await svc.remove(OPERATOR, a.connection_id, { remote: true })).toEqual({
      connection_id: a.connection_id,
      deleted: true,
      revoked: false,
    });
    const row = await store.connections.find(a.connection_id, { includeDeleted: true });
    expect(row?.deleted_at).toBeInstanceOf(Date);
    expect(row?.access_token_enc).toBe('');
    expect(row?.refresh_token_enc).toBeNull();
    const again = await svc.createInternal(OPERATOR, 'secret_a');
    expect(again.created).toBe(true);
    expect(again.connection.connection_id).not.toBe(a.connection_id);
  });

  it('refresh re-verifies an internal connection with users.me', async () => {
    const svc = service();
    const a = (await svc.createInternal(OPERATOR, 'secret_a')).connection;
    sandbox.clearRequestLog();
    const refreshed = await svc.refresh(OPERATOR, a.connection_id);
    expect(refreshed.workspace_name).toBe('Alpha');
    expect(sandbox.requestLog().filter((r) => r.path === '/v1/users/me')).toHaveLength(1);
  });

  it('seedFromEnv is idempotent across restarts and makes no Notion call when the token is known', async () => {
    const first = await service().seedFromEnv('secret_a');
    expect(first.created).toBe(true);
    sandbox.clearRequestLog();
    const second = await service().seedFromEnv('secret_a');
    expect(second).toMatchObject({ created: false, connection: { connection_id: first.connection.connection_id } });
    expect(sandbox.requestLog()).toHaveLength(0);
    expect(await service().list(OPERATOR)).toHaveLength(1);
  });

  it('a stored token that no longer decrypts → connection_invalid, never a raw crypto error', async () => {
    const svc = service();
    const a = (await svc.createInternal(OPERATOR, 'secret_a')).connection;
    const b = (await svc.createInternal(OPERATOR, 'secret_b')).connection;
    // Copy b's ciphertext onto a: the associated data (row id) no longer matches.
    const rowB = await store.connections.find(b.connection_id);
    await store.connections.update(a.connection_id, { access_token_enc: rowB!.access_token_enc });
    const err = await gatewayError((await svc.resolve(OPERATOR, a.connection_id)).accessToken());
    expect(err.code).toBe('connection_invalid');
    expect(err.message).toMatch(/cannot be decrypted/);
  });

  it('normalizeConnectionId', () => {
    expect(normalizeConnectionId('0B7A3C4E1D2F4A5B8C9D0E1F2A3B4C5D')).toBe('0b7a3c4e-1d2f-4a5b-8c9d-0e1f2a3b4c5d');
    expect(normalizeConnectionId('x')).toBeNull();
  });
});
