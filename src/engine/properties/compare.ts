/**
 * Whether a page already holds a value: a request value (what the builder made) against the page's value (what
 * Notion answered), compared by what they mean, so an upsert that changes nothing writes nothing.
 */
import type { NotionPropertyValue, PagePropertyValue } from './types.ts';

type Loose = Record<string, any>;

const text = (items: unknown): string =>
  Array.isArray(items)
    ? items
        .map(
          (i: Loose) => i.plain_text ?? i.text?.content ?? (i.type === 'equation' ? i.equation?.expression : '') ?? '',
        )
        .join('')
    : '';

const links = (items: unknown): string =>
  Array.isArray(items) ? items.map((i: Loose) => i.href ?? i.text?.link?.url ?? '').join('|') : '';

const ANNOTATIONS = ['bold', 'italic', 'strikethrough', 'underline', 'code'] as const;
/** Annotations the request sets (false when unset), against the page's. */
const annotations = (items: unknown): string =>
  Array.isArray(items)
    ? items.map((i: Loose) => ANNOTATIONS.map((a) => (i.annotations?.[a] ? 1 : 0)).join('')).join('|')
    : '';

const sameRichText = (want: unknown, have: unknown) =>
  text(want) === text(have) && links(want) === links(have) && annotations(want) === annotations(have);

const empty = (v: unknown) => v === null || v === undefined || v === '';
const sameScalar = (want: unknown, have: unknown) => (empty(want) && empty(have)) || want === have;

const ids = (items: unknown): string[] =>
  Array.isArray(items) ? items.map((i: Loose) => String(i.id ?? '').replaceAll('-', '')).sort() : [];
const names = (items: unknown): string[] =>
  Array.isArray(items) ? items.map((i: Loose) => i.name ?? i.id).sort() : [];
const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function sameInstant(a: unknown, b: unknown): boolean {
  if (empty(a) && empty(b)) return true;
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  if (a === b) return true;
  // A date-only value only equals itself; date-times compare as instants (offsets written differently).
  if (a.length <= 10 || b.length <= 10) return a.slice(0, 10) === b.slice(0, 10) && a.length <= 10 && b.length <= 10;
  return Date.parse(a) === Date.parse(b);
}

function sameDate(want: Loose | null, have: Loose | null): boolean {
  if (!want || !have) return !want && !have;
  return sameInstant(want.start, have.start) && sameInstant(want.end ?? null, have.end ?? null);
}

function sameOption(want: Loose | null, have: Loose | null): boolean {
  if (!want || !have) return !want && !have;
  return want.id ? want.id === have.id : want.name === have.name;
}

const fileKeys = (items: unknown): string[] =>
  Array.isArray(items) ? items.map((f: Loose) => `${f.name ?? ''}|${f.external?.url ?? f.file?.url ?? ''}`) : [];

/** True when `want` (a request value) would leave `have` (the page's value) as it is. */
export function sameValue(want: NotionPropertyValue, have: PagePropertyValue | undefined): boolean {
  if (!have) return false;
  const w = want as Loose;
  const h = have as Loose;
  switch (h.type) {
    case 'title':
    case 'rich_text':
      return sameRichText(w[h.type], h[h.type]);
    case 'number':
    case 'checkbox':
    case 'url':
    case 'email':
    case 'phone_number':
      return sameScalar(w[h.type], h[h.type]);
    case 'select':
    case 'status':
      return sameOption(w[h.type] ?? null, h[h.type] ?? null);
    case 'multi_select':
      return sameList(names(w.multi_select), names(h.multi_select));
    case 'date':
      return sameDate(w.date ?? null, h.date ?? null);
    case 'people':
      return sameList(ids(w.people), ids(h.people));
    case 'relation':
      // A relation cut short (has_more) cannot be compared: treat it as changed and let Notion decide.
      return h.has_more !== true && sameList(ids(w.relation), ids(h.relation));
    case 'files':
      return sameList(fileKeys(w.files), fileKeys(h.files));
    default:
      return false;
  }
}
