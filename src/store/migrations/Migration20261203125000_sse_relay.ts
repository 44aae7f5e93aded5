import { Migration } from '@mikro-orm/migrations';

/**
 * Legacy SSE across replicas (src/store/sse-relay.ts): the sessions each gateway process holds, and the messages
 * another process received for them (relayed with NOTIFY, read and deleted by the holder). Embedded PGlite has the
 * tables too and leaves them empty (one process holds every session).
 */
export class Migration20261203125000_sse_relay extends Migration {
  override name = 'Migration20261203125000_sse_relay';

  override up(): void {
    this.addSql(
      `create table "mcp_sse_session" ("session_id" uuid not null, "replica_id" uuid not null, "bound" boolean not null, "principal_id" varchar(255) null, "grant_id" varchar(255) null, "opened_at" timestamptz not null default now(), "seen_at" timestamptz not null default now(), primary key ("session_id"));`,
    );
    this.addSql(`create index "mcp_sse_session_replica_id_index" on "mcp_sse_session" ("replica_id");`);
    this.addSql(
      `create table "mcp_sse_message" ("id" bigserial not null, "session_id" uuid not null, "kind" varchar(16) not null, "body" jsonb not null, "created_at" timestamptz not null default now(), primary key ("id"));`,
    );
    this.addSql(`create index "mcp_sse_message_session_id_index" on "mcp_sse_message" ("session_id", "id");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "mcp_sse_message";`);
    this.addSql(`drop table if exists "mcp_sse_session";`);
  }
}
