/**
 * Issue 16 points 4 and 5 against the sandbox's demo workspace, through REST and MCP: lenient where it is safe
 * (JSON-string arguments, `body: {}` on a GET), precise where it is not (refusals name the field, what was expected
 * and an example).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { api, type RunningGateway } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let mcp: Client;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'all' });
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

describe('MCP: object and array arguments sent as JSON strings', () => {
  it('parses a JSON-string object argument, validates it as the object and says so in _meta', async () => {
    const title = 'Stringly typed page';
    const res = await mcp.callTool({
      name: 'notion_request',
      arguments: {
        method: 'POST',
        path: '/v1/pages',
        body: JSON.stringify({
          parent: { type: 'page_id', page_id: demo.rootPageId },
          properties: { title: { title: [{ text: { content: title } }] } },
        }),
      },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta).toMatchObject({ coerced_arguments: ['body'] });
    const created = (res.structuredContent as { response: { id: string } }).response;
    const page = sandbox.requestLog().find((e) => e.method === 'POST' && e.path === '/v1/pages');
    expect(page).toBeTruthy();
    const read = await mcp.callTool({
      name: 'notion_read',
      arguments: { method: 'GET', path: `/v1/pages/${created.id}` },
    });
    const props = (read.structuredContent as any).response.properties;
    expect(props.title.title[0].plain_text).toBe(title);
  });

  it('parses a JSON-string filter object and sorts array of notion_query', async () => {
    const res = await mcp.callTool({
      name: 'notion_query',
      arguments: {
        data_source_id: demo.tasks.dataSourceId,
        filter: JSON.stringify({ Done: false }),
        sorts: '["-Due"]',
      },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta).toMatchObject({ coerced_arguments: ['filter', 'sorts'] });
    const rows = (res.structuredContent as { rows: Array<{ title: string }> }).rows;
    expect(rows.map((r) => r.title)).toEqual(['Export legacy tables', 'Build landing page']);
  });

  it('a string that is not JSON is still refused by the schema, naming the argument', async () => {
    const res = await mcp.callTool({
      name: 'notion_request',
      arguments: { method: 'POST', path: '/v1/pages', body: '{not json' },
    });
    expect(res.isError).toBe(true);
    const error = JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error;
    expect(error.code).toBe('validation_failed');
    expect(JSON.stringify(error)).toContain('/body');
  });

  it('calls without a coerced argument carry no coerced_arguments', async () => {
    const res = await mcp.callTool({
      name: 'notion_read',
      arguments: { method: 'GET', path: `/v1/pages/${demo.rootPageId}` },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta?.coerced_arguments).toBeUndefined();
  });
});

describe.each(['rest', 'mcp'] as const)('over %s', (surface) => {
  it('ignores body: {} on a GET through the proxy', async () => {
    for (const tool of ['notion_read', 'notion_request']) {
      const { result, error } = await run(surface, tool, {
        method: 'GET',
        path: `/v1/pages/${demo.rootPageId}`,
        body: {},
      });
      expect(error).toBeFalsy();
      expect(result.response.id).toBe(demo.rootPageId);
    }
  });

  it('still refuses a non-empty body on a GET, naming the field and showing an example', async () => {
    const { error } = await run(surface, 'notion_read', {
      method: 'GET',
      path: `/v1/pages/${demo.rootPageId}`,
      body: { page_size: 10 },
    });
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/^body: GET requests take no body/);
    expect(error.message).toContain('"query"');
    expect(error.details).toMatchObject({ field: 'body', pointer: '/body' });
  });
});

/** Adds Priority (select High/Low) and Owner (people) to Tasks, as a user would through the proxy. */
async function addPriorityAndOwner() {
  const res = await api(gateway.url)('POST', '/v1/notion/request', {
    method: 'PATCH',
    path: `/v1/data_sources/${demo.tasks.dataSourceId}`,
    body: {
      properties: {
        Priority: { select: { options: [{ name: 'High' }, { name: 'Low' }] } },
        Owner: { people: {} },
      },
    },
  });
  expect(res.status).toBe(200);
}

const notionPage = async (id: string) =>
  (await api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: `/v1/pages/${id}` })).json.result.response;

const schemaOptions = async (name: string) => {
  const ds = (
    await api(gateway.url)('POST', '/v1/notion/read', {
      method: 'GET',
      path: `/v1/data_sources/${demo.tasks.dataSourceId}`,
    })
  ).json.result.response;
  const p = ds.properties[name];
  return (p.select ?? p.multi_select).options.map((o: { name: string }) => o.name);
};

