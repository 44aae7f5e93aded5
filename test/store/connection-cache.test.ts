/**
 * The connection read cache (src/domain/connection-cache.ts) over the real store: repeated reads cost one query,
 * this process's writes are seen at once, another process's within the TTL.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cachedConnectionRows } from '../../src/domain/connection-cache.ts';
import type { ConnectionRows } from '../../src/store/repositories.ts';
import { countedConnectionRows, openTestStore, resetStore, type TestStore } from '../support/db.ts';

let store: TestStore;
beforeAll(async () => {
  store = await openTestStore();
});
afterAll(async () => store?.close());
beforeEach(async () => resetStore(store));

const newRow = (owner = 'operator') => ({
  kind: 'internal' as const,
  owner,
  workspace_id: randomUUID(),
  workspace_name: 'W',
  workspace_icon: null,
  bot_id: randomUUID(),
  access_token_enc: 'v1:k:iv:ct:tag',
  refresh_token_enc: null,
  token_expires_at: null,
  key_id: 'k',
});

describe('connection cache', () => {
  it('serves repeated reads from memory, concurrent misses included', async () => {
    const { wrapped, queries } = countedConnectionRows(store.connections);
    const cache = cachedConnectionRows(wrapped, 60_000);
    const row = await cache.insert(newRow());
    await Promise.all([cache.listLive('operator'), cache.listLive('operator'), cache.find(row.id), cache.find(row.id)]);
    await cache.listLive('operator');
    await cache.find(row.id);
    expect(queries).toEqual({ listLive: 1, find: 1 });
  });

  it('sees its own writes at once', async () => {
    const cache = cachedConnectionRows(store.connections, 60_000);
    const row = await cache.insert(newRow());
    expect(await cache.listLive('operator')).toHaveLength(1);
    // Both reads are cached before the delete, so the nulls below prove the delete cleared the list and the row.
    expect(await cache.find(row.id)).not.toBeNull();
    await cache.softDelete(row.id);
    expect(await cache.listLive('operator')).toHaveLength(0);
    expect(await cache.find(row.id)).toBeNull();
  });

  it('sees another process’s change once the TTL is over, not before', async () => {
    let clock = 1_000_000;
    const cache = cachedConnectionRows(store.connections, 5_000, () => clock);
    const row = await store.connections.insert(newRow());
    expect(await cache.find(row.id)).not.toBeNull();
    await store.connections.softDelete(row.id); // written behind the cache's back, as another replica would
    clock += 4_999;
    expect(await cache.find(row.id)).not.toBeNull();
    clock += 2;
    expect(await cache.find(row.id)).toBeNull();
  });

  it('keeps a bounded number of rows: ids that do not exist cannot grow it without end', async () => {
    // Over rows that answer from memory: 10,001 lookups need no database to make the point.
    let finds = 0;
    const rows = {
      ...store.connections,
      find: async () => {
        finds++;
        return null;
      },
    } as ConnectionRows;
    const cache = cachedConnectionRows(rows, 60_000);
    const first = randomUUID();
    await cache.find(first);
    await cache.find(first);
    expect(finds).toBe(1);
    for (let i = 0; i < 10_000; i++) await cache.find(randomUUID());
    // The first id was the least recently used: evicted, so it is read again.
    await cache.find(first);
    expect(finds).toBe(10_002);
  });

  it('TTL 0 reads the database every time', async () => {
    const { wrapped, queries } = countedConnectionRows(store.connections);
    const cache = cachedConnectionRows(wrapped, 0);
    await cache.listLive('operator');
    await cache.listLive('operator');
    expect(queries.listLive).toBe(2);
  });
});
