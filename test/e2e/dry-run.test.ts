/**
 * dry_run on notion_upsert, notion_page_create, notion_page_update, notion_link, notion_data_source_update and
 * notion_blocks_append, over REST and MCP against the sandbox: the
 * input is checked as for the real run, the answer says what would be sent and each property before → after,
 * Notion sees reads only, no idempotency key is used up and one audit row says it was a dry run.
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
  stack = await startStack({ toolsets: 'core,rows,pages,databases' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
  sandbox.clearRequestLog();
});

const call = (
  surface: Surface,
  tool: 'notion_upsert' | 'notion_page_create' | 'notion_page_update',
  args: Record<string, unknown>,
) => operationCaller(gateway.url, mcp)(surface, tool, args);

/** Only reads reached Notion: GETs and data-source queries. */
function expectNoNotionWrite() {
  const writes = sandbox.requestLog().filter((e) => e.method !== 'GET' && !e.path.endsWith('/query'));
  expect(writes).toEqual([]);
}

async function auditOf(requestId: string) {
  const rows = await api(gateway.url)('GET', `/v1/audit?request_id=${requestId}`);
  return rows.json.result.entries as Array<{ operation: string; summary: string; success: boolean; dry_run: boolean }>;
}

describe.each(['rest', 'mcp'] as const)('dry runs over %s', (surface) => {
  it('an upsert of an existing row shows each property before → after and writes nothing', async () => {
    const args = {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Build landing page' },
      properties: { Hours: 99, Done: true },
      dry_run: true,
      idempotency_key: `dry-upsert-${surface}`,
    };
    const rows = await api(gateway.url)('POST', '/v1/query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Name: 'Build landing page' },
    });
    const row = rows.json.result.rows[0];
    expect(row).toBeDefined();
    sandbox.clearRequestLog();
    const { result, error, requestId } = await call(surface, 'notion_upsert', args);
    expect(error).toBeNull();
    expect(result).toMatchObject({ action: 'updated', dry_run: true });
    expect(result.changes).toEqual({
      Hours: { before: row.properties.Hours, after: 99 },
      Done: { before: row.properties.Done, after: true },
    });
    expect(result.would_send).toEqual([
      {
        method: 'PATCH',
        path: `/v1/pages/${row.id}`,
        body: { properties: expect.objectContaining({ Hours: { number: 99 } }) },
      },
    ]);
    expect(result.page.id).toBe(row.id);
    expectNoNotionWrite();
    const audit = await auditOf(requestId!);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ operation: 'notion_upsert', success: true, dry_run: true });
    expect(audit[0]?.summary).toMatch(/^dry run/);
    // The same idempotency key then runs for real: the dry run did not use it up.
    const real = await call(surface, 'notion_upsert', { ...args, dry_run: false });
    expect(real.error).toBeNull();
    expect(real.result.action).toBe('updated');
    expect(real.result.dry_run).toBeUndefined();
    expect(real.result.page.properties).toMatchObject({ Hours: 99, Done: true });
    expect((await auditOf(real.requestId!)).map((a) => a.dry_run)).toEqual([false]);
  });

  it('an upsert of a new row and a row create answer what would be sent, with no row made', async () => {
    const upsert = await call(surface, 'notion_upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `Dry ${surface}` },
      properties: { Hours: 3, Tags: ['backend'] },
      dry_run: true,
    });
    expect(upsert.error).toBeNull();
    expect(upsert.result).toMatchObject({ action: 'created', dry_run: true });
    expect(upsert.result.changes).toMatchObject({
      Hours: { before: null, after: 3 },
      Tags: { before: null, after: ['backend'] },
    });
    expect(upsert.result.would_send[0]).toMatchObject({ method: 'POST', path: '/v1/pages' });
    const create = await call(surface, 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: `Dry create ${surface}`, Hours: 4 },
      dry_run: true,
    });
    expect(create.error).toBeNull();
    expect(create.result).toMatchObject({ dry_run: true, page: { title: `Dry create ${surface}` } });
    expect(create.result.changes).toMatchObject({ Hours: { before: null, after: 4 } });
    expect(create.result.would_send[0].body.properties.Hours).toEqual({ number: 4 });
    expectNoNotionWrite();
    const rows = await api(gateway.url)('POST', '/v1/query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Name: { contains: 'Dry' } },
    });
    expect(rows.json.result.rows).toEqual([]);
  });

  it('a dry run is checked as the real run: a bad value is refused the same way', async () => {
    const bad = { data_source_id: demo.tasks.dataSourceId, properties: { Name: 'X', Hours: 'lots' } };
    const dry = await call(surface, 'notion_page_create', { ...bad, dry_run: true });
    const real = await call(surface, 'notion_page_create', bad);
    expect(dry.error.code).toBe(real.error.code);
    expect(dry.error.code).not.toBe('internal_error');
    expectNoNotionWrite();
  });

  it('a page update shows before → after for its properties and the trash, and writes nothing', async () => {
    const pageId = demo.tasks.pageIds[0]!;
    const before = (await api(gateway.url)('POST', '/v1/pages/get', { page_id: pageId })).json.result.page;
    sandbox.clearRequestLog();
    const { result, error, requestId } = await call(surface, 'notion_page_update', {
      page_id: pageId,
      properties: { Hours: 42 },
      in_trash: true,
      dry_run: true,
    });
    expect(error).toBeNull();
    expect(result.dry_run).toBe(true);
    expect(result.changes).toEqual({
      Hours: { before: before.properties.Hours, after: 42 },
      in_trash: { before: false, after: true },
    });
    expect(result.would_send.map((r: any) => r.method)).toEqual(['PATCH', 'PATCH']);
    expectNoNotionWrite();
    const after = (await api(gateway.url)('POST', '/v1/pages/get', { page_id: pageId })).json.result.page;
    expect(after.properties.Hours).toBe(before.properties.Hours);
    expect(after.in_trash).toBeUndefined();
    const audit = await auditOf(requestId!);
    expect(audit.map((a) => a.summary)).toEqual([expect.stringMatching(/^dry run/)]);
  });
});

