import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/store/migrations/index.ts';
import { openTestStore, TABLES, type TestStore } from '../support/db.ts';

const newRow = (over: Record<string, unknown> = {}) => ({
  kind: 'internal' as const,
  owner: 'operator',
  workspace_id: 'ws-1',
  workspace_name: 'One',
  workspace_icon: null,
  bot_id: 'bot-1',
  access_token_enc: 'v1:k:x:y:z',
  refresh_token_enc: null,
  token_expires_at: null,
  key_id: 'k',
  ...over,
});

describe('migrations', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore({ persistent: true });
  });
  afterAll(async () => {
    await store?.close();
  });

  it('applies every committed migration on open and leaves none pending', async () => {
    expect(await store.executedMigrations()).toEqual(migrations.map((m) => m.name));
    expect(await store.pendingMigrations()).toEqual([]);
  });

  it('creates every table', async () => {
    const rows = await store.query<{ table_name: string }>(
      `select table_name from information_schema.tables where table_schema = current_schema()`,
    );
    const names = rows.map((r) => r.table_name);
    for (const t of TABLES) expect(names).toContain(t);
  });

  it('matches the entity definitions exactly (no drift between entities and migrations)', async () => {
    const diff = (await store.orm.schema.getUpdateSchemaSQL()).replace(/set names 'utf8';/g, '').trim();
    expect(diff).toBe('');
  });

  it('indexes every lookup', async () => {
    const rows = await store.query<{ indexname: string }>(
      `select indexname from pg_indexes where schemaname = current_schema()`,
    );
    const names = rows.map((r) => r.indexname);
    for (const i of [
      'connections_live_identity_unique',
      'connections_owner_live_index',
      'connections_key_id_index',
      'audit_log_connection_created_index',
      'audit_log_request_id_index',
      'idempotency_keys_expires_at_index',
      'jobs_connection_created_index',
      'jobs_status_created_index',
      'oauth_states_expires_at_index',
      'oauth_records_grant_id_index',
      'oauth_records_model_uid_index',
      'oauth_records_expires_at_index',
    ]) {
      expect(names).toContain(i);
    }
  });

  it('enforces one live connection per (owner, workspace, bot), even with null parts; deleted rows do not count', async () => {
    const a = await store.connections.insert(newRow());
    await expect(store.connections.insert(newRow())).rejects.toThrow(/unique|duplicate/i);
    await store.connections.insert(newRow({ workspace_id: null, bot_id: 'bot-x' }));
    await expect(store.connections.insert(newRow({ workspace_id: null, bot_id: 'bot-x' }))).rejects.toThrow(
      /unique|duplicate/i,
    );
    await store.connections.insert(newRow({ owner: 'someone-else' }));
    expect(await store.connections.softDelete(a.id)).toBe(true);
    const again = await store.connections.insert(newRow());
    expect(again.id).not.toBe(a.id);
  });

  it('rejects values outside the documented enumerations', async () => {
    await expect(store.connections.insert(newRow({ kind: 'bogus', bot_id: 'b9' }))).rejects.toThrow(/check/i);
  });

  it('is idempotent on reopen and keeps the data (restart)', async () => {
    const before = await store.connections.listLive('operator');
    expect(before.length).toBeGreaterThan(0);
    store = await store.reopen();
    expect(await store.migrate()).toEqual([]);
    expect(await store.executedMigrations()).toEqual(migrations.map((m) => m.name));
    const after = await store.connections.listLive('operator');
    expect(after.map((r) => r.id)).toEqual(before.map((r) => r.id));
  });
});
