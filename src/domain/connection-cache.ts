/**
 * A short-lived read cache over the connection rows, so a call does not pay two database round trips (the live list
 * in `resolve`, the row in `accessToken`) before it can reach Notion. Any write through it clears it, so this process
 * sees its own changes at once; a change made by another process (another replica on the same PostgreSQL) is seen
 * within `ttlMs` (CONNECTION_CACHE_TTL_MS). 0 turns the cache off.
 */
import { LRUCache } from 'lru-cache';
import type { ConnectionRow, ConnectionRows } from '../store/repositories.ts';

/** Bounds on what is kept: every connection of a large deployment, and lookups of ids that do not exist. */
const MAX_LISTS = 1_000;
const MAX_ROWS = 10_000;

export function cachedConnectionRows(rows: ConnectionRows, ttlMs: number, now = Date.now): ConnectionRows {
  if (ttlMs <= 0) return rows;
  // lru-cache expires entries on its clock (ours, so tests can move it) and drops the least recent beyond `max`.
  const options = { ttl: ttlMs, ttlResolution: 0, perf: { now } };
  const lists = new LRUCache<string, { value: Promise<ConnectionRow[]> }>({ max: MAX_LISTS, ...options });
  const byId = new LRUCache<string, { value: Promise<ConnectionRow | null> }>({ max: MAX_ROWS, ...options });

  function cached<T>(cache: LRUCache<string, { value: Promise<T> }>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit) return hit.value;
    // The promise itself is cached: concurrent misses share one query. A failed load is not kept.
    const value = load();
    cache.set(key, { value });
    value.catch(() => cache.delete(key));
    return value;
  }
  const cleared =
    <A extends unknown[], R>(write: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await write(...args);
      } finally {
        lists.clear();
        byId.clear();
      }
    };

  return {
    ...rows,
    listLive: (owner) => cached(lists, owner ?? '\u0000all', () => rows.listLive(owner)),
    find: (id, opts) => (opts?.includeDeleted ? rows.find(id, opts) : cached(byId, id, () => rows.find(id))),
    insert: cleared(rows.insert.bind(rows)),
    update: cleared(rows.update.bind(rows)),
    updateIfToken: cleared(rows.updateIfToken.bind(rows)),
    softDelete: cleared(rows.softDelete.bind(rows)),
  };
}
