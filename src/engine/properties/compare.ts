/**
 * Whether a page already holds a value: a request value (what the builder made) against the page's value (what
 * Notion answered), compared by what they mean, so an upsert that changes nothing writes nothing.
 */
import type { NotionPropertyValue, PagePropertyValue } from './types.ts';

/** A field deep inside Notion JSON read loosely: request and response shapes differ, and few fields matter here. */
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (o, k) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
    value,
  );
const list = (items: unknown): unknown[] => (Array.isArray(items) ? items : []);
const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

const text = (items: unknown): string =>
  list(items)
    .map((i) => str(at(i, 'plain_text') ?? at(i, 'text', 'content') ?? at(i, 'equation', 'expression')))
    .join('');

const links = (items: unknown): string =>
  list(items)
    .map((i) => str(at(i, 'href') ?? at(i, 'text', 'link', 'url')))
    .join('|');

const ANNOTATIONS = ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const;
/** Annotations the request sets (false when unset), against the page's. */
const annotations = (items: unknown): string =>
  list(items)
    .map((i) => ANNOTATIONS.map((a) => (at(i, 'annotations', a) ? 1 : 0)).join(''))
    .join('|');

const sameRichText = (want: unknown, have: unknown) =>
  text(want) === text(have) && links(want) === links(have) && annotations(want) === annotations(have);

const empty = (v: unknown) => v === null || v === undefined || v === '';
const sameScalar = (want: unknown, have: unknown) => (empty(want) && empty(have)) || want === have;

const ids = (items: unknown): string[] =>
  list(items)
    .map((i) => str(at(i, 'id')).replaceAll('-', ''))
    .sort();
const names = (items: unknown): string[] =>
  list(items)
    .map((i) => str(at(i, 'name') ?? at(i, 'id')))
    .sort();
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function sameInstant(a: unknown, b: unknown): boolean {
  if (empty(a) && empty(b)) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  if (a === b) return true;
  // A date-only value only equals itself; date-times compare as instants (offsets written differently).
  if (a.length <= 10 || b.length <= 10) return a.slice(0, 10) === b.slice(0, 10) && a.length <= 10 && b.length <= 10;
  return Date.parse(a) === Date.parse(b);
}

function sameDate(want: unknown, have: unknown): boolean {
  if (!want || !have) return !want && !have;
  return (
    sameInstant(at(want, 'start'), at(have, 'start')) && sameInstant(at(want, 'end') ?? null, at(have, 'end') ?? null)
  );
}

function sameOption(want: unknown, have: unknown): boolean {
  if (!want || !have) return !want && !have;
  return at(want, 'id') ? at(want, 'id') === at(have, 'id') : at(want, 'name') === at(have, 'name');
}

const fileKeys = (items: unknown): string[] =>
  list(items).map((f) => `${str(at(f, 'name'))}|${str(at(f, 'external', 'url') ?? at(f, 'file', 'url'))}`);

/** True when `want` (a request value) would leave `have` (the page's value) as it is. */
export function sameValue(want: NotionPropertyValue, have: PagePropertyValue | undefined): boolean {
  if (!have) return false;
  const type = have.type;
  const w = (key: string) => at(want, key);
  const h = (key: string) => at(have, key);
  switch (type) {
    case 'title':
    case 'rich_text':
      return sameRichText(w(type), h(type));
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
      return sameScalar(w(type), h(type));
    case 'select':
    case 'status':
      return sameOption(w(type) ?? null, h(type) ?? null);
    case 'multi_select':
      return sameList(names(w(type)), names(h(type)));
    case 'date':
      return sameDate(w(type) ?? null, h(type) ?? null);
    case 'people':
    case 'relation':
      // A relation cut short (has_more) cannot be compared: treat it as changed and let Notion decide.
      return h('has_more') !== true && sameList(ids(w(type)), ids(h(type)));
    case 'files':
      return sameList(fileKeys(w(type)), fileKeys(h(type)));
    default:
      return false;
  }
}
