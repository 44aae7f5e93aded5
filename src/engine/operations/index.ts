/**
 * The engine's operations, keyed by the operationIds generated from spec/. The mapped type makes the compiler refuse
 * a build in which an operation of the contract has no implementation (or one has the wrong input/output types).
 */
import type { OperationId } from '../types.ts';
import { audit_list } from './audit.ts';
import { notion_blocks_append, notion_blocks_get } from './blocks.ts';
import { bulkHooks, notion_bulk } from './bulk.ts';
import { connections_create, connections_delete, connections_list, connections_refresh } from './connections.ts';
import { assets_url, notion_file_upload } from './files.ts';
import { health } from './health.ts';
import { notion_job_cancel, notion_job_get, notion_job_list, notion_job_start } from './jobs.ts';
import { meta_get } from './meta.ts';
import { notion_read, notion_request, notionRequestHooks } from './notion-request.ts';
import type { Operation, OperationHooks } from './operation.ts';
import { notion_page_create, notion_page_get, notion_page_update } from './pages.ts';
import { fetch, search } from './research.ts';
import { notion_link, notion_query, notion_upsert } from './rows.ts';
import { notion_data_source_get, notion_data_source_update, notion_database_create } from './schema.ts';
import { notion_search } from './search.ts';
import { notion_undo } from './undo.ts';
import { notion_view_save, notion_views_list } from './views.ts';

export type { Operation, OperationHooks } from './operation.ts';

export const operations: { [Op in OperationId]: Operation<Op> } = {
  health,
  meta_get,
  connections_list,
  connections_create,
  connections_refresh,
  connections_delete,
  notion_request,
  notion_read,
  notion_search,
  audit_list,
  search,
  fetch,
  notion_query,
  notion_upsert,
  notion_link,
  notion_database_create,
  notion_data_source_get,
  notion_data_source_update,
  notion_page_create,
  notion_page_get,
  notion_page_update,
  notion_bulk,
  notion_job_start,
  notion_job_get,
  notion_job_list,
  notion_job_cancel,
  notion_blocks_get,
  notion_blocks_append,
  notion_undo,
  notion_file_upload,
  assets_url,
  notion_views_list,
  notion_view_save,
};

export const hooks: { [Op in OperationId]?: OperationHooks<Op> } = {
  notion_request: notionRequestHooks,
  notion_bulk: bulkHooks,
};
