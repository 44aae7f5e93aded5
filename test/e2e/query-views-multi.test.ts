/**
 * Issue 19 points 3 and 4 for notion_query, over REST and MCP against the sandbox: a view's rows as compact rows (its
 * own filter and sorts), and several data sources in one query with one friendly filter, merged, tagged and paged.
 */
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

let stack: Stack;
let mcp: McpClient;
let notion: Client;
let bugsDs: string;
let viewId: string;

const rt = (content: string) => [{ type: 'text' as const, text: { content } }];

beforeAll(async () => {
  stack = await startStack({ toolsets: 'all' });
  mcp = stack.mcp!;
  notion = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url, notionVersion: '2025-09-03' });
  const bugs = (await notion.databases.create({
    parent: { type: 'page_id', page_id: stack.demo.rootPageId },
    title: rt('Bugs'),
    initial_data_source: { properties: { Name: { title: {} }, Done: { checkbox: {} }, Hours: { number: {} } } },
  })) as { data_sources: Array<{ id: string }> };
  bugsDs = bugs.data_sources[0]!.id;
  for (const [name, done, hours] of [
    ['Crash on save', false, 8],
    ['Typo in footer', false, 1],
    ['Slow search', true, 5],
    ['Login loop', false, 3],
  ] as const) {
    await notion.pages.create({
      parent: { data_source_id: bugsDs },
      properties: { Name: { title: rt(name) }, Done: { checkbox: done }, Hours: { number: hours } },
    });
  }
  const view = await notion.views.create({
    data_source_id: stack.demo.tasks.dataSourceId,
    name: 'Open work',
    type: 'table',
    filter: { property: 'Done', checkbox: { equals: false } } as never,
    sorts: [{ property: 'Hours', direction: 'descending' }] as never,
  });
  viewId = view.id;
}, 60_000);

afterAll(async () => stack?.close());

const run = (surface: Surface, args: Record<string, unknown>) =>
  operationCaller(stack.gateway.url, mcp)(surface, 'notion_query', args);

/** What Notion itself answers for a data source with a filter: the expected rows' ids in order. */
async function expectedIds(dataSourceId: string, filter?: object, sorts: object[] = []): Promise<string[]> {
  const answer = await notion.dataSources.query({
    data_source_id: dataSourceId,
    filter: filter as never,
    sorts: sorts as never,
  });
  return answer.results.map((r) => r.id);
}

describe.each<Surface>(['rest', 'mcp'])('notion_query over %s', (surface) => {
  it('lists a view’s rows compactly, with the view’s own filter and sorts', async () => {
    const answer = await run(surface, { view_id: viewId });
    expect(answer.error).toBeNull();
    expect(answer.result).toMatchObject({ view_id: viewId, data_source_id: stack.demo.tasks.dataSourceId });
    const want = await expectedIds(stack.demo.tasks.dataSourceId, { property: 'Done', checkbox: { equals: false } }, [
      { property: 'Hours', direction: 'descending' },
    ]);
    expect(want.length).toBeGreaterThan(0);
    expect(answer.result.rows.map((r: { id: string }) => r.id)).toEqual(want);
    for (const row of answer.result.rows) expect(row.properties.Done).toBe(false);
  });

  it('narrows a view with a friendly filter (AND)', async () => {
    const answer = await run(surface, { view_id: viewId, filter: { Tags: 'backend' } });
    expect(answer.error).toBeNull();
    for (const row of answer.result.rows) {
      expect(row.properties.Done).toBe(false);
      expect(row.properties.Tags).toContain('backend');
    }
  });

  it('queries several data sources with one friendly filter, merged by the sorts and tagged', async () => {
    const answer = await run(surface, {
      data_source_ids: [stack.demo.tasks.dataSourceId, bugsDs],
      filter: { Done: false },
      sorts: ['-Hours'],
      page_size: 100,
    });
    expect(answer.error).toBeNull();
    expect(answer.result.data_source_id).toBeUndefined();
    const rows = answer.result.rows as Array<{
      id: string;
      data_source_id: string;
      properties: { Hours: number | null };
    }>;
    const tasks = await expectedIds(stack.demo.tasks.dataSourceId, { property: 'Done', checkbox: { equals: false } });
    const bugs = await expectedIds(bugsDs, { property: 'Done', checkbox: { equals: false } });
    expect(rows.map((r) => r.id).sort()).toEqual([...tasks, ...bugs].sort());
    for (const row of rows)
      expect(row.data_source_id).toBe(bugs.includes(row.id) ? bugsDs : stack.demo.tasks.dataSourceId);
    const hours = rows.map((r) => r.properties.Hours).filter((h): h is number => typeof h === 'number');
    expect(hours).toEqual([...hours].sort((a, b) => b - a));
    expect(answer.result.has_more).toBe(false);
  });

  it('pages a multi-source query with one cursor: every row exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const answer = await run(surface, {
        data_source_ids: [stack.demo.tasks.dataSourceId, bugsDs],
        page_size: 2,
        ...(cursor ? { start_cursor: cursor } : {}),
      });
      expect(answer.error).toBeNull();
      seen.push(...answer.result.rows.map((r: { id: string }) => r.id));
      cursor = answer.result.next_cursor ?? undefined;
      pages++;
    } while (cursor && pages < 30);
    const all = [...(await expectedIds(stack.demo.tasks.dataSourceId)), ...(await expectedIds(bugsDs))];
    expect(seen.sort()).toEqual(all.sort());
    expect(pages).toBeGreaterThan(1);
  });

  it('skips a data source that lacks a property the filter names, and says so', async () => {
    const answer = await run(surface, {
      data_source_ids: [stack.demo.tasks.dataSourceId, bugsDs],
      filter: { Tags: 'backend' },
    });
    expect(answer.error).toBeNull();
    expect(answer.result.skipped).toEqual([{ data_source_id: bugsDs, missing: ['Tags'] }]);
    for (const row of answer.result.rows) expect(row.data_source_id).toBe(stack.demo.tasks.dataSourceId);
  });

  it('refuses a native filter across data sources, and two targets at once', async () => {
    const native = await run(surface, {
      data_source_ids: [bugsDs],
      filter: { property: 'Done', checkbox: { equals: true } },
    });
    expect(native.error).toMatchObject({ code: 'validation_failed', details: { field: 'filter' } });
    const both = await run(surface, { view_id: viewId, data_source_id: bugsDs });
    expect(both.error).toMatchObject({ code: 'validation_failed' });
    const foreign = await run(surface, { data_source_ids: [bugsDs], start_cursor: 'abc' });
    expect(foreign.error).toMatchObject({ code: 'validation_failed', details: { field: 'start_cursor' } });
  });

  it('names a page id given as view_id', async () => {
    const answer = await run(surface, { view_id: stack.demo.rootPageId });
    expect(answer.error).toMatchObject({ code: 'invalid_id' });
    expect(answer.error.message).toContain('page');
  });
});
