/**
 * notion_undo over REST and MCP against the sandbox: a page update, a trash, a schema change and a whole bulk job are
 * put back from their audit rows' before-images; a newer edit answers undo_conflict; undoing twice writes once; a dry
 * run writes nothing; another principal cannot undo these writes. Also prints what capturing the before-images costs
 * in Notion calls.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/logging.ts';
import type { Principal } from '../../src/shared/principal.ts';
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
  stack = await startStack({ toolsets: 'core,rows,pages,databases,jobs,admin' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
});

const rest = () => api(gateway.url);
const call = (surface: Surface, tool: string, args: Record<string, unknown>) =>
  operationCaller(gateway.url, mcp)(surface, tool, args);

async function ok(surface: Surface, tool: string, args: Record<string, unknown>) {
  const answer = await call(surface, tool, args);
  expect(answer.error).toBeNull();
  return answer;
}

const page = async (id: string) => (await rest()('POST', '/v1/pages/get', { page_id: id })).json.result.page;
const notionWrites = () => sandbox.requestLog().filter((e) => e.method !== 'GET' && !e.path.endsWith('/query'));

async function waitForJob(jobId: string) {
  for (let i = 0; i < 300; i++) {
    const job = (await rest()('GET', `/v1/jobs/${jobId}`)).json.result;
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not end`);
}

describe.each(['rest', 'mcp'] as const)('undo over %s', (surface) => {
  it('puts a page update back: values and trash', async () => {
    const id = demo.tasks.pageIds[0]!;
    const before = await page(id);
    const write = await ok(surface, 'notion_page_update', { page_id: id, properties: { Hours: 42, Done: true } });
    expect((await page(id)).properties).toMatchObject({ Hours: 42, Done: true });
    const undo = await ok(surface, 'notion_undo', { request_id: write.requestId });
    expect(undo.result).toMatchObject({ status: 'undone', skipped: [] });
    expect(undo.result.undone).toEqual([expect.objectContaining({ operation: 'notion_page_update', objects: [id] })]);
    expect((await page(id)).properties).toEqual(before.properties);
    // The undo is a write of its own: audited, with a before-image (it can itself be undone).
    const audit = (await rest()('GET', `/v1/audit?request_id=${undo.requestId}`)).json.result.entries;
    expect(audit).toEqual([expect.objectContaining({ operation: 'notion_undo', success: true })]);
    await ok(surface, 'notion_undo', { request_id: undo.requestId });
    expect((await page(id)).properties).toMatchObject({ Hours: 42, Done: true });
  });

  it('restores a trashed page', async () => {
    const id = demo.tasks.pageIds[1]!;
    const write = await ok(surface, 'notion_page_update', { page_id: id, in_trash: true });
    expect((await page(id)).in_trash).toBe(true);
    await ok(surface, 'notion_undo', { request_id: write.requestId });
    expect((await page(id)).in_trash).toBeUndefined();
  });

  it('puts a schema change back: the added property removed, the renamed one renamed back', async () => {
    const ds = demo.tasks.dataSourceId;
    const schema = async () =>
      (await rest()('POST', '/v1/data_sources/get', { data_source_id: ds })).json.result.properties;
    const before = await schema();
    const write = await ok(surface, 'notion_data_source_update', {
      data_source_id: ds,
      properties: { Risk: { type: 'number' }, Hours: { name: 'Effort' } },
    });
    expect(Object.keys(await schema())).toEqual(expect.arrayContaining(['Risk', 'Effort']));
    const undo = await ok(surface, 'notion_undo', { audit_id: await auditIdOf(write.requestId!) });
    expect(undo.result.status).toBe('undone');
    expect(await schema()).toEqual(before);
  });

  it('puts a whole bulk job back, newest write first, and trashes the row it created', async () => {
    const [a, b] = demo.tasks.pageIds as [string, string];
    const [beforeA, beforeB] = [await page(a), await page(b)];
    const ops = [
      { op: 'notion_page_update', args: { page_id: a, properties: { Hours: 1 } } },
      { op: 'notion_page_update', args: { page_id: b, properties: { Hours: 2, Done: true } } },
      { op: 'notion_page_update', args: { page_id: a, properties: { Hours: 3 } } },
      {
        op: 'notion_upsert',
        args: {
          data_source_id: demo.tasks.dataSourceId,
          unique: { property: 'Name', value: `Undo new ${surface}` },
          properties: { Hours: 4 },
        },
      },
    ];
    const started = await ok(surface, 'notion_job_start', { kind: 'bulk', args: { ops } });
    const job = await waitForJob(started.result.job_id);
    expect(job.status).toBe('succeeded');
    const created = (
      await rest()('POST', '/v1/query', {
        data_source_id: demo.tasks.dataSourceId,
        filter: { Name: `Undo new ${surface}` },
      })
    ).json.result.rows[0];
    expect((await page(a)).properties.Hours).toBe(3);

    const byRequest = await call(surface, 'notion_undo', { request_id: started.requestId });
    expect(byRequest.error).toMatchObject({
      code: 'undo_unavailable',
      message: expect.stringMatching(/pass its job_id/),
    });
    const undo = await ok(surface, 'notion_undo', { job_id: started.result.job_id });
    expect(undo.result.undone.map((u: { operation: string }) => u.operation)).toEqual([
      'notion_upsert',
      'notion_page_update',
      'notion_page_update',
      'notion_page_update',
    ]);
    expect((await page(a)).properties).toEqual(beforeA.properties);
    expect((await page(b)).properties).toEqual(beforeB.properties);
    expect((await page(created.id)).in_trash).toBe(true);
  });

  it('refuses with undo_conflict when the page was changed since, naming the property, and writes nothing', async () => {
    const id = demo.tasks.pageIds[0]!;
    const write = await ok(surface, 'notion_page_update', { page_id: id, properties: { Hours: 5 } });
    await ok(surface, 'notion_page_update', { page_id: id, properties: { Hours: 6 } });
    sandbox.clearRequestLog();
    const undo = await call(surface, 'notion_undo', { request_id: write.requestId });
    expect(undo.error.code).toBe('undo_conflict');
    expect(undo.error.message).toMatch(/Hours/);
    expect(undo.error.details.conflicts[0]).toMatchObject({ object_id: id, property: 'Hours', left: 5, now: 6 });
    expect(undo.error.details.conflicts[0].last_edited_time).toEqual(expect.any(String));
    expect(notionWrites()).toEqual([]);
    expect((await page(id)).properties.Hours).toBe(6);
  });

  it('undone twice writes once: the second answers already_undone with no Notion write', async () => {
    const id = demo.tasks.pageIds[2]!;
    const write = await ok(surface, 'notion_page_update', { page_id: id, properties: { Hours: 77 } });
    const first = await ok(surface, 'notion_undo', { request_id: write.requestId });
    sandbox.clearRequestLog();
    const second = await ok(surface, 'notion_undo', { request_id: write.requestId });
    expect(second.result).toMatchObject({ status: 'already_undone', already_undone_by: first.requestId, undone: [] });
    expect(notionWrites()).toEqual([]);
  });

  it('a dry run says what would be restored and makes no Notion write; the real undo still runs after it', async () => {
    const id = demo.tasks.pageIds[0]!;
    const before = await page(id);
    const write = await ok(surface, 'notion_page_update', { page_id: id, properties: { Hours: 11 }, in_trash: true });
    sandbox.clearRequestLog();
    const dry = await ok(surface, 'notion_undo', { request_id: write.requestId, dry_run: true });
    expect(notionWrites()).toEqual([]);
    expect(dry.result).toMatchObject({ status: 'undone', dry_run: true });
    expect(dry.result.changes).toEqual({
      [`${id}.Hours`]: { before: 11, after: before.properties.Hours ?? null },
      [`${id}.in_trash`]: { before: true, after: false },
    });
    expect(dry.result.would_send.map((s: { body: object }) => s.body)).toEqual([
      { in_trash: false },
      { properties: { Hours: { number: before.properties.Hours ?? null } } },
    ]);
    const dryAudit = (await rest()('GET', `/v1/audit?request_id=${dry.requestId}`)).json.result.entries;
    expect(dryAudit).toEqual([expect.objectContaining({ operation: 'notion_undo', dry_run: true })]);
    const real = await ok(surface, 'notion_undo', { request_id: write.requestId });
    expect(real.result.status).toBe('undone');
    expect((await page(id)).properties).toEqual(before.properties);
  });
});

async function auditIdOf(requestId: string): Promise<string> {
  const entries = (await rest()('GET', `/v1/audit?request_id=${requestId}`)).json.result.entries;
  return entries[0].id;
}

describe('undo and principals', () => {
  it("another principal cannot undo the operator's writes, even on a connection to the same workspace", async () => {
    const id = demo.tasks.pageIds[0]!;
    const write = await ok('rest', 'notion_page_update', { page_id: id, properties: { Hours: 9 } });
    const engine = gateway.gateway.engine;
    const user: Principal = { id: 'user:someone-else', kind: 'user' };
    const own = await engine.services.connections.createInternal(user, sandbox.token);
    const logger = createLogger('silent');
    const asUser = (input: Record<string, unknown>) =>
      engine.invoke('notion_undo', { connection_id: own.connection.connection_id, ...input } as never, {
        requestId: `req-${Math.random()}`,
        actor: 'chatgpt_mcp',
        principal: user,
        logger,
      });
    for (const target of [{ request_id: write.requestId }, { audit_id: await auditIdOf(write.requestId!) }]) {
      await expect(asUser(target)).rejects.toMatchObject({ code: 'not_found' });
    }
    expect((await page(id)).properties.Hours).toBe(9);
  });

  it('raw notion_request writes are undone from what the gateway read before them; a comment says why it cannot', async () => {
    const id = demo.tasks.pageIds[0]!;
    const before = await page(id);
    const patch = await ok('rest', 'notion_request', {
      method: 'PATCH',
      path: `/v1/pages/${id}`,
      body: { properties: { Hours: { number: 123 } }, icon: { type: 'emoji', emoji: '🔥' } },
    });
    await ok('rest', 'notion_undo', { request_id: patch.requestId });
    const after = await page(id);
    expect([after.properties, after.icon]).toEqual([before.properties, before.icon]);
    const comment = await ok('rest', 'notion_request', {
      method: 'POST',
      path: '/v1/comments',
      body: { parent: { page_id: id }, rich_text: [{ text: { content: 'hi' } }] },
    });
    const refused = await call('rest', 'notion_undo', { request_id: comment.requestId });
    expect(refused.error.code).toBe('undo_unavailable');
    expect(refused.error.details.skipped[0].reason).toMatch(/POST \/v1\/comments keeps no before-image/);
  });

  it('trashes the pages a write created and deletes the blocks it appended; a link is put back', async () => {
    const created = await ok('rest', 'notion_page_create', {
      data_source_id: demo.tasks.dataSourceId,
      properties: { Name: 'Made to be undone' },
      content_markdown: 'Hello',
    });
    const appended = await ok('rest', 'notion_blocks_append', {
      block_id: demo.tasks.pageIds[0],
      children: [{ type: 'paragraph', paragraph: { rich_text: [{ text: { content: 'Appended' } }] } }],
    });
    const blocks = async () =>
      (await rest()('POST', '/v1/blocks/get', { block_id: demo.tasks.pageIds[0] })).json.result.blocks.map(
        (b: { text?: string }) => b.text,
      );
    expect(await blocks()).toContain('Appended');
    const task = await page(demo.tasks.pageIds[0]!);
    const link = await ok('rest', 'notion_link', {
      from: { type: 'page', id: demo.tasks.pageIds[0] },
      to: { type: 'page', id: demo.projects.pageIds[1] },
      relation_property: 'Project',
    });
    for (const write of [link, appended, created]) await ok('rest', 'notion_undo', { request_id: write.requestId });
    expect((await page(created.result.page.id)).in_trash).toBe(true);
    expect(await blocks()).not.toContain('Appended');
    expect((await page(demo.tasks.pageIds[0]!)).properties.Project).toEqual(task.properties.Project);
  });

  it("puts a page's body back after a Markdown replace", async () => {
    const id = demo.tasks.pageIds[0]!;
    const body = async () =>
      (await rest()('POST', '/v1/pages/get', { page_id: id, include_markdown: true })).json.result.markdown;
    await ok('rest', 'notion_page_update', { page_id: id, append_markdown: 'Original text.' });
    const before = await body();
    expect(before).toContain('Original text.');
    const write = await ok('rest', 'notion_page_update', { page_id: id, replace_markdown: '# Rewritten\n\nAll new.' });
    expect(await body()).toContain('Rewritten');
    await ok('rest', 'notion_undo', { request_id: write.requestId });
    expect(await body()).toBe(before);
  });

  it('a write whose before-image is too large says it cannot be undone', async () => {
    const id = demo.tasks.pageIds[0]!;
    const long = 'x'.repeat(1_900);
    const write = await ok('rest', 'notion_page_update', {
      page_id: id,
      properties: { Name: { title: Array.from({ length: 60 }, () => ({ text: { content: long } })) } },
    });
    const undo = await call('rest', 'notion_undo', { request_id: write.requestId });
    expect(undo.error.code).toBe('undo_unavailable');
    expect(undo.error.details.skipped[0].reason).toMatch(
      /^cannot undo: before-image too large \(\d+ > 100000 characters\)$/,
    );
  });

  it('costs no extra Notion read where the write already read the object (printed per write kind)', async () => {
    const id = demo.tasks.pageIds[0]!;
    // Reads of the object written (the page, or the data source): the operation's own and the capture's.
    const count = async (tool: string, args: Record<string, unknown>, object: string) => {
      sandbox.clearRequestLog();
      await ok('rest', tool, args);
      const log = sandbox.requestLog();
      const reads = log.filter((e) => e.method === 'GET' && e.path.endsWith(object)).length;
      return { calls: log.length, reads_of_object: reads };
    };
    const other = demo.tasks.pageIds[1]!;
    const ds = demo.tasks.dataSourceId;
    const title = (await page(id)).title;
    const figures = {
      page_update: await count('notion_page_update', { page_id: id, properties: { Hours: 31 } }, id),
      upsert_update: await count(
        'notion_upsert',
        { data_source_id: ds, unique: { property: 'Name', value: title }, properties: { Hours: 32 } },
        id,
      ),
      data_source_update: await count(
        'notion_data_source_update',
        { data_source_id: ds, properties: { Risk: { type: 'number' } } },
        ds,
      ),
      page_trash: await count('notion_page_update', { page_id: id, in_trash: true }, id),
      raw_page_patch: await count(
        'notion_request',
        { method: 'PATCH', path: `/v1/pages/${other}`, body: { properties: { Hours: { number: 1 } } } },
        other,
      ),
    };
    console.log(`Notion calls per write with before-image capture: ${JSON.stringify(figures)}`);
    // The page update, upsert and schema change read the object before writing anyway (retrieve, query, fresh
    // schema): capture adds no call. Only a raw PATCH, which read nothing itself, costs one GET.
    expect(figures.page_update.reads_of_object).toBe(1);
    expect(figures.upsert_update.reads_of_object).toBe(0);
    expect(figures.data_source_update.reads_of_object).toBe(1);
    expect(figures.page_trash.reads_of_object).toBe(1);
    expect(figures.raw_page_patch).toEqual({ calls: 2, reads_of_object: 1 });
  });
});
