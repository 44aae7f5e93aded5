/**
 * Friendly property values → Notion page property values, checked against the data source's schema.
 *
 * Each input value is one of: the friendly `{"type": "date", "value": "2026-01-10"}` (`type` optional), the bare
 * shorthand `"2026-01-10"` (the schema says the type), or a native Notion value `{"date": {...}}`, passed through
 * unchanged.
 */
import { normaliseUuid } from '../../shared/ids.ts';
import { computedProperty, describe, invalidProperty, unknownOption, wrongValue } from './errors.ts';
import { findProperty } from './lookup.ts';
import { MAX_RICH_TEXT_ITEMS, MAX_TEXT_LENGTH, textToRichText } from './rich-text.ts';
import {
  aliasOf,
  type DataSourceSchema,
  isComputedType,
  isRecord,
  isWritableType,
  type NotionPropertyValue,
  type NotionPropertyValues,
  type PropertySchema,
  type RichTextItemRequest,
  WRITABLE_TYPES,
  type WritableType,
} from './types.ts';

type MaybePromise<T> = T | Promise<T>;

export interface ValueOptions {
  /** Read title and rich-text strings as Markdown spans (bold, italic, strikethrough, code, links). Default: plain text. */
  markdown?: boolean;
  /**
   * Whether a select / multi-select name that is not an option yet may be written (Notion then adds the option).
   * Default true here (the engine's writes pass the call's `create_options`, false unless asked); false turns such a
   * name into an `invalid_property` error. Status options are never created.
   */
  createOptions?: boolean;
  /** Turns an email into a user id (e.g. from `GET /v1/users`). Without it, people are given by user id only. */
  resolveUser?: (email: string, property: string) => MaybePromise<string | null | undefined>;
  /**
   * Finds a page of the relation's target data source by its title. Without it, relations are given by page id
   * or Notion page URL only. It may throw its own `GatewayError` (e.g. when several pages share the title).
   */
  resolvePage?: (title: string, dataSourceId: string, property: string) => MaybePromise<string | null | undefined>;
}

/** Notion's limit on array lengths in a request (multi-select, people, relation, files). */
const MAX_ARRAY = 100;

const EXPECTED: Record<WritableType, string> = {
  title: 'text (a string)',
  rich_text: 'text (a string)',
  number: 'a number (or null to clear)',
  select: 'an option name (or null to clear)',
  multi_select: 'a list of option names (or a comma-separated string)',
  status: 'a status option name (or null to clear)',
  date: 'an ISO 8601 date "2026-01-10" or date-time "2026-01-10T09:30:00Z", or {"start", "end"} for a range (or null)',
  people: 'a list of user ids or e-mails of people of the workspace',
  files: 'a list of file URLs, or {"url", "name"} objects',
  checkbox: 'true or false',
  url: 'a URL string (or null)',
  email: 'an email address (or null)',
  phone_number: 'a phone number string (or null)',
  relation: 'a list of page ids, Notion page URLs or exact page titles',
};

const optionNames = (p: PropertySchema): string[] =>
  p.type === 'select'
    ? p.select.options.map((o) => o.name)
    : p.type === 'multi_select'
      ? p.multi_select.options.map((o) => o.name)
      : p.type === 'status'
        ? p.status.options.map((o) => o.name)
        : [];

function example(type: WritableType, p: PropertySchema): unknown {
  const names = optionNames(p);
  switch (type) {
    case 'title':
      return 'Write the report';
    case 'rich_text':
      return 'Some text';
    case 'number':
      return 3;
    case 'select':
    case 'status':
      return names[0] ?? 'Option';
    case 'multi_select':
      return names.length ? names.slice(0, 2) : ['Option A', 'Option B'];
    case 'date':
      return '2026-01-10';
    case 'people':
      return ['<user id>'];
    case 'files':
      return ['https://example.com/report.pdf'];
    case 'checkbox':
      return true;
    case 'url':
      return 'https://example.com';
    case 'email':
      return 'ada@example.com';
    case 'phone_number':
      return '+1 555 0100';
    case 'relation':
      return ['<page id or Notion page URL>'];
  }
}

/** Whether a value under a type's own key has Notion's shape (else it is read as shorthand). */
function nativeShaped(type: string, v: unknown): boolean {
  if (v === null) return true;
  switch (type) {
    case 'title':
    case 'rich_text':
    case 'multi_select':
    case 'people':
    case 'relation':
    case 'files':
      return Array.isArray(v) && v.every(isRecord);
    case 'select':
    case 'status':
    case 'date':
      return isRecord(v);
    default:
      return true;
  }
}

