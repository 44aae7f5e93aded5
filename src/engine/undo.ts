/**
 * Undo from the audit log: each write's before-image (src/engine/pipeline/before-image.ts) turned back into Notion
 * writes, newest first. Before anything is written, every object is compared with what the newest write of it left:
 * a value changed since → `undo_conflict` naming it, and nothing is written.
 */
import { APIResponseError, type Client } from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../notion/allowlist.ts';
import { GatewayError } from '../shared/errors.ts';
import type { ResolvedConnection } from './context.ts';
import type { WouldSend } from './dry-run.ts';
import type { BeforeImage, Change } from './pipeline/before-image.ts';
import { contentOf } from './pipeline/before-image.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One Notion write of an undo, and what it shows a dry run. */
export interface Step {
  send: WouldSend;
  /** `<object id>.<property>` → {before: now, after: once undone}. */
  changes: Record<string, { before: unknown; after: unknown }>;
  /** A failure that means the step has nothing left to do (a created block already deleted). */
  tolerate?: (error: unknown) => boolean;
}

export interface PlannedWrite {
  steps: Step[];
  objects: string[];
  skipped: string[];
}

// ───────────── comparing values: what a reader sees, not ids or annotations Notion adds ─────────────

const plainText = (items: unknown) =>
  Array.isArray(items)
    ? items.map((i: Json) => (i.plain_text as string) ?? (i.text as Json | undefined)?.content ?? '').join('')
    : '';
const names = (items: unknown) => (Array.isArray(items) ? items.map((i: Json) => i.name ?? i.id).sort() : []);
const ids = (items: unknown) =>
  Array.isArray(items) ? items.map((i: Json) => String(i.id).replaceAll('-', '')).sort() : [];

/** A page property value as a reader sees it: two values that read the same compare equal. */
export function valueSignature(value: unknown): unknown {
  if (!isObject(value)) return value ?? null;
  const type = String(value.type ?? Object.keys(value).find((k) => k !== 'id') ?? '');
  const v = value[type] as unknown;
  switch (type) {
    case 'title':
    case 'rich_text':
      return plainText(v);
    case 'select':
    case 'status':
      return isObject(v) ? (v.name ?? v.id) : null;
    case 'multi_select':
      return names(v);
    case 'people':
    case 'relation':
      return ids(v);
    case 'date':
      return isObject(v) ? [v.start, v.end ?? null] : null;
    case 'files':
      return names(v);
    default:
      return v ?? null;
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A schema entry as compared: name, type and its configuration without option ids. */
function schemaSignature(entry: Json | null | undefined): unknown {
  if (!entry) return null;
  return [entry.name, entry.type, stripIds(entry[String(entry.type)])];
}

function stripIds(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripIds);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => k !== 'id')
      .map(([k, v]) => [k, stripIds(v)]),
  );
}

const iconSignature = (icon: unknown) => {
  if (!isObject(icon)) return null;
  const type = String(icon.type);
  const payload = icon[type] as Json | string | undefined;
  return [type, isObject(payload) ? (payload.url ?? payload.name ?? null) : (payload ?? null)];
};

// ───────────── turning what Notion answered back into what Notion accepts ─────────────

/** Rich text as a request sends it (an answer's items carry plain_text, href and resolved mentions). */
export function richTextRequest(items: unknown): Json[] {
  if (!Array.isArray(items)) return [];
  return items.map((item: Json) => {
    const annotations = item.annotations ?? {};
    if (item.type === 'mention') return { type: 'mention', mention: mentionRequest(item.mention as Json), annotations };
    if (item.type === 'equation') return { type: 'equation', equation: item.equation, annotations };
    const text = (item.text ?? { content: item.plain_text ?? '' }) as Json;
    return { type: 'text', text: { content: text.content ?? '', link: text.link ?? null }, annotations };
  });
}

