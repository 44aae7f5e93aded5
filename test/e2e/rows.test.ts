/**
 * notion_query, notion_upsert and notion_link end to end against the sandbox's seeded Projects ⇄ Tasks workspace,
 * through REST and MCP: friendly filters and compact rows, upserts that create, update, leave unchanged and never
 * duplicate (concurrency included), links by id, URL or title.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { api, type RunningGateway } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let mcp: Client;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,rows' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
});

/** One operation through either surface: the result, or the error body. */
const run = (surface: Surface, tool: string, args: Record<string, unknown>) =>
  operationCaller(gateway.url, mcp)(surface, tool, args);

const pageCreates = () => sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages').length;
const notionWrites = () =>
  sandbox.requestLog().filter((e) => e.method === 'PATCH' || (e.method === 'POST' && e.path === '/v1/pages')).length;

describe.each(['rest', 'mcp'] as const)('over %s', (surface) => {
  it('queries with a friendly filter and answers compact rows', async () => {
    const { result, error } = await run(surface, 'notion_query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Done: false, Tags: 'frontend' },
      sorts: ['-Due'],
    });
    expect(error).toBeNull();
    expect(result.rows.map((r: any) => r.title)).toEqual(['Build landing page']);
    expect(result.rows[0].properties).toMatchObject({
      Name: 'Build landing page',
      Done: false,
      Hours: 12,
      Due: '2025-02-01',
      Tags: ['frontend'],
      Project: [{ id: demo.projects.pageIds[0] }],
    });
    expect(result).toMatchObject({ has_more: false, next_cursor: null });
    // Only a truncated answer says so; the caller's own data_source_id is not echoed.
    expect(result).not.toHaveProperty('truncated');
    expect(result).not.toHaveProperty('data_source_id');
  });

  it('accepts a database id with one data source, and Notion’s own filter as it is', async () => {
    const { result } = await run(surface, 'notion_query', {
      database_id: demo.tasks.databaseId,
      filter: { property: 'Hours', number: { greater_than: 5 } },
      properties: ['Name', 'Hours'],
    });
    expect(result.data_source_id).toBe(demo.tasks.dataSourceId);
    expect(result.rows.map((r: any) => r.title).sort()).toEqual(['Build landing page', 'Design mockups']);
    expect(Object.keys(result.rows[0].properties).sort()).toEqual(['Hours', 'Name']);
  });

  it('names the property and the choices when a filter is wrong', async () => {
    const { error } = await run(surface, 'notion_query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Stauts: 'x' },
    });
    expect(error.code).toBe('invalid_property');
    expect(error.message).toContain('Stauts');
    expect(JSON.stringify(error.details)).toContain('Name');
  });

  it('upsert creates, then updates, then reports unchanged without writing', async () => {
    const args = {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `Write docs ${surface}` },
      properties: { Hours: 3, Due: '2026-01-10', Tags: ['backend'], Done: false },
    };
    const created = await run(surface, 'notion_upsert', args);
    expect(created.error).toBeNull();
    expect(created.result.action).toBe('created');
    expect(created.result.page.properties).toMatchObject({
      Name: `Write docs ${surface}`,
      Hours: 3,
      Due: '2026-01-10',
    });

    const updated = await run(surface, 'notion_upsert', { ...args, properties: { ...args.properties, Hours: 5 } });
    expect(updated.result.action).toBe('updated');
    expect(updated.result.page.id).toBe(created.result.page.id);
    expect(updated.result.page.properties.Hours).toBe(5);

    sandbox.clearRequestLog();
    const again = await run(surface, 'notion_upsert', { ...args, properties: { ...args.properties, Hours: 5 } });
    expect(again.result.action).toBe('unchanged');
    expect(notionWrites()).toBe(0);
    // The remembered page is read once: no query, no schema read (cached).
    expect(sandbox.requestLog()).toHaveLength(1);
  });

  it('finds an existing row it never created (by query) and updates it', async () => {
    const { result } = await run(surface, 'notion_upsert', {
      database_id: demo.tasks.databaseId,
      unique: { property: 'Name', value: 'Design mockups' },
      properties: { Done: false },
    });
    expect(result.action).toBe('updated');
    expect(result.page.id).toBe(demo.tasks.pageIds[0]);
    expect(pageCreates()).toBe(0);
  });

  it('refuses to pick one of several matching rows', async () => {
    await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Twin' },
    });
    // A second row with the same title, made behind the gateway's back.
    await api(gateway.url)('POST', '/v1/notion/request', {
      method: 'POST',
      path: '/v1/pages',
      body: {
        parent: { data_source_id: demo.tasks.dataSourceId },
        properties: { Name: { title: [{ text: { content: 'Twin' } }] } },
      },
    });
    const { error } = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Twin' },
      external_id: { property: 'Name', value: 'Twin' },
      properties: { Hours: 1 },
    });
    expect(error.code).toBe('ambiguous_match');
    expect(error.details.candidates).toHaveLength(2);
  });

  it('links pages by id, URL and title; adding an existing link is unchanged; remove unlinks', async () => {
    const [task] = demo.tasks.pageIds;
    const added = await run(surface, 'notion_link', {
      from: { type: 'page', id: task },
      to: { type: 'page', id: 'Data migration' },
      relation_property: 'Project',
    });
    expect(added.error).toBeNull();
    expect(added.result.action).toBe('linked');
    expect(added.result.related.map((r: any) => r.id)).toEqual([demo.projects.pageIds[0], demo.projects.pageIds[1]]);

    const url = `https://www.notion.so/Data-migration-${demo.projects.pageIds[1]!.replaceAll('-', '')}`;
    sandbox.clearRequestLog();
    const again = await run(surface, 'notion_link', {
      from: { type: 'page', id: task },
      to: { type: 'page', id: url },
      relation_property: 'project',
    });
    expect(again.result.action).toBe('unchanged');
    expect(notionWrites()).toBe(0);

    const removed = await run(surface, 'notion_link', {
      from: { type: 'page', id: task },
      to: { type: 'page', id: demo.projects.pageIds[0] },
      relation_property: 'Project',
      mode: 'remove',
    });
    expect(removed.result).toMatchObject({ action: 'unlinked', related: [{ id: demo.projects.pageIds[1] }] });
    // The dual side follows.
    const project = await run(surface, 'notion_query', {
      data_source_id: demo.projects.dataSourceId,
      filter: { Name: 'Website relaunch' },
    });
    expect(project.result.rows[0].properties.Tasks.map((r: any) => r.id)).not.toContain(task);
  });

  it('link names the relation properties when the one given is not a relation', async () => {
    const { error } = await run(surface, 'notion_link', {
      from: { type: 'page', id: demo.tasks.pageIds[0] },
      to: { type: 'page', id: demo.projects.pageIds[0] },
      relation_property: 'Hours',
    });
    expect(error.code).toBe('invalid_property');
    expect(error.details.valid_choices).toEqual(['Project']);
  });
});

