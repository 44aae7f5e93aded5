// Blocks: retrieve, list children (cursor pagination), append (nested, with Notion's limits), update, delete.
// Pages are blocks too: a sub-page appears in its parent's children as a child_page block with the page's id.

import { notFound, validation } from './errors.ts';
import { attachFileUpload } from './file-uploads.ts';
import { toRichText } from './richtext.ts';
import type { Ctx, Route } from './router.ts';
import type {
  AppendBlockChildrenParameters,
  AppendBlockChildrenResponse,
  BlockObjectResponse,
  BlockParentResponse,
  ChildDatabaseBlockObjectResponse,
  ChildPageBlockObjectResponse,
  ListBlockChildrenResponse,
  Untrusted,
  UpdateBlockParameters,
} from './sdk.ts';
import type { BlockRec, ParentRef, Workspace } from './store.ts';
import { partialUser } from './users.ts';
import { describe, isObject, newId, normalizeId, paginate, tick } from './util.ts';

export const MAX_CHILDREN = 100;
export const MAX_NESTING = 2;

type BlockType = BlockObjectResponse['type'];
/** The type-specific payload of a block type in response shape, e.g. `{rich_text, color}` for paragraph. */
type BlockPayload<T extends BlockType> =
  Extract<BlockObjectResponse, { type: T }> extends infer B ? (B extends Record<T, infer P> ? P : never) : never;
type Defaults<K extends BlockType> = { [T in K]: Partial<BlockPayload<T>> };

/** Block types the sandbox accepts on append, with the defaults Notion fills in on the response. */
const TEXT_BLOCKS: Defaults<
  | 'paragraph'
  | 'heading_1'
  | 'heading_2'
  | 'heading_3'
  | 'bulleted_list_item'
  | 'numbered_list_item'
  | 'quote'
  | 'to_do'
  | 'toggle'
  | 'callout'
  | 'code'
> = {
  paragraph: { color: 'default', icon: null },
  heading_1: { color: 'default', is_toggleable: false },
  heading_2: { color: 'default', is_toggleable: false },
  heading_3: { color: 'default', is_toggleable: false },
  bulleted_list_item: { color: 'default' },
  numbered_list_item: { color: 'default' },
  quote: { color: 'default' },
  to_do: { color: 'default', checked: false },
  toggle: { color: 'default' },
  callout: { color: 'gray_background', icon: null },
  code: { caption: [], language: 'plain text' },
};
const OTHER_BLOCKS: Defaults<
  | 'divider'
  | 'breadcrumb'
  | 'table_of_contents'
  | 'equation'
  | 'bookmark'
  | 'embed'
  | 'image'
  | 'video'
  | 'file'
  | 'pdf'
  | 'audio'
  | 'table'
  | 'table_row'
  | 'column_list'
  | 'column'
  | 'link_to_page'
  | 'synced_block'
> = {
  divider: {},
  breadcrumb: {},
  table_of_contents: { color: 'default' },
  equation: {},
  bookmark: { caption: [] },
  embed: { caption: [] },
  image: { caption: [] },
  video: { caption: [] },
  file: { caption: [] },
  pdf: { caption: [] },
  audio: { caption: [] },
  table: { has_column_header: false, has_row_header: false },
  table_row: {},
  column_list: {},
  column: {},
  link_to_page: {},
  synced_block: { synced_from: null },
};
export const SUPPORTED_BLOCK_TYPES = [...Object.keys(TEXT_BLOCKS), ...Object.keys(OTHER_BLOCKS)];

/** Looks up something that can hold children: a page or a (non-page) block. */
export function findContainer(
  ws: Workspace,
  rawId: string,
): { kind: 'page' | 'block'; id: string; trashed: boolean } | null {
  const id = normalizeId(rawId);
  if (!id) return null;
  const page = ws.content.pages[id];
  if (page) return { kind: 'page', id, trashed: page.in_trash };
  const block = ws.content.blocks[id];
  if (block) return { kind: 'block', id, trashed: block.in_trash };
  return null;
}

