import { Migration } from '@mikro-orm/migrations';

/**
 * Body search: a full-text index of each connection's pages (title and Markdown body as a `tsvector` under GIN), and
 * per connection when it was built and the newest edit it holds (the sweep's watermark).
 */
export class Migration20261204040000_search_index extends Migration {
  override name = 'Migration20261204040000_search_index';

  override up(): void {
    this.addSql(
      `create table "search_pages" ("connection_id" uuid not null, "page_id" text not null, "title" text not null, "url" text not null, "last_edited_time" timestamptz not null, "body" text not null, "document" tsvector not null, "indexed_at" timestamptz not null, primary key ("connection_id", "page_id"));`,
    );
    this.addSql(`create index "search_pages_document_index" on "search_pages" using gin ("document");`);
    this.addSql(
      `create table "search_index_state" ("connection_id" uuid not null, "built_at" timestamptz null, "watermark" timestamptz null, "swept_at" timestamptz not null, primary key ("connection_id"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table "search_index_state";`);
    this.addSql(`drop table "search_pages";`);
  }
}
