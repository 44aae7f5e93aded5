/**
 * MikroORM entity definitions (no decorators: `defineEntity`, so Node's type stripping runs them as they are).
 * Property names are the column names (snake_case) so raw SQL, JSON dumps and entities read the same.
 * The schema itself is owned by the committed migrations in ./migrations: entities only describe it, and
 * test/store/migrations.test.ts checks that the two never drift apart.
 */
import { defineEntity, p } from '@mikro-orm/core';

export type ConnectionKind = 'internal' | 'oauth';
export type AuditActor = 'chatgpt_action' | 'chatgpt_mcp' | 'operator' | 'job';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
export type IdempotencyStatus = 'in_progress' | 'completed';

export const ConnectionEntity = defineEntity({
  name: 'Connection',
  tableName: 'connections',
  properties: {
    id: p.uuid().primary(),
    kind: p.text().$type<ConnectionKind>(),
    owner: p.text(),
    workspace_id: p.text().nullable(),
    workspace_name: p.text().nullable(),
    workspace_icon: p.text().nullable(),
    bot_id: p.text().nullable(),
    access_token_enc: p.text(),
    refresh_token_enc: p.text().nullable(),
    token_expires_at: p.datetime().nullable(),
    key_id: p.text(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
    deleted_at: p.datetime().nullable(),
  },
  checks: [{ name: 'connections_kind_check', expression: `"kind" in ('internal', 'oauth')` }],
  indexes: [
    {
      name: 'connections_live_identity_unique',
      expression:
        'create unique index "connections_live_identity_unique" on "connections" ("owner", "workspace_id", "bot_id") nulls not distinct where "deleted_at" is null',
    },
    {
      name: 'connections_owner_live_index',
      expression:
        'create index "connections_owner_live_index" on "connections" ("owner", "created_at") where "deleted_at" is null',
    },
    { name: 'connections_key_id_index', properties: ['key_id'] },
  ],
});

export const AuditLogEntity = defineEntity({
  name: 'AuditLog',
  tableName: 'audit_log',
  properties: {
    id: p.uuid().primary(),
    connection_id: p.uuid().nullable(),
    request_id: p.text(),
    actor: p.text().$type<AuditActor>(),
    operation: p.text(),
    method: p.text().nullable(),
    path: p.text().nullable(),
    notion_ids: p.json<string[]>(),
    summary: p.text(),
    /** null while the write runs (the row is written before Notion is touched), or when the process died. */
    success: p.boolean().nullable(),
    error_code: p.text().nullable(),
    created_at: p.datetime(),
    principal: p.text(),
    duration_ms: p.integer().nullable(),
    job_id: p.uuid().nullable(),
    /** The write was a dry run: checked and previewed, nothing sent to Notion. */
    dry_run: p.boolean().default(false),
    /** What the write changed, for undo (src/engine/pipeline/before-image.ts); null when it changed nothing. */
    before_image: p.json<Record<string, unknown>>().nullable(),
    /** The audit row of the undo that reverted this write. */
    undone_by: p.uuid().nullable(),
  },
  checks: [
    { name: 'audit_log_actor_check', expression: `"actor" in ('chatgpt_action', 'chatgpt_mcp', 'operator', 'job')` },
  ],
  indexes: [
    { name: 'audit_log_connection_created_index', properties: ['connection_id', 'created_at'] },
    { name: 'audit_log_operation_created_index', properties: ['operation', 'created_at'] },
    { name: 'audit_log_request_id_index', properties: ['request_id'] },
    { name: 'audit_log_created_at_index', properties: ['created_at'] },
    { name: 'audit_log_job_id_index', properties: ['job_id'] },
  ],
});

export const IdempotencyKeyEntity = defineEntity({
  name: 'IdempotencyKey',
  tableName: 'idempotency_keys',
  properties: {
    /** principal + connection + operation: a key only ever replays for the same caller, workspace and operation. */
    scope: p.text().primary(),
    key: p.text().primary(),
    principal: p.text(),
    connection_id: p.uuid().nullable(),
    operation: p.text(),
    request_hash: p.text(),
    status: p.text().$type<IdempotencyStatus>(),
    /** The first request's id (replays and conflicts name it). */
    request_id: p.text(),
    /** While in progress: after this instant the attempt is presumed dead and its key may be taken over. */
    locked_until: p.datetime().nullable(),
    response_status: p.integer().nullable(),
    response_body: p.json<unknown>().nullable(),
    created_at: p.datetime(),
    expires_at: p.datetime(),
  },
  checks: [{ name: 'idempotency_keys_status_check', expression: `"status" in ('in_progress', 'completed')` }],
  indexes: [{ name: 'idempotency_keys_expires_at_index', properties: ['expires_at'] }],
});

export const JobEntity = defineEntity({
  name: 'Job',
  tableName: 'jobs',
  properties: {
    id: p.uuid().primary(),
    connection_id: p.uuid(),
    kind: p.text(),
    status: p.text().$type<JobStatus>(),
    progress: p.json<unknown>().nullable(),
    args: p.json<unknown>(),
    output: p.json<unknown>().nullable(),
    error: p.json<unknown>().nullable(),
    attempts: p.integer(),
    created_at: p.datetime(),
    updated_at: p.datetime(),
    /** Who started it: only they may read or cancel it. */
    principal: p.text(),
    request_id: p.text().nullable(),
  },
  checks: [
    {
      name: 'jobs_status_check',
      expression: `"status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled')`,
    },
  ],
  indexes: [
    { name: 'jobs_connection_created_index', properties: ['connection_id', 'created_at'] },
    { name: 'jobs_principal_created_index', properties: ['principal', 'created_at'] },
    { name: 'jobs_status_created_index', properties: ['status', 'created_at'] },
  ],
});

export const OsStateEntity = defineEntity({
  name: 'OsState',
  tableName: 'os_state',
  properties: {
    connection_id: p.uuid().primary(),
    root_page_id: p.text().nullable(),
    spec_version: p.text().nullable(),
    created_ids: p.json<Record<string, unknown>>(),
    updated_at: p.datetime(),
  },
});

export const UpsertKeyEntity = defineEntity({
  name: 'UpsertKey',
  tableName: 'upsert_keys',
  properties: {
    connection_id: p.uuid().primary(),
    data_source_id: p.text().primary(),
    unique_key: p.text().primary(),
    page_id: p.text().nullable(),
    created_at: p.datetime(),
  },
  indexes: [{ name: 'upsert_keys_page_id_index', properties: ['page_id'] }],
});

export const OAuthStateEntity = defineEntity({
  name: 'OAuthState',
  tableName: 'oauth_states',
  properties: {
    id: p.text().primary(),
    owner: p.text(),
    return_url: p.text().nullable(),
    connection_hint: p.text().nullable(),
    created_at: p.datetime(),
    expires_at: p.datetime(),
    used_at: p.datetime().nullable(),
  },
  indexes: [{ name: 'oauth_states_expires_at_index', properties: ['expires_at'] }],
});

/**
 * The OAuth 2.1 authorization server's records (src/auth): clients, grants, sessions, interactions, codes, refresh
 * tokens, signing keys. `id` is a SHA-256 of the library's id (token values are ids), `payload` is the record's JSON
 * encrypted with the token cipher; `grant_id` and `uid` are the lookups the library needs besides the id.
 */
export const OAuthRecordEntity = defineEntity({
  name: 'OAuthRecord',
  tableName: 'oauth_records',
  properties: {
    model: p.text().primary(),
    id: p.text().primary(),
    payload: p.text(),
    grant_id: p.text().nullable(),
    uid: p.text().nullable(),
    expires_at: p.datetime().nullable(),
    consumed_at: p.datetime().nullable(),
    created_at: p.datetime(),
  },
  indexes: [
    { name: 'oauth_records_grant_id_index', properties: ['grant_id'] },
    { name: 'oauth_records_model_uid_index', properties: ['model', 'uid'] },
    { name: 'oauth_records_expires_at_index', properties: ['expires_at'] },
  ],
});

/**
 * The shared Notion pace on PostgreSQL: rate-limiter-flexible's RateLimiterPostgres table (its own column layout, one
 * row per connection's window), read and written by that library only (src/notion/pacer.ts, wired in app.ts).
 */
export const NotionPaceEntity = defineEntity({
  name: 'NotionPace',
  tableName: 'notion_pace',
  properties: {
    key: p.string().length(255).primary(),
    points: p.integer().default(0),
    expire: p.bigint('number').nullable(),
  },
});

/**
 * Legacy SSE sessions each gateway process holds, and messages relayed to them from other processes on one
 * PostgreSQL (src/store/sse-relay.ts reads and writes both with plain SQL).
 */
export const McpSseSessionEntity = defineEntity({
  name: 'McpSseSession',
  tableName: 'mcp_sse_session',
  properties: {
    session_id: p.uuid().primary(),
    replica_id: p.uuid().index('mcp_sse_session_replica_id_index'),
    bound: p.boolean(),
    principal_id: p.string().length(255).nullable(),
    grant_id: p.string().length(255).nullable(),
    opened_at: p.datetime().defaultRaw('now()'),
    seen_at: p.datetime().defaultRaw('now()'),
  },
});

export const McpSseMessageEntity = defineEntity({
  name: 'McpSseMessage',
  tableName: 'mcp_sse_message',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    session_id: p.uuid(),
    kind: p.string().length(16),
    body: p.json<unknown>(),
    created_at: p.datetime().defaultRaw('now()'),
  },
  indexes: [{ name: 'mcp_sse_message_session_id_index', properties: ['session_id', 'id'] }],
});

