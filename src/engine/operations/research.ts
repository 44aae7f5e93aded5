/**
 * `search` and `fetch`: the two read-only tools ChatGPT's deep research and company knowledge call, in exactly the
 * shape they expect (`{query}` → `{results:[{id,title,url}]}`, `{id}` → `{id,title,text,url,metadata}`). A page's
 * text is its Markdown from Notion's own page-Markdown route; a data source's is its title and properties.
 */
import type { DataSourceObjectResponse, PageObjectResponse } from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import { isMissingObject } from '../../notion/errors.ts';
import { idFromField, plainText, titleOf, urlOf } from '../notion-objects.ts';
import { connectionOf, type Operation } from './operation.ts';

export const search: Operation<'search'> = async (input, ctx) => {
  const response = await connectionOf(ctx).notion().search({ query: input.query, page_size: 20 });
  return {
    results: response.results
      .filter((r): r is PageObjectResponse | DataSourceObjectResponse => 'url' in r || 'properties' in r)
      .map((r) => ({ id: r.id, title: titleOf(r) || 'Untitled', url: urlOf(r as { id: string; url?: string }) })),
  };
};

function describeDataSource(source: DataSourceObjectResponse): string {
  const lines = [`# ${titleOf(source) || 'Untitled data source'}`];
  const description = plainText((source as { description?: unknown }).description);
  if (description) lines.push('', description);
  lines.push('', '## Properties');
  for (const [name, property] of Object.entries(source.properties)) lines.push(`- ${name} (${property.type})`);
  return lines.join('\n');
}

export const fetch: Operation<'fetch'> = async (input, ctx) => {
  const id = idFromField(input.id, 'id', 'a Notion id (UUID) or a notion.so URL, as search returns them');
  const connection = connectionOf(ctx);
  try {
    const page = (await connection.notion().pages.retrieve({ page_id: id })) as PageObjectResponse;
    const markdown = await connection.notion(MARKDOWN_NOTION_VERSION).pages.retrieveMarkdown({ page_id: id });
    return {
      id: page.id,
      title: titleOf(page) || 'Untitled',
      text: markdown.markdown,
      url: urlOf(page),
      metadata: { object: 'page', last_edited_time: page.last_edited_time ?? null, truncated: markdown.truncated },
    };
  } catch (error) {
    if (!isMissingObject(error)) throw error;
  }
  // Not a page: a data source id (search returns both).
  const source = (await connection.notion().dataSources.retrieve({ data_source_id: id })) as DataSourceObjectResponse;
  return {
    id: source.id,
    title: titleOf(source) || 'Untitled',
    text: describeDataSource(source),
    url: urlOf(source as { id: string; url?: string }),
    metadata: { object: 'data_source', last_edited_time: source.last_edited_time ?? null, truncated: false },
  };
};