describe('upserts under concurrency', () => {
  it('20 concurrent upserts of one new key create exactly one page', async () => {
    const call = api(gateway.url);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('POST', '/v1/upsert', {
          data_source_id: demo.tasks.dataSourceId,
          unique: { property: 'Name', value: 'Raced' },
          properties: { Hours: i % 2 },
        }),
      ),
    );
    for (const a of answers) expect(a.status).toBe(200);
    expect(pageCreates()).toBe(1);
    const actions = answers.map((a) => a.json.result.action);
    expect(actions.filter((a) => a === 'created')).toHaveLength(1);
    const ids = new Set(answers.map((a) => a.json.result.page.id));
    expect(ids.size).toBe(1);
  });

  it('an invalid value is refused with the property, what was expected and the choices', async () => {
    const res = await api(gateway.url)('POST', '/v1/upsert', {
      data_source_id: demo.projects.dataSourceId,
      unique: { property: 'Name', value: 'Website relaunch' },
      properties: { Status: 'Shipped' },
    });
    expectError(res, 400, 'invalid_property');
    expect(res.json.error.details.property).toBe('Status');
    expect(res.json.error.details.valid_choices).toEqual(expect.arrayContaining(['Not started', 'In progress']));
    expect(notionWrites()).toBe(0);
  });
});