/**
 * The body search index (src/store/search-index.ts): one row per page a connection shares, with a bounded copy of its
 * Markdown for snippets and its `tsvector` (title weighted A, body B) under a GIN index. Never a token.
 */
export const SearchPageEntity = defineEntity({
  name: 'SearchPage',
  tableName: 'search_pages',
  properties: {
    connection_id: p.uuid().primary(),
    page_id: p.text().primary(),
    title: p.text(),
    url: p.text(),
    last_edited_time: p.datetime(),
    body: p.text(),
    document: p.type('unknown').columnType('tsvector'),
    indexed_at: p.datetime(),
  },
  indexes: [
    {
      name: 'search_pages_document_index',
      expression: 'create index "search_pages_document_index" on "search_pages" using gin ("document")',
    },
  ],
});

/** Per connection: when its index was first built (null → cold) and the newest last_edited_time it holds. */
export const SearchIndexStateEntity = defineEntity({
  name: 'SearchIndexState',
  tableName: 'search_index_state',
  properties: {
    connection_id: p.uuid().primary(),
    built_at: p.datetime().nullable(),
    watermark: p.datetime().nullable(),
    swept_at: p.datetime(),
  },
});

export const entities = [
  ConnectionEntity,
  AuditLogEntity,
  IdempotencyKeyEntity,
  JobEntity,
  OsStateEntity,
  UpsertKeyEntity,
  OAuthStateEntity,
  OAuthRecordEntity,
  NotionPaceEntity,
  McpSseSessionEntity,
  McpSseMessageEntity,
  SearchPageEntity,
  SearchIndexStateEntity,
];
