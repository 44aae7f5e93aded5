/** Small readers of Notion objects shared by operations: titles, links and ids given as ids or URLs. */
import type { SearchResponse } from '@notionhq/client';
import { GatewayError } from '../shared/errors.ts';
import { pageIdOf } from './properties/values.ts';

type NotionObject = SearchResponse['results'][number];

export function plainText(items: unknown): string {
  return Array.isArray(items) ? items.map((t) => (t as { plain_text?: string }).plain_text ?? '').join('') : '';
}

/** The plain-text title of a page (its title property) or data source ("" when untitled). */
export function titleOf(object: NotionObject): string {
  if (object.object === 'data_source') return 'title' in object ? plainText(object.title) : '';
  if (!('properties' in object)) return '';
  const title = Object.values(object.properties).find((p) => p.type === 'title');
  return title && 'title' in title ? plainText(title.title) : '';
}

/** Notion's own URL for an object, or the canonical notion.so link built from its id. */
export function urlOf(object: { id: string; url?: string | null }): string {
  return object.url || `https://www.notion.so/${object.id.replaceAll('-', '')}`;
}

/**
 * The Notion id an input field holds, as a UUID (with or without dashes) or a Notion URL (see `pageIdOf`); otherwise
 * `invalid_id` naming the field and what it takes.
 */
export function idFromField(raw: string, field: string, takes: string): string {
  const id = pageIdOf(raw);
  if (!id) throw new GatewayError('invalid_id', `${field} must be ${takes}.`, { pointer: `/${field}` });
  return id;
}