function mentionRequest(mention: Json): Json {
  const type = String(mention.type);
  const payload = mention[type] as Json;
  if (type === 'date' || type === 'template_mention') return { type, [type]: payload };
  return { type, [type]: isObject(payload) && payload.id ? { id: payload.id } : payload };
}

/** A page property value as PATCH /v1/pages takes it, or a reason it cannot be sent back. */
export function propertyRequest(value: Json): { value: unknown } | { reason: string } {
  const type = String(value.type);
  const v = value[type] as unknown;
  switch (type) {
    case 'title':
    case 'rich_text':
      return { value: { [type]: richTextRequest(v) } };
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
      return { value: { [type]: v ?? (type === 'checkbox' ? false : null) } };
    case 'select':
    case 'status':
      return { value: { [type]: isObject(v) ? { name: v.name } : null } };
    case 'multi_select':
      return { value: { multi_select: (Array.isArray(v) ? v : []).map((o: Json) => ({ name: o.name })) } };
    case 'date':
      return {
        value: { date: isObject(v) ? { start: v.start, end: v.end ?? null, time_zone: v.time_zone ?? null } : null },
      };
    case 'people':
    case 'relation':
      if (value.has_more === true)
        return { reason: 'the page showed only the first 25 of its links, so the rest cannot be put back' };
      return { value: { [type]: (Array.isArray(v) ? v : []).map((o: Json) => ({ id: o.id })) } };
    case 'files': {
      const files = Array.isArray(v) ? (v as Json[]) : [];
      if (files.some((f) => f.type === 'file'))
        return { reason: 'files uploaded to Notion cannot be sent back (their links expire)' };
      return { value: { files: files.map((f) => ({ name: f.name, type: 'external', external: f.external })) } };
    }
    default:
      return { reason: `a ${type} value cannot be written` };
  }
}

function iconRequest(icon: unknown): { value: unknown } | { reason: string } {
  if (!isObject(icon)) return { value: null };
  if (icon.type === 'emoji') return { value: { type: 'emoji', emoji: icon.emoji } };
  if (icon.type === 'external') return { value: { type: 'external', external: { url: (icon.external as Json).url } } };
  if (icon.type === 'custom_emoji')
    return { value: { type: 'custom_emoji', custom_emoji: { id: (icon.custom_emoji as Json).id } } };
  return { reason: 'a file uploaded to Notion cannot be sent back (its link expires)' };
}

/** A schema entry as PATCH /v1/data_sources takes it (option ids dropped: names and colours identify them). */
function schemaRequest(entry: Json): Json {
  const type = String(entry.type);
  const config = stripIds(entry[type] ?? {}) as Json;
  if (type === 'relation' && isObject(entry.relation)) {
    const rel = entry.relation as Json;
    const kind = String(rel.type ?? 'single_property');
    return { type, relation: { data_source_id: rel.data_source_id, type: kind, [kind]: {} } };
  }
  return { type, [type]: config, ...(entry.description ? { description: entry.description } : {}) };
}

// ───────────── reading the present state ─────────────

const gone = (error: unknown) =>
  error instanceof APIResponseError && (error.status === 404 || error.code === 'object_not_found');

async function readOrNull<T>(read: () => Promise<unknown>): Promise<T | null> {
  try {
    return (await read()) as T;
  } catch (error) {
    if (gone(error)) return null;
    throw error;
  }
}

export interface Conflict {
  object_id: string;
  property: string;
  /** As the write to undo left it, and as it reads now. */
  left: unknown;
  now: unknown;
  last_edited_time?: unknown;
  last_edited_by?: unknown;
}

/**
 * What undoing one write sends, checked against the present: `check` is true for the newest write of each object
 * (older writes of the same object are undone on top of the newer ones' undo, which restores what they left).
 */
