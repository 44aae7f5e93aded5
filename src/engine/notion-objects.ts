/** Small readers of Notion objects shared by operations: titles and links. */
import type { SearchResponse } from '@notionhq/client';

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
