// Views (SDK views.*): database views bound to a data source, with filter/sorts, plus view queries
// (a query snapshots the matching page ids; results are paged from that snapshot).
import { requireDataSource, runQuery } from './data-sources.ts';
import { notFound, validation } from './errors.ts';
import { compileFilter, compileSorts } from './query.ts';
import type { Ctx, Route } from './router.ts';
import type {
  CreateViewParameters,
  CreateViewQueryParameters,
  DataSourceViewObjectResponse,
  DeletedViewQueryResponse,
  DeleteViewResponse,
  GetViewQueryResultsResponse,
  ListDatabaseViewsResponse,
  Untrusted,
  UpdateViewParameters,
  ViewConfigResponse,
  ViewFilterResponse,
  ViewQueryResponse,
  ViewSortResponse,
  ViewType,
} from './sdk.ts';
import type { ViewQueryRec, ViewRec, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, noDashes, normalizeId, paginate, parsePageSize, tick } from './util.ts';

const VIEW_TYPES: readonly ViewType[] = [
  'table',
  'board',
  'list',
  'calendar',
  'timeline',
  'gallery',
  'form',
  'chart',
  'map',
  'dashboard',
];
const QUERY_TTL_MS = 15 * 60_000;

export function viewJson(_ws: Workspace, v: ViewRec): DataSourceViewObjectResponse {
  return {
    object: 'view',
    id: v.id,
    parent: { type: 'database_id', database_id: v.database_id },
    name: v.name,
    type: v.type,
    created_time: v.created_time,
    last_edited_time: v.last_edited_time,
    url: `https://www.notion.so/${noDashes(v.database_id)}?v=${noDashes(v.id)}`,
    data_source_id: v.data_source_id,
    created_by: partialUser(v.created_by),
    last_edited_by: partialUser(v.last_edited_by),
    filter: v.filter,
    sorts: v.sorts,
    quick_filters: null,
    configuration: v.configuration,
  };
}

function requireView(ctx: Ctx): ViewRec {
  const id = normalizeId(ctx.params.view_id);
  const v = id ? ctx.ws.content.views[id] : undefined;
  if (!v) throw notFound(ctx.params.view_id!, 'view');
  return v;
}

function requireQuery(ctx: Ctx, v: ViewRec): ViewQueryRec {
  const id = normalizeId(ctx.params.query_id);
  const q = id ? ctx.ws.content.viewQueries[id] : undefined;
  if (!q || q.view_id !== v.id) throw notFound(ctx.params.query_id!, 'view query');
  if (Date.parse(q.expires_at) < Date.now()) {
    delete ctx.ws.content.viewQueries[q.id];
    throw notFound(q.id, 'view query');
  }
  return q;
}

/** Validates a view's filter and sorts with the query compiler; returns them typed once they passed. */
function checkFilterSorts(
  ctx: Ctx,
  v: Pick<ViewRec, 'data_source_id'>,
  filter: unknown,
  sorts: unknown,
): { filter: ViewFilterResponse | null; sorts: ViewSortResponse[] | null } {
  const ds = ctx.ws.content.dataSources[v.data_source_id]!;
  compileFilter(ctx.ws, ds, filter ?? undefined, ctx.tok.botId, 'body.filter');
  compileSorts(ctx.ws, ds, sorts ?? undefined, 'body.sorts');
  // Cast: compileFilter / compileSorts just accepted these as data-source query filter / sorts, which is the
  // shape the SDK's view filter / sort responses describe (records keyed by property or timestamp).
  return {
    filter: (filter ?? null) as ViewFilterResponse | null,
    sorts: (sorts ?? null) as ViewSortResponse[] | null,
  };
}

/** A view configuration must be an object whose `type` is the view's type (as in the SDK's ViewConfigRequest). */
function checkConfiguration(raw: unknown, type: ViewType): ViewConfigResponse | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw validation(`body.configuration should be an object, instead was ${describe(raw)}.`);
  if (raw.type !== type)
    throw validation(`body.configuration.type should be \`"${type}"\`, instead was ${describe(raw.type)}.`);
  // Cast: beyond `type`, the per-view-type settings are stored as given (the sandbox does not render views).
  return raw as ViewConfigResponse;
}

