// Pages: create (under a page or a data source), retrieve, update (properties, icon, cover, trash, lock), move.

import { blockViews, findContainer, insertChildren, parentJson, validateAndCountChildren } from './blocks.ts';
import { NotionError, notFound, validation } from './errors.ts';
import { attachFileUpload } from './file-uploads.ts';
import { pageTitle, renderPageProperties, writePageProperties } from './properties.ts';
import { mentionTitle } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type {
  CreatePageParameters,
  GetPagePropertyResponse,
  MovePageParameters,
  PageCoverResponse,
  PageIconResponse,
  PageObjectResponse,
  PagePropertyValue,
  PropertyItemListResponse,
  PropertyItemObjectResponse,
  Untrusted,
  UpdatePageParameters,
} from './sdk.ts';
import type { BlockRec, PageRec, ParentRef, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, noDashes, normalizeId, paginate as paginateItems, tick } from './util.ts';

export function pageUrl(title: string, id: string): string {
  const slug = title.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');
  return `https://www.notion.so/${slug ? `${slug}-` : ''}${noDashes(id)}`;
}

export function pageJson(ws: Workspace, page: PageRec, filterProps?: string[]): PageObjectResponse {
  let properties = renderPageProperties(ws, page);
  if (filterProps && filterProps.length > 0) {
    properties = Object.fromEntries(
      Object.entries(properties).filter(
        // The SDK sends ids URL-decoded; stored ids are URL-encoded like Notion's.
        ([name, v]) => {
          const id = v.id;
          return filterProps.includes(id) || filterProps.includes(decodeURIComponent(id)) || filterProps.includes(name);
        },
      ),
    );
  }
  return {
    object: 'page',
    id: page.id,
    created_time: page.created_time,
    last_edited_time: page.last_edited_time,
    created_by: partialUser(page.created_by),
    last_edited_by: partialUser(page.last_edited_by),
    cover: page.cover,
    icon: page.icon,
    parent: parentJson(ws, page.parent),
    archived: page.in_trash,
    in_trash: page.in_trash,
    is_archived: page.in_trash,
    is_locked: page.is_locked,
    properties,
    url: pageUrl(pageTitle(ws, page), page.id),
    public_url: null,
  };
}

type ListItemType = 'title' | 'rich_text' | 'people' | 'relation';
const LIST_ITEM_TYPES: readonly string[] = ['title', 'rich_text', 'people', 'relation'] satisfies ListItemType[];

/**
 * GET /v1/pages/:id/properties/:property_id — list-shaped for title / rich_text / people / relation and array
 * rollups (paginated, one property_item per element), a single property_item otherwise.
 */
export function pagePropertyJson(
  ws: Workspace,
  page: PageRec,
  key: string,
  query: URLSearchParams,
): GetPagePropertyResponse {
  const props = renderPageProperties(ws, page);
  const entry = Object.entries(props).find(
    ([name, v]) => v.id === key || decodeURIComponent(v.id) === key || v.id === encodeURIComponent(key) || name === key,
  );
  if (!entry) throw notFound(key, 'property');
  const v = entry[1];
  const list = (items: PropertyItemObjectResponse[], property_item: PropertyItemListResponse['property_item']) => {
    const keyed = items.map((item, i) => ({ item, i: String(i) }));
    const pg = paginateItems(keyed, (x) => x.i, query.get('start_cursor'), query.get('page_size'));
    return {
      object: 'list',
      results: pg.results.map((x) => x.item),
      next_cursor: pg.next_cursor,
      has_more: pg.has_more,
      type: 'property_item',
      property_item,
    } as const;
  };
  if (LIST_ITEM_TYPES.includes(v.type)) {
    const type = v.type as ListItemType;
    // Cast: `{type, [type]: {}}` with a run-time key; `type` is one of the four list-shaped types.
    return list(listItems(v), {
      id: v.id,
      next_url: null,
      type,
      [type]: {},
    } as PropertyItemListResponse['property_item']);
  }
  if (v.type === 'rollup' && v.rollup.type === 'array') {
    // An array rollup is paged like the list types: one property_item per rolled-up value, and the rollup itself
    // with an empty `array` (the SDK types it `Array<EmptyObject>` on this route).
    const items = v.rollup.array.flatMap((value) => {
      // Cast: a rollup element is a page property value without its id (RollupArrayItem).
      const asValue = { ...value, id: v.id } as PagePropertyValue;
      return LIST_ITEM_TYPES.includes(value.type)
        ? listItems(asValue)
        : [{ object: 'property_item', ...asValue } as PropertyItemObjectResponse];
    });
    return list(items, {
      id: v.id,
      next_url: null,
      type: 'rollup',
      rollup: { type: 'array', array: [], function: v.rollup.function },
    });
  }
  // Cast: a page property value plus `object` is the matching property item for every non-list type
  // (the SDK's PropertyItemObjectResponse members mirror the page property value members one to one).
  return { object: 'property_item', ...v } as PropertyItemObjectResponse;
}