export function liveChildren(ws: Workspace, containerId: string): string[] {
  return (ws.content.children[containerId] ?? []).filter((id) => {
    const b = ws.content.blocks[id];
    if (b) return !b.in_trash;
    const p = ws.content.pages[id];
    if (p) return !p.in_trash;
    const d = ws.content.databases[id];
    return d ? !d.in_trash : false;
  });
}

function parentJson(ws: Workspace, p: ParentRef): BlockParentResponse {
  switch (p.type) {
    case 'workspace':
      return { type: 'workspace', workspace: true };
    case 'page_id':
      return { type: 'page_id', page_id: p.id };
    case 'block_id':
      return { type: 'block_id', block_id: p.id };
    case 'database_id':
      return { type: 'database_id', database_id: p.id };
    case 'data_source_id':
      return {
        type: 'data_source_id',
        data_source_id: p.id,
        database_id: ws.content.dataSources[p.id]?.database_id ?? p.id,
      };
  }
}

export { parentJson };

/** Hook for pages.ts / databases.ts so child_page / child_database blocks render without import cycles. */
export const blockViews: {
  page: (ws: Workspace, id: string) => ChildPageBlockObjectResponse | null;
  database: (ws: Workspace, id: string) => ChildDatabaseBlockObjectResponse | null;
} = { page: () => null, database: () => null };

export function blockJson(ws: Workspace, id: string): BlockObjectResponse | null {
  const b = ws.content.blocks[id];
  if (!b) return blockViews.page(ws, id) ?? blockViews.database(ws, id);
  const common = {
    object: 'block',
    id: b.id,
    parent: parentJson(ws, b.parent),
    created_time: b.created_time,
    last_edited_time: b.last_edited_time,
    created_by: partialUser(b.created_by),
    last_edited_by: partialUser(b.last_edited_by),
    has_children: liveChildren(ws, b.id).length > 0,
    archived: b.in_trash,
    in_trash: b.in_trash,
  } satisfies Omit<BlockObjectResponse, 'type' | BlockType>;
  // Cast: the payload sits under a key only known at run time (b.type); blockContent() builds it from the
  // SDK-typed defaults above, so the union member cannot be chosen statically.
  return { ...common, type: b.type, [b.type]: b.content } as BlockObjectResponse;
}

/** A list of blocks (GET children and the append response share the shape). */
export function blockListJson(
  ws: Workspace,
  page: { results: string[]; next_cursor: string | null; has_more: boolean },
): ListBlockChildrenResponse & AppendBlockChildrenResponse {
  return {
    object: 'list',
    results: page.results.map((x) => blockJson(ws, x)).filter((x): x is BlockObjectResponse => x !== null),
    next_cursor: page.next_cursor,
    has_more: page.has_more,
    type: 'block',
    block: {},
  };
}

/** Validates a whole children array up front (limits, nesting) so an append is all-or-nothing. */
export function checkChildren(raw: unknown, path: string, depth = 0): void {
  if (!Array.isArray(raw)) throw validation(`${path} should be an array, instead was ${describe(raw)}.`);
  if (raw.length > MAX_CHILDREN)
    throw validation(`${path}.length should be ≤ \`${MAX_CHILDREN}\`, instead was \`${raw.length}\`.`);
  raw.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(item)) throw validation(`${p} should be an object, instead was ${describe(item)}.`);
    const type = blockTypeOf(item, p);
    const content = item[type];
    if (isObject(content) && content.children !== undefined) {
      if (depth + 1 > MAX_NESTING)
        throw validation(
          `${p}.${type}.children should be not present, instead was ${describe('[…]')}. Requests may nest children at most ${MAX_NESTING} levels deep.`,
        );
      checkChildren(content.children, `${p}.${type}.children`, depth + 1);
    }
  });
}

