/**
 * notion_bulk end to end against the sandbox, through REST and MCP: a database created and filled in one call with
 * references between ops, error modes, bad references, the use_job refusal, replay by idempotency key, every op in
 * the audit log, and upserts that all succeed while Notion answers 429s and 5xx.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { expectEachRowOnce } from '../support/rows.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

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

async function bulk(surface: 'rest' | 'mcp', args: Record<string, unknown>) {
  if (surface === 'rest') {
    const res = await api(gateway.url)('POST', '/v1/bulk', args);
    return {
      result: res.json.result,
      error: res.json.error,
      replayed: res.json.meta.idempotent_replay === true,
      requestId: res.json.meta.request_id as string,
    };
  }
  const res = await mcp.callTool({ name: 'notion_bulk', arguments: args });
  if (res.isError) return { result: null, error: JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error };
  return {
    result: res.structuredContent as any,
    error: null,
    replayed: (res._meta as any)?.idempotent_replay === true,
    requestId: (res._meta as any)?.request_id as string,
  };
}

describe.each(['rest', 'mcp'] as const)('bulk over %s', (surface) => {
  it('creates a database and fills it in one call, later ops using what earlier ones made', async () => {
    const { result, error } = await bulk(surface, {
      ops: [
        {
          op: 'notion_database_create',
          args: {
            parent_page_id: demo.rootPageId,
            title: 'Reading',
            properties: { Title: { type: 'title' }, Pages: { type: 'number' } },
          },
        },
        {
          op: 'upsert',
          args: {
            data_source_id: '$ops[0].data_source_id',
            unique: { property: 'Title', value: 'Dune' },
            properties: { Pages: 412 },
          },
        },
        {
          op: 'upsert',
          args: {
            data_source_id: '$ops[0].data_source_id',
            unique: { property: 'Title', value: 'Emma' },
            properties: { Pages: 474 },
          },
        },
        {
          op: 'notion.request',
          args: {
            method: 'PATCH',
            path: '/v1/blocks/$ops[1].page.id/children',
            body: { children: [{ paragraph: { rich_text: [{ text: { content: 'A classic.' } }] } }] },
          },
        },
      ],
    });
    expect(error).toBeNull();
    expect(result).toMatchObject({ succeeded: 4, failed: 0, skipped: 0 });
    expect(result.results.map((r: any) => r.ok)).toEqual([true, true, true, true]);
    expect(result.results[1].result.page.properties).toMatchObject({ Title: 'Dune', Pages: 412 });
    expect(result.results[3].result.path).toBe(`/v1/blocks/${result.results[1].result.page.id}/children`);
  });

  it('stop_on_error stops at the first failure; continue_on_error runs every op', async () => {
    const ops = [
      { op: 'upsert', args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: 'A' } } },
      { op: 'upsert', args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Nmae', value: 'B' } } },
      { op: 'upsert', args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: 'C' } } },
    ];
    const stopped = await bulk(surface, { ops });
    expect(stopped.result).toMatchObject({ succeeded: 1, failed: 1, skipped: 1 });
    expect(stopped.result.results[1].error.code).toBe('invalid_property');
    const all = await bulk(surface, { ops, mode: 'continue_on_error' });
    expect(all.result).toMatchObject({ succeeded: 2, failed: 1, skipped: 0 });
  });

  it('a reference to a failed or later op fails that op, naming the reference', async () => {
    const { result } = await bulk(surface, {
      mode: 'continue_on_error',
      ops: [
        {
          op: 'link',
          args: {
            from: { type: 'page', id: 'No such page' },
            to: { type: 'page', id: 'x' },
            relation_property: 'Project',
          },
        },
        { op: 'upsert', args: { data_source_id: '$ops[0].from.id', unique: { property: 'Name', value: 'x' } } },
        { op: 'upsert', args: { data_source_id: '$ops[3].page.id', unique: { property: 'Name', value: 'x' } } },
      ],
    });
    expect(result.results.map((r: any) => r.error?.code)).toEqual([
      'not_found',
      'invalid_reference',
      'invalid_reference',
    ]);
    expect(result.results[1].error.message).toContain('$ops[0]');
  });

  it('an unknown op is refused before anything runs, listing the ops', async () => {
    const { error } = await bulk(surface, { ops: [{ op: 'delete_everything', args: {} }] });
    expect(error.code).toBe('validation_failed');
    expect(error.details.valid_choices).toContain('upsert');
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('an op whose args break its own schema is refused before anything runs, with its index and pointer', async () => {
    const good = {
      op: 'upsert',
      args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: 'V' } },
    };
    const badMethod = await bulk(surface, {
      ops: [good, { op: 'notion_request', args: { method: { a: 1 }, path: '/v1/pages' } }],
    });
    expect(badMethod.error.code).toBe('validation_failed');
    expect(badMethod.error.details).toMatchObject({ index: 1, op: 'notion_request', pointer: '/ops/1/args/method' });
    expect(badMethod.error.message).toContain('/ops/1/args/method');
    const badLink = await bulk(surface, {
      ops: [
        good,
        good,
        { op: 'link', args: { from: 'Alpha', to: { type: 'page', id: 'x' }, relation_property: 'Project' } },
      ],
    });
    expect(badLink.error.code).toBe('validation_failed');
    expect(badLink.error.details).toMatchObject({ index: 2, op: 'link', pointer: '/ops/2/args/from' });
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('an op whose resolved $ops reference breaks its schema fails as validation_failed, not internal_error', async () => {
    const { result, error } = await bulk(surface, {
      mode: 'continue_on_error',
      ops: [
        { op: 'upsert', args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: 'R' } } },
        { op: 'link', args: { from: '$ops[0].page.id', to: { type: 'page', id: 'x' }, relation_property: 'Project' } },
        { op: 'notion_request', args: { method: '$ops[0].page', path: '/v1/pages' } },
      ],
    });
    expect(error).toBeNull();
    expect(result).toMatchObject({ succeeded: 1, failed: 2 });
    expect(result.results[1].error).toMatchObject({
      code: 'validation_failed',
      details: { index: 1, pointer: '/ops/1/args/from' },
    });
    expect(result.results[2].error).toMatchObject({
      code: 'validation_failed',
      details: { index: 2, pointer: '/ops/2/args/method' },
    });
  });

  it('a repeated bulk with its idempotency_key replays; every op has its own audit row', async () => {
    const args = {
      idempotency_key: `bulk-${surface}`,
      ops: [
        {
          op: 'upsert',
          args: {
            data_source_id: demo.tasks.dataSourceId,
            unique: { property: 'Name', value: `K ${surface}` },
            properties: { Hours: 1 },
          },
        },
        {
          op: 'link',
          args: {
            from: { type: 'page', id: '$ops[0].page.id' },
            to: { type: 'page', id: demo.projects.pageIds[0] },
            relation_property: 'Project',
          },
        },
      ],
    };
    const first = await bulk(surface, args);
    expect(first.result.succeeded).toBe(2);
    sandbox.clearRequestLog();
    const again = await bulk(surface, args);
    expect(again.replayed).toBe(true);
    expect(again.result).toEqual(first.result);
    expect(sandbox.requestLog()).toHaveLength(0);
    const audit = await api(gateway.url)('GET', '/v1/audit?limit=200');
    const operations = audit.json.result.entries.map((e: any) => e.operation);
    expect(operations).toEqual(expect.arrayContaining(['notion_bulk', 'notion_upsert', 'notion_link']));
    // This bulk's own rows: itself and one per op; its replay adds a bulk row and no op row.
    const own = async (requestId: string | undefined) => {
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
      const rows = await api(gateway.url)('GET', `/v1/audit?request_id=${requestId}`);
      return rows.json.result.entries.map((e: any) => e.operation).sort();
    };
    expect(await own(first.requestId)).toEqual(['notion_bulk', 'notion_link', 'notion_upsert']);
    expect(await own(again.requestId)).toEqual(['notion_bulk']);
  });
});

describe('bulk limits and failures', () => {
  it('a bulk that would outlast ChatGPT’s wait at the connection’s pace is refused with use_job and an estimate', async () => {
    const slow = await startGateway({
      NOTION_TOKEN: sandbox.token,
      NOTION_BASE_URL: sandbox.url,
      NOTION_RATE_LIMIT_PER_MINUTE: '60',
    });
    sandbox.clearRequestLog(); // the start verified NOTION_TOKEN with users.me
    try {
      const ops = Array.from({ length: 30 }, (_, i) => ({
        op: 'upsert',
        args: { data_source_id: demo.tasks.dataSourceId, unique: { property: 'Name', value: `Slow ${i}` } },
      }));
      const res = await api(slow.url)('POST', '/v1/bulk', { ops });
      expectError(res, 422, 'use_job');
      expect(res.json.error.details).toMatchObject({ ops: 30, estimated_notion_requests: 60, estimated_seconds: 60 });
      expect(sandbox.requestLog()).toHaveLength(0);
    } finally {
      await slow.close();
    }
  });

  it('50 upserts all succeed while Notion answers 30 % 429 and 10 % 5xx, without a duplicate', async () => {
    sandbox.addFault({ status: 429, rate: 0.3, retryAfter: 0, seed: 7 });
    sandbox.addFault({ status: 503, rate: 0.1, afterCommit: true, seed: 8, methods: ['POST', 'PATCH'] });
    sandbox.addFault({ status: 502, rate: 0.05, seed: 9, methods: ['GET'] });
    const ops = Array.from({ length: 50 }, (_, i) => ({
      op: 'upsert',
      args: {
        data_source_id: demo.tasks.dataSourceId,
        unique: { property: 'Name', value: `Storm ${i}` },
        properties: { Hours: i },
      },
    }));
    const res = await api(gateway.url)('POST', '/v1/bulk', {
      ops,
      mode: 'continue_on_error',
      idempotency_key: 'storm',
    });
    expect(res.status).toBe(200);
    expect(res.json.result.results.filter((r: any) => !r.ok).map((r: any) => r.error)).toEqual([]);
    expect(res.json.result.succeeded).toBe(50);
    sandbox.clearFaults();
    await expectEachRowOnce(gateway.url, demo.tasks.dataSourceId, 'Storm', 50);
  });
});
