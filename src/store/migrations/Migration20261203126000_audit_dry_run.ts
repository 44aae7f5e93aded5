import { Migration } from '@mikro-orm/migrations';

/** An audit row says whether its write was a dry run (checked and previewed, nothing sent to Notion). */
export class Migration20261203126000_audit_dry_run extends Migration {
  override name = 'Migration20261203126000_audit_dry_run';

  override up(): void {
    this.addSql(`alter table "audit_log" add column "dry_run" boolean not null default false;`);
  }

  override down(): void {
    this.addSql(`alter table "audit_log" drop column "dry_run";`);
  }
}
