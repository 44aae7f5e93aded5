/**
 * Plain repositories over the entities. Each call forks its own EntityManager, so they are safe to share across
 * concurrent requests. Rows come back as plain objects typed from the entity definitions.
 */
import { randomUUID } from 'node:crypto';
import type { EntityManager, InferEntity } from '@mikro-orm/core';
import {
  type AuditActor,
  AuditLogEntity,
  ConnectionEntity,
  IdempotencyKeyEntity,
  type IdempotencyStatus,
  JobEntity,
  type JobStatus,
  OAuthStateEntity,
  OsStateEntity,
  UpsertKeyEntity,
} from './entities.ts';

export type ConnectionRow = InferEntity<typeof ConnectionEntity>;
export type AuditRow = InferEntity<typeof AuditLogEntity>;
export type IdempotencyRow = InferEntity<typeof IdempotencyKeyEntity>;
export type JobRow = InferEntity<typeof JobEntity>;
export type OsStateRow = InferEntity<typeof OsStateEntity>;
export type UpsertKeyRow = InferEntity<typeof UpsertKeyEntity>;
export type OAuthStateRow = InferEntity<typeof OAuthStateEntity>;

type Fork = () => EntityManager;

const plain = <T extends object>(row: T): T => ({ ...row });

// ───────────────────────────── connections ─────────────────────────────

export interface NewConnectionRow {
  id?: string;
  kind: ConnectionRow['kind'];
  owner: string;
  workspace_id: string | null;
  workspace_name: string | null;
  workspace_icon: string | null;
  bot_id: string | null;
  access_token_enc: string;
  refresh_token_enc: string | null;
  token_expires_at: Date | null;
  key_id: string;
}

export type ConnectionPatch = Partial<Omit<NewConnectionRow, 'id' | 'owner'>>;

export interface ConnectionRows {
  /** Live (not deleted) connections, oldest first; of one owner when given. */
  listLive(owner?: string): Promise<ConnectionRow[]>;
  /** Every row including deleted ones (rotation, startup key checks). */
  listAll(): Promise<ConnectionRow[]>;
  find(id: string, opts?: { includeDeleted?: boolean }): Promise<ConnectionRow | null>;
  findLiveByIdentity(owner: string, workspaceId: string | null, botId: string | null): Promise<ConnectionRow | null>;
  insert(row: NewConnectionRow): Promise<ConnectionRow>;
  /** Updates a live row; returns the updated row, or null when it is missing or deleted. */
  update(id: string, patch: ConnectionPatch): Promise<ConnectionRow | null>;
  /** Compare-and-set on the access-token ciphertext (refresh races): true when this caller won. */
  updateIfToken(id: string, expectedAccessTokenEnc: string, patch: ConnectionPatch): Promise<boolean>;
  /** Soft delete; the stored ciphertexts are wiped (a deleted connection keeps no secret). */
  softDelete(id: string): Promise<boolean>;
  /** Distinct key ids used by rows that still hold a ciphertext, with a row count each. */
  keyIdsInUse(): Promise<{ key_id: string; rows: number }[]>;
}

