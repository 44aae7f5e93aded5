/**
 * Before-images for undo: what each Notion write of an audited call changed, kept on the call's audit row
 * (`audit_log.before_image`). Captured in one place, the Notion call observer (src/notion/observer.ts), whichever
 * operation sends the write, the raw proxy included. Reads the call already made (a page retrieved, a data-source
 * query's rows, a write's answer) are reused; an object the call never read is read once before its first write.
 */

import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import type { NotionCall, NotionCallObserver } from '../../notion/observer.ts';
import { observeNotionCalls } from '../../notion/observer.ts';
import type { ResolvedConnection } from '../context.ts';

/** A before-image larger than this (JSON characters) is not kept: the write says it cannot be undone. */
export const MAX_BEFORE_IMAGE_CHARS = 100_000;

type Json = Record<string, unknown>;

export type Change =
  /** Page properties (by name), trash state, icon and cover: before the call and as the call left them. */
  | { kind: 'page'; id: string; before: Json; after: Json; last_edited_time?: string }
  | { kind: 'page_created'; id: string }
  | { kind: 'database_created'; id: string }
  /** Schema entries by property id (null: did not exist) and the title, before and after. */
  | { kind: 'data_source'; id: string; before: Json; after: Json }
  | { kind: 'block'; id: string; before: Json; after?: Json }
  | { kind: 'blocks_created'; parent: string; ids: string[] }
  | { kind: 'block_deleted'; id: string }
  | { kind: 'page_markdown'; id: string; before: string; after?: string }
  | { kind: 'unsupported'; method: string; path: string; reason: string };

export interface BeforeImage {
  version: 1;
  changes: Change[];
  /** Set instead of `changes` when they would have passed MAX_BEFORE_IMAGE_CHARS. */
  too_large?: { chars: number; limit: number };
}

const ID = '([0-9a-f-]{32,36})';
const route = (pattern: string) => new RegExp(`^/v1/${pattern}$`);
const PAGE = route(`pages/${ID}`);
const PAGE_MARKDOWN = route(`pages/${ID}/markdown`);
const DATA_SOURCE = route(`data_sources/${ID}`);
const DATA_SOURCE_QUERY = route(`data_sources/${ID}/query`);
const BLOCK = route(`blocks/${ID}`);
const BLOCK_CHILDREN = route(`blocks/${ID}/children`);

