/**
 * Opening the store: one MikroORM instance over PGlite (embedded default, data in a directory) or PostgreSQL
 * (when a database URL is given). Same entities, same committed migrations, run on open (never schema auto-sync).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import type { Logger } from 'pino';
import { entities } from './entities.ts';
import { migrations } from './migrations/index.ts';
import { PGLITE_SETTINGS, seedFromTemplate, tarDirectory, templateBlob } from './pglite.ts';
import {
  type AuditRepository,
  type ConnectionRows,
  createAuditRepository,
  createConnectionRows,
  createIdempotencyRepository,
  createJobRepository,
  createOAuthStateRepository,
  createOsStateRepository,
  createUpsertKeyRepository,
  type IdempotencyRepository,
  type JobRepository,
  type OAuthStateRepository,
  type OsStateRepository,
  type UpsertKeyRepository,
} from './repositories.ts';
import { createSearchIndexRepository, type SearchIndexRepository } from './search-index.ts';

export const DEFAULT_DATA_DIR = './data/pglite';
export const MIGRATIONS_TABLE = 'mikro_orm_migrations';

export interface StoreOptions {
  /** postgres://… → PostgreSQL. Absent/empty → embedded PGlite in `dataDir`. */
  databaseUrl?: string | null;
  /** PGlite data directory (default ./data/pglite); `memory://` keeps everything in memory (tests). */
  dataDir?: string;
  logger?: Logger;
  /** Apply pending migrations on open (default true). `npm run migrate` and tests may open without. */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolMax?: number;
  /**
   * PGlite only: start an empty directory (or `memory://`) from the committed, already migrated template instead of
   * initdb + every migration (default true; ignored when the template is stale, see src/store/pglite.ts).
   */
  template?: boolean;
  /** Extra PGlite options, e.g. `{ loadDataDir: Blob }` to start from a dumped cluster. */
  pgliteOptions?: { loadDataDir?: Blob };
}

export type StoreDriver = 'pglite' | 'postgresql';

export interface Store {
  readonly driver: StoreDriver;
  /** Where the data lives, without credentials (a PGlite directory, or the PostgreSQL URL with its password masked). */
  readonly location: string;
  readonly orm: MikroORM;
  /** A fresh, request-scoped EntityManager. */
  em(): EntityManager;
  readonly connections: ConnectionRows;
  readonly audit: AuditRepository;
  readonly idempotency: IdempotencyRepository;
  readonly jobs: JobRepository;
  readonly osState: OsStateRepository;
  readonly upsertKeys: UpsertKeyRepository;
  readonly oauthStates: OAuthStateRepository;
  readonly searchIndex: SearchIndexRepository;
  /** Raw SQL with `?` placeholders (MikroORM's convention, not `$1`). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Applies pending migrations; returns the names applied (empty when up to date). */
  migrate(): Promise<string[]>;
  pendingMigrations(): Promise<string[]>;
  executedMigrations(): Promise<string[]>;
  close(): Promise<void>;
}

export const maskDatabaseUrl = (url: string): string => {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database url>';
  }
};

const isMemoryDir = (dir: string) => dir === 'memory://' || dir.startsWith('memory:');

const processAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * PGlite is single-process: two processes on one directory corrupt it. `<dir>.lock` holds the owner's pid; a lock
 * left by a dead process is taken over. Returns the release function.
 */
export function lockPgliteDir(dir: string): () => void {
  const file = `${dir}.lock`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rmSync(file, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
      if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) {
        throw new Error(
          `the PGlite data directory ${dir} is in use by process ${pid}${pid === process.pid ? ' (this process)' : ''}: stop it first, or use DATABASE_URL (PostgreSQL) to share data between processes`,
        );
      }
      rmSync(file, { force: true }); // stale lock
    }
  }
  throw new Error(`could not lock the PGlite data directory ${dir}`);
}

