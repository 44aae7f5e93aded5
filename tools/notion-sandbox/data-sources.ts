// Data sources: create (inside a database), retrieve (full schema), update (title, icon, schema, trash), query, templates.

import { checkIcon, databaseParentJson } from './databases-shared.ts';
import { notFound, validation } from './errors.ts';
import { pageJson } from './pages.ts';
import { buildProperty, finishSchema, pageTitle, type SchemaCtx, schemaJson, TITLE_ID } from './properties.ts';
import { compileFilter, compileSorts } from './query.ts';
import { toRichText } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type {
  CreateDataSourceParameters,
  DataSourceObjectResponse,
  ListDataSourceTemplatesResponse,
  QueryDataSourceParameters,
  QueryDataSourceResponse,
  Untrusted,
  UpdateDataSourceParameters,
} from './sdk.ts';
import { searchViews } from './search.ts';
import type { DataSourceRec, PageRec, PropertySchema, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, noDashes, normalizeId, paginate, tick } from './util.ts';

export function dataSourceJson(ws: Workspace, ds: DataSourceRec): DataSourceObjectResponse {
  const db = ws.content.databases[ds.database_id];
  return {
    object: 'data_source',
    id: ds.id,
    created_time: ds.created_time,
    last_edited_time: ds.last_edited_time,
    created_by: partialUser(ds.created_by),
    last_edited_by: partialUser(ds.last_edited_by),
    title: ds.title,
    description: ds.description,
    icon: ds.icon,
    cover: db?.cover ?? null,
    parent: { type: 'database_id', database_id: ds.database_id },
    database_parent: db ? databaseParentJson(db) : { type: 'workspace', workspace: true },
    is_inline: db?.is_inline ?? false,
    archived: ds.in_trash,
    in_trash: ds.in_trash,
    properties: schemaJson(ws, ds),
    url: `https://www.notion.so/${noDashes(ds.id)}`,
    public_url: null,
  };
}
searchViews.dataSource = (ws, id) => {
  const ds = ws.content.dataSources[id];
  return ds ? dataSourceJson(ws, ds) : null;
};

export function requireDataSource(ctx: Ctx, raw: string | undefined): DataSourceRec {
  const id = normalizeId(raw);
  if (!id)
    throw validation(`path failed validation: path.data_source_id should be a valid uuid, instead was \`"${raw}"\`.`);
  const ds = ctx.ws.content.dataSources[id];
  if (!ds) throw notFound(id, 'data_source');
  return ds;
}

/** Builds a data source's schema from a create request; exactly one title property is required. */
export function createSchema(ws: Workspace, ds: DataSourceRec, raw: unknown, path: string): void {
  if (!isObject(raw)) throw validation(`${path} should be an object, instead was ${describe(raw)}.`);
  const sc: SchemaCtx = { ws, ds, pendingDuals: [], creatingStatus: true };
  const props: PropertySchema[] = [];
  for (const [name, cfg] of Object.entries(raw)) {
    if (!isObject(cfg)) throw validation(`${path}.${name} should be an object, instead was ${describe(cfg)}.`);
    const prop = buildProperty(sc, (cfg.name as string | undefined) ?? name, cfg, `${path}.${name}`);
    props.push(prop);
    ds.properties = props;
  }
  const titles = props.filter((p) => p.type === 'title');
  if (titles.length !== 1)
    throw validation(`${path}: a data source needs exactly one title property, found ${titles.length}.`);
  ds.properties = props;
  finishSchema(sc);
}

export function newDataSource(
  ctx: Ctx,
  databaseId: string,
  body: Untrusted<CreateDataSourceParameters>,
  path: string,
): DataSourceRec {
  const t = tick();
  const ds: DataSourceRec = {
    id: newId(),
    database_id: databaseId,
    title: body.title !== undefined ? toRichText(body.title, `${path}.title`, ctx.ws) : [],
    description: [],
    icon: checkIcon(body.icon, `${path}.icon`) ?? null,
    properties: [],
    in_trash: false,
    created_time: t,
    last_edited_time: t,
    created_by: ctx.tok.botId,
    last_edited_by: ctx.tok.botId,
    counters: {},
  };
  // Registered first so self-relations can point at it; removed again if the schema is invalid.
  ctx.ws.content.dataSources[ds.id] = ds;
  try {
    createSchema(ctx.ws, ds, body.properties ?? { Name: { title: {} } }, `${path}.properties`);
  } catch (e) {
    delete ctx.ws.content.dataSources[ds.id];
    throw e;
  }
  return ds;
}