describe.each(['rest', 'mcp'] as const)('values over %s', (surface) => {
  it('refuses a select or multi-select value that is not an option, with the closest one, and writes nothing', async () => {
    await addPriorityAndOwner();
    const before = sandbox.requestLog().length;
    const { error } = await run(surface, 'notion_page_update', {
      page_id: demo.tasks.pageIds[1],
      properties: { Priority: 'Hgh' },
    });
    expect(error.code).toBe('invalid_property');
    expect(error.message).toContain('"Priority"');
    expect(error.message).toContain('Did you mean "High"?');
    expect(error.details).toMatchObject({ property: 'Priority', did_you_mean: 'High', example: { Priority: 'High' } });
    const upsert = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Write docs' },
      properties: { Tags: ['frontnd'] },
    });
    expect(upsert.error.details).toMatchObject({ property: 'Tags', did_you_mean: 'frontend' });
    const writes = sandbox
      .requestLog()
      .slice(before)
      .filter((e) => e.method === 'PATCH' || (e.method === 'POST' && e.path === '/v1/pages'));
    expect(writes).toEqual([]);
    expect(await schemaOptions('Priority')).toEqual(['High', 'Low']);
    expect((await notionPage(demo.tasks.pageIds[1]!)).properties.Priority.select).toBeNull();
  });

  it('adds the option when the call says create_options: true', async () => {
    await addPriorityAndOwner();
    const { result, error } = await run(surface, 'notion_page_update', {
      page_id: demo.tasks.pageIds[1],
      properties: { Priority: 'Urgent' },
      create_options: true,
    });
    expect(error).toBeFalsy();
    expect(result.page.properties.Priority).toBe('Urgent');
    expect(await schemaOptions('Priority')).toContain('Urgent');
  });

  it('takes people by e-mail, and refuses an unknown e-mail listing the known people', async () => {
    await addPriorityAndOwner();
    const users = (await api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users' })).json.result
      .response.results as Array<{ id: string; name: string; person?: { email: string } }>;
    const grace = users.find((u) => u.person?.email === 'grace@example.com')!;
    const created = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Review', Owner: ['Grace@example.com'] },
    });
    expect(created.error).toBeFalsy();
    expect((await notionPage(created.result.page.id)).properties.Owner.people.map((p: { id: string }) => p.id)).toEqual(
      [grace.id],
    );
    // The users list is read once per connection, then cached.
    sandbox.clearRequestLog();
    const again = await run(surface, 'notion_page_update', {
      page_id: created.result.page.id,
      properties: { Owner: 'ada@example.com' },
    });
    expect(again.error).toBeFalsy();
    expect(sandbox.requestLog().filter((e) => e.path === '/v1/users')).toEqual([]);

    const { error } = await run(surface, 'notion_page_update', {
      page_id: created.result.page.id,
      properties: { Owner: ['nobody@example.com'] },
    });
    expect(error.code).toBe('invalid_property');
    expect(error.message).toContain('"Owner"');
    expect(error.message).toContain('Ada Lovelace <ada@example.com>');
    expect(error.message).toContain('Grace Hopper <grace@example.com>');
    expect(error.details.known_people).toContainEqual({
      id: grace.id,
      name: 'Grace Hopper',
      email: 'grace@example.com',
    });
    expect(error.details.example).toBeTruthy();
  });

  it('takes relation values as ids, URLs or exact titles in create, update, upsert and query filters', async () => {
    const [alpha, beta] = demo.projects.pageIds as [string, string];
    const created = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Plan cut-over', Project: 'Data migration' },
    });
    expect(created.error).toBeFalsy();
    const related = async (id: string) =>
      (await notionPage(id)).properties.Project.relation.map((r: { id: string }) => r.id);
    expect(await related(created.result.page.id)).toEqual([beta]);

    const updated = await run(surface, 'notion_page_update', {
      page_id: created.result.page.id,
      properties: { Project: [`https://www.notion.so/Website-relaunch-${alpha.replaceAll('-', '')}`] },
    });
    expect(updated.error).toBeFalsy();
    expect(await related(created.result.page.id)).toEqual([alpha]);

    const upserted = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Plan cut-over' },
      properties: { Project: ['Data migration'] },
    });
    expect(upserted.error).toBeFalsy();
    expect(upserted.result.action).toBe('updated');
    expect(await related(created.result.page.id)).toEqual([beta]);

    const query = await run(surface, 'notion_query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Project: 'Data migration' },
    });
    expect(query.error).toBeFalsy();
    expect(query.result.rows.map((r: { title: string }) => r.title).sort()).toEqual([
      'Export legacy tables',
      'Plan cut-over',
    ]);
  });

  it('refuses an ambiguous or unknown relation title as notion_link does', async () => {
    await api(gateway.url)('POST', '/v1/pages', {
      data_source_id: demo.projects.dataSourceId,
      properties: { Name: 'Website relaunch' },
    });
    const ambiguous = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Pick one', Project: 'Website relaunch' },
    });
    expect(ambiguous.error.code).toBe('ambiguous_match');
    expect(ambiguous.error.message).toContain('Project: 2 pages are titled "Website relaunch"');
    expect(ambiguous.error.details.candidates).toHaveLength(2);
    const filter = await run(surface, 'notion_query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Project: 'Website relaunch' },
    });
    expect(filter.error.code).toBe('ambiguous_match');

    const unknown = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Orphan', Project: 'No such project' },
    });
    expect(unknown.error.code).toBe('invalid_property');
    expect(unknown.error.message).toContain('"Project"');
    expect(unknown.error.details).toMatchObject({ property: 'Project', example: expect.anything() });
  });
});

