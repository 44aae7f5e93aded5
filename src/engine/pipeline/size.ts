/**
 * Response-size policy. ChatGPT Actions refuse answers of 100,000 characters or more. A read that is too large is
 * refused with how to ask for less (nothing happened, so asking again is safe). A write that is too large to echo has
 * already happened: it is never reported as a failure, but answered with a compact acknowledgement (ids, urls,
 * counts) so the model does not retry and write twice.
 */
import { GatewayError } from '../../shared/errors.ts';

export function enforceReadSize(chars: number, limit: number): void {
  if (chars <= limit) return;
  throw new GatewayError(
    'response_too_large',
    `The result is ${chars} characters; the limit is ${limit}. Ask for less: a smaller page_size (then follow next_cursor), filter_properties, or a narrower filter.`,
    { chars, limit },
    422,
  );
}

const OBJECT_FIELDS = ['object', 'id', 'type', 'url', 'parent', 'created_time', 'last_edited_time', 'in_trash'];
/** Items of a list keep only what names them: 100 appended blocks stay a few kilobytes. */
const ITEM_FIELDS = ['object', 'id', 'type', 'url'];

function pick(value: unknown, fields: string[]): Record<string, unknown> {
  if (value === null || typeof value !== 'object') return {};
  const source = value as Record<string, unknown>;
  return Object.fromEntries(fields.filter((k) => k in source).map((k) => [k, source[k]]));
}

/** A Notion object or list reduced to what identifies it. */
export function acknowledgement(response: unknown): Record<string, unknown> {
  const source = (response ?? {}) as Record<string, unknown>;
  if (Array.isArray(source.results)) {
    return {
      object: source.object ?? 'list',
      results: source.results.map((item) => pick(item, ITEM_FIELDS)),
      results_count: source.results.length,
      next_cursor: source.next_cursor ?? null,
      has_more: source.has_more ?? false,
    };
  }
  return pick(source, OBJECT_FIELDS);
}