function updateSchema(ctx: Ctx, ds: DataSourceRec, raw: unknown): void {
  if (!isObject(raw)) throw validation(`body.properties should be an object, instead was ${describe(raw)}.`);
  // Work on a copy so a rejected request leaves the schema untouched.
  const next = structuredClone(ds.properties);
  const draft: DataSourceRec = { ...ds, properties: next };
  const sc: SchemaCtx = { ws: ctx.ws, ds: draft, pendingDuals: [], creatingStatus: false };
  const removed: string[] = [];
  for (const [key, cfg] of Object.entries(raw)) {
    const path = `body.properties.${key}`;
    const idx = next.findIndex((p) => p.name === key || p.id === key || decodeURIComponent(p.id) === key);
    const prev = idx >= 0 ? next[idx] : undefined;
    if (cfg === null) {
      if (!prev) throw validation(`${key} is not a property that exists.`);
      if (prev.type === 'title') throw validation(`${path}: the title property cannot be removed.`);
      next.splice(idx, 1);
      removed.push(prev.id);
      continue;
    }
    if (!isObject(cfg)) throw validation(`${path} should be an object or null, instead was ${describe(cfg)}.`);
    const newName = cfg.name as string | undefined;
    if (newName !== undefined && typeof newName !== 'string')
      throw validation(`${path}.name should be a string, instead was ${describe(newName)}.`);
    const hasType = Object.keys(cfg).some((k) => k !== 'name' && k !== 'description');
    if (!prev && !hasType) throw validation(`${key} is not a property that exists.`);
    if (prev && !hasType) {
      if (newName !== undefined) {
        if (next.some((p) => p !== prev && p.name === newName))
          throw validation(`${path}.name: a property named ${describe(newName)} already exists.`);
        prev.name = newName;
      }
      if (cfg.description !== undefined) prev.description = cfg.description as string | null;
      continue;
    }
    if (
      prev?.type === 'title' &&
      (cfg.type ?? Object.keys(cfg).find((k) => k !== 'name' && k !== 'description')) !== 'title'
    )
      throw validation(`${path}: the title property cannot change type.`);
    const prop = buildProperty(sc, newName ?? prev?.name ?? key, cfg, path, prev);
    if (prop.type === 'title' && !prev) throw validation(`${path}: a data source can only have one title property.`);
    if (prev) next[idx] = prop;
    else next.push(prop);
  }
  ds.properties = next;
  finishSchema({ ...sc, ds });
  // Drop stored values of removed properties.
  for (const p of Object.values(ctx.ws.content.pages)) {
    if (p.parent.type === 'data_source_id' && p.parent.id === ds.id) for (const id of removed) delete p.props[id];
  }
}

/** Pages of a data source matching a query body; shared with views.ts. */
export function runQuery(ctx: Ctx, ds: DataSourceRec, body: Untrusted<QueryDataSourceParameters>): PageRec[] {
  const filter = compileFilter(ctx.ws, ds, body.filter, ctx.tok.botId);
  const sort = compileSorts(ctx.ws, ds, body.sorts);
  const trashed = body.in_trash === true || body.archived === true;
  return Object.values(ctx.ws.content.pages)
    .filter(
      (p) => p.parent.type === 'data_source_id' && p.parent.id === ds.id && p.in_trash === trashed && !p.is_template,
    )
    .filter(filter)
    .sort(sort);
}

export function filterPropertyIds(ctx: Ctx, ds: DataSourceRec): string[] | undefined {
  const f = ctx.query.getAll('filter_properties');
  if (!f.length) return undefined;
  return f.map((key) => {
    const p = ds.properties.find((x) => x.id === key || decodeURIComponent(x.id) === key || x.name === key);
    if (!p) throw validation(`filter_properties: property ${describe(key)} does not exist.`);
    return p.id;
  });
}

