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
  /** Who asked (the operator, or an OAuth user). */
  principal?: string;
  /** Operation id (the MCP tool of the same name). */
  operation: string;
  method?: string | null;
  path?: string | null;
  notionIds?: string[];
  summary: string;
  success: boolean;
  errorCode?: string | null;
  durationMs?: number | null;
  jobId?: string | null;
  /** A dry run: checked and previewed, nothing written to Notion. */
  dryRun?: boolean;
}

/** What a write's audit row holds before it runs: the outcome is filled in by `finish`. */
export type AuditStart = Omit<AuditEntry, 'success' | 'errorCode' | 'durationMs'>;

export interface AuditOutcome {
  success: boolean;
  errorCode?: string | null;
  notionIds?: string[];
  summary?: string;
  connectionId?: string | null;
  method?: string | null;
  path?: string | null;
  durationMs: number;
  /** What the write changed, for undo. */
  beforeImage?: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** Only rows of this principal (every row when omitted: the operator's view). */
  principal?: string;
  connectionId?: string;
  operation?: string;
  requestId?: string;
  jobId?: string;
  since?: Date;
  until?: Date;
  /** Keyset cursor: rows strictly older than this (created_at, id) pair. */
  before?: { createdAt: Date; id: string };
  limit?: number;
}

export interface AuditRepository {
  /** A finished entry in one statement. */
  record(entry: AuditEntry): Promise<AuditRow>;
  /** The row of a write about to run (`success` null): written first, so an unauditable write never runs. */
  start(entry: AuditStart): Promise<AuditRow>;
  finish(id: string, outcome: AuditOutcome): Promise<void>;
  /** Newest first. */
  list(query?: AuditQuery): Promise<AuditRow[]>;
  /** One row of this principal, or null. */
  get(id: string, principal: string): Promise<AuditRow | null>;
  /**
   * Marks rows as reverted by the undo `undoneBy`, only those no other undo has taken (one statement, so two undos
   * racing cannot both take a row); returns the ids taken. `undoneBy: null` gives rows back (an undo that failed).
   */
  markUndone(ids: string[], undoneBy: string | null): Promise<string[]>;
}

export function createAuditRepository(fork: Fork): AuditRepository {
  const insert = async (entry: AuditStart & Partial<AuditEntry>) => {
    const em = fork();
    const row = em.create(AuditLogEntity, {
      id: randomUUID(),
      connection_id: entry.connectionId,
      request_id: entry.requestId,
      actor: entry.actor,
      principal: entry.principal ?? 'operator',
      operation: entry.operation,
      method: entry.method ?? null,
      path: entry.path ?? null,
      notion_ids: entry.notionIds ?? [],
      summary: entry.summary,
      success: entry.success ?? null,
      error_code: entry.errorCode ?? null,
      duration_ms: entry.durationMs ?? null,
      job_id: entry.jobId ?? null,
      dry_run: entry.dryRun ?? false,
      created_at: new Date(),
    });
    await em.flush();
    return plain(row);
  };
  return {
    record: insert,
    start: insert,
    async finish(id, outcome) {
      await fork().nativeUpdate(
        AuditLogEntity,
        { id },
        {
          success: outcome.success,
          error_code: outcome.errorCode ?? null,
          duration_ms: Math.round(outcome.durationMs),
          ...(outcome.notionIds ? { notion_ids: outcome.notionIds } : {}),
          ...(outcome.summary ? { summary: outcome.summary } : {}),
          ...(outcome.connectionId ? { connection_id: outcome.connectionId } : {}),
          ...(outcome.method ? { method: outcome.method } : {}),
          ...(outcome.path ? { path: outcome.path } : {}),
          ...(outcome.beforeImage ? { before_image: outcome.beforeImage } : {}),
        },
      );
    },
    async list(query = {}) {
      const where: Record<string, unknown>[] = [];
      if (query.principal) where.push({ principal: query.principal });
      if (query.connectionId) where.push({ connection_id: query.connectionId });
      if (query.operation) where.push({ operation: query.operation });
      if (query.requestId) where.push({ request_id: query.requestId });
      if (query.jobId) where.push({ job_id: query.jobId });
      if (query.since) where.push({ created_at: { $gte: query.since } });
      if (query.until) where.push({ created_at: { $lt: query.until } });
      if (query.before) {
        const { createdAt, id } = query.before;
        where.push({ $or: [{ created_at: { $lt: createdAt } }, { created_at: createdAt, id: { $lt: id } }] });
      }
      const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
      const rows = await fork().find(
        AuditLogEntity,
        { $and: where },
        { orderBy: { created_at: 'desc', id: 'desc' }, limit },
      );
      return rows.map(plain);
    },
    async get(id, principal) {
      const row = await fork().findOne(AuditLogEntity, { id, principal });
      return row ? plain(row) : null;
    },
    async markUndone(ids, undoneBy) {
      if (ids.length === 0) return [];
      const em = fork();
      if (undoneBy === null) {
        await em.nativeUpdate(AuditLogEntity, { id: { $in: ids } }, { undone_by: null });
        return ids;
      }
      await em.nativeUpdate(AuditLogEntity, { id: { $in: ids }, undone_by: null }, { undone_by: undoneBy });
      const taken = await em.find(AuditLogEntity, { id: { $in: ids }, undone_by: undoneBy }, { fields: ['id'] });
      return taken.map((row) => row.id);
    },
  };
}

// ───────────────────────────── idempotency_keys ─────────────────────────────

/** Whose key it is: the same key string of another caller, connection or operation is another record. */
export interface IdempotencyScope {
  principal: string;
  connectionId: string | null;
  operation: string;
  key: string;
}

export interface IdempotencyClaim {
  requestHash: string;
  requestId: string;
  /** How long the attempt holds the key before a retry may take it over (renewed by `heartbeat`). */
  leaseMs: number;
  /** How long the record (and so a replay) lives. */
  ttlMs: number;
}

export type IdempotencyClaimResult = { reserved: true } | { reserved: false; record: IdempotencyRow };

export interface IdempotencyRepository {
  /**
   * Race-proof claim in one statement: inserts an `in_progress` record, or takes over one whose TTL ran out, or one
   * whose attempt died (lease over) for the same request. Otherwise returns the record that holds the key.
   */
  claim(scope: IdempotencyScope, claim: IdempotencyClaim, now?: Date): Promise<IdempotencyClaimResult>;
  /** The live record, or null (absent or expired). */
  get(scope: IdempotencyScope, now?: Date): Promise<IdempotencyRow | null>;
  /** Extends the lease of an attempt still running; false when the attempt no longer holds the key. */
  heartbeat(scope: IdempotencyScope, requestId: string, leaseMs: number): Promise<boolean>;
  /** Stores the outcome to replay; only the attempt that holds the key can. */
  complete(
    scope: IdempotencyScope,
    requestId: string,
    response: { status: number; body: unknown },
    ttlMs: number,
  ): Promise<boolean>;
  /** Frees the key of an attempt that changed nothing (the caller may simply retry). */
  release(scope: IdempotencyScope, requestId: string): Promise<void>;
  purgeExpired(now?: Date): Promise<number>;
}

export const scopeOf = (s: IdempotencyScope): string => `${s.principal}\n${s.connectionId ?? '-'}\n${s.operation}`;

export function createIdempotencyRepository(fork: Fork): IdempotencyRepository {
  const get = async (scope: IdempotencyScope, now = new Date()) => {
    const row = await fork().findOne(IdempotencyKeyEntity, { scope: scopeOf(scope), key: scope.key });
    if (!row || row.expires_at.getTime() <= now.getTime()) return null;
    return plain(row);
  };
  return {
    get,
    async claim(scope, claim, now = new Date()) {
      const conn = fork().getConnection();
      const claimed = (await conn.execute(
        `insert into "idempotency_keys" ("scope", "key", "principal", "connection_id", "operation", "request_hash", "status", "request_id", "locked_until", "response_status", "response_body", "created_at", "expires_at")
         values (?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, null, null, ?, ?)
         on conflict ("scope", "key") do update set
           "request_hash" = excluded."request_hash", "status" = 'in_progress', "request_id" = excluded."request_id",
           "locked_until" = excluded."locked_until", "response_status" = null, "response_body" = null,
           "created_at" = excluded."created_at", "expires_at" = excluded."expires_at"
         where "idempotency_keys"."expires_at" <= ?
            or ("idempotency_keys"."status" = 'in_progress' and "idempotency_keys"."locked_until" <= ?
                and "idempotency_keys"."request_hash" = excluded."request_hash")
         returning "key"`,
        [
          scopeOf(scope),
          scope.key,
          scope.principal,
          scope.connectionId,
          scope.operation,
          claim.requestHash,
          claim.requestId,
          new Date(now.getTime() + claim.leaseMs),
          now,
          new Date(now.getTime() + claim.ttlMs),
          now,
          now,
        ],
        'all',
      )) as unknown[];
      if (claimed.length > 0) return { reserved: true };
      const record = await get(scope, now);
      // Purged between the two statements: claim again.
      if (!record) return this.claim(scope, claim, now);
      return { reserved: false, record };
    },
    async heartbeat(scope, requestId, leaseMs) {
      const n = await fork().nativeUpdate(
        IdempotencyKeyEntity,
        { scope: scopeOf(scope), key: scope.key, request_id: requestId, status: 'in_progress' },
        { locked_until: new Date(Date.now() + leaseMs) },
      );
      return n > 0;
    },
    async complete(scope, requestId, response, ttlMs) {
      const now = new Date();
      const n = await fork().nativeUpdate(
        IdempotencyKeyEntity,
        { scope: scopeOf(scope), key: scope.key, request_id: requestId, status: 'in_progress' },
        {
          status: 'completed',
          locked_until: null,
          response_status: response.status,
          response_body: response.body,
          expires_at: new Date(now.getTime() + ttlMs),
        },
      );
      return n > 0;
    },
    async release(scope, requestId) {
      await fork().nativeDelete(IdempotencyKeyEntity, {
        scope: scopeOf(scope),
        key: scope.key,
        request_id: requestId,
        status: 'in_progress',
      });
    },
    async purgeExpired(now = new Date()) {
      return fork().nativeDelete(IdempotencyKeyEntity, { expires_at: { $lte: now } });
    },
  };
}

// ───────────────────────────── jobs ─────────────────────────────

export interface NewJob {
  connectionId: string;
  principal: string;
  requestId: string | null;
  kind: string;
  args: unknown;
  progress?: unknown;
}

export type JobPatch = Partial<Pick<JobRow, 'status' | 'progress' | 'output' | 'error' | 'attempts'>>;

export interface JobRepository {
  create(job: NewJob): Promise<JobRow>;
  get(id: string): Promise<JobRow | null>;
  update(id: string, patch: JobPatch): Promise<JobRow | null>;
  /** Updates only while the job is in one of `from` (a cancelled job stays cancelled); null when it was not. */
  updateIf(id: string, from: JobStatus[], patch: JobPatch): Promise<JobRow | null>;
  /** Newest first. */
  list(query?: { principal?: string; connectionId?: string; status?: JobStatus; limit?: number }): Promise<JobRow[]>;
  /** Whether any job is queued or running (work a restarted process must take up). */
  hasUnfinished(): Promise<boolean>;
  /** Ids of the jobs queued or running (embedded start-up: what a stopped process may have held). */
  unfinishedIds(): Promise<string[]>;
  /** Queue depth and age for /metrics: counts by status and the oldest queued job's creation time. */
  queueStats(): Promise<{ queued: number; running: number; oldestQueuedAt: Date | null }>;
}

export function createJobRepository(fork: Fork): JobRepository {
  const get = async (id: string) => {
    const row = await fork().findOne(JobEntity, { id });
    return row ? plain(row) : null;
  };
  return {
    async create(job) {
      const em = fork();
      const now = new Date();
      const row = em.create(JobEntity, {
        id: randomUUID(),
        connection_id: job.connectionId,
        principal: job.principal,
        request_id: job.requestId,
        kind: job.kind,
        status: 'queued',
        progress: job.progress ?? null,
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
    get,
    async update(id, patch) {
      const n = await fork().nativeUpdate(JobEntity, { id }, { ...patch, updated_at: new Date() });
      return n > 0 ? get(id) : null;
    },
    async updateIf(id, from, patch) {
      const n = await fork().nativeUpdate(
        JobEntity,
        { id, status: { $in: from } },
        { ...patch, updated_at: new Date() },
      );
      return n > 0 ? get(id) : null;
    },
    async list(query = {}) {
      const where: Record<string, unknown> = {};
      if (query.principal) where.principal = query.principal;
      if (query.connectionId) where.connection_id = query.connectionId;
      if (query.status) where.status = query.status;
      const rows = await fork().find(JobEntity, where, {
        orderBy: { created_at: 'desc', id: 'desc' },
        limit: Math.min(query.limit ?? 100, 1000),
      });
      return rows.map(plain);
    },
    async hasUnfinished() {
      return (await fork().count(JobEntity, { status: { $in: ['queued', 'running'] } })) > 0;
    },
    async unfinishedIds() {
      const rows = await fork().find(JobEntity, { status: { $in: ['queued', 'running'] } }, { fields: ['id'] });
      return rows.map((row) => row.id);
    },
    async queueStats() {
      const em = fork();
      const [queued, running, oldest] = await Promise.all([
        em.count(JobEntity, { status: 'queued' }),
        em.count(JobEntity, { status: 'running' }),
        em.findOne(JobEntity, { status: 'queued' }, { orderBy: { created_at: 'asc' }, fields: ['id', 'created_at'] }),
      ]);
      return { queued, running, oldestQueuedAt: oldest?.created_at ?? null };
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