export async function openStore(options: StoreOptions = {}): Promise<Store> {
  const log = options.logger;
  const databaseUrl = options.databaseUrl?.trim() || undefined;
  const common = {
    entities,
    extensions: [Migrator],
    migrations: {
      migrationsList: migrations,
      tableName: MIGRATIONS_TABLE,
      snapshot: false,
      snapshotOnMigrate: false,
      silent: true,
      transactional: true,
      allOrNothing: true,
    },
    ensureDatabase: false,
    discovery: { checkDuplicateTableNames: true },
    debug: false,
    logger: (message: string) => log?.debug({ component: 'store' }, message),
  };

  let orm: MikroORM;
  let release = () => {};
  let driver: StoreDriver;
  let location: string;
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new Error('DATABASE_URL must be a postgres:// or postgresql:// URL');
    }
    const { MikroORM: PgORM } = await import('@mikro-orm/postgresql');
    driver = 'postgresql';
    location = maskDatabaseUrl(databaseUrl);
    orm = await PgORM.init({ ...common, clientUrl: databaseUrl, pool: { max: options.poolMax ?? 10 } });
  } else {
    const dataDir = options.dataDir ?? DEFAULT_DATA_DIR;
    const dir = isMemoryDir(dataDir) ? dataDir : path.resolve(dataDir);
    if (!isMemoryDir(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      release = lockPgliteDir(dir);
    }
    driver = 'pglite';
    location = dir;
    try {
      const useTemplate = options.template !== false && !options.pgliteOptions?.loadDataDir;
      let loadDataDir = options.pgliteOptions?.loadDataDir;
      if (useTemplate && isMemoryDir(dir)) {
        loadDataDir = templateBlob() ?? undefined;
      } else if (useTemplate) {
        const seed = await seedFromTemplate(dir);
        if (seed.seeded)
          log?.info({ component: 'store', location: dir }, 'new PGlite directory seeded from the template');
        else if (seed.reason !== 'directory not empty') {
          log?.warn({ component: 'store', reason: seed.reason }, 'PGlite template not used: running initdb');
        }
      }
      const [{ MikroORM: PgliteORM }, { PGlite }] = await Promise.all([
        import('@mikro-orm/pglite'),
        import('@electric-sql/pglite'),
      ]);
      // A factory: MikroORM deep-copies plain option objects, which would break a Blob inside them.
      const pgliteOptions = {
        ...options.pgliteOptions,
        ...(loadDataDir ? { loadDataDir } : {}),
        startParams: [...PGlite.defaultStartParams, ...PGLITE_SETTINGS],
      };
      orm = await PgliteORM.init({
        ...common,
        dbName: dir,
        driverOptions: (() => pgliteOptions) as unknown as Record<string, unknown>,
      });
    } catch (e) {
      release();
      throw e;
    }
  }

  try {
    await orm.connect();
    await orm.em.getConnection().execute('select 1', [], 'all');
  } catch (e) {
    await orm.close(true).catch(() => {});
    release();
    const where = driver === 'postgresql' ? location : `PGlite at ${location}`;
    throw new Error(`cannot open the store (${where}): ${(e as Error).message}`, { cause: e });
  }

  const em = () => orm.em.fork({ clear: true, useContext: false });
  const query = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> =>
    (await orm.em.getConnection().execute(sql, params, 'all')) as T[];

  const migrator = orm.migrator;
  const store: Store = {
    driver,
    location,
    orm,
    em,
    connections: createConnectionRows(em),
    audit: createAuditRepository(em),
    idempotency: createIdempotencyRepository(em),
    jobs: createJobRepository(em),
    osState: createOsStateRepository(em),
    upsertKeys: createUpsertKeyRepository(em),
    oauthStates: createOAuthStateRepository(em),
    searchIndex: createSearchIndexRepository(em),
    query,
    async migrate() {
      const applied = await migrator.up();
      const names = applied.map((m) => m.name);
      if (names.length > 0) log?.info({ component: 'store', driver, migrations: names }, 'applied migrations');
      return names;
    },
    async pendingMigrations() {
      return (await migrator.getPending()).map((m) => m.name);
    },
    async executedMigrations() {
      return (await migrator.getExecuted()).map((m) => m.name);
    },
    async close() {
      try {
        await orm.close(true);
      } finally {
        release();
      }
    },
  };

  if (options.migrate !== false) {
    try {
      await store.migrate();
    } catch (e) {
      await store.close().catch(() => {});
      throw e;
    }
  }
  log?.info({ component: 'store', driver, location }, 'store ready');
  return store;
}

/**
 * Builds the embedded template: initdb and every migration in a fresh directory, then the databases the gateway never
 * uses dropped (`template0`, `template1`: embedded mode never runs CREATE DATABASE; they are 600 of a cluster's 1,020
 * files, and creating files is most of what seeding costs), a clean shutdown, and the directory as a tar.
 * `npm run store:template` compresses and commits it (`writeTemplate()`); the test helper builds one the same way
 * while the committed template is stale.
 */
export async function buildPgliteTemplate(): Promise<Buffer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'ng-pglite-template-'));
  try {
    const store = await openStore({ dataDir: dir, template: false });
    try {
      await store.query(`update pg_database set datistemplate = false where datname in ('template0', 'template1')`);
      await store.query('drop database template0');
      await store.query('drop database template1');
    } finally {
      await store.close();
    }
    return await tarDirectory(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
