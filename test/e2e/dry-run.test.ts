/**
 * dry_run on notion_upsert, notion_page_create, notion_page_update, notion_link, notion_data_source_update,
 * notion_blocks_append, notion_database_create, notion_request, notion_bulk and bulk jobs, over REST and MCP against
 * the sandbox: the
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
  stack = await startStack({ toolsets: 'core,rows,pages,databases,jobs' });
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

describe.each(['rest', 'mcp'] as const)('dry runs of databases, raw writes, bulks and jobs over %s', (surface) => {
  const run = (tool: string, args: Record<string, unknown>) => operationCaller(gateway.url, mcp)(surface, tool, args);

  async function waitForJob(jobId: string) {
    for (let i = 0; i < 300; i++) {
      const job = (await api(gateway.url)('GET', `/v1/jobs/${jobId}?output_limit=200`)).json.result;
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`job ${jobId} did not end`);
  }

  it('a database create is checked as for real, shows its properties, creates nothing; the key still writes', async () => {
    const args = {
      parent_page_id: demo.rootPageId,
      title: `Dry db ${surface}`,
      properties: { Name: { type: 'title' }, Size: { type: 'number' } },
      idempotency_key: `dry-db-${surface}`,
    };
    const dry = await run('notion_database_create', { ...args, dry_run: true });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ dry_run: true, data_source_id: '', title: `Dry db ${surface}` });
    expect(dry.result.changes).toEqual({
      Name: { before: null, after: { type: 'title' } },
      Size: { before: null, after: { type: 'number' } },
    });
    expect(dry.result.would_send[0]).toMatchObject({
      method: 'POST',
      path: '/v1/databases',
      body: { initial_data_source: { properties: { Size: { number: {} } } } },
    });
    const bad = await run('notion_database_create', {
      ...args,
      properties: { Size: { type: 'number' } },
      dry_run: true,
    });
    const badReal = await run('notion_database_create', { ...args, properties: { Size: { type: 'number' } } });
    expect(bad.error.code).toBe(badReal.error.code);
    expectNoNotionWrite();
    expect((await auditOf(dry.requestId!)).map((a) => a.dry_run)).toEqual([true]);
    const real = await run('notion_database_create', args);
    expect(real.error).toBeNull();
    expect(real.result.data_source_id).toMatch(/[0-9a-f-]{32,36}/);
    expect(real.result.dry_run).toBeUndefined();
  });

  it('a raw PATCH answers what it would send and the before values from one GET, and writes nothing', async () => {
    const pageId = demo.tasks.pageIds[0]!;
    const args = {
      method: 'PATCH',
      path: `/v1/pages/${pageId}`,
      body: { properties: { Hours: { number: 77 } }, in_trash: true },
      idempotency_key: `dry-raw-${surface}`,
    };
    const before = (await api(gateway.url)('POST', '/v1/notion/read', { method: 'GET', path: `/v1/pages/${pageId}` }))
      .json.result.response;
    sandbox.clearRequestLog();
    const dry = await run('notion_request', { ...args, dry_run: true });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ dry_run: true, method: 'PATCH', response: {} });
    expect(dry.result.would_send).toEqual([{ method: 'PATCH', path: `/v1/pages/${pageId}`, body: args.body }]);
    expect(dry.result.changes).toEqual({
      Hours: { before: before.properties.Hours, after: { number: 77 } },
      in_trash: { before: false, after: true },
    });
    expect(sandbox.requestLog().map((e) => e.method)).toEqual(['GET']);
    expectNoNotionWrite();
    // Checked as the real run: a route off the allowlist and a body on a DELETE are refused the same way.
    for (const refused of [
      { method: 'PATCH', path: '/v1/users/me', body: {} },
      { method: 'DELETE', path: `/v1/blocks/${pageId}`, body: { a: 1 } },
    ]) {
      const dryBad = await run('notion_request', { ...refused, dry_run: true });
      const realBad = await run('notion_request', refused);
      expect(dryBad.error.code).toBe(realBad.error.code);
      expect(dryBad.error.code).not.toBe('internal_error');
    }
    expectNoNotionWrite();
    expect((await auditOf(dry.requestId!)).map((a) => a.dry_run)).toEqual([true]);
    const real = await run('notion_request', args);
    expect(real.error).toBeNull();
    expect(real.result.dry_run).toBeUndefined();
    expect(real.result.response.properties.Hours.number).toBe(77);
  });

  it('a bulk runs each op dry in order, a created id shows as a placeholder; the same key then writes', async () => {
    const pageId = demo.tasks.pageIds[1]!;
    const args = {
      ops: [
        { op: 'notion_page_update', args: { page_id: pageId, properties: { Hours: 55 } } },
        {
          op: 'notion_page_create',
          args: { data_source_id: demo.tasks.dataSourceId, properties: { Name: `Bulk dry ${surface}` } },
        },
        { op: 'notion_page_update', args: { page_id: '$ops[1].page.id', properties: { Hours: 1 } } },
        { op: 'notion_page_update', args: { page_id: '$ops[0].page.id', properties: { Done: true } } },
      ],
      idempotency_key: `dry-bulk-${surface}`,
    };
    const dry = await run('notion_bulk', { ...args, dry_run: true });
    expect(dry.error).toBeNull();
    expect(dry.result).toMatchObject({ dry_run: true, succeeded: 4, failed: 0 });
    const [update, create, waiting, resolved] = dry.result.results.map((r: { result: any }) => r.result);
    expect(update.changes.Hours.after).toBe(55);
    expect(create.would_send[0]).toMatchObject({ method: 'POST', path: '/v1/pages' });
    expect(waiting).toMatchObject({ dry_run: true, waits_for: ['<ops[1].page.id>'] });
    expect(waiting.args.page_id).toBe('<ops[1].page.id>');
    // An existing page's id is known in a dry run: the reference resolves and the op runs dry for real.
    expect(resolved.would_send[0].path).toBe(`/v1/pages/${pageId}`);
    expectNoNotionWrite();
    const audit = await auditOf(dry.requestId!);
    expect(audit.length).toBeGreaterThan(0);
    expect(audit.every((a) => a.dry_run)).toBe(true);
    // A mistyped op is refused as in the real run.
    const bad = await run('notion_bulk', { ops: [{ op: 'link', args: { from: 'x', to: 'y' } }], dry_run: true });
    expect(bad.error.code).toBe('validation_failed');
    const real = await run('notion_bulk', args);
    expect(real.error).toBeNull();
    expect(real.result).toMatchObject({ succeeded: 4, failed: 0 });
    expect(real.result.dry_run).toBeUndefined();
    expect(real.result.results[2].result.page.properties.Hours).toBe(1);
  });

  it('a dry-run bulk job writes nothing and its output says what each op would do; a real job follows', async () => {
    const args = {
      kind: 'bulk',
      idempotency_key: `dry-job-${surface}`,
      args: {
        ops: [{ op: 'notion_page_update', args: { page_id: demo.tasks.pageIds[2], properties: { Hours: 66 } } }],
        dry_run: true,
      },
    };
    const started = await run('notion_job_start', args);
    expect(started.error).toBeNull();
    const job = await waitForJob(started.result.job_id);
    expect(job.status).toBe('succeeded');
    expect(job.output.items[0]).toMatchObject({
      ok: true,
      result: { dry_run: true, changes: { Hours: { after: 66 } } },
    });
    expectNoNotionWrite();
    expect((await auditOf(started.requestId!)).every((a) => a.dry_run)).toBe(true);
    // An export only reads: it has no dry run.
    const exportDry = await run('notion_job_start', {
      kind: 'export',
      args: { data_source_id: demo.tasks.dataSourceId, dry_run: true },
    });
    expect(exportDry.error.code).toBe('validation_failed');
    expect(exportDry.error.message).toMatch(/dry_run/);
    const real = await run('notion_job_start', { ...args, args: { ...args.args, dry_run: false } });
    expect(real.error).toBeNull();
    expect(real.result.job_id).not.toBe(started.result.job_id);
    expect((await waitForJob(real.result.job_id)).status).toBe('succeeded');
    const page = (await api(gateway.url)('POST', '/v1/pages/get', { page_id: demo.tasks.pageIds[2] })).json.result.page;
    expect(page.properties.Hours).toBe(66);
    // A dry-run migration job's start is a dry run too: its key is not used up by it.
    sandbox.clearRequestLog();
    const migration = {
      kind: 'migration',
      idempotency_key: `dry-migration-${surface}`,
      args: { data_source_id: demo.tasks.dataSourceId, steps: [{ rename_property: { from: 'Hours', to: 'Effort' } }] },
    };
    const dryMigration = await run('notion_job_start', { ...migration, args: { ...migration.args, dry_run: true } });
    expect(dryMigration.error).toBeNull();
    expect((await auditOf(dryMigration.requestId!)).map((a) => a.dry_run)).toEqual([true]);
    expect((await waitForJob(dryMigration.result.job_id)).status).toBe('succeeded');
    expectNoNotionWrite();
    const realMigration = await run('notion_job_start', migration);
    expect(realMigration.result.job_id).not.toBe(dryMigration.result.job_id);
    expect((await waitForJob(realMigration.result.job_id)).status).toBe('succeeded');
  });
});
