import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125000000_initial } from './Migration20261125000000_initial.ts';
import { Migration20261130000000_request_path } from './Migration20261130000000_request_path.ts';
import { Migration20261201000000_oauth_server } from './Migration20261201000000_oauth_server.ts';
import { Migration20261201000001_jobs } from './Migration20261201000001_jobs.ts';
import { Migration20261202000000_notion_pace } from './Migration20261202000000_notion_pace.ts';
import { Migration20261203125000_sse_relay } from './Migration20261203125000_sse_relay.ts';
import { Migration20261203126000_audit_dry_run } from './Migration20261203126000_audit_dry_run.ts';
import { Migration20261204020000_audit_before_image } from './Migration20261204020000_audit_before_image.ts';
import { Migration20261204040000_search_index } from './Migration20261204040000_search_index.ts';

/**
 * Every migration, in order. Listed explicitly (MikroORM's `migrationsList`) rather than discovered by glob, so
 * the same list runs from `.ts` sources under Node's type stripping, from the CLI and from tests.
 * Add new migrations at the end; never edit one that has shipped.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261130000000_request_path', class: Migration20261130000000_request_path },
  { name: 'Migration20261201000000_oauth_server', class: Migration20261201000000_oauth_server },
  { name: 'Migration20261201000001_jobs', class: Migration20261201000001_jobs },
  { name: 'Migration20261202000000_notion_pace', class: Migration20261202000000_notion_pace },
  { name: 'Migration20261203125000_sse_relay', class: Migration20261203125000_sse_relay },
  { name: 'Migration20261203126000_audit_dry_run', class: Migration20261203126000_audit_dry_run },
  { name: 'Migration20261204020000_audit_before_image', class: Migration20261204020000_audit_before_image },
  { name: 'Migration20261204040000_search_index', class: Migration20261204040000_search_index },
];