function listItems(v: PagePropertyValue): PropertyItemObjectResponse[] {
  const base = { object: 'property_item', id: v.id } as const;
  switch (v.type) {
    case 'title':
      return v.title.map((title) => ({ ...base, type: 'title', title }));
    case 'rich_text':
      return v.rich_text.map((rich_text) => ({ ...base, type: 'rich_text', rich_text }));
    case 'people':
      // Page values may list groups; property items only users (the sandbox never stores groups).
      return v.people.flatMap((people) => (people.object === 'user' ? [{ ...base, type: 'people', people }] : []));
    case 'relation':
      return v.relation.map((relation) => ({ ...base, type: 'relation', relation }));
    default:
      return [];
  }
}

// child_page blocks and mention titles are rendered from page records.
blockViews.page = (ws, id) => {
  const p = ws.content.pages[id];
  if (!p || p.parent.type === 'data_source_id') return null;
  return {
    object: 'block',
    id,
    parent: parentJson(ws, p.parent),
    created_time: p.created_time,
    last_edited_time: p.last_edited_time,
    created_by: partialUser(p.created_by),
    last_edited_by: partialUser(p.last_edited_by),
    has_children: (ws.content.children[id] ?? []).length > 0,
    archived: p.in_trash,
    in_trash: p.in_trash,
    type: 'child_page',
    child_page: { title: pageTitle(ws, p) },
  };
};
mentionTitle.fn = (ws, kind, id) => {
  if (kind === 'page') {
    const p = ws.content.pages[id];
    return p ? pageTitle(ws, p) || 'Untitled' : 'Untitled';
  }
  const d = ws.content.databases[id];
  return d ? d.title.map((t) => (t as { plain_text: string }).plain_text).join('') || 'Untitled' : 'Untitled';
};

export function requirePage(ctx: Ctx, raw: string | undefined, path = 'path.page_id'): PageRec {
  const id = normalizeId(raw);
  if (!id) throw validation(`path failed validation: ${path} should be a valid uuid, instead was \`"${raw}"\`.`);
  const p = ctx.ws.content.pages[id];
  if (!p) throw notFound(id, 'page');
  return p;
}

function filterPropsOf(ctx: Ctx): string[] | undefined {
  const f = ctx.query.getAll('filter_properties');
  return f.length ? f : undefined;
}

