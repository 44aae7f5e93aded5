/**
 * The connection service, built the way the gateway builds it (src/app.ts: `cacheTtlMs` from CONNECTION_CACHE_TTL_MS,
 * 5000 by default), really resolves through the read cache (src/domain/connection-cache.ts): resolving a connection
 * and reading its token again costs no further row read, while `cacheTtlMs: 0` reads the rows every time.
 * No Notion call is involved (the rows are seeded with an encrypted token), so no sandbox is started.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/env.ts';
import { createConnectionService } from '../../src/domain/connections.ts';
import { generateKeySpec, parseKeyring, TokenCipher } from '../../src/security/token-cipher.ts';
import { OPERATOR } from '../../src/shared/principal.ts';
import type { Store } from '../../src/store/store.ts';
import { countedConnectionRows, openTestStore, resetStore, type TestStore } from '../support/db.ts';
import { gatewayError } from '../support/errors.ts';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());
beforeEach(async () => {
  await resetStore(store);
  // Date only (no timer is faked): the cache's clock stands still unless a test moves it, so no slow run can let an
  // entry expire between two resolves.
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const cipher = new TokenCipher(parseKeyring(generateKeySpec('k1')));

/** The real store, its connection rows counting the reads `resolve` and `accessToken` make. */
function countedStore(real: Store) {
  const { wrapped, queries } = countedConnectionRows(real.connections);
  return { store: { ...real, connections: wrapped } as Store, reads: queries };
}

/** The service as src/app.ts builds it, over the counted store. */
function gatewayService(over: { cacheTtlMs?: number; defaultConnectionId?: string } = {}) {
  const config = loadConfig({});
  const counted = countedStore(store);
  const service = createConnectionService({
    store: counted.store,
    cipher,
    notionBaseUrl: config.notionBaseUrl,
    notionTimeoutMs: config.notionTimeoutMs,
    defaultConnectionId: over.defaultConnectionId ?? config.defaultConnectionId,
    cacheTtlMs: over.cacheTtlMs ?? config.connectionCacheTtlMs,
    oauthClient: null,
  });
  return { service, reads: counted.reads };
}

/** An operator's internal connection written straight to the store (not counted), its token encrypted as the service does. */
async function seed(token: string, name: string) {
  const id = randomUUID();
  await store.connections.insert({
    id,
    kind: 'internal',
    owner: OPERATOR.id,
    workspace_id: randomUUID(),
    workspace_name: name,
    workspace_icon: null,
    bot_id: randomUUID(),
    access_token_enc: cipher.encrypt(token, id, 'access_token'),
    refresh_token_enc: null,
    token_expires_at: null,
    key_id: cipher.currentKeyId,
  });
  return id;
}

describe('connection service cache', () => {
  it('the gateway’s default CONNECTION_CACHE_TTL_MS is 5000', () => {
    expect(loadConfig({}).connectionCacheTtlMs).toBe(5_000);
  });

  it('resolving a connection by id twice, and reading its token each time, reads its row once', async () => {
    const id = await seed('secret_a', 'Alpha');
    const { service, reads } = gatewayService({ cacheTtlMs: 5_000 });
    for (let i = 0; i < 2; i++) {
      const handle = await service.resolve(OPERATOR, id);
      expect(handle.summary.connection_id).toBe(id);
      expect(await handle.accessToken()).toBe('secret_a');
    }
    expect(reads).toEqual({ listLive: 0, find: 1 });
  });

  it('resolving the default connection twice lists the live rows once', async () => {
    await seed('secret_a', 'Alpha');
    const b = await seed('secret_b', 'Beta');
    const { service, reads } = gatewayService({ cacheTtlMs: 5_000, defaultConnectionId: b });
    for (let i = 0; i < 2; i++) {
      const handle = await service.resolve(OPERATOR, undefined);
      expect(handle.summary.connection_id).toBe(b);
      expect(await handle.accessToken()).toBe('secret_b');
    }
    expect(reads).toEqual({ listLive: 1, find: 1 });
  });

  it('with the default TTL (config, as src/app.ts passes it) rows are served from memory for 5 s, then read again', async () => {
    const id = await seed('secret_a', 'Alpha');
    const { service, reads } = gatewayService();
    await service.resolve(OPERATOR, id);
    await service.resolve(OPERATOR, undefined);
    vi.setSystemTime(Date.now() + 4_999); // the clock is moved, never read: no wall-clock dependency
    await service.resolve(OPERATOR, id);
    await service.resolve(OPERATOR, undefined);
    expect(reads).toEqual({ listLive: 1, find: 1 });
    vi.setSystemTime(Date.now() + 2);
    await service.resolve(OPERATOR, id);
    await service.resolve(OPERATOR, undefined);
    expect(reads).toEqual({ listLive: 2, find: 2 });
  });

  it('cacheTtlMs 0 reads the rows on every resolve and every token read', async () => {
    const a = await seed('secret_a', 'Alpha');
    const b = await seed('secret_b', 'Beta');
    const byId = gatewayService({ cacheTtlMs: 0 });
    for (let i = 0; i < 2; i++) {
      expect(await (await byId.service.resolve(OPERATOR, a)).accessToken()).toBe('secret_a');
    }
    expect(byId.reads).toEqual({ listLive: 0, find: 4 });

    const byDefault = gatewayService({ cacheTtlMs: 0, defaultConnectionId: b });
    for (let i = 0; i < 2; i++) {
      expect(await (await byDefault.service.resolve(OPERATOR, undefined)).accessToken()).toBe('secret_b');
    }
    expect(byDefault.reads).toEqual({ listLive: 2, find: 2 });
  });

  it('a removal through the service is seen by the next resolve at once, despite the cache', async () => {
    const id = await seed('secret_a', 'Alpha');
    const { service, reads } = gatewayService({ cacheTtlMs: 5_000 });
    expect((await service.resolve(OPERATOR, id)).summary.connection_id).toBe(id);
    expect((await service.resolve(OPERATOR, undefined)).summary.connection_id).toBe(id);
    expect(reads).toEqual({ listLive: 1, find: 1 });
    await service.remove(OPERATOR, id); // its own lookup is a cache hit; the delete clears the cache
    expect(reads.find).toBe(1);
    expect((await gatewayError(service.resolve(OPERATOR, id))).code).toBe('connection_not_found');
    expect((await gatewayError(service.resolve(OPERATOR, undefined))).code).toBe('connection_required');
    expect(reads.find).toBe(2); // read again from the database after the delete
  });
});