describe.each(['rest', 'mcp'] as const)('dry runs of links, schema changes and appends over %s', (surface) => {
  const run = (tool: string, args: Record<string, unknown>) => operationCaller(gateway.url, mcp)(surface, tool, args);

  it('a link answers the relation before → after; the same idempotency key then links for real', async () => {
    const args = {
      from: { type: 'page', id: demo.tasks.pageIds[0] },
      to: { type: 'page', id: demo.projects.pageIds[1] },
      relation_property: 'Project',
      idempotency_key: `dry-link-${surface}`,
    };
    const dry = await run('notion_link', { ...args, dry_run: true });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ action: 'linked', dry_run: true });
    expect(dry.result.changes.Project.after).toHaveLength(dry.result.changes.Project.before.length + 1);
    expect(dry.result.would_send[0]).toMatchObject({ method: 'PATCH', path: `/v1/pages/${demo.tasks.pageIds[0]}` });
    expectNoNotionWrite();
    expect((await auditOf(dry.requestId!)).map((a) => a.dry_run)).toEqual([true]);
    const real = await run('notion_link', args);
    expect(real.error).toBeNull();
    expect(real.result.dry_run).toBeUndefined();
    expect(real.meta?.idempotent_replay).toBeFalsy();
  });

  it('a schema change is checked as for real and shows each property before → after', async () => {
    const ds = demo.tasks.dataSourceId;
    const dry = await run('notion_data_source_update', {
      data_source_id: ds,
      properties: { Risk: { type: 'number' }, Hours: { name: 'Effort' } },
      dry_run: true,
    });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ dry_run: true });
    expect(dry.result.changes).toMatchObject({
      Risk: { before: null, after: { type: 'number' } },
      Hours: { before: { type: 'number' }, after: { name: 'Effort' } },
    });
    expect(Object.keys(dry.result.properties)).toContain('Hours');
    const bad = await run('notion_data_source_update', {
      data_source_id: ds,
      properties: { Risk: 'number' },
      dry_run: true,
    });
    expect(bad.error.code).toBe('invalid_property');
    expectNoNotionWrite();
  });

  it('an append says which batches it would send and appends nothing', async () => {
    const children = Array.from({ length: 150 }, (_, i) => ({
      paragraph: { rich_text: [{ text: { content: `Dry ${i}` } }] },
    }));
    const dry = await run('notion_blocks_append', { block_id: demo.tasks.pageIds[0], children, dry_run: true });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ appended: 0, batches: 2, dry_run: true });
    expect(dry.result.would_send.map((s: { body: { children: unknown[] } }) => s.body.children.length)).toEqual([
      100, 50,
    ]);
    expectNoNotionWrite();
  });
});
