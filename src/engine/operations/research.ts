/**
 * `search` and `fetch`: the two read-only tools ChatGPT's deep research and company knowledge call, in exactly the
 * shape they expect (`{query}` → `{results:[{id,title,url}]}`, `{id}` → `{id,title,text,url,metadata}`). A page's
 * text is its Markdown from Notion's own page-Markdown route; a data source's is its title and properties.
 */
import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import { isMissingObject } from '../../notion/errors.ts';
import { GatewayError } from '../../shared/errors.ts';
import { idFromField, plainText, titleOf, urlOf } from '../notion-objects.ts';
import { bodyPart } from '../page-parts.ts';
import type { Output } from '../types.ts';
import { connectionOf, type Operation } from './operation.ts';
import { indexState } from './search.ts';

const RESEARCH_HITS = 20;

/** Body hits (ranked, with a snippet) from the connection's index, then Notion's title hits; titles alone while cold. */
export const search: Operation<'search'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const connectionId = connection.summary.connection_id;
  const mode = input.mode ?? 'both';
  const index = await indexState(services, connectionId);
  type Hit = Output<'search'>['results'][number];
  const content: Hit[] =
    index === 'ready' && mode !== 'title' && input.query.trim() !== ''
      ? (await services.searchIndex.search(connectionId, input.query, RESEARCH_HITS)).map((row) => ({
          id: row.page_id,
          title: row.title || 'Untitled',
          url: row.url,
          snippet: row.snippet,
        }))
      : [];
  if (mode === 'content' && index === 'ready') return { results: content, index };
  const response = await connection.notion().search({ query: input.query, page_size: RESEARCH_HITS });
  const seen = new Set(content.map((hit) => hit.id));
  const titles = response.results
    .filter((r): r is PageObjectResponse | DataSourceObjectResponse => 'url' in r || 'properties' in r)
    .filter((r) => !seen.has(r.id))
    .map((r) => ({ id: r.id, title: titleOf(r) || 'Untitled', url: urlOf(r as { id: string; url?: string }) }));
  return { results: [...content, ...titles], index };
};

function describeDataSource(source: DataSourceObjectResponse): string {
  const lines = [`# ${titleOf(source) || 'Untitled data source'}`];
  const description = plainText((source as { description?: unknown }).description);
  if (description) lines.push('', description);
  lines.push('', '## Properties');
  for (const [name, property] of Object.entries(source.properties)) lines.push(`- ${name} (${property.type})`);
  return lines.join('\n');
}

export const fetch: Operation<'fetch'> = async (input, ctx, services) => {
  const id = idFromField(input.id, 'id', 'a Notion id (UUID) or a notion.so URL, as search returns them');
  const connection = connectionOf(ctx);
  try {
    const page = (await connection.notion().pages.retrieve({ page_id: id })) as PageObjectResponse;
    const markdown = await connection.notion(MARKDOWN_NOTION_VERSION).pages.retrieveMarkdown({ page_id: id });
    const document = (part: { text: string; next_cursor?: string }) => ({
      id: page.id,
      title: titleOf(page) || 'Untitled',
      text: part.text,
      url: urlOf(page),
      metadata: {
        object: 'page',
        last_edited_time: page.last_edited_time ?? null,
        truncated: markdown.truncated,
        ...(part.next_cursor ? { next_cursor: part.next_cursor } : {}),
      },
    });
    const limit = services.limits.maxResponseChars;
    return document(bodyPart(markdown.markdown, input.cursor, (part) => ctx.measure(document(part)) <= limit));
  } catch (error) {
    if (!isMissingObject(error)) throw error;
  }
  // Not a page: a data source id (search returns both). Its description is short: it comes whole.
  if (input.cursor !== undefined) {
    throw new GatewayError('validation_failed', 'cursor: only a page comes in parts; leave cursor out for this id.', {
      pointer: '/cursor',
      field: 'cursor',
    });
  }
  const source = (await connection.notion().dataSources.retrieve({ data_source_id: id })) as DataSourceObjectResponse;
  return {
    id: source.id,
    title: titleOf(source) || 'Untitled',
    text: describeDataSource(source),
    url: urlOf(source as { id: string; url?: string }),
    metadata: { object: 'data_source', last_edited_time: source.last_edited_time ?? null, truncated: false },
  };
};
