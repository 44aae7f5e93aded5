/**
 * Titles of the pages a row's relations point to, so a compact row reads `[{id, title}]` and a model needs no lookup
 * to know what "Project" is. Bounded: at most MAX_LOOKUPS distinct pages per request (read a few at a time), each read
 * once per request; beyond that, or where a page cannot be read, the relation keeps its bare id.
 */
import { isFullPage, type PageObjectResponse } from '@notionhq/client';
import type { ResolvedConnection } from './context.ts';
import { titleOf } from './notion-objects.ts';
import { type CompactPage, compactPage } from './properties/index.ts';

export const MAX_RELATED_LOOKUPS = 25;
const CONCURRENCY = 5;

/** A `pageTitle` for compactPage: the titles of the pages related from `pages`, the known pages' own titles first. */
export async function relatedTitles(
  connection: ResolvedConnection,
  pages: readonly PageObjectResponse[],
  properties?: readonly string[],
): Promise<(id: string) => string | undefined> {
  const titles = new Map<string, string>();
  for (const page of pages) titles.set(page.id, titleOf(page));
  const wanted: string[] = [];
  for (const page of pages) {
    for (const [name, value] of Object.entries(page.properties)) {
      if (value.type !== 'relation' || (properties && !properties.includes(name))) continue;
      for (const { id } of value.relation) {
        if (!titles.has(id) && !wanted.includes(id) && wanted.length < MAX_RELATED_LOOKUPS) wanted.push(id);
      }
    }
  }
  for (let at = 0; at < wanted.length; at += CONCURRENCY) {
    await Promise.all(
      wanted.slice(at, at + CONCURRENCY).map(async (id) => {
        try {
          const page = await connection.notion().pages.retrieve({ page_id: id });
          if (isFullPage(page)) titles.set(id, titleOf(page));
        } catch {
          // Not shared with this connection, or gone: the relation keeps its bare id.
        }
      }),
    );
  }
  return (id) => titles.get(id);
}

/** One page, compact, its relations carrying their titles. */
export async function compactWithTitles(
  connection: ResolvedConnection,
  page: PageObjectResponse,
): Promise<CompactPage> {
  return compactPage(page, { pageTitle: await relatedTitles(connection, [page]) }) as CompactPage;
}