export const dataSourceRoutes = [
  {
    method: 'POST',
    template: '/v1/data_sources',
    handler: (ctx) => {
      const b: Untrusted<CreateDataSourceParameters> = ctx.body;
      const parent = b.parent;
      if (!isObject(parent)) throw validation(`body.parent should be an object, instead was ${describe(parent)}.`);
      const dbId = normalizeId(parent.database_id);
      if (!dbId)
        throw validation(
          `body.parent.database_id should be a valid uuid, instead was ${describe(parent.database_id)}.`,
        );
      const db = ctx.ws.content.databases[dbId];
      if (!db) throw notFound(dbId, 'database');
      if (b.properties === undefined) throw validation('body.properties should be defined, instead was `undefined`.');
      const ds = newDataSource(ctx, db.id, b, 'body');
      db.data_source_ids.push(ds.id);
      db.last_edited_time = tick();
      return dataSourceJson(ctx.ws, ds);
    },
  },
  {
    method: 'GET',
    template: '/v1/data_sources/:data_source_id',
    handler: (ctx) => dataSourceJson(ctx.ws, requireDataSource(ctx, ctx.params.data_source_id)),
  },
  {
    method: 'PATCH',
    template: '/v1/data_sources/:data_source_id',
    handler: (ctx) => {
      const ds = requireDataSource(ctx, ctx.params.data_source_id);
      const b: Untrusted<UpdateDataSourceParameters> = ctx.body;
      if (b.title !== undefined) ds.title = toRichText(b.title, 'body.title', ctx.ws);
      if (b.icon !== undefined) ds.icon = checkIcon(b.icon, 'body.icon') ?? null;
      if (b.properties !== undefined) updateSchema(ctx, ds, b.properties);
      const trash = b.in_trash ?? b.archived;
      if (typeof trash === 'boolean') ds.in_trash = trash;
      if (b.parent !== undefined) {
        const to = normalizeId(isObject(b.parent) ? b.parent.database_id : undefined);
        const db = to ? ctx.ws.content.databases[to] : undefined;
        if (!db)
          throw validation(
            `body.parent.database_id should reference an existing database, instead was ${describe(b.parent)}.`,
          );
        const old = ctx.ws.content.databases[ds.database_id];
        if (old) old.data_source_ids = old.data_source_ids.filter((x) => x !== ds.id);
        db.data_source_ids.push(ds.id);
        ds.database_id = db.id;
      }
      ds.last_edited_time = tick();
      ds.last_edited_by = ctx.tok.botId;
      return dataSourceJson(ctx.ws, ds);
    },
  },
  {
    method: 'POST',
    template: '/v1/data_sources/:data_source_id/query',
    handler: (ctx): QueryDataSourceResponse => {
      const ds = requireDataSource(ctx, ctx.params.data_source_id);
      const b: Untrusted<QueryDataSourceParameters> = ctx.body;
      if (b.result_type === 'data_source') {
        return {
          object: 'list',
          results: [],
          next_cursor: null,
          has_more: false,
          type: 'page_or_data_source',
          page_or_data_source: {},
        };
      }
      const only = filterPropertyIds(ctx, ds);
      const rows = runQuery(ctx, ds, b);
      const page = paginate(rows, (p) => p.id, b.start_cursor, b.page_size);
      return {
        object: 'list',
        results: page.results.map((p) => pageJson(ctx.ws, p, only)),
        next_cursor: page.next_cursor,
        has_more: page.has_more,
        type: 'page_or_data_source',
        page_or_data_source: {},
      };
    },
  },
  {
    method: 'GET',
    template: '/v1/data_sources/:data_source_id/templates',
    handler: (ctx): ListDataSourceTemplatesResponse => {
      const ds = requireDataSource(ctx, ctx.params.data_source_id);
      const name = ctx.query.get('name')?.toLowerCase();
      const all = (ds.templates ?? [])
        .map((id) => ctx.ws.content.pages[id])
        .filter((p): p is PageRec => p !== undefined && !p.in_trash)
        .map((p) => ({ id: p.id, name: pageTitle(ctx.ws, p), is_default: ds.default_template === p.id }))
        .filter((t) => !name || t.name.toLowerCase().includes(name));
      const page = paginate(all, (t) => t.id, ctx.query.get('start_cursor'), ctx.query.get('page_size'));
      return { templates: page.results, has_more: page.has_more, next_cursor: page.next_cursor };
    },
  },
] as const satisfies readonly Route[];

export { TITLE_ID };
