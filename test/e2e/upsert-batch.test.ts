/**
 * Batched upserts (src/engine/upsert-batch.ts) against the sandbox, through REST and MCP: the upserts of a bulk or a
 * bulk job into one data source find their rows with one query per 100 keys, so a new row costs its create and an
 * unchanged one nothing more; a key repeated in one bulk applies in order on one row; a row made since the look-up
 * is not made twice.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectEachRowOnce } from '../support/rows.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let mcp: Client;
let call: Stack['call'];

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,rows,jobs' });
  ({ sandbox, call } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
});

const upserts = (n: number, prefix: string, hours = (i: number) => i % 8) =>
  Array.from({ length: n }, (_, i) => ({
    op: 'upsert',
    args: {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `${prefix} ${i}` },
      properties: { Hours: hours(i) },
    },
  }));

/** Notion requests since the last clear, by kind. */
function calls() {
  const log = sandbox.requestLog();
  const count = (method: string, path: RegExp) => log.filter((e) => e.method === method && path.test(e.path)).length;
  return {
    total: log.length,
    queries: count('POST', /^\/v1\/data_sources\/[^/]+\/query$/),
    creates: count('POST', /^\/v1\/pages$/),
    updates: count('PATCH', /^\/v1\/pages\/[^/]+$/),
    reads: count('GET', /^\/v1\/pages\/[^/]+$/),
  };
}

/** Every row titled `prefix…`, following the query's pages. */
async function titles(prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = (
      await call('POST', '/v1/query', {
        data_source_id: demo.tasks.dataSourceId,
        filter: { Name: { starts_with: prefix } },
        page_size: 100,
        ...(cursor ? { start_cursor: cursor } : {}),
      })
    ).json.result;
    names.push(...page.rows.map((r: { title: string }) => r.title));
    cursor = page.has_more ? page.next_cursor : undefined;
  } while (cursor);
  return names;
}