/** Resolves a parent from a request body into a ParentRef, checking it exists in this workspace. */
export function resolvePageParent(ctx: Ctx, raw: unknown, path = 'body.parent'): ParentRef {
  if (!isObject(raw)) throw validation(`${path} should be an object, instead was ${describe(raw)}.`);
  const c = ctx.ws.content;
  if (raw.page_id !== undefined || raw.type === 'page_id') {
    const id = normalizeId(raw.page_id);
    if (!id) throw validation(`${path}.page_id should be a valid uuid, instead was ${describe(raw.page_id)}.`);
    const p = c.pages[id];
    if (!p) throw notFound(id, 'page');
    if (p.in_trash) throw validation(`Can't edit block that is archived. You must unarchive the block before editing.`);
    return { type: 'page_id', id };
  }
  if (raw.data_source_id !== undefined || raw.type === 'data_source_id') {
    const id = normalizeId(raw.data_source_id);
    if (!id)
      throw validation(`${path}.data_source_id should be a valid uuid, instead was ${describe(raw.data_source_id)}.`);
    if (!c.dataSources[id]) throw notFound(id, 'data_source');
    return { type: 'data_source_id', id };
  }
  if (raw.database_id !== undefined || raw.type === 'database_id') {
    // Pre-2025-09-03 style: a database parent means its first data source (Notion does this for single-source databases).
    const id = normalizeId(raw.database_id);
    if (!id) throw validation(`${path}.database_id should be a valid uuid, instead was ${describe(raw.database_id)}.`);
    const db = c.databases[id];
    if (!db) throw notFound(id, 'database');
    if (db.data_source_ids.length !== 1)
      throw validation(`Database ${id} has ${db.data_source_ids.length} data sources; use parent.data_source_id.`);
    return { type: 'data_source_id', id: db.data_source_ids[0]! };
  }
  if (raw.workspace === true || raw.type === 'workspace') {
    if (ctx.store.workspacePages === 'public' && ctx.tok.kind !== 'oauth') {
      throw validation(`${path}: only public integrations can create workspace-level pages; give a page_id parent.`);
    }
    // Real Notion only lets public integrations do this; the sandbox allows it for every token because an
    // empty sandbox has no shared page to start from.
    return { type: 'workspace' };
  }
  throw validation(`${path} should be one of page_id, data_source_id, database_id, instead was ${describe(raw)}.`);
}

function checkIconCover(ws: Workspace, raw: unknown, field: 'icon'): PageIconResponse | null | undefined;
function checkIconCover(ws: Workspace, raw: unknown, field: 'cover'): PageCoverResponse | null | undefined;
function checkIconCover(
  ws: Workspace,
  raw: unknown,
  field: 'icon' | 'cover',
): PageIconResponse | PageCoverResponse | null | undefined {
  if (raw === undefined) return undefined;
  if (raw === null) return null;
  if (!isObject(raw)) throw validation(`body.${field} should be an object or null, instead was ${describe(raw)}.`);
  const type = (raw.type as string | undefined) ?? Object.keys(raw)[0];
  if (field === 'icon' && type === 'emoji' && typeof raw.emoji === 'string') return { type: 'emoji', emoji: raw.emoji };
  if (type === 'external' && isObject(raw.external) && typeof raw.external.url === 'string')
    return { type: 'external', external: { url: raw.external.url } };
  if (type === 'file_upload') {
    const { file } = attachFileUpload(ws, raw, `body.${field}`);
    return { type: 'file', file };
  }
  throw validation(
    `body.${field} should be ${field === 'icon' ? 'an emoji, ' : ''}an external file or an uploaded one, instead was ${describe(raw)}.`,
  );
}

/**
 * Resolves body.template (Notion-Version 2025-09-03): `none` or absent → null; `default` → the data source's default
 * template; `template_id` → that template of the parent data source. Anything else is a validation_error.
 */
function resolveTemplate(ctx: Ctx, raw: unknown, parent: ParentRef, hasChildren: boolean): PageRec | null {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw validation(`body.template should be an object, instead was ${describe(raw)}.`);
  if (raw.type === 'none') return null;
  if (raw.type !== 'default' && raw.type !== 'template_id')
    throw validation(
      `body.template.type should be \`"none"\`, \`"default"\`, or \`"template_id"\`, instead was ${describe(raw.type)}.`,
    );
  if (parent.type !== 'data_source_id')
    throw validation(
      'body.template: a template applies only to a page created in a data source (parent.data_source_id).',
    );
  if (hasChildren) throw validation('body.children: children cannot be given together with a template.');
  const ds = ctx.ws.content.dataSources[parent.id]!;
  const live = (id: string | null | undefined): PageRec | undefined => {
    const p = id ? ctx.ws.content.pages[id] : undefined;
    return p && !p.in_trash && (ds.templates ?? []).includes(p.id) ? p : undefined;
  };
  if (raw.type === 'default') {
    const p = live(ds.default_template);
    if (!p) throw validation(`body.template: data source ${ds.id} has no default template.`);
    return p;
  }
  const id = normalizeId(raw.template_id);
  if (!id)
    throw validation(`body.template.template_id should be a valid uuid, instead was ${describe(raw.template_id)}.`);
  const p = live(id);
  if (!p) throw validation(`body.template.template_id: ${id} is not a template of data source ${ds.id}.`);
  return p;
}