describe.each(['rest', 'mcp'] as const)('ids of the wrong kind over %s', (surface) => {
  it('names a data source id given as a page id, and a page id given as a data source id', async () => {
    const asPage = await run(surface, 'notion_page_update', {
      page_id: demo.tasks.dataSourceId,
      properties: { Name: 'x' },
    });
    expect(asPage.error.code).toBe('invalid_id');
    expect(asPage.error.message).toContain(`page_id: ${demo.tasks.dataSourceId} is a data source, not a page`);
    expect(asPage.error.message).toContain('notion_query');
    expect(asPage.error.message).not.toContain('make sure');
    expect(asPage.error.details).toMatchObject({ field: 'page_id', actual_kind: 'data_source' });

    const asSource = await run(surface, 'notion_query', { data_source_id: demo.tasks.pageIds[0] });
    expect(asSource.error.code).toBe('invalid_id');
    expect(asSource.error.message).toContain('is a page, not a data source');
    expect(asSource.error.message).toContain('notion_page_get');

    const database = await run(surface, 'notion_query', { data_source_id: demo.tasks.databaseId });
    expect(database.error.message).toContain('is a database, not a data source');
    expect(database.error.message).toContain('database_id');

    const proxied = await run(surface, 'notion_read', {
      method: 'GET',
      path: `/v1/pages/${demo.projects.dataSourceId}`,
    });
    expect(proxied.error.code).toBe('invalid_id');
    expect(proxied.error.message).toContain('is a data source, not a page');

    const subPage = await run(surface, 'notion_page_create', {
      parent_page_id: demo.projects.dataSourceId,
      title: 'Nested',
    });
    expect(subPage.error.message).toContain('parent_page_id');
    expect(subPage.error.message).toContain('is a data source');
  });

  it('an id that is nothing shared still gets Notion’s own not-found', async () => {
    const { error } = await run(surface, 'notion_page_get', { page_id: '00000000-0000-4000-8000-000000000000' });
    expect(error.code).not.toBe('invalid_id');
  });
});

describe.each(['rest', 'mcp'] as const)('notion_page_create without a parent over %s', (surface) => {
  it('makes a workspace-level page where Notion allows it', async () => {
    const { result, error } = await run(surface, 'notion_page_create', { title: `Top level ${surface}` });
    expect(error).toBeFalsy();
    const page = await notionPage(result.page.id);
    expect(page.parent).toEqual({ type: 'workspace', workspace: true });
    expect(result.page.title).toBe(`Top level ${surface}`);
  });

  it('where Notion does not (an internal integration), says how to share a page with the integration', async () => {
    sandbox.setWorkspacePages('public');
    try {
      const { error } = await run(surface, 'notion_page_create', { title: 'Nowhere' });
      expect(error.code).toBe('validation_failed');
      expect(error.message).toMatch(/^parent_page_id: /);
      expect(error.message).toContain('Connections');
      expect(error.message).toContain('public integrations only');
      expect(error.details).toMatchObject({ field: 'parent_page_id', example: { parent_page_id: expect.any(String) } });
    } finally {
      sandbox.setWorkspacePages('all');
    }
  });
});

describe.each(['rest', 'mcp'] as const)('relation titles in compact rows over %s', (surface) => {
  it('carry the related page title beside its id, each related page read once per request', async () => {
    const [alpha, beta] = demo.projects.pageIds as [string, string];
    sandbox.clearRequestLog();
    const { result, error } = await run(surface, 'notion_query', { data_source_id: demo.tasks.dataSourceId });
    expect(error).toBeFalsy();
    const byTitle = Object.fromEntries(result.rows.map((r: any) => [r.title, r.properties.Project]));
    expect(byTitle).toEqual({
      'Design mockups': [{ id: alpha, title: 'Website relaunch' }],
      'Build landing page': [{ id: alpha, title: 'Website relaunch' }],
      'Export legacy tables': [{ id: beta, title: 'Data migration' }],
    });
    const lookups = sandbox.requestLog().filter((e) => e.method === 'GET' && e.path.startsWith('/v1/pages/'));
    expect(lookups.map((e) => e.path).sort()).toEqual([`/v1/pages/${alpha}`, `/v1/pages/${beta}`].sort());

    const page = await run(surface, 'notion_page_get', { page_id: demo.tasks.pageIds[2] });
    expect(page.result.page.properties.Project).toEqual([{ id: beta, title: 'Data migration' }]);
  });
});
