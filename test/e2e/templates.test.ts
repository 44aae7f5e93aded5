/**
 * Data source templates end to end against the sandbox, over REST and MCP: notion_data_source_get lists them,
 * notion_page_create and notion_upsert create rows from the default or a chosen template (its values and body), an
 * unknown template id is refused naming the templates there are, and an upsert that updates says the template was
 * not applied.
 */
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import type { RunningGateway } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';
import { operationCaller } from '../support/surfaces.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let mcp: McpClient;
let notion: Client;
let bugTemplate: string;
let featureTemplate: string;

const rt = (content: string) => [{ type: 'text' as const, text: { content } }];

/** Two template pages in Tasks: "Bug report" (the default) and "Feature", each with values and a body. */
async function seedTemplates(): Promise<void> {
  const bug = await notion.pages.create({
    parent: { data_source_id: demo.tasks.dataSourceId },
    properties: { Name: { title: rt('Bug report') }, Hours: { number: 1 }, Tags: { multi_select: [{ name: 'bug' }] } },
    children: [
      { heading_2: { rich_text: rt('Steps to reproduce') } },
      { to_do: { rich_text: rt('Write a failing test'), checked: false } },
    ],
  });
  const feature = await notion.pages.create({
    parent: { data_source_id: demo.tasks.dataSourceId },
    properties: { Name: { title: rt('Feature') }, Hours: { number: 8 } },
    children: [{ paragraph: { rich_text: rt('Why, for whom, and how we know it works.') } }],
  });
  bugTemplate = bug.id;
  featureTemplate = feature.id;
  // Over the admin API, as an out-of-process user would; and through the Sandbox object.
  const res = await fetch(`${sandbox.url}/__sandbox/templates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ page_id: bug.id, is_default: true }),
  });
  expect(res.status).toBe(200);
  sandbox.addTemplate({ pageId: feature.id });
}

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,rows,pages,databases' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
  notion = new Client({ auth: sandbox.token, baseUrl: sandbox.url, notionVersion: '2025-09-03' });
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
  await seedTemplates();
});

const run = (surface: 'rest' | 'mcp', tool: string, args: Record<string, unknown>) =>
  operationCaller(gateway.url, mcp)(surface, tool, args);

/** The page's body as the text of its blocks, read from Notion (the sandbox). */
async function bodyOf(pageId: string): Promise<string[]> {
  const list = await notion.blocks.children.list({ block_id: pageId });
  return list.results.map((b: any) => `${b.type}: ${b[b.type].rich_text.map((t: any) => t.plain_text).join('')}`);
}

describe('the sandbox', () => {
  it('lists templates with is_default and keeps them out of queries and search', async () => {
    const listed = await notion.dataSources.listTemplates({ data_source_id: demo.tasks.dataSourceId });
    expect(listed.templates).toEqual([
      { id: bugTemplate, name: 'Bug report', is_default: true },
      { id: featureTemplate, name: 'Feature', is_default: false },
    ]);
    const rows = await notion.dataSources.query({ data_source_id: demo.tasks.dataSourceId });
    expect(rows.results.map((r) => r.id)).not.toContain(bugTemplate);
    const found = await notion.search({ query: 'Bug report' });
    expect(found.results).toEqual([]);
  });

  it('refuses children together with a template, as Notion does', async () => {
    await expect(
      notion.pages.create({
        parent: { data_source_id: demo.tasks.dataSourceId },
        properties: { Name: { title: rt('x') } },
        template: { type: 'default' },
        children: [{ paragraph: { rich_text: rt('body') } }],
      }),
    ).rejects.toMatchObject({ status: 400, code: 'validation_error' });
  });
});

describe.each(['rest', 'mcp'] as const)('over %s', (surface) => {
  it('notion_data_source_get lists the templates', async () => {
    const { result, error } = await run(surface, 'notion_data_source_get', { data_source_id: demo.tasks.dataSourceId });
    expect(error).toBeNull();
    expect(result.templates).toEqual([
      { id: bugTemplate, name: 'Bug report', is_default: true },
      { id: featureTemplate, name: 'Feature', is_default: false },
    ]);
    expect(result.properties.Hours).toMatchObject({ type: 'number' });
  });

  it('creates a row from the default template: its values, the given ones on top, and its body', async () => {
    const { result, error } = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      template: 'default',
      properties: { Name: 'Login fails on Safari' },
    });
    expect(error).toBeNull();
    expect(result.page.properties).toMatchObject({ Name: 'Login fails on Safari', Hours: 1, Tags: ['bug'] });
    expect(await bodyOf(result.page.id)).toEqual(['heading_2: Steps to reproduce', 'to_do: Write a failing test']);
  });

  it('creates a row from a chosen template; none and no template give an empty row', async () => {
    const chosen = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      template: featureTemplate,
      properties: { Name: 'Dark mode', Hours: 13 },
    });
    expect(chosen.error).toBeNull();
    expect(chosen.result.page.properties).toMatchObject({ Name: 'Dark mode', Hours: 13 });
    expect(await bodyOf(chosen.result.page.id)).toEqual(['paragraph: Why, for whom, and how we know it works.']);

    const none = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      template: 'none',
      properties: { Name: 'Plain' },
    });
    expect(none.error).toBeNull();
    expect(none.result.page.properties).not.toHaveProperty('Hours');
    expect(await bodyOf(none.result.page.id)).toEqual([]);
  });

  it('an unknown template id is refused on /template, naming the templates there are', async () => {
    const stranger = demo.tasks.pageIds[0]!; // a row, not a template
    const before = (await notion.dataSources.query({ data_source_id: demo.tasks.dataSourceId })).results.length;
    const { error, status } = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      template: stranger,
      properties: { Name: 'Nope' },
    });
    if (surface === 'rest') expect(status).toBe(400);
    expect(error.code).toBe('validation_failed');
    expect(error.message).toContain(`${stranger} is not a template of this data source`);
    expect(error.details.pointer).toBe('/template');
    expect(error.details.templates.map((t: any) => t.name)).toEqual(['Bug report', 'Feature']);
    const after = (await notion.dataSources.query({ data_source_id: demo.tasks.dataSourceId })).results.length;
    expect(after).toBe(before);
  });

  it('takes a template by name; an unknown name is refused on /template, listing the templates', async () => {
    const byName = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Export to CSV' },
      template: 'feature',
    });
    expect(byName.error).toBeNull();
    expect(byName.result.page.properties).toMatchObject({ Name: 'Export to CSV', Hours: 8 });
    const { error } = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'x' },
      template: 'Bug reports',
    });
    expect(error.code).toBe('validation_failed');
    expect(error.details.pointer).toBe('/template');
    expect(error.message).toContain('no template named "Bug reports"');
    expect(error.details.templates.map((t: any) => t.name)).toEqual(['Bug report', 'Feature']);
  });

  it('refuses a template with a body, and on a sub-page', async () => {
    const withBody = await run(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      template: 'default',
      properties: { Name: 'x' },
      content_markdown: 'hello',
    });
    expect(withBody.error.code).toBe('validation_failed');
    expect(withBody.error.details.pointer).toBe('/content_markdown');
    const subPage = await run(surface, 'notion_page_create', {
      parent_page_id: demo.rootPageId,
      title: 'x',
      template: 'default',
    });
    expect(subPage.error.code).toBe('validation_failed');
    expect(subPage.error.details.pointer).toBe('/template');
  });

  it('notion_upsert applies the template when it creates the row, and says so when it updates instead', async () => {
    const args = {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Crash on start' },
      template: 'default',
    };
    const created = await run(surface, 'notion_upsert', args);
    expect(created.error).toBeNull();
    expect(created.result.action).toBe('created');
    expect(created.result.template_ignored).toBeUndefined();
    expect(created.result.page.properties).toMatchObject({ Name: 'Crash on start', Hours: 1, Tags: ['bug'] });
    expect(await bodyOf(created.result.page.id)).toEqual([
      'heading_2: Steps to reproduce',
      'to_do: Write a failing test',
    ]);

    const updated = await run(surface, 'notion_upsert', {
      ...args,
      template: featureTemplate,
      properties: { Hours: 3 },
    });
    expect(updated.error).toBeNull();
    expect(updated.result.action).toBe('updated');
    expect(updated.result.page.id).toBe(created.result.page.id);
    expect(updated.result.template_ignored).toContain('already existed');
    expect(updated.result.page.properties).toMatchObject({ Hours: 3, Tags: ['bug'] });
    expect(await bodyOf(created.result.page.id)).toHaveLength(2);
  });

  it('notion_upsert with an unknown template creates nothing', async () => {
    const { error } = await run(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Ghost' },
      template: '00000000-0000-4000-8000-000000000000',
    });
    expect(error.code).toBe('validation_failed');
    expect(error.details.pointer).toBe('/template');
    const rows = await notion.dataSources.query({
      data_source_id: demo.tasks.dataSourceId,
      filter: { property: 'Name', title: { equals: 'Ghost' } },
    });
    expect(rows.results).toEqual([]);
  });
});