/** Copies a container's block tree (not its child pages) under another container. */
function copyBlocks(ws: Workspace, fromId: string, to: { kind: 'page' | 'block'; id: string }, userId: string): void {
  const t = tick();
  const ids: string[] = [];
  for (const id of ws.content.children[fromId] ?? []) {
    const b = ws.content.blocks[id];
    if (!b || b.in_trash) continue;
    const copy = {
      ...structuredClone(b),
      id: newId(),
      parent: to.kind === 'page' ? { type: 'page_id', id: to.id } : { type: 'block_id', id: to.id },
      created_time: t,
      last_edited_time: t,
      created_by: userId,
      last_edited_by: userId,
    } satisfies BlockRec;
    ws.content.blocks[copy.id] = copy;
    ids.push(copy.id);
    copyBlocks(ws, b.id, { kind: 'block', id: copy.id }, userId);
  }
  if (ids.length) ws.content.children[to.id] = [...(ws.content.children[to.id] ?? []), ...ids];
}

/** Makes a page of a data source one of its templates (the admin API's seeding door; Notion has no API for it). */
export function markTemplate(ws: Workspace, pageId: string, isDefault: boolean): void {
  const id = normalizeId(pageId);
  const page = id ? ws.content.pages[id] : undefined;
  if (!page) throw notFound(pageId, 'page');
  if (page.parent.type !== 'data_source_id') throw validation(`page ${page.id} is not in a data source.`);
  const ds = ws.content.dataSources[page.parent.id]!;
  page.is_template = true;
  ds.templates = [...(ds.templates ?? []).filter((x) => x !== page.id), page.id];
  if (isDefault) ds.default_template = page.id;
}

export function createPage(ctx: Ctx, body: Untrusted<CreatePageParameters>): PageRec {
  const parent = resolvePageParent(ctx, body.parent);
  const children = body.children ?? body.content;
  if (children !== undefined)
    validateAndCountChildren(children, body.children !== undefined ? 'body.children' : 'body.content');
  const template = resolveTemplate(ctx, body.template, parent, Array.isArray(children) && children.length > 0);
  const t = tick();
  const page: PageRec = {
    id: newId(),
    parent,
    props: template ? templateProps(ctx.ws, template) : {},
    icon: checkIconCover(ctx.ws, body.icon, 'icon') ?? template?.icon ?? null,
    cover: checkIconCover(ctx.ws, body.cover, 'cover') ?? template?.cover ?? null,
    in_trash: false,
    is_locked: false,
    created_time: t,
    last_edited_time: t,
    created_by: ctx.tok.botId,
    last_edited_by: ctx.tok.botId,
  };
  writePageProperties(ctx.ws, page, body.properties ?? {}, true);
  ctx.ws.content.pages[page.id] = page;
  if (parent.type === 'page_id') {
    const list = ctx.ws.content.children[parent.id] ?? [];
    list.push(page.id);
    ctx.ws.content.children[parent.id] = list;
  }
  if (Array.isArray(children) && children.length) {
    insertChildren(ctx.ws, { kind: 'page', id: page.id }, children, ctx.tok.botId, null, 'body.children');
  }
  // Notion applies a template's content asynchronously; the sandbox applies it before answering.
  if (template) copyBlocks(ctx.ws, template.id, { kind: 'page', id: page.id }, ctx.tok.botId);
  return page;
}

/** A template's property values for a new page; unique ids are numbered afresh. */
function templateProps(ws: Workspace, template: PageRec): PageRec['props'] {
  const ds = template.parent.type === 'data_source_id' ? ws.content.dataSources[template.parent.id] : undefined;
  const skip = new Set((ds?.properties ?? []).filter((p) => p.type === 'unique_id').map((p) => p.id));
  return Object.fromEntries(Object.entries(structuredClone(template.props)).filter(([id]) => !skip.has(id)));
}

function detach(ws: Workspace, page: PageRec): void {
  if (page.parent.type === 'page_id' || page.parent.type === 'block_id') {
    const list = ws.content.children[page.parent.id];
    if (list) ws.content.children[page.parent.id] = list.filter((x) => x !== page.id);
  }
}

