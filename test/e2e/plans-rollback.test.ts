/**
 * All-or-nothing os_plan_apply against the sandbox, through REST and MCP: its dry run builds every schema and every
 * row's values and lists what cannot be written, and the real apply then refuses before writing anything; a write
 * that fails at run time undoes the apply (pruned properties come back with their values, added ones go, created
 * databases go to the trash); the job's total is set before its first write.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
let call: ReturnType<typeof api>;
let rootId = '';

beforeAll(async () => {
  sandbox = await startSandbox();
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
  call = api(gateway.url);
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'core,jobs' });
});

afterAll(async () => {
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

beforeEach(async () => {
  sandbox.clearFaults();
  const root = await call('POST', '/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    body: {
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'OS' } }] } },
    },
  });
  rootId = root.json.result.response.id;
});

let planSeq = 0;
const plan = (extra: Record<string, unknown> = {}) => ({
  plan_key: `os-${++planSeq}`,
  root_page_id: rootId,
  databases: [
    {
      key: 'tasks',
      title: `Tasks ${planSeq}`,
      properties: { Name: { type: 'title' }, Done: { type: 'checkbox' }, Notes: { type: 'rich_text' } },
    },
  ],
  rows: [
    { database: 'tasks', unique: { property: 'Name', value: 'Buy seeds' }, properties: { Done: true, Notes: 'early' } },
    { database: 'tasks', unique: { property: 'Name', value: 'Water' }, properties: { Done: false } },
  ],
  ...extra,
});

async function runJob(surface: 'rest' | 'mcp', args: Record<string, unknown>) {
  const body = { kind: 'os_plan_apply', args };
  const jobId =
    surface === 'rest'
      ? (await call('POST', '/v1/jobs', body)).json.result.job_id
      : ((await mcp.callTool({ name: 'notion_job_start', arguments: body })).structuredContent as any).job_id;
  const seen: any[] = [];
  for (let i = 0; i < 600; i++) {
    const job: any =
      surface === 'rest'
        ? (await call('GET', `/v1/jobs/${jobId}`)).json.result
        : (await mcp.callTool({ name: 'notion_job_get', arguments: { job_id: jobId } })).structuredContent;
    seen.push(job.counts);
    if (job.status !== 'queued' && job.status !== 'running') return { job, seen };
    await new Promise((r) => setTimeout(r, 30));
  }
  throw new Error('plan job did not finish');
}

const writes = () =>
  sandbox
    .requestLog()
    .filter(
      (e) => e.method === 'PATCH' || (e.method === 'POST' && !e.path.endsWith('/query') && e.path !== '/v1/search'),
    );

async function tasksOf(dataSourceId: string) {
  const schema = (await call('POST', '/v1/data_sources/get', { data_source_id: dataSourceId })).json.result.properties;
  const rows = (await call('POST', '/v1/query', { data_source_id: dataSourceId })).json.result.rows;
  return { schema, rows: rows.map((r: any) => r.properties).sort((a: any, b: any) => a.Name.localeCompare(b.Name)) };
}

describe.each(['rest', 'mcp'] as const)('an all-or-nothing plan over %s', (surface) => {
  it('a row value its property cannot take is listed by the dry run; the apply refuses and writes nothing', async () => {
    const bad = plan();
    bad.rows[1]!.properties = { Done: 'maybe' } as never;
    sandbox.clearRequestLog();
    const dry = await runJob(surface, { ...bad, dry_run: true });
    expect(dry.job.status).toBe('succeeded');
    expect(
      dry.job.output?.items?.[0] ?? (await call('GET', `/v1/jobs/${dry.job.job_id}`)).json.result.output.items[0],
    ).toMatchObject({
      applied: false,
      failures: [{ pointer: '/args/rows/1', message: expect.stringContaining('Done') }],
    });
    const real = await runJob(surface, bad);
    expect(real.job.status).toBe('failed');
    expect(real.job.error).toMatchObject({
      code: 'validation_failed',
      details: { failures: [{ pointer: '/args/rows/1' }] },
    });
    expect(writes()).toEqual([]);
  });
});

describe('a plan that fails at run time', () => {
  it('with prune: undoes the schema change (pruned values back, added property gone) and the rows it changed', async () => {
    const base = plan();
    expect((await runJob('rest', base)).job.status).toBe('succeeded');
    const dataSourceId = (
      await call('POST', '/v1/search', {
        query: base.databases[0]!.title,
        filter: { property: 'object', value: 'data_source' },
      })
    ).json.result.results[0].id as string;
    const before = await tasksOf(dataSourceId);
    expect(before.rows[0]).toMatchObject({ Name: 'Buy seeds', Done: true, Notes: 'early' });

    // Drops Notes (pruned, with its value), adds Due, updates a row, then a new row fails to be created.
    const edited = {
      ...base,
      prune: true,
      databases: [
        {
          ...base.databases[0]!,
          properties: { Name: { type: 'title' }, Done: { type: 'checkbox' }, Due: { type: 'date' } },
        },
      ],
      rows: [
        { database: 'tasks', unique: { property: 'Name', value: 'Water' }, properties: { Done: true } },
        { database: 'tasks', unique: { property: 'Name', value: 'Weed' }, properties: { Done: false } },
      ],
    };
    sandbox.addFault({ status: 500, count: 1, routes: ['/v1/pages'], methods: ['POST'] });
    sandbox.clearRequestLog();
    const { job, seen } = await runJob('rest', edited);
    expect(job.status).toBe('failed');
    const undone = writes().filter((e) => e.method === 'PATCH' && /^\/v1\/pages\/[^/]+$/.test(e.path));
    expect(undone).toHaveLength(3); // Water updated, then its Done and Buy seeds' Notes put back
    expect(job.error.details).toMatchObject({ rolled_back: true, undo_failures: [] });
    expect(await tasksOf(dataSourceId)).toEqual(before);
    for (const c of seen.filter((c) => c && c.done > 0)) {
      expect(c.total).not.toBeNull();
      expect(c.done).toBeLessThanOrEqual(c.total);
    }
  });

  it('a fresh plan whose rows fail: the databases it created go to the trash, and a later apply creates them again', async () => {
    const fresh = plan();
    sandbox.addFault({ status: 500, count: 1, routes: ['/v1/pages'], methods: ['POST'] });
    sandbox.clearRequestLog();
    const { job } = await runJob('rest', fresh);
    expect(job.status).toBe('failed');
    expect(job.error.details).toMatchObject({ rolled_back: true });
    const trashed = writes().filter((e) => e.method === 'PATCH' && e.path.startsWith('/v1/databases/'));
    expect(trashed).toHaveLength(1);
    const again = await runJob('rest', { ...fresh, dry_run: true });
    expect(
      (await call('GET', `/v1/jobs/${again.job.job_id}?output_limit=5`)).json.result.output.items[0].databases.map(
        (d: any) => d.action,
      ),
    ).toEqual(['create']);
  });
});
