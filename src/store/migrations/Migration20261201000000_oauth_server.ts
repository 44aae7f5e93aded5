import { Migration } from '@mikro-orm/migrations';

/**
 * The OAuth 2.1 authorization server (src/auth): one table for every record oidc-provider keeps (clients, grants,
 * sessions, interactions, authorization codes, refresh tokens) plus the server's own signing and cookie keys.
 * Ids are hashed and payloads encrypted by the adapter, so a dump of this table holds no usable token or secret.
 */
export class Migration20261201000000_oauth_server extends Migration {
  override name = 'Migration20261201000000_oauth_server';

  override up(): void {
    this.addSql(`create table "oauth_records" (
      "model" text not null,
      "id" text not null,
      "payload" text not null,
      "grant_id" text null,
      "uid" text null,
      "expires_at" timestamptz null,
      "consumed_at" timestamptz null,
      "created_at" timestamptz not null,
      primary key ("model", "id")
    );`);
    this.addSql(`create index "oauth_records_grant_id_index" on "oauth_records" ("grant_id");`);
    this.addSql(`create index "oauth_records_model_uid_index" on "oauth_records" ("model", "uid");`);
    this.addSql(`create index "oauth_records_expires_at_index" on "oauth_records" ("expires_at");`);
  }

  override down(): void {
    this.addSql(`drop table if exists "oauth_records";`);
  }
}
