import { Migration } from '@mikro-orm/migrations';

/**
 * The request path (idempotency, audit): idempotency records are scoped by principal + connection + operation and
 * carry a lease so a crashed first attempt does not block its key; audit rows are written before a write runs
 * (`success` null until it finishes) and record the principal, duration and job. No caller read the old
 * idempotency table, so it is recreated rather than converted.
 */
export class Migration20261130000000_request_path extends Migration {
  override name = 'Migration20261130000000_request_path';

  override up(): void {
    this.addSql(`drop table "idempotency_keys";`);
    this.addSql(`create table "idempotency_keys" (
      "scope" text not null,
      "key" text not null,
      "principal" text not null,
      "connection_id" uuid null,
      "operation" text not null,
      "request_hash" text not null,
      "status" text not null,
      "request_id" text not null,
      "locked_until" timestamptz null,
      "response_status" int null,
      "response_body" jsonb null,
      "created_at" timestamptz not null,
      "expires_at" timestamptz not null,
      primary key ("scope", "key"),
      constraint "idempotency_keys_status_check" check ("status" in ('in_progress', 'completed'))
    );`);
    this.addSql(`create index "idempotency_keys_expires_at_index" on "idempotency_keys" ("expires_at");`);

    this.addSql(`alter table "audit_log" drop constraint "audit_log_actor_check";`);
    this.addSql(
      `alter table "audit_log" add constraint "audit_log_actor_check" check ("actor" in ('chatgpt_action', 'chatgpt_mcp', 'operator', 'job'));`,
    );
    this.addSql(`alter table "audit_log" add column "principal" text not null default 'operator';`);
    this.addSql(`alter table "audit_log" alter column "principal" drop default;`);
    this.addSql(`alter table "audit_log" alter column "success" drop not null;`);
    this.addSql(`alter table "audit_log" add column "duration_ms" int null;`);
    this.addSql(`alter table "audit_log" add column "job_id" uuid null;`);
    this.addSql(`create index "audit_log_operation_created_index" on "audit_log" ("operation", "created_at");`);
  }

  override down(): void {
    this.addSql(`drop index "audit_log_operation_created_index";`);
    this.addSql(`alter table "audit_log" drop column "job_id";`);
    this.addSql(`alter table "audit_log" drop column "duration_ms";`);
    this.addSql(`alter table "audit_log" drop column "principal";`);
    this.addSql(`delete from "audit_log" where "success" is null or "actor" = 'job';`);
    this.addSql(`alter table "audit_log" alter column "success" set not null;`);
    this.addSql(`alter table "audit_log" drop constraint "audit_log_actor_check";`);
    this.addSql(
      `alter table "audit_log" add constraint "audit_log_actor_check" check ("actor" in ('chatgpt_action', 'chatgpt_mcp', 'operator'));`,
    );
    this.addSql(`drop table "idempotency_keys";`);
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
  }
}