function blockTypeOf(item: Record<string, unknown>, path: string): string {
  const type = (item.type as string | undefined) ?? Object.keys(item).find((k) => k !== 'object' && k !== 'type');
  if (!type || !(type in TEXT_BLOCKS || type in OTHER_BLOCKS)) {
    if (type === 'child_page' || type === 'child_database')
      throw validation(
        `${path}: ${type} blocks cannot be created by appending children; use the pages / databases endpoints.`,
      );
    throw validation(
      `${path} should be a supported block object (${SUPPORTED_BLOCK_TYPES.join(', ')}), instead type was ${describe(type)}.`,
    );
  }
  if (!isObject(item[type]))
    throw validation(`${path}.${type} should be an object, instead was ${describe(item[type])}.`);
  return type;
}

/** Turns a block request payload into the stored, response-shaped content (without children). */
export function blockContent(
  ws: Workspace,
  type: string,
  raw: Record<string, unknown>,
  path: string,
): Record<string, unknown> {
  const defaults: object =
    (TEXT_BLOCKS as Record<string, object>)[type] ?? (OTHER_BLOCKS as Record<string, object>)[type] ?? {};
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(raw)) {
    if (k === 'children') continue;
    if (k === 'rich_text' || k === 'caption') out[k] = toRichText(v, `${path}.${k}`, ws);
    else if (k === 'cells' && Array.isArray(v)) out[k] = v.map((c, i) => toRichText(c, `${path}.cells[${i}]`, ws));
    else out[k] = v;
  }
  if (type in TEXT_BLOCKS && type !== 'code' && out.rich_text === undefined) out.rich_text = [];
  if (type === 'code' && out.rich_text === undefined)
    throw validation(`${path}.rich_text should be defined, instead was \`undefined\`.`);
  if (type === 'equation' && typeof out.expression !== 'string')
    throw validation(`${path}.expression should be a string, instead was ${describe(out.expression)}.`);
  if ((type === 'bookmark' || type === 'embed') && typeof out.url !== 'string')
    throw validation(`${path}.url should be a string, instead was ${describe(out.url)}.`);
  if (
    ['image', 'video', 'file', 'pdf', 'audio'].includes(type) &&
    (raw.type === 'file_upload' || isObject(raw.file_upload))
  ) {
    const attached = attachFileUpload(ws, raw, path);
    delete out.file_upload;
    out.type = 'file';
    out.file = attached.file;
    if (type === 'file') out.name = (raw.name as string | undefined) ?? attached.name;
  } else if (['image', 'video', 'file', 'pdf', 'audio'].includes(type)) {
    const ext = raw.external;
    if (!isObject(ext) || typeof ext.url !== 'string')
      throw validation(
        `${path}.external.url should be defined (the sandbox supports external files only), instead was ${describe(ext)}.`,
      );
    out.type = 'external';
    out.external = { url: ext.url };
    // Only file blocks carry a name (the SDK's pdf/image/video/audio payloads have none).
    if (type === 'file') out.name = (raw.name as string | undefined) ?? ext.url.split('/').pop() ?? 'file';
  }
  if (type === 'table' && typeof out.table_width !== 'number')
    throw validation(`${path}.table_width should be a number, instead was ${describe(out.table_width)}.`);
  if (type === 'link_to_page') {
    const kind = (raw.type as string | undefined) ?? (raw.page_id ? 'page_id' : 'database_id');
    const id = normalizeId(raw[kind]);
    if (!id) throw validation(`${path}.${kind} should be a valid uuid, instead was ${describe(raw[kind])}.`);
    out.type = kind;
    out[kind] = id;
  }
  return out;
}