const dashed = (id: string) => {
  const hex = id.replaceAll('-', '').toLowerCase();
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
const match = (pattern: RegExp, path: string) => {
  const found = pattern.exec(path);
  return found ? dashed(found[1]!) : null;
};
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The page fields a PATCH /v1/pages touches, other than properties. */
const PAGE_FIELDS = ['in_trash', 'icon', 'cover'] as const;

function pageTouches(body: Json): { properties: string[]; fields: string[] } {
  const properties = isObject(body.properties) ? Object.keys(body.properties) : [];
  const fields = PAGE_FIELDS.filter((f) => body[f] !== undefined);
  if (body.archived !== undefined && !fields.includes('in_trash')) fields.push('in_trash');
  return { properties, fields };
}

/** The page's property of this key (a name or a property id), as [name, value]. */
function propertyOf(page: Json, key: string): [string, Json] | null {
  const properties = (page.properties ?? {}) as Record<string, Json>;
  if (properties[key]) return [key, properties[key]];
  const found = Object.entries(properties).find(([, v]) => v.id === key || decodeURIComponent(String(v.id)) === key);
  return found ?? null;
}

function schemaEntry(source: Json, key: string): Json | null {
  const properties = (source.properties ?? {}) as Record<string, Json>;
  if (properties[key]) return properties[key];
  return Object.values(properties).find((v) => v.id === key) ?? null;
}

/** Records what one audited call's Notion writes change. */
export class BeforeImageRecorder implements NotionCallObserver {
  readonly #connection: ResolvedConnection;
  /** The latest state seen of each object in this call: `page:<id>`, `data_source:<id>`, `block:<id>`, `md:<id>`. */
  readonly #seen = new Map<string, unknown>();
  readonly #changes: Change[] = [];
  /** Objects whose before-image is taken: the first write wins (a retried write, or a second write of the same). */
  readonly #byObject = new Map<string, Change>();
  readonly #created = new Set<string>();
  readonly #schemas = new Map<string, Record<string, Json>>();

  constructor(connection: ResolvedConnection) {
    this.#connection = connection;
  }

  /** The image to store, or null when the call changed nothing. */
  image(): BeforeImage | null {
    if (this.#changes.length === 0) return null;
    const image: BeforeImage = { version: 1, changes: this.#changes };
    const chars = JSON.stringify(image).length;
    return chars > MAX_BEFORE_IMAGE_CHARS
      ? { version: 1, changes: [], too_large: { chars, limit: MAX_BEFORE_IMAGE_CHARS } }
      : image;
  }

  answered(call: NotionCall, response: unknown): void {
    if (!isObject(response)) return;
    const { method, path } = call;
    const page = match(PAGE, path);
    if (page) {
      this.#seen.set(`page:${page}`, response);
      if (method === 'PATCH') this.#pageAfter(page, response);
      return;
    }
    if (method === 'POST' && path === '/v1/pages' && typeof response.id === 'string') {
      this.#created.add(response.id);
      this.#add(`created:${response.id}`, { kind: 'page_created', id: response.id });
      return;
    }
    if (method === 'POST' && path === '/v1/databases' && typeof response.id === 'string') {
      this.#created.add(response.id);
      this.#add(`created:${response.id}`, { kind: 'database_created', id: response.id });
      return;
    }
    if (match(DATA_SOURCE_QUERY, path) && Array.isArray(response.results)) {
      for (const row of response.results as Json[])
        if (row.object === 'page' && typeof row.id === 'string') this.#seen.set(`page:${row.id}`, row);
      return;
    }
    const source = match(DATA_SOURCE, path);
    if (source) {
      this.#seen.set(`data_source:${source}`, response);
      if (method === 'PATCH') this.#dataSourceAfter(source, call.body as Json, response);
      return;
    }
    const markdown = match(PAGE_MARKDOWN, path);
    if (markdown && method === 'GET' && typeof response.markdown === 'string') {
      this.#seen.set(`md:${markdown}`, response);
      const change = this.#byObject.get(`md:${markdown}`);
      if (change?.kind === 'page_markdown') change.after = response.markdown;
      return;
    }
    const children = match(BLOCK_CHILDREN, path);
    if (children && method === 'PATCH' && Array.isArray(response.results)) {
      if (this.#created.has(children)) return; // trashing the created page takes its blocks along
      const ids = (response.results as Json[]).map((b) => String(b.id));
      const change = this.#byObject.get(`children:${children}`);
      if (change?.kind === 'blocks_created') change.ids.push(...ids);
      else this.#add(`children:${children}`, { kind: 'blocks_created', parent: children, ids });
      return;
    }
    const block = match(BLOCK, path);
    if (block) {
      this.#seen.set(`block:${block}`, response);
      const change = this.#byObject.get(`block:${block}`);
      if (method === 'PATCH' && change?.kind === 'block') change.after = contentOf(response);
    }
  }

  async beforeWrite(call: NotionCall): Promise<void> {
    const { method, path } = call;
    const body = isObject(call.body) ? call.body : {};
    if (method === 'POST' && (path === '/v1/pages' || path === '/v1/databases')) return; // recorded when answered
    const page = match(PAGE, path);
    if (page && method === 'PATCH') return this.#pageBefore(page, body);
    const markdown = match(PAGE_MARKDOWN, path);
    if (markdown && method === 'PATCH') return this.#markdownBefore(markdown);
    const source = match(DATA_SOURCE, path);
    if (source && method === 'PATCH') return this.#dataSourceBefore(source);
    if (match(BLOCK_CHILDREN, path) && method === 'PATCH') return; // recorded when answered
    const block = match(BLOCK, path);
    if (block && (method === 'PATCH' || method === 'DELETE')) return this.#blockBefore(block, method);
    const route = `${method} ${path.replace(/[0-9a-f-]{32,36}/g, '{id}')}`;
    this.#add(`unsupported:${method} ${path}`, unsupported(method, path, `${route} keeps no before-image`));
  }

  #add(key: string, change: Change) {
    if (this.#byObject.has(key)) return;
    this.#byObject.set(key, change);
    this.#changes.push(change);
  }

  /** Reads an object outside the observer (an observer's read must not be taken for the call's own). */
  async #read<T>(key: string, read: () => Promise<unknown>): Promise<T | null> {
    const known = this.#seen.get(key);
    if (known) return known as T;
    try {
      const value = await observeNotionCalls(undefined, read);
      this.#seen.set(key, value);
      return value as T;
    } catch {
      return null; // the write itself will fail the same way, or the change is recorded as unknown below
    }
  }

  async #pageBefore(id: string, body: Json) {
    if (this.#created.has(id)) return; // a page this call created is trashed as a whole
    const { properties, fields } = pageTouches(body);
    // The latest state seen: before this call's first write of the page, or as that write left the page, which for
    // a property it did not touch is still the value before the call.
    const page = await this.#read<Json>(`page:${id}`, () => this.#connection.notion().pages.retrieve({ page_id: id }));
    const existing = this.#byObject.get(`page:${id}`);
    if (!page) {
      this.#add(`page:${id}`, unsupported('PATCH', `/v1/pages/${id}`, 'the page could not be read before the write'));
      return;
    }
    if (existing && existing.kind !== 'page') return;
    const change = existing ?? { kind: 'page' as const, id, before: {}, after: {} };
    const before = (change.before.properties ?? {}) as Json;
    for (const key of properties) {
      const found = propertyOf(page, key);
      if (found && !(found[0] in before)) before[found[0]] = found[1];
    }
    change.before.properties = before;
    for (const field of fields) if (!(field in change.before)) change.before[field] = page[field] ?? null;
    if (!existing) this.#add(`page:${id}`, change);
  }

  #pageAfter(id: string, response: Json) {
    const change = this.#byObject.get(`page:${id}`);
    if (change?.kind !== 'page') return;
    const properties: Json = {};
    for (const name of Object.keys((change.before.properties ?? {}) as Json)) {
      properties[name] = (response.properties as Json | undefined)?.[name] ?? null;
    }
    change.after = { properties };
    for (const field of PAGE_FIELDS) if (field in change.before) change.after[field] = response[field] ?? null;
    change.last_edited_time = String(response.last_edited_time ?? '');
  }

  async #markdownBefore(id: string) {
    if (this.#created.has(id) || this.#byObject.has(`md:${id}`)) return;
    const md = await this.#read<Json>(`md:${id}`, () =>
      this.#connection.notion(MARKDOWN_NOTION_VERSION).pages.retrieveMarkdown({ page_id: id }),
    );
    if (!md || md.truncated === true || typeof md.markdown !== 'string') {
      const why = md
        ? 'the page body is too long to read back whole'
        : 'the page body could not be read before the write';
      this.#add(`md:${id}`, unsupported('PATCH', `/v1/pages/${id}/markdown`, why));
      return;
    }
    this.#add(`md:${id}`, { kind: 'page_markdown', id, before: md.markdown });
  }

  async #dataSourceBefore(id: string) {
    if (this.#byObject.has(`data_source:${id}`)) return;
    const source = await this.#read<Json>(`data_source:${id}`, () =>
      this.#connection.notion().dataSources.retrieve({ data_source_id: id }),
    );
    if (!source) {
      const why = 'the data source could not be read before the write';
      this.#add(`data_source:${id}`, unsupported('PATCH', `/v1/data_sources/${id}`, why));
      return;
    }
    // The whole schema is held until the answer says which properties the write touched (it names them by name or
    // id, and may rename them); only those are kept.
    this.#schemas.set(id, byId(source));
    this.#add(`data_source:${id}`, {
      kind: 'data_source',
      id,
      before: { title: source.title ?? [], properties: {} },
      after: {},
    });
  }

  #dataSourceAfter(id: string, body: Json, response: Json) {
    const change = this.#byObject.get(`data_source:${id}`);
    const full = this.#schemas.get(id);
    if (change?.kind !== 'data_source' || !full) return;
    const touched = new Set<string>((change.after.touched as string[] | undefined) ?? []);
    const byName = { properties: Object.fromEntries(Object.values(full).map((v) => [v.name, v])) };
    const sent = isObject(body.properties) ? (body.properties as Record<string, Json | null>) : {};
    for (const [key, value] of Object.entries(sent)) {
      const old = schemaEntry(byName, key);
      const made = old ? null : schemaEntry(response, typeof value?.name === 'string' ? value.name : key);
      if (old ?? made) touched.add(String((old ?? made)!.id));
    }
    const after = byId(response);
    change.before.properties = Object.fromEntries([...touched].map((pid) => [pid, full[pid] ?? null]));
    change.after = {
      touched: [...touched],
      properties: Object.fromEntries([...touched].map((pid) => [pid, after[pid] ?? null])),
      ...(body.title !== undefined || change.after.title !== undefined ? { title: response.title ?? [] } : {}),
    };
  }

  async #blockBefore(id: string, method: string) {
    if (this.#created.has(id)) return;
    if (method === 'DELETE') {
      this.#add(`block:${id}`, { kind: 'block_deleted', id });
      return;
    }
    if (this.#byObject.has(`block:${id}`)) return;
    const block = await this.#read<Json>(`block:${id}`, () =>
      this.#connection.notion().blocks.retrieve({ block_id: id }),
    );
    if (!block) {
      this.#add(`block:${id}`, unsupported(method, `/v1/blocks/${id}`, 'the block could not be read before the write'));
      return;
    }
    this.#add(`block:${id}`, { kind: 'block', id, before: contentOf(block) });
  }
}

const unsupported = (method: string, path: string, reason: string): Change => ({
  kind: 'unsupported',
  method,
  path,
  reason,
});

/** A data source's schema entries keyed by property id. */
function byId(source: Json): Record<string, Json> {
  return Object.fromEntries(
    Object.values((source.properties ?? {}) as Record<string, Json>).map((v) => [String(v.id), v]),
  );
}

/** A block's own content: its type, its type's payload and its trash state. */
export function contentOf(block: Json): Json {
  const type = String(block.type);
  return { type, [type]: block[type] ?? {}, in_trash: block.in_trash ?? block.archived ?? false };
}