async function runJob(ops: unknown[], surface: 'rest' | 'mcp') {
  const args = { kind: 'bulk', args: { ops, mode: 'continue_on_error' } };
  const started =
    surface === 'rest'
      ? (await call('POST', '/v1/jobs', args)).json.result
      : (await mcp.callTool({ name: 'notion_job_start', arguments: args })).structuredContent;
  for (let i = 0; i < 600; i++) {
    const job = (await call('GET', `/v1/jobs/${(started as any).job_id}?output_limit=200`)).json.result;
    if (job.status !== 'queued' && job.status !== 'running') return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the job did not finish in time');
}

describe.each(['rest', 'mcp'] as const)('batched upserts in a bulk job over %s', (surface) => {
  it('150 new rows: one query per 100 keys and one create each; run again: the same 2 queries and nothing else', async () => {
    const ops = upserts(150, `Batch ${surface}`);
    const first = await runJob(ops, surface);
    expect(first.counts).toMatchObject({ done: 150, succeeded: 150, failed: 0 });
    expect(first.output.items.every((r: any) => r.result.action === 'created')).toBe(true);
    const made = calls();
    expect(made).toMatchObject({ queries: 2, creates: 150, updates: 0, reads: 0 });
    expect(made.total).toBeLessThanOrEqual(153); // + the schema read
    const names = await titles(`Batch ${surface}`);
    expect(names).toHaveLength(150);
    expect(new Set(names).size).toBe(150);

    sandbox.clearRequestLog();
    const again = await runJob(ops, surface);
    expect(again.output.items.every((r: any) => r.result.action === 'unchanged')).toBe(true);
    expect(calls()).toMatchObject({ queries: 2, creates: 0, updates: 0, reads: 0 });
    expect(calls().total).toBeLessThanOrEqual(3);

    // Ten rows changed: ten updates, still two look-ups.
    sandbox.clearRequestLog();
    const changed = await runJob(
      upserts(150, `Batch ${surface}`, (i) => (i % 15 === 0 ? 100 + i : i % 8)),
      surface,
    );
    expect(changed.output.items.filter((r: any) => r.result.action === 'updated')).toHaveLength(10);
    expect(calls()).toMatchObject({ queries: 2, creates: 0, updates: 10, reads: 0 });
  }, 60_000);
});

describe('batched upserts', () => {
  it('a sync bulk over MCP finds its 20 rows with one query; existing rows are updated, not duplicated', async () => {
    await call('POST', '/v1/upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Sync 3' },
      properties: { Hours: 40 },
    });
    sandbox.clearRequestLog();
    const res = await mcp.callTool({ name: 'notion_bulk', arguments: { ops: upserts(20, 'Sync') } });
    expect(res.isError).toBeFalsy();
    const results = (res.structuredContent as any).results;
    expect(results.map((r: any) => r.result.action).filter((a: string) => a === 'updated')).toEqual(['updated']);
    expect(calls()).toMatchObject({ queries: 1, creates: 19, updates: 1, reads: 0 });
    await expectEachRowOnce(stack.gateway.url, demo.tasks.dataSourceId, 'Sync', 20);
  });

  it('a key repeated in one bulk applies in order on one row: the last value wins', async () => {
    const ops = [
      ...upserts(3, 'Twice'),
      {
        op: 'upsert',
        args: {
          data_source_id: demo.tasks.dataSourceId,
          unique: { property: 'Name', value: 'Twice 1' },
          properties: { Hours: 7 },
        },
      },
      {
        op: 'upsert',
        args: {
          data_source_id: demo.tasks.dataSourceId,
          unique: { property: 'Name', value: 'Twice 1' },
          properties: { Hours: 7 },
        },
      },
    ];
    const res = await call('POST', '/v1/bulk', { ops });
    expect(res.json.result.results.map((r: any) => r.result.action)).toEqual([
      'created',
      'created',
      'created',
      'updated',
      'unchanged',
    ]);
    expect(calls()).toMatchObject({ queries: 1, creates: 3, updates: 1, reads: 0 });
    await expectEachRowOnce(stack.gateway.url, demo.tasks.dataSourceId, 'Twice', 3);
    const row = await call('POST', '/v1/query', {
      data_source_id: demo.tasks.dataSourceId,
      filter: { Name: { equals: 'Twice 1' } },
    });
    expect(row.json.result.rows[0].properties.Hours).toBe(7);
  });

  it('a row another upsert made after the look-up is found, not made twice', async () => {
    // The bulk's look-up runs at its first op; the slow sandbox gives the single upsert time to land in between.
    sandbox.setLatency(150);
    const bulk = call('POST', '/v1/bulk', { ops: upserts(12, 'Raced') });
    await new Promise((r) => setTimeout(r, 400));
    const single = await call('POST', '/v1/upsert', {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: 'Raced 11' },
      properties: { Hours: 1 },
    });
    expect(single.status).toBe(200);
    const done = await bulk;
    sandbox.setLatency(0);
    expect(done.json.result.failed).toBe(0);
    await expectEachRowOnce(stack.gateway.url, demo.tasks.dataSourceId, 'Raced', 12);
  });

  it('upserts with an external_id key are looked up together too (nested and/or filter)', async () => {
    const ops = Array.from({ length: 30 }, (_, i) => ({
      op: 'upsert',
      args: {
        data_source_id: demo.tasks.dataSourceId,
        unique: { property: 'Name', value: `Pair ${i}` },
        external_id: { property: 'Hours', value: String(i) },
      },
    }));
    const first = await call('POST', '/v1/bulk', { ops });
    expect(first.json.error ?? null).toBeNull();
    expect(first.json.result.failed).toBe(0);
    expect(calls()).toMatchObject({ queries: 1, creates: 30 });
    sandbox.clearRequestLog();
    const again = await call('POST', '/v1/bulk', { ops });
    expect(again.json.result.results.every((r: any) => r.result.action === 'unchanged')).toBe(true);
    expect(calls()).toMatchObject({ queries: 1, creates: 0, updates: 0, reads: 0 });
  });
});