/** Inserts already-validated children under a container. Returns the top-level new block ids. */
export function insertChildren(
  ws: Workspace,
  container: { kind: 'page' | 'block'; id: string },
  children: unknown[],
  userId: string,
  afterId: string | null | 'start',
  path: string,
): string[] {
  const ids: string[] = [];
  const now = tick();
  const parent: ParentRef =
    container.kind === 'page' ? { type: 'page_id', id: container.id } : { type: 'block_id', id: container.id };
  const created: Array<{ id: string; nested: unknown[] | undefined; type: string }> = [];
  children.forEach((item, i) => {
    const raw = item as Record<string, unknown>;
    const type = blockTypeOf(raw, `${path}[${i}]`);
    const content = raw[type] as Record<string, unknown>;
    const rec: BlockRec = {
      id: newId(),
      type,
      content: blockContent(ws, type, content, `${path}[${i}].${type}`),
      parent,
      in_trash: false,
      created_time: now,
      last_edited_time: now,
      created_by: userId,
      last_edited_by: userId,
    };
    ws.content.blocks[rec.id] = rec;
    ids.push(rec.id);
    created.push({ id: rec.id, nested: content.children as unknown[] | undefined, type });
  });
  const list = ws.content.children[container.id] ?? [];
  let at = list.length;
  if (afterId === 'start') at = 0;
  else if (afterId) at = list.indexOf(afterId) + 1;
  list.splice(at, 0, ...ids);
  ws.content.children[container.id] = list;
  for (const c of created) {
    if (c.nested) insertChildren(ws, { kind: 'block', id: c.id }, c.nested, userId, null, `${path}.${c.type}.children`);
  }
  return ids;
}

/** Counts every block element in a request (Notion caps a request at 1,000). */
export function countBlocks(children: unknown): number {
  if (!Array.isArray(children)) return 0;
  let n = 0;
  for (const c of children) {
    n++;
    if (isObject(c)) {
      for (const v of Object.values(c)) if (isObject(v) && Array.isArray(v.children)) n += countBlocks(v.children);
    }
  }
  return n;
}

export function validateAndCountChildren(raw: unknown, path: string): void {
  checkChildren(raw, path);
  const n = countBlocks(raw);
  if (n > 1000) throw validation(`${path}: a request may contain at most 1000 block elements, instead had ${n}.`);
}

function touchContainer(ws: Workspace, id: string, userId: string): void {
  const t = tick();
  const p = ws.content.pages[id] ?? ws.content.blocks[id];
  if (p) {
    p.last_edited_time = t;
    p.last_edited_by = userId;
  }
}

function requireBlock(ctx: Ctx, raw: string): string {
  const id = normalizeId(raw);
  if (!id) throw validation(`path failed validation: path.block_id should be a valid uuid, instead was \`"${raw}"\`.`);
  const c = ctx.ws.content;
  if (!c.blocks[id] && !c.pages[id] && !c.databases[id]) throw notFound(id, 'block');
  return id;
}

function positionOf(ctx: Ctx, containerId: string): string | null | 'start' {
  const b: Untrusted<AppendBlockChildrenParameters> = ctx.body;
  const pos = b.position;
  if (isObject(pos)) {
    if (pos.type === 'start') return 'start';
    if (pos.type === 'end') return null;
    if (pos.type === 'after_block' && isObject(pos.after_block))
      return checkAfter(ctx, containerId, pos.after_block.id, 'position.after_block.id');
    throw validation(`body.position should be one of start, end, after_block, instead was ${describe(pos)}.`);
  }
  if (b.after !== undefined) return checkAfter(ctx, containerId, b.after, 'after');
  return null;
}

function checkAfter(ctx: Ctx, containerId: string, raw: unknown, path: string): string {
  const id = normalizeId(raw);
  if (!id) throw validation(`body.${path} should be a valid uuid, instead was ${describe(raw)}.`);
  if (!(ctx.ws.content.children[containerId] ?? []).includes(id))
    throw validation(`body.${path}: block ${id} is not a child of ${containerId}.`);
  return id;
}

export function trashBlockTree(ws: Workspace, id: string, trashed: boolean, userId: string): void {
  const t = tick();
  const b = ws.content.blocks[id];
  if (b) {
    b.in_trash = trashed;
    b.last_edited_time = t;
    b.last_edited_by = userId;
  }
}

/** A block for a route answer; ids that do not render as a block (data-source rows) are a 404, never `null`. */
function renderedBlock(ctx: Ctx, id: string): BlockObjectResponse {
  const block = blockJson(ctx.ws, id);
  if (!block) throw notFound(id);
  return block;
}