export function createConnectionRows(fork: Fork): ConnectionRows {
  const updateWhere = async (where: Record<string, unknown>, patch: ConnectionPatch): Promise<number> =>
    fork().nativeUpdate(ConnectionEntity, where, { ...patch, updated_at: new Date() });

  return {
    async listLive(owner) {
      const where = owner === undefined ? { deleted_at: null } : { owner, deleted_at: null };
      const rows = await fork().find(ConnectionEntity, where, { orderBy: { created_at: 'asc', id: 'asc' } });
      return rows.map(plain);
    },
    async listAll() {
      const rows = await fork().find(ConnectionEntity, {}, { orderBy: { created_at: 'asc', id: 'asc' } });
      return rows.map(plain);
    },
    async find(id, opts) {
      const where = opts?.includeDeleted ? { id } : { id, deleted_at: null };
      const row = await fork().findOne(ConnectionEntity, where);
      return row ? plain(row) : null;
    },
    async findLiveByIdentity(owner, workspaceId, botId) {
      const row = await fork().findOne(ConnectionEntity, {
        owner,
        workspace_id: workspaceId,
        bot_id: botId,
        deleted_at: null,
      });
      return row ? plain(row) : null;
    },
    async insert(row) {
      const em = fork();
      const now = new Date();
      const entity = em.create(ConnectionEntity, {
        ...row,
        id: row.id ?? randomUUID(),
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
      await em.flush();
      return plain(entity);
    },
    async update(id, patch) {
      const n = await updateWhere({ id, deleted_at: null }, patch);
      if (n === 0) return null;
      return this.find(id);
    },
    async updateIfToken(id, expected, patch) {
      return (await updateWhere({ id, deleted_at: null, access_token_enc: expected }, patch)) > 0;
    },
    async softDelete(id) {
      const now = new Date();
      const n = await fork().nativeUpdate(
        ConnectionEntity,
        { id, deleted_at: null },
        { deleted_at: now, updated_at: now, access_token_enc: '', refresh_token_enc: null, token_expires_at: null },
      );
      return n > 0;
    },
    async keyIdsInUse() {
      const rows = (await fork()
        .getConnection()
        .execute(
          `select "key_id", count(*)::int as "rows" from "connections" where "access_token_enc" <> '' group by "key_id" order by "key_id"`,
          [],
          'all',
        )) as { key_id: string; rows: number }[];
      return rows.map((r) => ({ key_id: r.key_id, rows: Number(r.rows) }));
    },
  };
}

// ───────────────────────────── audit_log ─────────────────────────────

export interface AuditEntry {
  connectionId: string | null;
  requestId: string;
  actor: AuditActor;
  /** Tool name (MCP) or operation id (REST). */
  operation: string;
  method?: string | null;
  path?: string | null;
  notionIds?: string[];
  summary: string;
  success: boolean;
  errorCode?: string | null;
}

export interface AuditRepository {
  record(entry: AuditEntry): Promise<AuditRow>;
  /** Newest first. */
  list(query?: { connectionId?: string; requestId?: string; limit?: number }): Promise<AuditRow[]>;
}

export function createAuditRepository(fork: Fork): AuditRepository {
  return {
    async record(entry) {
      const em = fork();
      const row = em.create(AuditLogEntity, {
        id: randomUUID(),
        connection_id: entry.connectionId,
        request_id: entry.requestId,
        actor: entry.actor,
        operation: entry.operation,
        method: entry.method ?? null,
        path: entry.path ?? null,
        notion_ids: entry.notionIds ?? [],
        summary: entry.summary,
        success: entry.success,
        error_code: entry.errorCode ?? null,
        created_at: new Date(),
      });
      await em.flush();
      return plain(row);
    },
    async list(query = {}) {
      const where: Record<string, unknown> = {};
      if (query.connectionId) where.connection_id = query.connectionId;
      if (query.requestId) where.request_id = query.requestId;
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
      const rows = await fork().find(AuditLogEntity, where, { orderBy: { created_at: 'desc', id: 'desc' }, limit });
      return rows.map(plain);
    },
  };
}

// ───────────────────────────── idempotency_keys ─────────────────────────────

export interface IdempotencyPut {
  connectionId: string;
  key: string;
  operation: string;
  requestHash: string;
  status?: IdempotencyStatus;
  responseStatus?: number | null;
  responseBody?: unknown;
  /** Time to live from now, in milliseconds (default 24 h). */
  ttlMs?: number;
}

export interface IdempotencyRepository {
  /** The live record, or null (absent or expired). */
  get(connectionId: string, key: string, now?: Date): Promise<IdempotencyRow | null>;
  /** Insert or overwrite a record (response stored), resetting its expiry. */
  put(entry: IdempotencyPut): Promise<IdempotencyRow>;
  /**
   * Race-proof reservation: inserts an `in_progress` record when none is live. Returns `{ reserved: true }` for the
   * caller that inserted it, otherwise the existing record.
   */
  reserve(entry: IdempotencyPut): Promise<{ reserved: boolean; record: IdempotencyRow }>;
  delete(connectionId: string, key: string): Promise<void>;
  purgeExpired(now?: Date): Promise<number>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function createIdempotencyRepository(fork: Fork): IdempotencyRepository {
  const get = async (connectionId: string, key: string, now = new Date()) => {
    const row = await fork().findOne(IdempotencyKeyEntity, { connection_id: connectionId, key });
    if (!row || row.expires_at.getTime() <= now.getTime()) return null;
    return plain(row);
  };
  return {
    get,
    async put(entry) {
      const now = new Date();
      const data = {
        connection_id: entry.connectionId,
        key: entry.key,
        operation: entry.operation,
        request_hash: entry.requestHash,
        status: entry.status ?? 'completed',
        response_status: entry.responseStatus ?? null,
        response_body: entry.responseBody ?? null,
        created_at: now,
        expires_at: new Date(now.getTime() + (entry.ttlMs ?? DAY_MS)),
      } satisfies IdempotencyRow;
      const row = await fork().upsert(IdempotencyKeyEntity, data, {
        onConflictFields: ['connection_id', 'key'],
        onConflictAction: 'merge',
      });
      return plain(row);
    },
    async reserve(entry) {
      const now = new Date();
      const expires = new Date(now.getTime() + (entry.ttlMs ?? DAY_MS));
      const conn = fork().getConnection();
      // Take over an expired record, insert a new one, or leave a live one alone — in one statement.
      const inserted = (await conn.execute(
        `insert into "idempotency_keys" ("connection_id", "key", "operation", "request_hash", "status", "response_status", "response_body", "created_at", "expires_at")
         values (?, ?, ?, ?, 'in_progress', null, null, ?, ?)
         on conflict ("connection_id", "key") do update set
           "operation" = excluded."operation", "request_hash" = excluded."request_hash", "status" = 'in_progress',
           "response_status" = null, "response_body" = null, "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
         where "idempotency_keys"."expires_at" <= ?
         returning "key"`,
        [entry.connectionId, entry.key, entry.operation, entry.requestHash, now, expires, now],
        'all',
      )) as unknown[];
      const record = await get(entry.connectionId, entry.key, now);
      if (!record) throw new Error('idempotency reservation vanished');
      return { reserved: inserted.length > 0, record };
    },
    async delete(connectionId, key) {
      await fork().nativeDelete(IdempotencyKeyEntity, { connection_id: connectionId, key });
    },
    async purgeExpired(now = new Date()) {
      return fork().nativeDelete(IdempotencyKeyEntity, { expires_at: { $lte: now } });
    },
  };
}

// ───────────────────────────── jobs ─────────────────────────────

export interface JobRepository {
  create(job: { connectionId: string; kind: string; args: unknown }): Promise<JobRow>;
  get(id: string): Promise<JobRow | null>;
  update(
    id: string,
    patch: Partial<Pick<JobRow, 'status' | 'progress' | 'output' | 'error' | 'attempts'>>,
  ): Promise<JobRow | null>;
  list(query?: { connectionId?: string; status?: JobStatus; limit?: number }): Promise<JobRow[]>;
}

export function createJobRepository(fork: Fork): JobRepository {
  return {
    async create(job) {
      const em = fork();
      const now = new Date();
      const row = em.create(JobEntity, {
        id: randomUUID(),
        connection_id: job.connectionId,
        kind: job.kind,
        status: 'queued',
        progress: null,
        args: job.args ?? {},
        output: null,
        error: null,
        attempts: 0,
        created_at: now,
        updated_at: now,
      });
      await em.flush();
      return plain(row);
    },
    async get(id) {
      const row = await fork().findOne(JobEntity, { id });
      return row ? plain(row) : null;
    },
    async update(id, patch) {
      const n = await fork().nativeUpdate(JobEntity, { id }, { ...patch, updated_at: new Date() });
      return n > 0 ? this.get(id) : null;
    },
    async list(query = {}) {
      const where: Record<string, unknown> = {};
      if (query.connectionId) where.connection_id = query.connectionId;
      if (query.status) where.status = query.status;
      const rows = await fork().find(JobEntity, where, {
        orderBy: { created_at: 'desc', id: 'desc' },
        limit: Math.min(query.limit ?? 100, 1000),
      });
      return rows.map(plain);
    },
  };
}

// ───────────────────────────── os_state ─────────────────────────────

export interface OsStateRepository {
  get(connectionId: string): Promise<OsStateRow | null>;
  put(state: {
    connectionId: string;
    rootPageId?: string | null;
    specVersion?: string | null;
    createdIds?: Record<string, unknown>;
  }): Promise<OsStateRow>;
}

export function createOsStateRepository(fork: Fork): OsStateRepository {
  return {
    async get(connectionId) {
      const row = await fork().findOne(OsStateEntity, { connection_id: connectionId });
      return row ? plain(row) : null;
    },
    async put(state) {
      const row = await fork().upsert(
        OsStateEntity,
        {
          connection_id: state.connectionId,
          root_page_id: state.rootPageId ?? null,
          spec_version: state.specVersion ?? null,
          created_ids: state.createdIds ?? {},
          updated_at: new Date(),
        },
        { onConflictFields: ['connection_id'], onConflictAction: 'merge' },
      );
      return plain(row);
    },
  };
}

// ───────────────────────────── upsert_keys ─────────────────────────────

export interface UpsertKeyRepository {
  /** Claims (connection, data source, unique key). `reserved: false` → someone holds it; `row` says what they stored. */
  reserve(
    connectionId: string,
    dataSourceId: string,
    uniqueKey: string,
  ): Promise<{ reserved: boolean; row: UpsertKeyRow }>;
  setPage(connectionId: string, dataSourceId: string, uniqueKey: string, pageId: string): Promise<void>;
  find(connectionId: string, dataSourceId: string, uniqueKey: string): Promise<UpsertKeyRow | null>;
  release(connectionId: string, dataSourceId: string, uniqueKey: string): Promise<void>;
}

export function createUpsertKeyRepository(fork: Fork): UpsertKeyRepository {
  const find = async (connectionId: string, dataSourceId: string, uniqueKey: string) => {
    const row = await fork().findOne(UpsertKeyEntity, {
      connection_id: connectionId,
      data_source_id: dataSourceId,
      unique_key: uniqueKey,
    });
    return row ? plain(row) : null;
  };
  return {
    async reserve(connectionId, dataSourceId, uniqueKey) {
      const inserted = (await fork()
        .getConnection()
        .execute(
          `insert into "upsert_keys" ("connection_id", "data_source_id", "unique_key", "page_id", "created_at")
           values (?, ?, ?, null, ?) on conflict do nothing returning "unique_key"`,
          [connectionId, dataSourceId, uniqueKey, new Date()],
          'all',
        )) as unknown[];
      const row = await find(connectionId, dataSourceId, uniqueKey);
      if (!row) throw new Error('upsert key reservation vanished');
      return { reserved: inserted.length > 0, row };
    },
    async setPage(connectionId, dataSourceId, uniqueKey, pageId) {
      await fork().nativeUpdate(
        UpsertKeyEntity,
        { connection_id: connectionId, data_source_id: dataSourceId, unique_key: uniqueKey },
        { page_id: pageId },
      );
    },
    find,
    async release(connectionId, dataSourceId, uniqueKey) {
      await fork().nativeDelete(UpsertKeyEntity, {
        connection_id: connectionId,
        data_source_id: dataSourceId,
        unique_key: uniqueKey,
      });
    },
  };
}

// ───────────────────────────── oauth_states ─────────────────────────────

export interface OAuthStateRepository {
  create(row: Omit<OAuthStateRow, 'created_at' | 'used_at'>): Promise<OAuthStateRow>;
  find(id: string): Promise<OAuthStateRow | null>;
  /** Marks the state used, atomically: true only for the first caller, and only while unexpired. */
  consume(id: string, now?: Date): Promise<boolean>;
  purgeExpired(now?: Date): Promise<number>;
}

export function createOAuthStateRepository(fork: Fork): OAuthStateRepository {
  return {
    async create(data) {
      const em = fork();
      const row = em.create(OAuthStateEntity, { ...data, created_at: new Date(), used_at: null });
      await em.flush();
      return plain(row);
    },
    async find(id) {
      const row = await fork().findOne(OAuthStateEntity, { id });
      return row ? plain(row) : null;
    },
    async consume(id, now = new Date()) {
      const n = await fork().nativeUpdate(
        OAuthStateEntity,
        { id, used_at: null, expires_at: { $gt: now } },
        { used_at: now },
      );
      return n > 0;
    },
    async purgeExpired(now = new Date()) {
      return fork().nativeDelete(OAuthStateEntity, { expires_at: { $lte: now } });
    },
  };
}