/** Keys of the shorthand objects each type takes (`{"url", "name"}` is a file, not a native url value). */
const SHORTHAND_KEYS: Partial<Record<string, readonly string[]>> = {
  files: ['url', 'name'],
  relation: ['id', 'title'],
  people: ['id', 'email'],
};

/** Every Notion page value key, to tell a native value of another type from a shorthand object. */
const NATIVE_KEYS = [...WRITABLE_TYPES, 'place', 'verification', 'formula', 'rollup', 'unique_id', 'button'];

/**
 * Builds the `properties` of `POST /v1/pages` / `PATCH /v1/pages/:id` from friendly values.
 * `schema` is the data source's `properties` as `GET /v1/data_sources/:id` returns them. Keys are property names
 * (ids and case-insensitive names are accepted); the result is keyed by the schema's exact names.
 * Throws `invalid_property` (GatewayError) for the first problem found.
 */
export async function buildPropertyValues(
  input: Record<string, unknown>,
  schema: DataSourceSchema,
  options: ValueOptions = {},
): Promise<NotionPropertyValues> {
  const out: NotionPropertyValues = {};
  const seen = new Map<string, string>();
  for (const [given, raw] of Object.entries(input)) {
    const [name, prop] = findProperty(schema, given);
    const earlier = seen.get(name);
    if (earlier !== undefined)
      throw invalidProperty(
        `Properties ${JSON.stringify(earlier)} and ${JSON.stringify(given)} both name the property ${JSON.stringify(name)}: give it once.`,
        { property: given, expected: 'each property at most once' },
      );
    seen.set(name, given);
    out[name] = await buildPropertyValue(name, prop, raw, schema, options);
  }
  return out;
}

/** One property's Notion value from a friendly value; `name` is the property's name in `schema`. */
export async function buildPropertyValue(
  name: string,
  prop: PropertySchema,
  raw: unknown,
  schema: DataSourceSchema,
  options: ValueOptions = {},
): Promise<NotionPropertyValue> {
  const type: string = prop.type;
  if (isComputedType(type)) throw computedProperty(name, type, writableNames(schema));
  let value = raw;
  let markdown = options.markdown ?? false;
  if (isRecord(raw)) {
    if (
      type in raw &&
      (raw.type === undefined || raw.type === type) &&
      Object.keys(raw).every((k) => k === type || k === 'type' || k === 'id')
    ) {
      // Cast: a native Notion value of the right type, passed through unchanged; Notion validates its contents.
      if (nativeShaped(type, raw[type])) return raw as NotionPropertyValue;
      // `{"title": "X"}`, `{"select": "High"}`, `{"relation": ["<id>"]}`: the shorthand under the type's key.
      value = raw[type];
    } else if ('value' in raw && Object.keys(raw).every((k) => k === 'value' || k === 'type' || k === 'markdown')) {
      if (raw.type !== undefined) {
        const asked = typeof raw.type === 'string' ? aliasOf(raw.type) : raw.type;
        if (asked !== type) throw typeMismatch(name, prop, raw.type);
      }
      if (raw.markdown !== undefined) {
        if (typeof raw.markdown !== 'boolean')
          throw invalidProperty(`Property ${JSON.stringify(name)}: "markdown" must be true or false.`, {
            property: name,
            expected: 'markdown: true or false',
            example: { [name]: { value: '**bold** text', markdown: true } },
          });
        markdown = raw.markdown;
      }
      value = raw.value;
    } else {
      const shorthand = SHORTHAND_KEYS[type] ?? [];
      const other =
        (typeof raw.type === 'string' && NATIVE_KEYS.includes(raw.type) ? raw.type : undefined) ??
        (Object.keys(raw).length <= 2
          ? Object.keys(raw).find((k) => k !== type && NATIVE_KEYS.includes(k) && !shorthand.includes(k))
          : undefined);
      if (other !== undefined) throw typeMismatch(name, prop, other);
    }
  }
  if (!isWritableType(type))
    throw invalidProperty(
      `Property ${JSON.stringify(name)} is of type ${type}, which the friendly format does not write: send a native Notion value ({"${type}": …}).`,
      { property: name, expected: `a native Notion ${type} value` },
    );
  return normalise(name, type, prop, value, { ...options, markdown });
}