export async function planChange(
  connection: ResolvedConnection,
  change: Change,
  check: boolean,
  conflicts: Conflict[],
): Promise<PlannedWrite> {
  const client = connection.notion();
  const plan: PlannedWrite = { steps: [], objects: [], skipped: [] };
  switch (change.kind) {
    case 'unsupported':
      plan.skipped.push(`cannot undo ${change.method} ${change.path}: ${change.reason}`);
      return plan;
    case 'page': {
      const page = await readOrNull<Json>(() => client.pages.retrieve({ page_id: change.id }));
      if (!page) {
        plan.skipped.push(`cannot undo: page ${change.id} no longer exists (deleted for good)`);
        return plan;
      }
      const before = (change.before.properties ?? {}) as Record<string, Json>;
      const left = (change.after.properties ?? {}) as Record<string, Json>;
      const properties: Json = {};
      const changes: Step['changes'] = {};
      for (const [name, old] of Object.entries(before)) {
        const current = (page.properties as Record<string, Json>)[name];
        if (check && !same(valueSignature(current), valueSignature(left[name]))) {
          conflicts.push(conflict(change.id, name, valueSignature(left[name]), valueSignature(current), page));
          continue;
        }
        if (same(valueSignature(current), valueSignature(old))) continue;
        const request = propertyRequest(old);
        if ('reason' in request) {
          plan.skipped.push(`cannot undo ${name} of page ${change.id}: ${request.reason}`);
          continue;
        }
        properties[name] = request.value;
        changes[`${change.id}.${name}`] = { before: valueSignature(current), after: valueSignature(old) };
      }
      const fields: Json = {};
      for (const field of ['icon', 'cover'] as const) {
        if (!(field in change.before)) continue;
        if (check && !same(iconSignature(page[field]), iconSignature(change.after[field]))) {
          conflicts.push(
            conflict(change.id, field, iconSignature(change.after[field]), iconSignature(page[field]), page),
          );
          continue;
        }
        if (same(iconSignature(page[field]), iconSignature(change.before[field]))) continue;
        const request = iconRequest(change.before[field]);
        if ('reason' in request) plan.skipped.push(`cannot undo the ${field} of page ${change.id}: ${request.reason}`);
        else {
          fields[field] = request.value;
          changes[`${change.id}.${field}`] = {
            before: iconSignature(page[field]),
            after: iconSignature(change.before[field]),
          };
        }
      }
      let trash: boolean | undefined;
      if ('in_trash' in change.before) {
        const now = Boolean(page.in_trash ?? page.archived);
        if (check && now !== Boolean(change.after.in_trash)) {
          conflicts.push(conflict(change.id, 'in_trash', Boolean(change.after.in_trash), now, page));
        } else if (now !== Boolean(change.before.in_trash)) {
          trash = Boolean(change.before.in_trash);
          changes[`${change.id}.in_trash`] = { before: now, after: trash };
        }
      }
      const path = `/v1/pages/${change.id}`;
      const edits = { ...(Object.keys(properties).length ? { properties } : {}), ...fields };
      // Notion refuses to edit a page in the trash: restore it first, or trash it last.
      if (trash === false) plan.steps.push({ send: { method: 'PATCH', path, body: { in_trash: false } }, changes: {} });
      if (Object.keys(edits).length) plan.steps.push({ send: { method: 'PATCH', path, body: edits }, changes: {} });
      if (trash === true) plan.steps.push({ send: { method: 'PATCH', path, body: { in_trash: true } }, changes: {} });
      if (plan.steps[0]) plan.steps[0].changes = changes;
      plan.objects.push(change.id);
      return plan;
    }
    case 'page_created':
    case 'database_created': {
      const kind = change.kind === 'page_created' ? 'pages' : 'databases';
      const object = await readOrNull<Json>(() =>
        kind === 'pages'
          ? client.pages.retrieve({ page_id: change.id })
          : client.databases.retrieve({ database_id: change.id }),
      );
      plan.objects.push(change.id);
      if (!object || object.in_trash === true || object.archived === true) return plan; // already gone
      plan.steps.push({
        send: { method: 'PATCH', path: `/v1/${kind}/${change.id}`, body: { in_trash: true } },
        changes: { [`${change.id}.in_trash`]: { before: false, after: true } },
      });
      return plan;
    }
    case 'data_source': {
      const source = await readOrNull<Json>(() => client.dataSources.retrieve({ data_source_id: change.id }));
      if (!source) {
        plan.skipped.push(`cannot undo: data source ${change.id} no longer exists`);
        return plan;
      }
      const now = Object.fromEntries(
        Object.values(source.properties as Record<string, Json>).map((v) => [String(v.id), v]),
      );
      const before = change.before.properties as Record<string, Json | null>;
      const left = (change.after.properties ?? {}) as Record<string, Json | null>;
      const properties: Json = {};
      const changes: Step['changes'] = {};
      for (const pid of (change.after.touched as string[] | undefined) ?? []) {
        const old = before[pid] ?? null;
        const current = now[pid] ?? null;
        const name = String(left[pid]?.name ?? old?.name ?? pid);
        if (check && !same(schemaSignature(current), schemaSignature(left[pid]))) {
          conflicts.push({
            object_id: change.id,
            property: name,
            left: schemaSignature(left[pid]),
            now: schemaSignature(current),
            last_edited_time: source.last_edited_time,
            last_edited_by: source.last_edited_by,
          });
          continue;
        }
        if (same(schemaSignature(current), schemaSignature(old))) continue;
        changes[`${change.id}.${name}`] = { before: schemaSignature(current), after: schemaSignature(old) };
        if (!old) properties[pid] = null;
        else if (!current) {
          properties[String(old.name)] = schemaRequest(old);
          plan.skipped.push(`${old.name} is added back to data source ${change.id} empty: the values it held are gone`);
        } else {
          const sameShape = same(schemaSignature({ ...current, name: old.name }), schemaSignature(old));
          properties[pid] = { name: old.name, ...(sameShape ? {} : schemaRequest(old)) };
        }
      }
      const body: Json = Object.keys(properties).length ? { properties } : {};
      if (change.after.title !== undefined && !same(plainText(source.title), plainText(change.before.title))) {
        if (check && !same(plainText(source.title), plainText(change.after.title)))
          conflicts.push({
            object_id: change.id,
            property: 'title',
            left: plainText(change.after.title),
            now: plainText(source.title),
            last_edited_time: source.last_edited_time,
          });
        else {
          body.title = richTextRequest(change.before.title);
          changes[`${change.id}.title`] = { before: plainText(source.title), after: plainText(change.before.title) };
        }
      }
      if (Object.keys(body).length)
        plan.steps.push({ send: { method: 'PATCH', path: `/v1/data_sources/${change.id}`, body }, changes });
      plan.objects.push(change.id);
      return plan;
    }
    case 'block': {
      const block = await readOrNull<Json>(() => client.blocks.retrieve({ block_id: change.id }));
      if (!block) {
        plan.skipped.push(`cannot undo: block ${change.id} no longer exists`);
        return plan;
      }
      const current = contentOf(block);
      if (check && change.after && !same(stripIds(current), stripIds(change.after))) {
        conflicts.push({
          object_id: change.id,
          property: String(current.type),
          left: change.after[String(change.after.type)],
          now: current[String(current.type)],
          last_edited_time: block.last_edited_time,
          last_edited_by: block.last_edited_by,
        });
        return plan;
      }
      const type = String(change.before.type);
      if (type !== current.type) {
        plan.skipped.push(`cannot undo block ${change.id}: Notion cannot change a block's type back`);
        return plan;
      }
      const payload = { ...(change.before[type] as Json) };
      if (Array.isArray(payload.rich_text)) payload.rich_text = richTextRequest(payload.rich_text);
      delete payload.children;
      plan.steps.push({
        send: { method: 'PATCH', path: `/v1/blocks/${change.id}`, body: { [type]: payload } },
        changes: { [`${change.id}.${type}`]: { before: current[type], after: change.before[type] } },
      });
      plan.objects.push(change.id);
      return plan;
    }
    case 'blocks_created':
      for (const id of [...change.ids].reverse()) {
        plan.steps.push({
          send: { method: 'DELETE', path: `/v1/blocks/${id}`, body: {} },
          changes: { [`${id}.in_trash`]: { before: false, after: true } },
          tolerate: (error) => gone(error) || (error instanceof APIResponseError && error.status === 400),
        });
        plan.objects.push(id);
      }
      return plan;
    case 'block_deleted':
      plan.steps.push({
        send: { method: 'PATCH', path: `/v1/blocks/${change.id}`, body: { in_trash: false } },
        changes: { [`${change.id}.in_trash`]: { before: true, after: false } },
      });
      plan.objects.push(change.id);
      return plan;
    case 'page_markdown': {
      const md = connection.notion(MARKDOWN_NOTION_VERSION);
      const current = await readOrNull<Json>(() => md.pages.retrieveMarkdown({ page_id: change.id }));
      if (!current) {
        plan.skipped.push(`cannot undo: page ${change.id} no longer exists`);
        return plan;
      }
      if (check && change.after !== undefined && current.markdown !== change.after) {
        conflicts.push({ object_id: change.id, property: 'body', left: change.after, now: current.markdown });
        return plan;
      }
      if (current.markdown === change.before) return plan;
      plan.steps.push({
        send: {
          method: 'PATCH',
          path: `/v1/pages/${change.id}/markdown`,
          body: { type: 'replace_content', replace_content: { new_str: change.before, allow_deleting_content: true } },
        },
        changes: { [`${change.id}.body`]: { before: current.markdown, after: change.before } },
      });
      plan.objects.push(change.id);
      return plan;
    }
  }
}

