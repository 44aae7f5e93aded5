import { Migration } from '@mikro-orm/migrations';

/**
 * The Notion pace shared by every gateway process on one PostgreSQL: rate-limiter-flexible's RateLimiterPostgres
 * table, in the layout that library reads and writes (key, points, expire in epoch ms). Created here, not by the
 * library, so the schema stays owned by migrations. Embedded PGlite has it too and leaves it empty (one process,
 * paced in memory).
 */
export class Migration20261202000000_notion_pace extends Migration {
  override name = 'Migration20261202000000_notion_pace';

  override up(): void {
    this.addSql(
      `create table "notion_pace" ("key" varchar(255) not null, "points" int not null default 0, "expire" bigint null, primary key ("key"));`,
    );
  }

  override down(): void {
    this.addSql(`drop table if exists "notion_pace";`);
  }
}
