/**
 * Durable jobs through REST and MCP against the sandbox: a bulk job runs to the end with its progress and a paged
 * output, exports of a data source and of a page tree, cancellation, validation before anything is queued.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let mcp: Client;
let call: Stack['call'];

beforeAll(async () => {
  // Retries back off from 1 ms instead of 250 (a real setting): the storm test waits on Notion's answers, not timers.
  stack = await startStack({ toolsets: 'core,jobs,admin', env: { NOTION_RETRY_BASE_MS: '1' } });
  ({ sandbox, call } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
});

const upserts = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    op: 'upsert',
    args: {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `${prefix} ${i}` },
      properties: { Hours: i },
    },
  }));

async function waitFor(jobId: string, done: (job: any) => boolean, surface: 'rest' | 'mcp' = 'rest', seconds = 30) {
  for (let i = 0; i < seconds * 10; i++) {
    const job =
      surface === 'rest'
        ? (await call('GET', `/v1/jobs/${jobId}?output_limit=200`)).json.result
        : (await mcp.callTool({ name: 'notion_job_get', arguments: { job_id: jobId, output_limit: 200 } }))
            .structuredContent;
    if (done(job)) return job as any;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not get there in time`);
}

describe.each(['rest', 'mcp'] as const)('jobs over %s', (surface) => {
  it('a bulk job of 30 upserts runs to the end: status, progress, counts, paged output', async () => {
    const args = { kind: 'bulk', args: { ops: upserts(30, `Job ${surface}`), mode: 'continue_on_error' } };
    const started =
      surface === 'rest'
        ? (await call('POST', '/v1/jobs', args)).json.result
        : (await mcp.callTool({ name: 'notion_job_start', arguments: args })).structuredContent;
    expect(started).toMatchObject({ kind: 'bulk', status: 'queued', progress: 0, counts: { done: 0, total: 30 } });
    const job = await waitFor(started.job_id, (j) => j.status === 'succeeded', surface);
    expect(job).toMatchObject({ progress: 1, counts: { done: 30, total: 30, succeeded: 30, failed: 0 }, error: null });
    expect(job.output.items).toHaveLength(30);
    expect(job.output.items[0]).toMatchObject({ index: 0, ok: true, result: { action: 'created' } });
    const page = await call('GET', `/v1/jobs/${started.job_id}?output_offset=25&output_limit=10`);
    expect(page.json.result.output).toMatchObject({ total: 30, offset: 25, next_offset: null });
    expect(page.json.result.output.items).toHaveLength(5);
    const creates = sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages');
    expect(creates).toHaveLength(30);
  });
});

describe('jobs', () => {
  it('every step is audited with actor job and the job id', async () => {
    const started = (await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops: upserts(3, 'Audited') } })).json
      .result;
    await waitFor(started.job_id, (j) => j.status === 'succeeded');
    const audit = (await call('GET', '/v1/audit?operation=notion_upsert&limit=10')).json.result.entries;
    const steps = audit.filter((e: any) => e.job_id === started.job_id);
    expect(steps).toHaveLength(3);
    for (const step of steps) expect(step).toMatchObject({ actor: 'job', success: true });
  });

  it('exports every row of a data source, compact, and a page tree as Markdown', async () => {
    const rows = (await call('POST', '/v1/jobs', { kind: 'export', args: { database_id: demo.tasks.databaseId } })).json
      .result;
    const exported = await waitFor(rows.job_id, (j) => j.status === 'succeeded');
    expect(exported.output.items.map((r: any) => r.title).sort()).toEqual([
      'Build landing page',
      'Design mockups',
      'Export legacy tables',
    ]);
    await call('POST', '/v1/pages', {
      parent_page_id: demo.rootPageId,
      title: 'Child notes',
      content_markdown: 'Nested text',
    });
    const tree = (await call('POST', '/v1/jobs', { kind: 'export', args: { page_id: demo.rootPageId } })).json.result;
    const pages = await waitFor(tree.job_id, (j) => j.status === 'succeeded');
    expect(pages.output.items[0]).toMatchObject({ id: demo.rootPageId, depth: 0 });
    const child = pages.output.items.find((p: any) => p.title === 'Child notes');
    expect(child).toMatchObject({ depth: 1 });
    expect(child.markdown).toContain('Nested text');
  });

  it('a cancelled job stops after its current step; what ran stays done', async () => {
    sandbox.setLatency(40);
    const started = (await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops: upserts(60, 'Cancelled') } })).json
      .result;
    await waitFor(started.job_id, (j) => j.counts.done >= 2);
    const cancelled = await mcp.callTool({ name: 'notion_job_cancel', arguments: { job_id: started.job_id } });
    expect((cancelled.structuredContent as any).status).toBe('cancelled');
    const doneAtCancel: number = (cancelled.structuredContent as any).counts.done;
    expect(doneAtCancel).toBeGreaterThanOrEqual(2);
    await new Promise((r) => setTimeout(r, 500));
    const job = (await call('GET', `/v1/jobs/${started.job_id}`)).json.result;
    expect(job.status).toBe('cancelled');
    expect(job.counts.done).toBeLessThan(60);
    expect(job.counts.done).toBeLessThanOrEqual(doneAtCancel + 1); // at most the one step in flight
    const pageCreates = () => sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages').length;
    const createsAfterWait = pageCreates();
    await new Promise((r) => setTimeout(r, 500));
    expect(pageCreates()).toBe(createsAfterWait); // nothing runs on after the cancel
    expect((await call('GET', `/v1/jobs/${started.job_id}`)).json.result.counts.done).toBe(job.counts.done);
  });

  it('a job of 200 upserts succeeds step by step while Notion answers 30 % 429 and 10 % 5xx, without a duplicate', async () => {
    sandbox.addFault({ status: 429, rate: 0.3, retryAfter: 0, seed: 11 });
    sandbox.addFault({ status: 503, rate: 0.1, afterCommit: true, seed: 12, methods: ['POST', 'PATCH'] });
    sandbox.addFault({ status: 502, rate: 0.1, seed: 13, methods: ['GET'] });
    try {
      const started = (
        await call('POST', '/v1/jobs', {
          kind: 'bulk',
          args: { ops: upserts(200, 'Stormy'), mode: 'continue_on_error' },
        })
      ).json.result;
      const job = await waitFor(started.job_id, (j) => j.status === 'succeeded' || j.status === 'failed', 'rest', 110);
      expect(job.counts).toMatchObject({ done: 200, succeeded: 200, failed: 0 });
    } finally {
      sandbox.clearFaults();
    }
    const rows = await call('POST', '/v1/query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Name: { starts_with: 'Stormy' } },
      page_size: 100,
    });
    const more = await call('POST', '/v1/query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Name: { starts_with: 'Stormy' } },
      page_size: 100,
      start_cursor: rows.json.result.next_cursor,
    });
    expect(rows.json.result.has_more).toBe(true);
    expect(more.json.result.has_more).toBe(false); // nothing left for a third page
    expect(more.json.result.next_cursor).toBeNull();
    const names = [...rows.json.result.rows, ...more.json.result.rows].map((r: any) => r.title);
    expect(names).toHaveLength(200);
    expect(new Set(names).size).toBe(200);
  }, 120_000);

  it('bad args are refused before anything is queued; an unknown job is not_found', async () => {
    expectError(await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops: [] } }), 400, 'validation_failed');
    expectError(
      await call('POST', '/v1/jobs', { kind: 'bulk', args: { ops: [{ op: 'drop_all', args: {} }] } }),
      400,
      'validation_failed',
    );
    const before = (await call('GET', '/v1/jobs?limit=200')).json.result;
    for (const [op, args, pointer] of [
      ['notion_request', { method: { a: 1 }, path: '/v1/pages' }, '/args/ops/1/args/method'],
      ['link', { from: 'Alpha', to: { type: 'page', id: 'x' }, relation_property: 'Project' }, '/args/ops/1/args/from'],
    ] as const) {
      const refused = await call('POST', '/v1/jobs', {
        kind: 'bulk',
        args: { ops: [...upserts(1, 'Never'), { op, args }] },
      });
      expectError(refused, 400, 'validation_failed');
      expect(refused.json.error.details).toMatchObject({ index: 1, op, pointer });
    }
    expect((await call('GET', '/v1/jobs?limit=200')).json.result).toEqual(before);
    expect(sandbox.requestLog()).toHaveLength(0);
    expectError(await call('POST', '/v1/jobs', { kind: 'export', args: {} }), 400, 'validation_failed');
    expectError(await call('GET', '/v1/jobs/0c6b2a4e-0000-4000-8000-000000000000'), 404, 'not_found');
    const list = await call('GET', '/v1/jobs?limit=5');
    expect(list.status).toBe(200);
  });
});