function conflict(id: string, property: string, left: unknown, now: unknown, page: Json): Conflict {
  return {
    object_id: id,
    property,
    left,
    now,
    last_edited_time: page.last_edited_time,
    last_edited_by: page.last_edited_by,
  };
}

/** Sends one planned step through the connection's paced client (the markdown route on its own Notion-Version). */
export async function sendStep(connection: ResolvedConnection, step: Step): Promise<void> {
  const { method, path, body } = step.send;
  const client: Client = connection.notion(path.endsWith('/markdown') ? MARKDOWN_NOTION_VERSION : undefined);
  try {
    await client.request({
      path: path.replace(/^\/v1\//, ''),
      method: method.toLowerCase() as 'patch' | 'delete',
      ...(method === 'DELETE' ? {} : { body }),
    });
  } catch (error) {
    if (step.tolerate?.(error)) return;
    throw error;
  }
}

/** The key of the object a change is about, so only the newest write of each is checked against the present. */
export function objectKey(change: Change): string {
  switch (change.kind) {
    case 'blocks_created':
      return `children:${change.parent}`;
    case 'unsupported':
      return `unsupported:${change.path}`;
    case 'page_markdown':
      return `md:${change.id}`;
    default:
      return `${change.kind === 'page_created' ? 'page' : change.kind}:${change.id}`;
  }
}

export const imageOf = (value: unknown): BeforeImage | null =>
  isObject(value) && value.version === 1 ? (value as unknown as BeforeImage) : null;

export const undoConflict = (conflicts: Conflict[]) => {
  const first = conflicts[0]!;
  return new GatewayError(
    'undo_conflict',
    `Not undone: ${first.property} of ${first.object_id} was changed after the write (now ${JSON.stringify(first.now)}, the write left ${JSON.stringify(first.left)}${first.last_edited_time ? `; last edited ${first.last_edited_time}` : ''}). Nothing was written; change it back by hand or undo the newer edit first.`,
    { conflicts: conflicts.slice(0, 20) },
  );
};
