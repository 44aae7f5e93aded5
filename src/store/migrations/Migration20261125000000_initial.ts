import { Migration } from '@mikro-orm/migrations';

/**
 * Initial schema (seed spec §9 plus what the gateway needs around it). Hand-checked against the SQL MikroORM
 * derives from src/store/entities.ts; test/store/migrations.test.ts fails when the two drift apart.
 * Runs unchanged on PGlite (PostgreSQL 17 in WASM) and PostgreSQL ≥ 15 (`nulls not distinct` needs 15).
 */
export class Migration20261125000000_initial extends Migration {
  override name = 'Migration20261125000000_initial';

  override up(): void {
    this.addSql(`create table "connections" (
      "id" uuid not null,
      "kind" text not null,
      "owner" text not null,
      "workspace_id" text null,
      "workspace_name" text null,
      "workspace_icon" text null,
      "bot_id" text null,
      "access_token_enc" text not null,
      "refresh_token_enc" text null,
      "token_expires_at" timestamptz null,
      "key_id" text not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      "deleted_at" timestamptz null,
      primary key ("id"),
      constraint "connections_kind_check" check ("kind" in ('internal', 'oauth'))
    );`);
    this.addSql(
      `create unique index "connections_live_identity_unique" on "connections" ("owner", "workspace_id", "bot_id") nulls not distinct where "deleted_at" is null;`,
    );
    this.addSql(
      `create index "connections_owner_live_index" on "connections" ("owner", "created_at") where "deleted_at" is null;`,
    );
    this.addSql(`create index "connections_key_id_index" on "connections" ("key_id");`);

    this.addSql(`create table "audit_log" (
      "id" uuid not null,
      "connection_id" uuid null,
      "request_id" text not null,
      "actor" text not null,
      "operation" text not null,
      "method" text null,
      "path" text null,
      "notion_ids" jsonb not null,
      "summary" text not null,
      "success" boolean not null,
      "error_code" text null,
      "created_at" timestamptz not null,
      primary key ("id"),
      constraint "audit_log_actor_check" check ("actor" in ('chatgpt_action', 'chatgpt_mcp', 'operator'))
    );`);
    this.addSql(`create index "audit_log_connection_created_index" on "audit_log" ("connection_id", "created_at");`);
    this.addSql(`create index "audit_log_request_id_index" on "audit_log" ("request_id");`);
    this.addSql(`create index "audit_log_created_at_index" on "audit_log" ("created_at");`);

    this.addSql(`create table "idempotency_keys" (
      "connection_id" uuid not null,
      "key" text not null,
      "operation" text not null,
      "request_hash" text not null,
      "status" text not null,
      "response_status" int null,
      "response_body" jsonb null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      primary key ("connection_id", "key"),
      constraint "idempotency_keys_status_check" check ("status" in ('in_progress', 'completed'))
    );`);
    this.addSql(`create index "idempotency_keys_expires_at_index" on "idempotency_keys" ("expires_at");`);

    this.addSql(`create table "jobs" (
      "id" uuid not null,
      "connection_id" uuid not null,
      "kind" text not null,
      "status" text not null,
      "progress" jsonb null,
      "args" jsonb not null,
      "output" jsonb null,
      "error" jsonb null,
      "attempts" int not null,
      "created_at" timestamptz not null,
      "updated_at" timestamptz not null,
      primary key ("id"),
      constraint "jobs_status_check" check ("status" in ('queued', 'running', 'succeeded', 'failed'))
    );`);
    this.addSql(`create index "jobs_connection_created_index" on "jobs" ("connection_id", "created_at");`);
    this.addSql(`create index "jobs_status_created_index" on "jobs" ("status", "created_at");`);

    this.addSql(`create table "os_state" (
      "connection_id" uuid not null,
      "root_page_id" text null,
      "spec_version" text null,
      "created_ids" jsonb not null,
      "updated_at" timestamptz not null,
      primary key ("connection_id")
    );`);

    this.addSql(`create table "upsert_keys" (
      "connection_id" uuid not null,
      "data_source_id" text not null,
      "unique_key" text not null,
      "page_id" text null,
      "created_at" timestamptz not null,
      primary key ("connection_id", "data_source_id", "unique_key")
    );`);
    this.addSql(`create index "upsert_keys_page_id_index" on "upsert_keys" ("page_id");`);

    this.addSql(`create table "oauth_states" (
      "id" text not null,
      "owner" text not null,
      "return_url" text null,
      "connection_hint" text null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      "used_at" timestamptz null,
      primary key ("id")
    );`);
    this.addSql(`create index "oauth_states_expires_at_index" on "oauth_states" ("expires_at");`);
  }

  override down(): void {
    for (const table of [
      'oauth_states',
      'upsert_keys',
      'os_state',
      'jobs',
      'idempotency_keys',
      'audit_log',
      'connections',
    ]) {
      this.addSql(`drop table if exists "${table}";`);
    }
  }
}
