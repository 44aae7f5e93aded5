/**
 * Locks by key for work that must not run twice at once (two upserts of the same row). Within a process a promise
 * chain per key serialises callers; on PostgreSQL a transaction-scoped advisory lock also serialises them across
 * replicas (held by one pooled connection while the work runs, released when the transaction ends). Embedded PGlite
 * serves one process, so the in-process chain is the whole lock there.
 */
import type { Store } from './store.ts';

export interface KeyLocks {
  withLock<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createKeyLocks(store: Pick<Store, 'driver' | 'em'>): KeyLocks {
  const tails = new Map<string, Promise<unknown>>();

  const acrossReplicas = <T>(key: string, work: () => Promise<T>): Promise<T> =>
    store.driver !== 'postgresql'
      ? work()
      : store.em().transactional(async (em) => {
          await em
            .getConnection()
            .execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [key], 'all', em.getTransactionContext());
          return work();
        });

  return {
    async withLock(key, work) {
      const previous = tails.get(key) ?? Promise.resolve();
      const run = previous.then(
        () => acrossReplicas(key, work),
        () => acrossReplicas(key, work),
      );
      const tail = run.catch(() => {});
      tails.set(key, tail);
      try {
        return await run;
      } finally {
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
  };
}
