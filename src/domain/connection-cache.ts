/**
 * A short-lived read cache over the connection rows, so a call does not pay two database round trips (the live list
 * in `resolve`, the row in `accessToken`) before it can reach Notion. Any write through it clears it, so this process
 * sees its own changes at once; a change made by another process (another replica on the same PostgreSQL) is seen
 * within `ttlMs` (CONNECTION_CACHE_TTL_MS). 0 turns the cache off.
 */
import type { ConnectionRow, ConnectionRows } from '../store/repositories.ts';

interface Entry<T> {
  value: T;
  expires: number;
}

export function cachedConnectionRows(rows: ConnectionRows, ttlMs: number, now = Date.now): ConnectionRows {
  if (ttlMs <= 0) return rows;
  const lists = new Map<string, Entry<Promise<ConnectionRow[]>>>();
  const byId = new Map<string, Entry<Promise<ConnectionRow | null>>>();

  function cached<T>(map: Map<string, Entry<Promise<T>>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = map.get(key);
    if (hit && hit.expires > now()) return hit.value;
    // The promise itself is cached: concurrent misses share one query. A failed load is not kept.
    const value = load();
    map.set(key, { value, expires: now() + ttlMs });
    value.catch(() => map.delete(key));
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