export const pageRoutes = [
  {
    method: 'POST',
    template: '/v1/pages',
    handler: (ctx) => {
      const b: Untrusted<CreatePageParameters> = ctx.body;
      if (b.parent === undefined) throw validation('body.parent should be defined, instead was `undefined`.');
      if (b.markdown !== undefined) {
        throw new NotionError(
          400,
          'validation_error',
          'body.markdown: create the page, then PATCH /v1/pages/:id/markdown.',
        );
      }
      return pageJson(ctx.ws, createPage(ctx, b), filterPropsOf(ctx));
    },
  },
  {
    method: 'GET',
    template: '/v1/pages/:page_id',
    handler: (ctx) => pageJson(ctx.ws, requirePage(ctx, ctx.params.page_id), filterPropsOf(ctx)),
  },
  {
    method: 'PATCH',
    template: '/v1/pages/:page_id',
    handler: (ctx) => {
      const page = requirePage(ctx, ctx.params.page_id);
      const b: Untrusted<UpdatePageParameters> = ctx.body;
      const trash = b.in_trash ?? b.archived ?? b.is_archived;
      if (trash !== undefined && typeof trash !== 'boolean')
        throw validation(`body.in_trash should be a boolean, instead was ${describe(trash)}.`);
      const editing = b.properties !== undefined || b.icon !== undefined || b.cover !== undefined;
      if (page.in_trash && trash !== false && editing)
        throw validation(`Can't edit block that is archived. You must unarchive the block before editing.`);
      if (page.is_locked && b.properties !== undefined && b.is_locked !== false)
        throw validation(`Page ${page.id} is locked; unlock it (is_locked: false) before editing its properties.`);
      writePageProperties(ctx.ws, page, b.properties, false);
      const icon = checkIconCover(ctx.ws, b.icon, 'icon');
      if (icon !== undefined) page.icon = icon;
      const cover = checkIconCover(ctx.ws, b.cover, 'cover');
      if (cover !== undefined) page.cover = cover;
      if (typeof trash === 'boolean') page.in_trash = trash;
      if (typeof b.is_locked === 'boolean') page.is_locked = b.is_locked;
      if (b.erase_content === true) ctx.ws.content.children[page.id] = [];
      page.last_edited_time = tick();
      page.last_edited_by = ctx.tok.botId;
      return pageJson(ctx.ws, page, filterPropsOf(ctx));
    },
  },
  {
    // Property items: list-shaped for title / rich_text / people / relation (paginated), a single item otherwise.
    method: 'GET',
    template: '/v1/pages/:page_id/properties/:property_id',
    handler: (ctx) =>
      pagePropertyJson(ctx.ws, requirePage(ctx, ctx.params.page_id), ctx.params.property_id!, ctx.query),
  },
  {
    method: 'POST',
    template: '/v1/pages/:page_id/move',
    handler: (ctx) => {
      const page = requirePage(ctx, ctx.params.page_id);
      const b: Untrusted<MovePageParameters> = ctx.body;
      const target = resolvePageParent(ctx, b.parent);
      if (target.type === 'page_id') {
        // Refuse cycles: a page cannot move under itself or one of its descendants.
        let cur: string | undefined = target.id;
        while (cur) {
          if (cur === page.id)
            throw validation(`body.parent: cannot move page ${page.id} under itself or its descendants.`);
          const p: PageRec | undefined = ctx.ws.content.pages[cur];
          cur = p && p.parent.type === 'page_id' ? p.parent.id : undefined;
        }
      }
      if (target.type === 'data_source_id' && page.parent.type !== 'data_source_id') {
        // Moving into a data source keeps only the title (Notion drops properties the target lacks).
      }
      detach(ctx.ws, page);
      page.parent = target;
      if (target.type === 'page_id') {
        const list = ctx.ws.content.children[target.id] ?? [];
        list.push(page.id);
        ctx.ws.content.children[target.id] = list;
      }
      page.last_edited_time = tick();
      page.last_edited_by = ctx.tok.botId;
      return pageJson(ctx.ws, page);
    },
  },
] as const satisfies readonly Route[];

export { findContainer };