function typeMismatch(name: string, prop: PropertySchema, given: unknown): Error {
  const type = prop.type as WritableType;
  const ex = isWritableType(type) ? example(type, prop) : undefined;
  return invalidProperty(
    `Property ${JSON.stringify(name)} is ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type} property, not ${describe(given)}. Write ${isWritableType(type) ? EXPECTED[type] : 'a native value'}, e.g. ${describe({ [name]: ex })}.`,
    {
      property: name,
      expected: isWritableType(type) ? `${type}: ${EXPECTED[type]}` : type,
      ...(ex !== undefined ? { example: { [name]: ex } } : {}),
    },
  );
}

const writableNames = (schema: DataSourceSchema) =>
  Object.entries(schema)
    .filter(([, p]) => isWritableType(p.type))
    .map(([n]) => n);

async function normalise(
  name: string,
  type: WritableType,
  prop: PropertySchema,
  v: unknown,
  options: ValueOptions,
): Promise<NotionPropertyValue> {
  const wrong = (extra = '') => wrongValue(name, type, EXPECTED[type], example(type, prop), v, extra);
  switch (type) {
    case 'title':
    case 'rich_text': {
      const items = richText(name, type, v, options.markdown ?? false, wrong);
      return type === 'title' ? { title: items } : { rich_text: items };
    }
    case 'number': {
      if (v === null || v === '') return { number: null };
      const n = typeof v === 'string' && /^\s*[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?\s*$/i.test(v) ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw wrong();
      return { number: n };
    }
    case 'checkbox': {
      if (typeof v === 'boolean') return { checkbox: v };
      if (typeof v === 'string' && /^(true|false)$/i.test(v.trim()))
        return { checkbox: v.trim().toLowerCase() === 'true' };
      throw wrong();
    }
    case 'url':
    case 'email':
    case 'phone_number': {
      if (v === null || v === '') return stringValue(type, null);
      const s = type === 'phone_number' && typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
      if (typeof s !== 'string') throw wrong();
      if (s.length > MAX_TEXT_LENGTH)
        throw wrong(`It is ${s.length} characters long; Notion takes at most ${MAX_TEXT_LENGTH}.`);
      if (type === 'email' && !/^[^\s@]+@[^\s@]+$/.test(s.trim())) throw wrong();
      return stringValue(type, s);
    }
    case 'select':
    case 'status': {
      if (v === null || v === '') return type === 'select' ? { select: null } : { status: null };
      const option = chooseOption(name, type, prop, v, options, wrong);
      return type === 'select' ? { select: option } : { status: option };
    }
    case 'multi_select': {
      if (v === null) return { multi_select: [] };
      const list =
        typeof v === 'string'
          ? v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : v;
      if (!Array.isArray(list)) throw wrong();
      tooMany(name, list.length);
      const out: Array<{ name: string } | { id: string }> = [];
      const keys = new Set<string>();
      for (const item of list) {
        const option = chooseOption(name, type, prop, item, options, wrong);
        const key = 'id' in option ? `id:${option.id}` : `name:${option.name}`;
        if (!keys.has(key)) out.push(option);
        keys.add(key);
      }
      return { multi_select: out };
    }
    case 'date':
      return { date: date(v, wrong) };
    case 'people': {
      const ids: string[] = [];
      for (const item of list(v, wrong)) {
        const given = isRecord(item) ? (item.id ?? item.email) : item;
        if (typeof given !== 'string') throw wrong();
        let id = normaliseUuid(given.trim());
        if (!id && given.includes('@')) {
          if (!options.resolveUser)
            throw invalidProperty(
              `Property ${JSON.stringify(name)} (people): ${JSON.stringify(given)} is an email, and this call can only take user ids. List the workspace's users (GET /v1/users) and give their ids.`,
              { property: name, expected: 'user ids', example: { [name]: ['<user id>'] } },
            );
          const found = await options.resolveUser(given.trim(), name);
          id = found ? normaliseUuid(found) : null;
          if (!id)
            throw invalidProperty(
              `Property ${JSON.stringify(name)} (people): no user of this workspace has the email ${JSON.stringify(given)}. List the users (GET /v1/users) and give an id.`,
              {
                property: name,
                expected: 'the id or email of a user of this workspace',
                example: { [name]: ['<user id>'] },
              },
            );
        }
        if (!id) throw wrong(`${describe(given)} is not a user id.`);
        if (!ids.includes(id)) ids.push(id);
      }
      tooMany(name, ids.length);
      return { people: ids.map((id) => ({ id })) };
    }
    case 'relation': {
      if (prop.type !== 'relation') throw wrong();
      const target = prop.relation.data_source_id;
      const ids: string[] = [];
      for (const item of list(v, wrong)) {
        let id: string | null = null;
        if (isRecord(item) && typeof item.id === 'string') id = pageIdOf(item.id);
        else if (typeof item === 'string') id = pageIdOf(item);
        const title =
          isRecord(item) && typeof item.title === 'string' ? item.title : typeof item === 'string' ? item : undefined;
        if (!id && title !== undefined && !/^https?:\/\//i.test(title)) {
          if (!options.resolvePage)
            throw invalidProperty(
              `Property ${JSON.stringify(name)} (relation): ${JSON.stringify(title)} is not a page id or Notion page URL, and this call cannot look pages up by title. Give the related page's id or URL (query data source ${target} to find it).`,
              {
                property: name,
                expected: 'page ids or Notion page URLs',
                example: { [name]: ['<page id or Notion page URL>'] },
              },
            );
          const found = await options.resolvePage(title, target, name);
          id = found ? normaliseUuid(found) : null;
          if (!id)
            throw invalidProperty(
              `Property ${JSON.stringify(name)} (relation): no page titled ${JSON.stringify(title)} in the related data source ${target}. Give its id or URL, or create the page first.`,
              {
                property: name,
                expected: `the id, URL or exact title of a page of data source ${target}`,
                example: { [name]: ['<page id or Notion page URL>'] },
              },
            );
        }
        if (!id) throw wrong(`${describe(item)} is not a page id or Notion page URL.`);
        if (!ids.includes(id)) ids.push(id);
      }
      tooMany(name, ids.length);
      return { relation: ids.map((id) => ({ id })) };
    }
    case 'files': {
      const files: Extract<NotionPropertyValue, { files: unknown }>['files'] = [];
      for (const item of list(v, wrong)) {
        if (isRecord(item) && ('external' in item || 'file_upload' in item || 'file' in item)) {
          // Cast: a native file object, passed through unchanged.
          files.push(item as (typeof files)[number]);
          continue;
        }
        const url = typeof item === 'string' ? item : isRecord(item) ? item.url : undefined;
        const given = isRecord(item) ? item.name : undefined;
        if (typeof url !== 'string' || !isHttpUrl(url) || (given !== undefined && typeof given !== 'string'))
          throw wrong('Files are linked by URL (http or https); uploading file contents is not supported here.');
        files.push({ name: ((given as string | undefined) ?? fileName(url)).slice(0, 100), external: { url } });
      }
      tooMany(name, files.length);
      return { files };
    }
  }
}

function richText(
  name: string,
  type: 'title' | 'rich_text',
  v: unknown,
  markdown: boolean,
  wrong: (extra?: string) => Error,
): RichTextItemRequest[] {
  if (v === null) return [];
  if (Array.isArray(v)) {
    if (v.every((i) => isRecord(i) && ('text' in i || 'mention' in i || 'equation' in i)))
      // Cast: native rich-text items, passed through unchanged.
      return v as RichTextItemRequest[];
    throw wrong('Give one string; a list is only accepted as native Notion rich-text items.');
  }
  const text = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
  if (typeof text !== 'string') throw wrong();
  const items = textToRichText(text, { markdown });
  if (items.length > MAX_RICH_TEXT_ITEMS)
    throw invalidProperty(
      `Property ${JSON.stringify(name)} (${type}): the text is too long for one property (${text.length} characters in ${items.length} pieces; Notion takes at most ${MAX_RICH_TEXT_ITEMS} pieces of ${MAX_TEXT_LENGTH}). Shorten it or put it in the page body.`,
      { property: name, expected: `text of at most ${MAX_RICH_TEXT_ITEMS * MAX_TEXT_LENGTH} characters` },
    );
  return items;
}

function chooseOption(
  name: string,
  type: 'select' | 'multi_select' | 'status',
  prop: PropertySchema,
  v: unknown,
  options: ValueOptions,
  wrong: (extra?: string) => Error,
): { name: string } | { id: string } {
  const all =
    prop.type === 'select'
      ? prop.select.options
      : prop.type === 'multi_select'
        ? prop.multi_select.options
        : prop.type === 'status'
          ? prop.status.options
          : [];
  if (isRecord(v) && typeof v.id === 'string' && v.name === undefined) {
    const byId = all.find((o) => o.id === v.id);
    if (!byId)
      throw unknownOption(
        name,
        type,
        v.id,
        all.map((o) => o.name),
        example(type, prop),
      );
    return { id: byId.id };
  }
  const given = isRecord(v) ? v.name : typeof v === 'number' ? String(v) : v;
  if (typeof given !== 'string' || !given.trim()) throw wrong();
  const exact = all.find((o) => o.name === given);
  if (exact) return { name: exact.name };
  const folded = all.filter((o) => o.name.trim().toLowerCase() === given.trim().toLowerCase());
  // A different case or stray spaces: the existing option is meant, not a near-duplicate new one.
  if (folded.length === 1) return { name: folded[0]!.name };
  if (type === 'status' || options.createOptions === false)
    throw unknownOption(
      name,
      type,
      given,
      all.map((o) => o.name),
      example(type, prop),
    );
  const fresh = given.trim();
  if (fresh.includes(','))
    throw wrongValue(name, type, EXPECTED[type], example(type, prop), given, 'Option names cannot contain commas.');
  if (fresh.length > 100)
    throw wrongValue(
      name,
      type,
      EXPECTED[type],
      example(type, prop),
      given,
      'Option names have at most 100 characters.',
    );
  return { name: fresh };
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?$/;

function isIsoDate(s: unknown): s is string {
  if (typeof s !== 'string' || !ISO_DATE.test(s)) return false;
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

function date(v: unknown, wrong: (extra?: string) => Error) {
  if (v === null || v === '') return null;
  let start: unknown;
  let end: unknown;
  let timeZone: unknown;
  if (typeof v === 'string') start = v.trim();
  else if (Array.isArray(v) && (v.length === 1 || v.length === 2)) [start, end] = v;
  else if (isRecord(v) && Object.keys(v).every((k) => k === 'start' || k === 'end' || k === 'time_zone')) {
    start = v.start;
    end = v.end;
    timeZone = v.time_zone;
  } else throw wrong();
  if (!isIsoDate(start)) throw wrong(`${describe(start)} is not an ISO 8601 date.`);
  if (end !== undefined && end !== null && !isIsoDate(end))
    throw wrong(`The end ${describe(end)} is not an ISO 8601 date.`);
  if (typeof end === 'string' && Date.parse(end) < Date.parse(start)) throw wrong('The end is before the start.');
  if (timeZone !== undefined && timeZone !== null && typeof timeZone !== 'string')
    throw wrong('time_zone is an IANA name such as "Europe/Paris".');
  return {
    start,
    ...(end !== undefined ? { end: end as string | null } : {}),
    ...(timeZone !== undefined ? { time_zone: timeZone as string | null } : {}),
  };
}

function list(v: unknown, wrong: () => Error): unknown[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (typeof v === 'string' || isRecord(v)) return [v];
  throw wrong();
}

function tooMany(name: string, n: number): void {
  if (n > MAX_ARRAY)
    throw invalidProperty(
      `Property ${JSON.stringify(name)}: ${n} items, and Notion takes at most ${MAX_ARRAY} in one write. Write the first ${MAX_ARRAY}, then add the rest in another update.`,
      { property: name, expected: `at most ${MAX_ARRAY} items` },
    );
}

/** A page id from an id (with or without dashes) or a Notion page URL (`…/Title-<32 hex>?…`), else null. */
export function pageIdOf(s: string): string | null {
  const trimmed = s.trim();
  const direct = normaliseUuid(trimmed);
  if (direct) return direct;
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return null;
  }
  if (!/(^|\.)notion\.(so|site|com)$/i.test(url.hostname)) return null;
  // The page id is the last 32 hex digits of the path; `?p=` names the page when a database is shown as a peek.
  const peek = url.searchParams.get('p');
  if (peek && normaliseUuid(peek)) return normaliseUuid(peek);
  const m = /([0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(url.pathname);
  return m ? normaliseUuid(m[1]!) : null;
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

function fileName(url: string): string {
  const u = new URL(url);
  const last = u.pathname.split('/').filter(Boolean).pop();
  if (!last) return u.hostname;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function stringValue(type: 'url' | 'email' | 'phone_number', s: string | null): NotionPropertyValue {
  return type === 'url' ? { url: s } : type === 'email' ? { email: s } : { phone_number: s };
}
