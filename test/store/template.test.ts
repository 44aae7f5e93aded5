/**
 * The embedded template (src/store/pglite-template.tar.br): it must match the migrations and the installed PGlite,
 * hold exactly what initdb + every migration produce, and seed an empty data directory that then behaves like any
 * other (migrations applied, data kept across restarts); in-memory stores share one decompressed copy per process.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations/index.ts';
import { readTemplateMeta, readTemplateTar, templateBlob, templateState } from '../../src/store/pglite.ts';
import { buildPgliteTemplate, openStore, type Store } from '../../src/store/store.ts';

const names = migrations.map((m) => m.name);

const capture = () => {
  const lines: { msg: string; migrations?: string[] }[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, messages: () => lines.map((l) => l.msg), lines };
};

/** Tables, columns, constraints and indexes of the current schema, as comparable text. */
async function schemaOf(store: Store): Promise<string> {
  const columns = await store.query(
    `select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns
     where table_schema = current_schema() order by table_name, column_name`,
  );
  const constraints = await store.query(
    `select conrelid::regclass::text as tbl, conname, pg_get_constraintdef(oid) as def from pg_constraint
     where connamespace = current_schema()::regnamespace order by 1, 2`,
  );
  const indexes = await store.query(
    `select indexname, indexdef from pg_indexes where schemaname = current_schema() order by indexname`,
  );
  return JSON.stringify({ columns, constraints, indexes });
}

describe('embedded PGlite template', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.lock`, { force: true });
    }
  });
  const freshDir = () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'ng-template-'));
    dirs.push(parent);
    return path.join(parent, 'pglite');
  };

  it('is up to date with src/store/migrations and the installed PGlite (else: npm run store:template)', () => {
    const state = templateState();
    expect(state, 'the committed PGlite template is stale: run `npm run store:template` and commit it').toEqual({
      fresh: true,
    });
    expect(readTemplateMeta()?.migrations).toEqual(names);
  });

  it('is decompressed once per process for in-memory stores, which stay independent of each other', async () => {
    const blob = templateBlob();
    expect(blob).not.toBeNull();
    expect(templateBlob()).toBe(blob);
    expect(Buffer.from(await blob!.arrayBuffer()).equals(readTemplateTar()!)).toBe(true);
    const [a, b] = [await openStore({ dataDir: 'memory://' }), await openStore({ dataDir: 'memory://' })];
    try {
      expect(await a.pendingMigrations()).toEqual([]);
      await a.query(`create table only_in_a (id int)`);
      const seen = async (s: Store) =>
        (await s.query<{ n: number }>(`select count(*)::int as n from pg_tables where tablename = 'only_in_a'`))[0]!.n;
      expect([await seen(a), await seen(b)]).toEqual([1, 0]);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('holds exactly what initdb + every migration produce', async () => {
    const committed = readTemplateTar();
    expect(committed).not.toBeNull();
    const fromTemplate = await openStore({
      dataDir: 'memory://',
      migrate: false,
      pgliteOptions: { loadDataDir: new Blob([new Uint8Array(committed!)]) },
    });
    const rebuilt = await openStore({
      dataDir: 'memory://',
      migrate: false,
      pgliteOptions: { loadDataDir: new Blob([new Uint8Array(await buildPgliteTemplate())]) },
    });
    try {
      expect(await fromTemplate.executedMigrations()).toEqual(names);
      expect(await fromTemplate.pendingMigrations()).toEqual([]);
      expect(await schemaOf(fromTemplate)).toEqual(await schemaOf(rebuilt));
      const diff = (await fromTemplate.orm.schema.getUpdateSchemaSQL()).replace(/set names 'utf8';/g, '').trim();
      expect(diff).toBe('');
    } finally {
      await fromTemplate.close();
      await rebuilt.close();
    }
  }, 120_000);

  it('seeds an empty data directory with every migration applied, and the data survives restarts', async () => {
    const dir = freshDir();
    const id = randomUUID();
    const first = capture();
    let store = await openStore({ dataDir: dir, logger: first.logger });
    try {
      expect(first.lines.map((l) => JSON.stringify(l)).join('\n')).toContain(
        'new PGlite directory seeded from the template',
      );
      expect(first.messages()).not.toContain('applied migrations'); // nothing left to run: the template had them all
      expect(await store.executedMigrations()).toEqual(names);
      expect(await store.pendingMigrations()).toEqual([]);
      expect(existsSync(`${dir}.seeding`)).toBe(false);
      expect(readdirSync(dir)).toContain('PG_VERSION');
      expect(await store.query('show shared_buffers')).toEqual([{ shared_buffers: '4MB' }]); // PGLITE_SETTINGS
      // One database: template0/template1 are left out of the template (embedded mode never creates databases).
      expect(await store.query('select datname from pg_database')).toEqual([{ datname: 'postgres' }]);
      await store.connections.insert({
        id,
        kind: 'internal',
        owner: 'operator',
        workspace_id: 'ws-template',
        workspace_name: 'Template',
        workspace_icon: null,
        bot_id: 'bot-template',
        access_token_enc: 'v1:k:x:y:z',
        refresh_token_enc: null,
        token_expires_at: null,
        key_id: 'k',
      });
    } finally {
      await store.close();
    }

    const second = capture();
    store = await openStore({ dataDir: dir, logger: second.logger });
    try {
      expect(second.messages()).not.toContain('new PGlite directory seeded from the template');
      const rows = await store.query<{ workspace_name: string }>(
        'select workspace_name from connections where id = ?',
        [id],
      );
      expect(rows).toEqual([{ workspace_name: 'Template' }]);
      expect(await store.executedMigrations()).toEqual(names);
    } finally {
      await store.close();
    }
  });

  it('leaves a directory that already holds data alone', async () => {
    const dir = freshDir();
    const store = await openStore({ dataDir: dir, template: false }); // initdb + migrations, the slow way
    await store.close();
    const log = capture();
    const again = await openStore({ dataDir: dir, logger: log.logger });
    try {
      expect(log.messages()).not.toContain('new PGlite directory seeded from the template');
      expect(await again.executedMigrations()).toEqual(names);
    } finally {
      await again.close();
    }
  }, 60_000);
});
