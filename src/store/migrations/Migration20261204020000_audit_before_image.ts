import { Migration } from '@mikro-orm/migrations';

/**
 * Undo: an audit row keeps the before-image of what its write changed, and which undo (another audit row) reverted
 * it; the rows of one job are found by job id.
 */
export class Migration20261204020000_audit_before_image extends Migration {
  override name = 'Migration20261204020000_audit_before_image';

  override up(): void {
    this.addSql(`alter table "audit_log" add column "before_image" jsonb null, add column "undone_by" uuid null;`);
    this.addSql(`create index "audit_log_job_id_index" on "audit_log" ("job_id");`);
  }

  override down(): void {
    this.addSql(`drop index "audit_log_job_id_index";`);
    this.addSql(`alter table "audit_log" drop column "before_image", drop column "undone_by";`);
  }
}
