/**
 * All-or-nothing migrations against the sandbox, through REST and MCP: the dry run tries every value conversion on
 * every row and reports the ones that fail; the real run then refuses and leaves the schema and rows as they were. A
 * step that fails at run time undoes the steps already applied (values, a type change, a rename), leaving no
 * leftover property. The job's total is known before its first write and done never passes it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let mcp: Client;
let call: Stack['call'];

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,jobs' });
  ({ sandbox, call } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

/** Tasks with a text ExternalId on every row: "17", "X-42" (not a number) and "8" unless told otherwise. */
async function withExternalIds(values = ['17', 'X-42', '8']) {
  demo = await reseed(sandbox);
  const added = await call('POST', '/v1/data_sources/update', {
    data_source_id: demo.tasks.dataSourceId,
    properties: { ExternalId: { type: 'rich_text' } },
  });
  expect(added.status, added.text).toBe(200);
  for (const [i, id] of demo.tasks.pageIds.entries()) {
    const res = await call('POST', '/v1/pages/update', {
      page_id: id,
      properties: { ExternalId: values[i % values.length] },
    });
    expect(res.status, res.text).toBe(200);
  }
  sandbox.clearRequestLog();
}

/** The Tasks schema and rows as a reader sees them (ids and edit times left out). */
async function snapshot() {
  const schema = (await call('POST', '/v1/data_sources/get', { data_source_id: demo.tasks.dataSourceId })).json.result
    .properties;
  const rows = (await call('POST', '/v1/query', { data_source_id: demo.tasks.dataSourceId, page_size: 100 })).json
    .result.rows;
  return {
    schema,
    rows: rows
      .map((r: any) => ({ id: r.id, title: r.title, properties: r.properties }))
      .sort((a: any, b: any) => a.id.localeCompare(b.id)),
  };
}

const writes = () =>
  sandbox
    .requestLog()
    .filter(
      (e) =>
        e.method === 'PATCH' ||
        e.method === 'DELETE' ||
        (e.method === 'POST' && /\/v1\/(pages|data_sources|databases)(\/[^/]+\/move)?$/.test(e.path)),
    );

async function startJob(surface: 'rest' | 'mcp', args: Record<string, unknown>) {
  const body = { kind: 'migration', args };
  if (surface === 'rest') {
    const res = await call('POST', '/v1/jobs', body);
    expect(res.status, res.text).toBe(200);
    return res.json.result.job_id as string;
  }
  const res = await mcp.callTool({ name: 'notion_job_start', arguments: body });
  expect(res.isError, JSON.stringify(res.content)).toBeFalsy();
  return (res.structuredContent as any).job_id as string;
}

/** Reads the job until it ends; every reading's counts are kept. */
async function finish(surface: 'rest' | 'mcp', jobId: string) {
  const seen: any[] = [];
  for (let i = 0; i < 600; i++) {
    const job =
      surface === 'rest'
        ? (await call('GET', `/v1/jobs/${jobId}?output_limit=50`)).json.result
        : (await mcp.callTool({ name: 'notion_job_get', arguments: { job_id: jobId, output_limit: 50 } }))
            .structuredContent;
    seen.push((job as any).counts);
    if ((job as any).status !== 'queued' && (job as any).status !== 'running') return { job: job as any, seen };
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('the migration did not finish');
}

const steps = [
  { set_values: { values: { Hours: 9 } } },
  { rename_property: { from: 'Hours', to: 'Effort' } },
  { change_type: { property: 'ExternalId', to: { type: 'number' } } },
];

describe.each(['rest', 'mcp'] as const)('an all-or-nothing migration over %s', (surface) => {
  beforeEach(() => withExternalIds());

  it('a value that cannot be converted is reported by the dry run; the real run refuses and changes nothing', async () => {
    const before = await snapshot();
    const dry = await finish(
      surface,
      await startJob(surface, { data_source_id: demo.tasks.dataSourceId, steps, dry_run: true }),
    );
    expect(dry.job.status).toBe('succeeded');
    const reports = dry.job.output.items;
    expect(reports.map((r: any) => [r.kind, r.changes])).toEqual([
      ['set_values', 3],
      ['rename_property', 1],
      ['change_type', 2],
    ]);
    expect(reports[0].failures).toBeUndefined();
    expect(reports[2].failures).toEqual([
      expect.objectContaining({ row_id: expect.any(String), property: 'ExternalId', value: 'X-42' }),
    ]);

    const real = await finish(surface, await startJob(surface, { data_source_id: demo.tasks.dataSourceId, steps }));
    expect(real.job.status).toBe('failed');
    expect(real.job.error.code).toBe('validation_failed');
    expect(real.job.error.message).toContain('"X-42"');
    expect(real.job.error.details.failures).toEqual([
      expect.objectContaining({ step: 2, kind: 'change_type', row_id: reports[2].failures[0].row_id, value: 'X-42' }),
    ]);
    expect(writes()).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });
});

describe('a migration that fails at run time', () => {
  it('undoes the steps already applied, leaving no leftover property; its total is set before the first write', async () => {
    await withExternalIds(['17', '42', '8']);
    const before = await snapshot();
    // The last step's first write fails (Notion answers 500 to the move): everything before it is undone.
    sandbox.addFault({ status: 500, count: 1, routes: ['/v1/pages/:page_id/move'], methods: ['POST'] });
    const failing = [
      ...steps,
      { copy_values: { from: 'ExternalId', to: 'Effort' } },
      { archive: { where: { Done: true } } },
      { move: { where: { Done: false }, to_data_source_id: demo.projects.dataSourceId } },
    ];
    const { job, seen } = await finish(
      'rest',
      await startJob('rest', { data_source_id: demo.tasks.dataSourceId, steps: failing }),
    );
    sandbox.clearFaults();
    expect(job.status).toBe('failed');
    expect(job.error.details).toMatchObject({ step: 5, rolled_back: true, undo_failures: [] });
    expect(job.error.details.undone).toBeGreaterThan(10);
    expect(job.error.message).toContain('undone');
    expect(await snapshot()).toEqual(before);
    const names = Object.keys((await snapshot()).schema);
    expect(names.filter((n) => n.includes('(number)') || n === 'Effort')).toEqual([]);
    // Progress: a total from the first write on, done never past it.
    const counted = seen.filter((c) => c && c.done > 0);
    expect(counted.length).toBeGreaterThan(0);
    for (const c of counted) {
      expect(c.total).not.toBeNull();
      expect(c.done).toBeLessThanOrEqual(c.total);
    }
  });

  it('a migration that runs through reports total = done and the same counts as its dry run', async () => {
    await withExternalIds(['17', '42', '8']);
    const args = { data_source_id: demo.tasks.dataSourceId, steps };
    const dry = await finish('rest', await startJob('rest', { ...args, dry_run: true }));
    const { job, seen } = await finish('rest', await startJob('rest', args));
    expect(job.status).toBe('succeeded');
    expect(job.output.items).toEqual(
      dry.job.output.items.map((r: any) => (r.kind === 'change_type' ? { ...r, changes: 3 } : r)),
    );
    expect(job.counts.done).toBe(job.counts.total);
    for (const c of seen.filter((c) => c && c.done > 0)) expect(c.done).toBeLessThanOrEqual(c.total);
    const schema = (await snapshot()).schema;
    expect(schema.ExternalId).toMatchObject({ type: 'number' });
    expect(schema.Effort).toMatchObject({ type: 'number' });
    expect(Object.keys(schema).filter((n) => n.includes('(number)'))).toEqual([]);
  });
});
