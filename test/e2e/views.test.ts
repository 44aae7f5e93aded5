/**
 * Issue 19 point 3, views as friendly tools, over REST and MCP against the sandbox: notion_view_save creates a view
 * from a friendly filter and sorts, notion_views_list shows them back in that form, notion_query with the view_id
 * answers the rows the filter says, an update changes the filter, a dry run writes nothing and a bad property names
 * itself.
 */
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { api } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

let stack: Stack;
let mcp: McpClient;
let notion: Client;
let demo: DemoWorkspace;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,rows,databases' });
  mcp = stack.mcp!;
  notion = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url, notionVersion: '2025-09-03' });
}, 60_000);

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(stack.sandbox);
  stack.sandbox.clearRequestLog();
});

const call = (surface: Surface, tool: string, args: Record<string, unknown>) =>
  operationCaller(stack.gateway.url, mcp)(surface, tool, args);

/** The ids of the rows Notion itself answers for a data source and a native filter, in the order of the sorts. */
async function expectedIds(filter: object, sorts: object[]): Promise<string[]> {
  const answer = await notion.dataSources.query({
    data_source_id: demo.tasks.dataSourceId,
    filter: filter as never,
    sorts: sorts as never,
  });
  return answer.results.map((r) => r.id);
}

describe.each(['rest', 'mcp'] as const)('views over %s', (surface) => {
  it('creates a view from a friendly filter and sorts, lists it back friendly, and notion_query reads its rows', async () => {
    const project = 'Website relaunch';
    const saved = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Open relaunch work',
      filter: { Done: false, Project: project },
      sorts: ['-Hours'],
    });
    expect(saved.error).toBeNull();
    expect(saved.result).toMatchObject({
      name: 'Open relaunch work',
      type: 'table',
      data_source_id: demo.tasks.dataSourceId,
      // The relation is stored by id: the friendly form shows the id notion_query also takes.
      filter: { Done: false, Project: demo.projects.pageIds[0] },
      sorts: ['-Hours'],
    });
    const viewId = saved.result.id as string;

    // What Notion holds is the native filter the friendly one stands for.
    const stored = (await notion.views.retrieve({ view_id: viewId })) as { filter: unknown; sorts: unknown };
    const native = {
      and: [
        { property: 'Done', checkbox: { equals: false } },
        { property: 'Project', relation: { contains: demo.projects.pageIds[0] } },
      ],
    };
    expect(stored.filter).toEqual(native);
    expect(stored.sorts).toEqual([{ property: 'Hours', direction: 'descending' }]);

    const listed = await call(surface, 'notion_views_list', { data_source_id: demo.tasks.dataSourceId });
    expect(listed.error).toBeNull();
    expect(listed.result.views).toEqual([
      expect.objectContaining({ id: viewId, name: 'Open relaunch work', type: 'table', filter: saved.result.filter }),
    ]);
    const byDatabase = await call(surface, 'notion_views_list', { database_id: demo.tasks.databaseId });
    expect(byDatabase.result.views.map((v: { id: string }) => v.id)).toEqual([viewId]);

    const rows = await call(surface, 'notion_query', { view_id: viewId });
    expect(rows.error).toBeNull();
    const ids = rows.result.rows.map((r: { id: string }) => r.id);
    expect(ids).toEqual(await expectedIds(native, [{ property: 'Hours', direction: 'descending' }]));
    // The seed has one open task of that project: the filter is not a no-op.
    expect(rows.result.rows.map((r: { title: string }) => r.title)).toEqual(['Build landing page']);
  });

  it('updates a view: a new filter, the rows follow; sorts cleared with []', async () => {
    const created = await call(surface, 'notion_view_save', {
      database_id: demo.tasks.databaseId,
      name: 'Mine',
      type: 'board',
      filter: { Done: false },
    });
    const viewId = created.result.id as string;
    expect(created.result.type).toBe('board');
    const updated = await call(surface, 'notion_view_save', {
      view_id: viewId,
      name: 'Finished',
      filter: { Done: true },
      sorts: [],
    });
    expect(updated.error).toBeNull();
    expect(updated.result).toMatchObject({ id: viewId, name: 'Finished', filter: { Done: true }, sorts: null });
    const rows = await call(surface, 'notion_query', { view_id: viewId });
    expect(rows.result.rows.map((r: { title: string }) => r.title)).toEqual(['Design mockups']);
  });

  it('a native filter the friendly form cannot say is shown as Notion wrote it', async () => {
    const or = {
      or: [
        { property: 'Hours', number: { greater_than: 10 } },
        { property: 'Done', checkbox: { equals: true } },
      ],
    };
    const saved = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Big or done',
      filter: or,
    });
    expect(saved.result.filter).toEqual(or);
    const rows = await call(surface, 'notion_query', { view_id: saved.result.id });
    // No sorts: the same rows, in whatever order Notion keeps.
    const ids = rows.result.rows.map((r: { id: string }) => r.id).sort();
    expect(ids).toEqual((await expectedIds(or, [])).sort());
    expect(ids).toHaveLength(2);
  });

  it('dry_run answers what would be sent and makes no Notion write', async () => {
    const view = await notion.views.create({
      data_source_id: demo.tasks.dataSourceId,
      name: 'Existing',
      type: 'table',
    });
    stack.sandbox.clearRequestLog();
    const created = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Preview',
      filter: { Done: false },
      dry_run: true,
    });
    expect(created.error).toBeNull();
    expect(created.result).toMatchObject({
      dry_run: true,
      would_send: [
        {
          method: 'POST',
          path: '/v1/views',
          body: {
            data_source_id: demo.tasks.dataSourceId,
            name: 'Preview',
            type: 'table',
            filter: { property: 'Done', checkbox: { equals: false } },
          },
        },
      ],
      changes: { name: { before: null, after: 'Preview' }, filter: { before: null, after: { Done: false } } },
    });
    const changed = await call(surface, 'notion_view_save', { view_id: view.id, sorts: ['Hours'], dry_run: true });
    expect(changed.result).toMatchObject({
      dry_run: true,
      would_send: [
        {
          method: 'PATCH',
          path: `/v1/views/${view.id}`,
          body: { sorts: [{ property: 'Hours', direction: 'ascending' }] },
        },
      ],
      changes: { sorts: { before: null, after: ['Hours'] } },
    });
    const writes = stack.sandbox.requestLog().filter((e) => e.method !== 'GET');
    expect(writes).toEqual([]);
    const listed = await call(surface, 'notion_views_list', { data_source_id: demo.tasks.dataSourceId });
    expect(listed.result.views.map((v: { name: string; sorts: unknown }) => [v.name, v.sorts])).toEqual([
      ['Existing', null],
    ]);
  });

  it('a property the data source lacks is invalid_property, naming it; nothing is written', async () => {
    const bad = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Bad',
      filter: { Colour: 'red' },
    });
    expect(bad.error).toMatchObject({ code: 'invalid_property' });
    expect(bad.error.message).toContain('Colour');
    const badSort = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Bad',
      sorts: ['-Effort'],
    });
    expect(badSort.error).toMatchObject({ code: 'invalid_property' });
    expect(badSort.error.message).toContain('Effort');
    if (surface === 'rest') expect(badSort.status).toBe(400);
    expect(stack.sandbox.requestLog().filter((e) => e.method !== 'GET')).toEqual([]);
  });

  it('a save is audited, and runs as an op of notion_bulk', async () => {
    const saved = await call(surface, 'notion_view_save', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'Audited',
      filter: { Done: true },
    });
    const audit = await api(stack.gateway.url)('GET', `/v1/audit?request_id=${saved.requestId}`);
    expect(audit.json.result.entries).toEqual([
      expect.objectContaining({
        operation: 'notion_view_save',
        success: true,
        summary: `created view "Audited" (table) on data source ${demo.tasks.dataSourceId}`,
      }),
    ]);
    const bulk = await call(surface, 'notion_bulk', {
      ops: [
        { op: 'notion_view_save', args: { view_id: saved.result.id, sorts: ['Hours'] } },
        {
          op: 'notion_view_save',
          args: { data_source_id: demo.tasks.dataSourceId, name: 'Second', filter: { Done: false } },
        },
      ],
    });
    expect(bulk.error).toBeNull();
    expect(bulk.result.succeeded).toBe(2);
    const listed = await call(surface, 'notion_views_list', { data_source_id: demo.tasks.dataSourceId });
    expect(
      listed.result.views.map((v: { name: string; filter: unknown; sorts: unknown }) => [v.name, v.filter, v.sorts]),
    ).toEqual([
      ['Audited', { Done: true }, ['Hours']],
      ['Second', { Done: false }, null],
    ]);
  });

  it('notion_undo says it cannot revert a view save', async () => {
    const saved = await call(surface, 'notion_view_save', { data_source_id: demo.tasks.dataSourceId, name: 'Kept' });
    const undo = await call(surface, 'notion_undo', { request_id: saved.requestId, dry_run: true });
    expect(undo.error).toMatchObject({ code: 'undo_unavailable' });
    expect(undo.error.message).toContain('POST /v1/views keeps no before-image');
  });

  it('a new view needs a name; a change needs something to change', async () => {
    const nameless = await call(surface, 'notion_view_save', { data_source_id: demo.tasks.dataSourceId });
    expect(nameless.error).toMatchObject({ code: 'validation_failed' });
    const view = await notion.views.create({ data_source_id: demo.tasks.dataSourceId, name: 'X', type: 'table' });
    const empty = await call(surface, 'notion_view_save', { view_id: view.id });
    expect(empty.error).toMatchObject({ code: 'validation_failed' });
  });
});
