// Databases (2025-09-03): containers of data sources. Create makes the database plus its initial data source.
import { blockViews } from './blocks.ts';
import { newDataSource } from './data-sources.ts';
import { checkIcon, databaseParentJson } from './databases-shared.ts';
import { notFound, validation } from './errors.ts';
import { plainText, toRichText } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type {
  CreateDatabaseParameters,
  DatabaseObjectResponse,
  PageCoverResponse,
  Untrusted,
  UpdateDatabaseParameters,
} from './sdk.ts';
import type { DatabaseRec, ParentRef, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, noDashes, normalizeId, tick } from './util.ts';

export function databaseJson(ws: Workspace, db: DatabaseRec): DatabaseObjectResponse {
  return {
    object: 'database',
    id: db.id,
    title: db.title,
    description: db.description,
    parent: databaseParentJson(db),
    is_inline: db.is_inline,
    in_trash: db.in_trash,
    archived: db.in_trash,
    is_locked: db.is_locked,
    created_time: db.created_time,
    last_edited_time: db.last_edited_time,
    data_sources: db.data_source_ids.map((id) => ({ id, name: plainText(ws.content.dataSources[id]?.title) })),
    icon: db.icon,
    cover: db.cover,
    url: `https://www.notion.so/${noDashes(db.id)}`,
    public_url: null,
  };
}

blockViews.database = (ws, id) => {
  const db = ws.content.databases[id];
  if (!db) return null;
  return {
    object: 'block',
    id,
    parent: databaseParentJson(db),
    created_time: db.created_time,
    last_edited_time: db.last_edited_time,
    created_by: partialUser(db.created_by),
    last_edited_by: partialUser(db.last_edited_by),
    has_children: false,
    archived: db.in_trash,
    in_trash: db.in_trash,
    type: 'child_database',
    child_database: { title: plainText(db.title) },
  };
};

function requireDatabase(ctx: Ctx, raw: string | undefined): DatabaseRec {
  const id = normalizeId(raw);
  if (!id)
    throw validation(`path failed validation: path.database_id should be a valid uuid, instead was \`"${raw}"\`.`);
  const db = ctx.ws.content.databases[id];
  if (!db) throw notFound(id, 'database');
  return db;
}

function parentOf(ctx: Ctx, raw: unknown): ParentRef {
  if (!isObject(raw)) throw validation(`body.parent should be an object, instead was ${describe(raw)}.`);
  if (raw.type === 'workspace' || raw.workspace === true) return { type: 'workspace' };
  const id = normalizeId(raw.page_id);
  if (!id) throw validation(`body.parent.page_id should be a valid uuid, instead was ${describe(raw.page_id)}.`);
  if (!ctx.ws.content.pages[id]) throw notFound(id, 'page');
  return { type: 'page_id', id };
}

function cover(raw: unknown): PageCoverResponse | null | undefined {
  if (raw === undefined || raw === null) return raw;
  if (isObject(raw) && isObject(raw.external) && typeof raw.external.url === 'string')
    return { type: 'external', external: { url: raw.external.url } };
  throw validation(`body.cover should be an external file, instead was ${describe(raw)}.`);
}

export const databaseRoutes = [
  {
    method: 'POST',
    template: '/v1/databases',
    handler: (ctx) => {
      const b: Untrusted<CreateDatabaseParameters> = ctx.body;
      const parent = parentOf(ctx, b.parent);
      const t = tick();
      const db: DatabaseRec = {
        id: newId(),
        parent,
        title: b.title !== undefined ? toRichText(b.title, 'body.title', ctx.ws) : [],
        description: b.description !== undefined ? toRichText(b.description, 'body.description', ctx.ws) : [],
        icon: checkIcon(b.icon, 'body.icon') ?? null,
        cover: cover(b.cover) ?? null,
        is_inline: b.is_inline === true,
        is_locked: false,
        in_trash: false,
        data_source_ids: [],
        created_time: t,
        last_edited_time: t,
        created_by: ctx.tok.botId,
        last_edited_by: ctx.tok.botId,
      };
      const init = isObject(b.initial_data_source) ? b.initial_data_source : {};
      ctx.ws.content.databases[db.id] = db;
      try {
        const ds = newDataSource(
          ctx,
          db.id,
          { title: b.title, properties: init.properties },
          'body.initial_data_source',
        );
        db.data_source_ids.push(ds.id);
      } catch (e) {
        delete ctx.ws.content.databases[db.id];
        throw e;
      }
      if (parent.type === 'page_id') {
        const list = ctx.ws.content.children[parent.id] ?? [];
        list.push(db.id);
        ctx.ws.content.children[parent.id] = list;
      }
      return databaseJson(ctx.ws, db);
    },
  },
  {
    method: 'GET',
    template: '/v1/databases/:database_id',
    handler: (ctx) => databaseJson(ctx.ws, requireDatabase(ctx, ctx.params.database_id)),
  },
  {
    method: 'PATCH',
    template: '/v1/databases/:database_id',
    handler: (ctx) => {
      const db = requireDatabase(ctx, ctx.params.database_id);
      const b: Untrusted<UpdateDatabaseParameters> = ctx.body;
      // Not in UpdateDatabaseParameters (2025-09-03 moved schemas to data sources); rejected with a pointer.
      if ('properties' in ctx.body)
        throw validation(
          'body.properties: since 2025-09-03 a database has no schema; update its data source (PATCH /v1/data_sources/:id).',
        );
      if (b.title !== undefined) db.title = toRichText(b.title, 'body.title', ctx.ws);
      if (b.description !== undefined) db.description = toRichText(b.description, 'body.description', ctx.ws);
      if (b.icon !== undefined) db.icon = checkIcon(b.icon, 'body.icon') ?? null;
      if (b.cover !== undefined) db.cover = cover(b.cover) ?? null;
      if (typeof b.is_inline === 'boolean') db.is_inline = b.is_inline;
      if (typeof b.is_locked === 'boolean') db.is_locked = b.is_locked;
      const trash = b.in_trash ?? b.archived;
      if (typeof trash === 'boolean') db.in_trash = trash;
      if (b.parent !== undefined) {
        const np = parentOf(ctx, b.parent);
        if (db.parent.type === 'page_id') {
          const old = db.parent.id;
          ctx.ws.content.children[old] = (ctx.ws.content.children[old] ?? []).filter((x) => x !== db.id);
        }
        db.parent = np;
        if (np.type === 'page_id') ctx.ws.content.children[np.id] = [...(ctx.ws.content.children[np.id] ?? []), db.id];
      }
      db.last_edited_time = tick();
      db.last_edited_by = ctx.tok.botId;
      return databaseJson(ctx.ws, db);
    },
  },
] as const satisfies readonly Route[];
