import { Migration } from '@mikro-orm/migrations';

/**
 * Durable jobs: a job belongs to the principal that started it (no one else may read or cancel it), remembers the
 * request that started it, and can be cancelled. The queue itself (claiming, leases, retries after a crash) is
 * pg-boss, in its own `pgboss` schema that pg-boss creates and migrates; this table is what callers read.
 */
export class Migration20261201000001_jobs extends Migration {
  override name = 'Migration20261201000001_jobs';

  override up(): void {
    this.addSql(`alter table "jobs" add column "principal" text not null default 'operator';`);
    this.addSql(`alter table "jobs" alter column "principal" drop default;`);
    this.addSql(`alter table "jobs" add column "request_id" text null;`);
    this.addSql(`alter table "jobs" drop constraint "jobs_status_check";`);
    this.addSql(
      `alter table "jobs" add constraint "jobs_status_check" check ("status" in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));`,
    );
    this.addSql(`create index "jobs_principal_created_index" on "jobs" ("principal", "created_at");`);
  }

  override down(): void {
    this.addSql(`drop index "jobs_principal_created_index";`);
    this.addSql(`update "jobs" set "status" = 'failed' where "status" = 'cancelled';`);
    this.addSql(`alter table "jobs" drop constraint "jobs_status_check";`);
    this.addSql(
      `alter table "jobs" add constraint "jobs_status_check" check ("status" in ('queued', 'running', 'succeeded', 'failed'));`,
    );
    this.addSql(`alter table "jobs" drop column "request_id";`);
    this.addSql(`alter table "jobs" drop column "principal";`);
  }
}
