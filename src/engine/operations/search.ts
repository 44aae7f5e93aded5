/**
 * notion_search: Notion's title search (seed §4.3), answered with compact hits (id, title, url; a page's parent, a data source's schema summary) instead of
 * Notion's full objects, so a page of 25 results stays small enough for ChatGPT to read.
 */
import type { SearchParameters, SearchResponse } from '@notionhq/client';
import type { EngineServices } from '../context.ts';
import { titleOf } from '../notion-objects.ts';
import { type DataSourceSchema, schemaSummary } from '../properties/index.ts';
import type { Output } from '../types.ts';
import { connectionOf, type Operation } from './operation.ts';

type Hit = Output<'notion_search'>['results'][number];
type NotionResult = SearchResponse['results'][number];

function parentOf(result: NotionResult): Hit['parent'] {
  if (!('parent' in result)) return { type: 'unknown', id: null };
  const parent = result.parent as Record<string, unknown> & { type: string };
  const id = parent[parent.type];
  return { type: parent.type, id: typeof id === 'string' ? id : null };
}

function toHit(result: NotionResult): Hit {
  const full = result as Partial<{ url: string; last_edited_time: string; in_trash: boolean; archived: boolean }>;
  const hit: Hit = { object: result.object, id: result.id, title: titleOf(result), url: full.url ?? null };
  if (full.in_trash ?? full.archived) hit.in_trash = true;
  // Notion's search answers a data source whole: its schema comes along (one string a property), so a model can
  // query or write at once. A page's place and last edit say which of several same-titled pages is meant.
  if (result.object === 'data_source' && 'properties' in result) {
    hit.properties = schemaSummary(result.properties as DataSourceSchema);
  } else {
    hit.parent = parentOf(result);
    if (full.last_edited_time) hit.last_edited_time = full.last_edited_time;
  }
  return hit;
}

/** The connection's index state; `ready` once a sweep has finished on it. */
export async function indexState(services: EngineServices, connectionId: string): Promise<'ready' | 'cold'> {
  const state = await services.searchIndex.state(connectionId);
  return state?.built_at ? 'ready' : 'cold';
}

export const notion_search: Operation<'notion_search'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const client = connection.notion();
  const connectionId = connection.summary.connection_id;
  const mode = input.mode ?? 'both';
  const index = await indexState(services, connectionId);
  const query = input.query?.trim() ?? '';
  // Body hits come with the first page of a page search that has words; later pages are Notion's title hits.
  const withContent =
    index === 'ready' &&
    mode !== 'title' &&
    query !== '' &&
    !input.start_cursor &&
    input.filter?.value !== 'data_source';
  const content: Hit[] = withContent
    ? (await services.searchIndex.search(connectionId, query, input.page_size ?? 25)).map((row) => ({
        object: 'page',
        id: row.page_id,
        title: row.title,
        url: row.url,
        last_edited_time: row.last_edited_time,
        snippet: row.snippet,
      }))
    : [];
  if (mode === 'content' && index === 'ready') return { results: content, next_cursor: null, has_more: false, index };
  const params: SearchParameters = {
    query: input.query,
    page_size: input.page_size ?? 25,
    start_cursor: input.start_cursor,
    sort: input.sort,
    // Before 2025-09-03 the object was `database`; callers (and the seed spec) still say so.
    filter: input.filter
      ? { property: 'object', value: input.filter.value === 'page' ? 'page' : 'data_source' }
      : undefined,
  };
  const response = await client.search(params);
  const seen = new Set(content.map((hit) => hit.id));
  const titles = response.results.map(toHit).filter((hit) => !seen.has(hit.id));
  return { results: [...content, ...titles], next_cursor: response.next_cursor, has_more: response.has_more, index };
};