export const viewRoutes = [
  {
    method: 'POST',
    template: '/v1/views',
    handler: (ctx) => {
      const b: Untrusted<CreateViewParameters> = ctx.body;
      const ds = requireDataSource(ctx, b.data_source_id as string | undefined);
      if (typeof b.name !== 'string')
        throw validation(`body.name should be a string, instead was ${describe(b.name)}.`);
      const type = VIEW_TYPES.find((t) => t === b.type);
      if (!type)
        throw validation(`body.type should be one of ${VIEW_TYPES.join(', ')}, instead was ${describe(b.type)}.`);
      if (b.database_id !== undefined && normalizeId(b.database_id) !== ds.database_id)
        throw validation(`body.database_id does not contain data source ${ds.id}.`);
      const { filter, sorts } = checkFilterSorts(ctx, { data_source_id: ds.id }, b.filter, b.sorts);
      const configuration = checkConfiguration(b.configuration, type);
      const t = tick();
      const v: ViewRec = {
        id: newId(),
        database_id: ds.database_id,
        data_source_id: ds.id,
        name: b.name,
        type,
        filter,
        sorts,
        configuration,
        created_time: t,
        last_edited_time: t,
        created_by: ctx.tok.botId,
        last_edited_by: ctx.tok.botId,
      };
      ctx.ws.content.views[v.id] = v;
      return viewJson(ctx.ws, v);
    },
  },
  {
    method: 'GET',
    template: '/v1/views',
    handler: (ctx): ListDatabaseViewsResponse => {
      const dbId = normalizeId(ctx.query.get('database_id'));
      const dsId = normalizeId(ctx.query.get('data_source_id'));
      if (!dbId && !dsId) throw validation('database_id or data_source_id should be provided.');
      if (dbId && !ctx.ws.content.databases[dbId]) throw notFound(dbId, 'database');
      if (dsId && !ctx.ws.content.dataSources[dsId]) throw notFound(dsId, 'data_source');
      const all = Object.values(ctx.ws.content.views)
        .filter((v) => (!dbId || v.database_id === dbId) && (!dsId || v.data_source_id === dsId))
        .sort((a, b) => a.created_time.localeCompare(b.created_time));
      const page = paginate(all, (v) => v.id, ctx.query.get('start_cursor'), ctx.query.get('page_size'));
      return {
        object: 'list',
        results: page.results.map((v) => ({ object: 'view', id: v.id })),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        type: 'view',
        view: {},
      };
    },
  },
  { method: 'GET', template: '/v1/views/:view_id', handler: (ctx) => viewJson(ctx.ws, requireView(ctx)) },
  {
    method: 'PATCH',
    template: '/v1/views/:view_id',
    handler: (ctx) => {
      const v = requireView(ctx);
      const b: Untrusted<UpdateViewParameters> = ctx.body;
      if (b.name !== undefined && typeof b.name !== 'string')
        throw validation(`body.name should be a string, instead was ${describe(b.name)}.`);
      const checked = checkFilterSorts(
        ctx,
        v,
        b.filter === undefined ? v.filter : b.filter,
        b.sorts === undefined ? v.sorts : b.sorts,
      );
      const configuration =
        b.configuration === undefined ? v.configuration : checkConfiguration(b.configuration, v.type);
      if (typeof b.name === 'string') v.name = b.name;
      v.filter = checked.filter;
      v.sorts = checked.sorts;
      v.configuration = configuration;
      v.last_edited_time = tick();
      v.last_edited_by = ctx.tok.botId;
      return viewJson(ctx.ws, v);
    },
  },
  {
    method: 'DELETE',
    template: '/v1/views/:view_id',
    // The SDK's DeleteViewResponse is the partial view only (no name, filter, …).
    handler: (ctx): DeleteViewResponse => {
      const v = requireView(ctx);
      delete ctx.ws.content.views[v.id];
      return { object: 'view', id: v.id, parent: { type: 'database_id', database_id: v.database_id }, type: v.type };
    },
  },
  {
    method: 'POST',
    template: '/v1/views/:view_id/queries',
    handler: (ctx): ViewQueryResponse => {
      const v = requireView(ctx);
      const b: Untrusted<CreateViewQueryParameters> = ctx.body;
      const size = parsePageSize(b.page_size, 'body.page_size');
      const ds = ctx.ws.content.dataSources[v.data_source_id]!;
      const rows = runQuery(ctx, ds, { filter: v.filter ?? undefined, sorts: v.sorts ?? undefined });
      const q: ViewQueryRec = {
        id: newId(),
        view_id: v.id,
        page_ids: rows.map((r) => r.id),
        created_time: new Date().toISOString(),
        expires_at: new Date(Date.now() + QUERY_TTL_MS).toISOString(),
      };
      ctx.ws.content.viewQueries[q.id] = q;
      const first = paginate(q.page_ids, (x) => x, undefined, size);
      return {
        object: 'view_query',
        id: q.id,
        view_id: v.id,
        expires_at: q.expires_at,
        total_count: q.page_ids.length,
        results: first.results.map((id) => ({ object: 'page', id })),
        next_cursor: first.next_cursor,
        has_more: first.has_more,
      };
    },
  },
  {
    method: 'GET',
    template: '/v1/views/:view_id/queries/:query_id',
    handler: (ctx): GetViewQueryResultsResponse => {
      const q = requireQuery(ctx, requireView(ctx));
      const page = paginate(q.page_ids, (x) => x, ctx.query.get('start_cursor'), ctx.query.get('page_size'));
      return {
        object: 'list',
        results: page.results.map((id) => ({ object: 'page', id })),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        type: 'page',
        page: {},
      };
    },
  },
  {
    method: 'DELETE',
    template: '/v1/views/:view_id/queries/:query_id',
    handler: (ctx): DeletedViewQueryResponse => {
      const q = requireQuery(ctx, requireView(ctx));
      delete ctx.ws.content.viewQueries[q.id];
      return { object: 'view_query', id: q.id, deleted: true };
    },
  },
] as const satisfies readonly Route[];
