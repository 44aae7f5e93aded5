// Small shared helpers: ids, timestamps, pagination, type guards.
import { randomUUID } from 'node:crypto';
import { validation } from './errors.ts';

export const newId = (): string => randomUUID();

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** Notion accepts ids with or without dashes; we store the dashed lower-case form. Returns null when not an id. */
export function normalizeId(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // Page URLs end with the 32-hex id; accept "Title-<id>" like Notion does for path ids.
  const s = raw.trim();
  if (!UUID_RE.test(s)) return null;
  const h = s.replace(/-/g, '').toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Parses an id from a request body; Notion-style validation_error naming the path otherwise. */
export function requireId(raw: unknown, path: string): string {
  const id = normalizeId(raw);
  if (!id) {
    throw validation(
      `${path} should be a valid uuid, instead was ${raw === undefined ? 'undefined' : `\`${JSON.stringify(raw)}\``}.`,
    );
  }
  return id;
}

/** Notion timestamps are ISO strings truncated to the minute for objects ("2025-01-01T10:00:00.000Z"). We keep ms for ordering. */
export const nowIso = (): string => new Date().toISOString();

let lastTs = 0;
/** Strictly increasing timestamps so "sort by last_edited_time" is deterministic even inside one millisecond. */
export function tick(): string {
  const t = Math.max(Date.now(), lastTs + 1);
  lastTs = t;
  return new Date(t).toISOString();
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const describe = (v: unknown): string =>
  v === undefined ? 'undefined' : typeof v === 'string' ? `\`${v}\`` : `\`${JSON.stringify(v)}\``;

export interface PageOfResults<T> {
  results: T[];
  next_cursor: string | null;
  has_more: boolean;
}

export function parsePageSize(raw: unknown, path = 'page_size'): number {
  if (raw === undefined || raw === null || raw === '') return 100;
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw validation(`${path} should be a number, instead was ${describe(raw)}.`);
  if (n < 1 || n > 100) throw validation(`${path} should be ≤ \`100\` and ≥ \`1\`, instead was \`${n}\`.`);
  return n;
}

/**
 * Cursor pagination the way Notion does it: the cursor is the id of the first item of the next page.
 * An unknown cursor is a validation_error.
 */
export function paginate<T>(
  items: T[],
  idOf: (t: T) => string,
  startCursor: unknown,
  pageSizeRaw: unknown,
): PageOfResults<T> {
  const size = parsePageSize(pageSizeRaw);
  let start = 0;
  if (startCursor !== undefined && startCursor !== null && startCursor !== '') {
    if (typeof startCursor !== 'string')
      throw validation(`start_cursor should be a string, instead was ${describe(startCursor)}.`);
    const idx = items.findIndex((t) => idOf(t) === normalizeId(startCursor) || idOf(t) === startCursor);
    if (idx < 0) throw validation(`start_cursor provided is invalid: ${startCursor}`);
    start = idx;
  }
  const slice = items.slice(start, start + size);
  const next = items[start + size];
  return { results: slice, next_cursor: next ? idOf(next) : null, has_more: next !== undefined };
}

export function noDashes(id: string): string {
  return id.replace(/-/g, '');
}

/** Deterministic PRNG (mulberry32) so fault injection with a rate < 1 is reproducible in tests. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