export const blockRoutes = [
  {
    method: 'GET',
    template: '/v1/blocks/:block_id',
    handler: (ctx) => {
      return renderedBlock(ctx, requireBlock(ctx, ctx.params.block_id!));
    },
  },
  {
    method: 'GET',
    template: '/v1/blocks/:block_id/children',
    handler: (ctx) => {
      const id = requireBlock(ctx, ctx.params.block_id!);
      const ids = liveChildren(ctx.ws, id);
      return blockListJson(
        ctx.ws,
        paginate(ids, (x) => x, ctx.query.get('start_cursor'), ctx.query.get('page_size')),
      );
    },
  },
  {
    method: 'PATCH',
    template: '/v1/blocks/:block_id/children',
    handler: (ctx) => {
      const id = requireBlock(ctx, ctx.params.block_id!);
      const container = findContainer(ctx.ws, id);
      if (!container) throw validation(`Block ${id} cannot have children appended.`);
      if (container.trashed)
        throw validation(`Can't edit block that is archived. You must unarchive the block before editing.`);
      const b: Untrusted<AppendBlockChildrenParameters> = ctx.body;
      if (b.children === undefined) throw validation('body.children should be defined, instead was `undefined`.');
      validateAndCountChildren(b.children, 'body.children');
      const after = positionOf(ctx, id);
      const ids = insertChildren(ctx.ws, container, b.children as unknown[], ctx.tok.botId, after, 'body.children');
      touchContainer(ctx.ws, id, ctx.tok.botId);
      return blockListJson(ctx.ws, { results: ids, next_cursor: null, has_more: false });
    },
  },
  {
    method: 'PATCH',
    template: '/v1/blocks/:block_id',
    handler: (ctx) => {
      const id = requireBlock(ctx, ctx.params.block_id!);
      const b = ctx.ws.content.blocks[id];
      if (!b) throw validation(`Block ${id} is a page or database; update it through the pages / databases endpoints.`);
      const body: Untrusted<UpdateBlockParameters> = ctx.body;
      const trash = body.in_trash ?? body.archived;
      if (b.in_trash && trash !== false)
        throw validation(`Can't edit block that is archived. You must unarchive the block before editing.`);
      const payload = ctx.body[b.type];
      for (const k of Object.keys(body)) {
        if (k !== b.type && k !== 'in_trash' && k !== 'archived' && k !== 'type')
          throw validation(
            `body.${k}: block ${id} is a ${b.type} block; only body.${b.type}, in_trash and archived can be updated.`,
          );
      }
      if (payload !== undefined) {
        if (!isObject(payload))
          throw validation(`body.${b.type} should be an object, instead was ${describe(payload)}.`);
        const next = blockContent(ctx.ws, b.type, payload, `body.${b.type}`);
        // An update merges over the existing content: omitted keys keep their values.
        for (const k of Object.keys(payload)) b.content[k] = next[k];
        if (next.type && next[next.type as string]) {
          b.content.type = next.type;
          b.content[next.type as string] = next[next.type as string];
        }
      }
      if (typeof trash === 'boolean') b.in_trash = trash;
      b.last_edited_time = tick();
      b.last_edited_by = ctx.tok.botId;
      return renderedBlock(ctx, id);
    },
  },
  {
    method: 'DELETE',
    template: '/v1/blocks/:block_id',
    handler: (ctx) => {
      const id = requireBlock(ctx, ctx.params.block_id!);
      const c = ctx.ws.content;
      if (c.pages[id]) {
        c.pages[id].in_trash = true;
        c.pages[id].last_edited_time = tick();
      } else if (c.databases[id]) {
        c.databases[id].in_trash = true;
        c.databases[id].last_edited_time = tick();
      } else trashBlockTree(ctx.ws, id, true, ctx.tok.botId);
      return renderedBlock(ctx, id);
    },
  },
] as const satisfies readonly Route[];
