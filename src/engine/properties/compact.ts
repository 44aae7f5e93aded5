/**
 * A page rendered for a model: `{id, url, title, properties: {Name: "X", Due: "2026-01-10", Tags: ["a"], …}}`.
 * Every value keeps what a model needs (names, ids, dates, results of formulas and rollups) and drops what it does
 * not (colours, option ids, annotations unless Markdown is asked for). Empty values (null, "", []) are left out, and
 * so are Notion's own timestamps: a page is read many at a time, and a data source that shows when a row was made or
 * changed has a created_time or last_edited_time property, which is kept like any other.
 */
import { plainText, richTextToMarkdown } from './rich-text.ts';
import type { PageObjectResponse, PagePropertyValue, RichTextItemResponse } from './types.ts';

/** A date without an end is its start string; a range (or a date with a time zone) is an object. */
export type CompactDate = string | { start: string; end: string | null; time_zone?: string };
export interface CompactUser {
  id: string;
  name?: string;
  email?: string;
}
export interface CompactRelated {
  id: string;
  title?: string;
}
export interface CompactFile {
  name: string;
  url: string;
  /** Notion-hosted files only: the URL stops working at this time. */
  expiry_time?: string;
}
export type CompactValue =
  | string
  | number
  | boolean
  | null
  | CompactDate
  | CompactUser
  | CompactFile
  | CompactRelated
  | { [key: string]: unknown }
  | CompactValue[];

export interface CompactPage {
  id: string;
  url: string;
  title: string;
  properties: Record<string, CompactValue>;
  /** Present (true) only for a page in the trash. */
  in_trash?: true;
  /** Properties whose list Notion cut short in this response (read them with GET /v1/pages/:id/properties/:id). */
  truncated?: string[];
}

export interface CompactOptions {
  /** Title and rich text as Markdown spans (bold, italic, strikethrough, code, links) instead of plain text. */
  markdown?: boolean;
  /** Title of a related page by id, when the caller knows it; relations then read `[{id, title}]`. */
  pageTitle?: (id: string) => string | undefined;
  /** Name of a user by id, when the page only carries the id. */
  userName?: (id: string) => string | undefined;
  /** Only these properties (by name), in this order. */
  properties?: readonly string[];
}

export function compactPage(page: PageObjectResponse, options: CompactOptions = {}): CompactPage {
  const names = options.properties ?? Object.keys(page.properties);
  const properties: Record<string, CompactValue> = {};
  const truncated: string[] = [];
  let title = '';
  for (const value of Object.values(page.properties)) if (value.type === 'title') title = text(value.title, options);
  for (const name of names) {
    const value = page.properties[name];
    if (!value || value.type === 'button') continue;
    const compact = compactValue(value, options);
    if (!isEmpty(compact)) properties[name] = compact;
    // Real Notion marks relations (and other lists) it cut at 25 items; the SDK types do not declare the flag.
    if ((value as { has_more?: unknown }).has_more === true) truncated.push(name);
  }
  return {
    id: page.id,
    url: page.url,
    title,
    properties,
    ...(page.in_trash ? { in_trash: true as const } : {}),
    ...(truncated.length ? { truncated } : {}),
  };
}

/** A value that says nothing: no select chosen, no text, no related pages. `false` and `0` are values. */
const isEmpty = (v: CompactValue) => v === null || v === '' || (Array.isArray(v) && v.length === 0);

type ValueWithoutId = PagePropertyValue extends infer V ? (V extends unknown ? Omit<V, 'id'> : never) : never;
type RollupArrayItem = Extract<ValueWithoutId, { type: 'rollup' }>['rollup'] extends infer R
  ? R extends { type: 'array'; array: Array<infer I> }
    ? I
    : never
  : never;

/** One property value, compact. Rollup arrays are flattened into one list of compact values. */
export function compactValue(value: ValueWithoutId | RollupArrayItem, options: CompactOptions = {}): CompactValue {
  switch (value.type) {
    case 'title':
      return text(value.title, options);
    case 'rich_text':
      return text(value.rich_text, options);
    case 'number':
      return value.number;
    case 'checkbox':
      return value.checkbox;
    case 'url':
      return value.url;
    case 'email':
      return value.email;
    case 'phone_number':
      return value.phone_number;
    case 'select':
      return value.select?.name ?? null;
    case 'status':
      return value.status?.name ?? null;
    case 'multi_select':
      return value.multi_select.map((o) => o.name);
    case 'date':
      return compactDate(value.date);
    case 'people':
      return value.people.map((u) => user(u, options));
    case 'created_by':
      return user(value.created_by, options);
    case 'last_edited_by':
      return user(value.last_edited_by, options);
    case 'created_time':
      return value.created_time;
    case 'last_edited_time':
      return value.last_edited_time;
    case 'relation':
      return value.relation.map((r) => {
        const title = options.pageTitle?.(r.id);
        return title === undefined ? { id: r.id } : { id: r.id, title };
      });
    case 'files':
      return value.files.map((f) =>
        f.type === 'external'
          ? { name: f.name, url: f.external.url }
          : { name: f.name, url: f.file.url, expiry_time: f.file.expiry_time },
      );
    case 'formula': {
      const f = value.formula;
      switch (f.type) {
        case 'string':
          return f.string;
        case 'number':
          return f.number;
        case 'boolean':
          return f.boolean;
        case 'date':
          return compactDate(f.date);
        default:
          return null;
      }
    }
    case 'rollup': {
      const r = value.rollup;
      switch (r.type) {
        case 'number':
          return r.number;
        case 'date':
          return compactDate(r.date);
        case 'array':
          return r.array.flatMap((item) => {
            const v = compactValue(item, options);
            return Array.isArray(v) ? v : [v];
          });
        default:
          return null;
      }
    }
    case 'unique_id': {
      const u = value.unique_id;
      if (u.number === null) return null;
      return u.prefix ? `${u.prefix}-${u.number}` : u.number;
    }
    case 'verification': {
      const v = value.verification;
      if (!v) return null;
      if (v.state === 'unverified') return 'unverified';
      return {
        state: v.state,
        ...(v.date ? { date: compactDate(v.date) } : {}),
        ...(v.verified_by ? { verified_by: user(v.verified_by, options) } : {}),
      };
    }
    case 'place': {
      const p = value.place;
      if (!p) return null;
      return Object.fromEntries(Object.entries(p).filter(([, x]) => x !== null && x !== undefined));
    }
    case 'button':
      return null;
    default: {
      // A type newer than these SDK types: its Notion value, as it came.
      const v = value as unknown as Record<string, unknown>;
      return (v[String(v.type)] ?? null) as CompactValue;
    }
  }
}

export function compactDate(
  d: { start: string; end: string | null; time_zone: string | null } | null,
): CompactDate | null {
  if (!d) return null;
  if (d.end === null && d.time_zone === null) return d.start;
  return { start: d.start, end: d.end, ...(d.time_zone !== null ? { time_zone: d.time_zone } : {}) };
}

const text = (items: readonly RichTextItemResponse[], options: CompactOptions) =>
  options.markdown ? richTextToMarkdown(items) : plainText(items);

function user(
  u: { id: string; object?: string; name?: string | null; type?: string } & Record<string, unknown>,
  options: CompactOptions,
): CompactUser {
  const name = (typeof u.name === 'string' && u.name) || options.userName?.(u.id);
  const person = u.type === 'person' ? (u.person as { email?: string } | undefined) : undefined;
  return { id: u.id, ...(name ? { name } : {}), ...(person?.email ? { email: person.email } : {}) };
}
