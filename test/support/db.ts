/**
 * Shared test helper: a fresh, migrated store.
 *  - default: PGlite in memory (or in a temp directory with `persistent: true`), started from the committed template
 *    (src/store/pglite-template.tar.br, see src/store/pglite.ts) like any new embedded store. While that template is
 *    stale (a migration added, not yet `npm run store:template`), one is built the same way
 *    (`buildPgliteTemplate()`), kept in the OS temp dir keyed by `templateKey()`, and loaded instead;
 *  - with TEST_DATABASE_URL (see `npm run test:pg`): a new database `ng_test_<random>` on that server, dropped on close.
 * PGlite starts cold in ≈ 2 s: open one store per test file (beforeAll), and `resetStore()` between tests if needed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { templateKey, templateState } from '../../src/store/pglite.ts';
import type { ConnectionRows } from '../../src/store/repositories.ts';
import { buildPgliteTemplate, openStore, type Store } from '../../src/store/store.ts';

export interface TestStore extends Store {
  /** PGlite directory (persistent mode) or PostgreSQL URL of the per-test database: reopen it with `reopen()`. */
  readonly target: { databaseUrl?: string; dataDir?: string };
  /** Close and open the same data again (restart simulation). The returned store owns the cleanup. */
  reopen(opts?: { logger?: Logger }): Promise<TestStore>;
}

export const TABLES = [
  'connections',
  'audit_log',
  'idempotency_keys',
  'jobs',
  'os_state',
  'upsert_keys',
  'oauth_states',
  'oauth_records',
] as const;

export const testDatabaseUrl = (): string | undefined => process.env.TEST_DATABASE_URL?.trim() || undefined;

const withDatabase = (url: string, db: string): string => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

async function adminExec(adminUrl: string, sql: string): Promise<void> {
  const admin = await openStore({ databaseUrl: adminUrl, migrate: false, poolMax: 1 });
  try {
    await admin.query(sql);
  } finally {
    await admin.close();
  }
}

/** A throw-away database on the TEST_DATABASE_URL server (for suites that open their own store, like the gateway). */
export async function createTestDatabase(serverUrl: string): Promise<{ databaseUrl: string; drop(): Promise<void> }> {
  const db = `ng_test_${randomBytes(6).toString('hex')}`;
  await adminExec(serverUrl, `create database "${db}"`);
  return {
    databaseUrl: withDatabase(serverUrl, db),
    drop: () => adminExec(serverUrl, `drop database if exists "${db}" with (force)`),
  };
}

export async function openTestStore(opts: { persistent?: boolean; logger?: Logger } = {}): Promise<TestStore> {
  const serverUrl = testDatabaseUrl();
  if (serverUrl) {
    const { databaseUrl, drop } = await createTestDatabase(serverUrl);
    return wrap(await openStore({ databaseUrl, logger: opts.logger, poolMax: 4 }), { databaseUrl }, drop);
  }
  if (opts.persistent) {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ng-pglite-'));
    // A persistent store seeds its empty directory from the committed template (or runs initdb while it is stale).
    return wrap(await openStore({ dataDir, logger: opts.logger }), { dataDir }, async () => {
      rmSync(dataDir, { recursive: true, force: true });
    });
  }
  const useTemplate = process.env.TEST_PGLITE_TEMPLATE !== '0'; // 0: initdb + migrations, the slow way
  const fallback = useTemplate ? await staleTemplateFallback() : null;
  const store = await openStore({
    dataDir: 'memory://',
    logger: opts.logger,
    template: useTemplate,
    ...(fallback ? { pgliteOptions: { loadDataDir: fallback } } : {}),
  });
  return wrap(store, {}, async () => {});
}

/**
 * null while the committed template is fresh (openStore uses it by itself). Otherwise a cluster built like the
 * committed one, cached in the OS temp dir across runs, so test files do not each pay initdb + migrations.
 */
async function staleTemplateFallback(): Promise<Blob | null> {
  if (templateState().fresh) return null;
  const file = path.join(tmpdir(), `ng-pglite-template-${templateKey()}.tar`);
  if (!existsSync(file)) {
    const tar = await buildPgliteTemplate();
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, tar);
    renameSync(tmp, file); // atomic: concurrent workers may both build it, none sees half a file
  }
  return new Blob([readFileSync(file)]);
}

function wrap(store: Store, target: TestStore['target'], cleanup: () => Promise<void>): TestStore {
  let reopened = false;
  const test: TestStore = Object.assign(Object.create(null), store, {
    target,
    async close() {
      await store.close();
      if (!reopened) await cleanup();
    },
    async reopen(o: { logger?: Logger } = {}) {
      if (!target.databaseUrl && !target.dataDir) throw new Error('an in-memory test store cannot be reopened');
      reopened = true;
      await store.close();
      const next = await openStore({ ...target, logger: o.logger, poolMax: 4 });
      return wrap(next, target, cleanup);
    },
  });
  return test;
}

/** Empties every application table (keeps the migrations table). */
export async function resetStore(store: Store): Promise<void> {
  await store.query(`truncate ${TABLES.map((t) => `"${t}"`).join(', ')}`);
}

/** Every application table as JSON text (`SELECT *`), for "no secret stored in clear" checks. */
export async function dumpAllTables(store: Store): Promise<string> {
  const out: Record<string, unknown[]> = {};
  const tables = await store.query<{ table_name: string }>(
    `select table_name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
  );
  for (const { table_name } of tables) {
    out[table_name] = await store.query(`select * from "${table_name}"`);
  }
  return JSON.stringify(out);
}

/** Connection rows that count the reads reaching the database (`listLive`, `find`); writes pass through. */
export function countedConnectionRows(rows: ConnectionRows) {
  const queries = { listLive: 0, find: 0 };
  const wrapped: ConnectionRows = {
    ...rows,
    listLive: (owner) => {
      queries.listLive++;
      return rows.listLive(owner);
    },
    find: (id, opts) => {
      queries.find++;
      return rows.find(id, opts);
    },
    insert: rows.insert.bind(rows),
    update: rows.update.bind(rows),
    updateIfToken: rows.updateIfToken.bind(rows),
    softDelete: rows.softDelete.bind(rows),
  };
  return { wrapped, queries };
}
