/**
 * migration jobs over the sandbox's seeded Tasks: a dry run counts what each step would change and writes nothing;
 * the real run changes exactly those counts: values set where a filter matches, a property renamed, its type changed
 * with the values converted, rows archived.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let call: Stack['call'];

beforeAll(async () => {
  stack = await startStack();
  ({ sandbox, demo, call } = stack);
});

afterAll(async () => stack?.close());

async function runJob(args: Record<string, unknown>) {
  const started = await call('POST', '/v1/jobs', { kind: 'migration', args });
  expect(started.status, started.text).toBe(200);
  for (let i = 0; i < 300; i++) {
    const job = (await call('GET', `/v1/jobs/${started.json.result.job_id}`)).json.result;
    if (job.status === 'succeeded') return job.output.items;
    if (job.status === 'failed') throw new Error(JSON.stringify(job.error));
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('migration did not finish');
}

const steps = [
  { set_values: { where: { Done: false }, values: { Hours: 1 } } },
  { rename_property: { from: 'Hours', to: 'Effort' } },
  { change_type: { property: 'Effort', to: { type: 'rich_text' } } },
  { archive: { where: { Done: true } } },
];
const writes = () =>
  sandbox.requestLog().filter((e) => e.method === 'PATCH' || (e.method === 'POST' && e.path.endsWith('/move')));

describe('migration jobs', () => {
  it('dry run counts, writes nothing; the real run changes exactly what it counted', async () => {
    sandbox.clearRequestLog();
    const preview = await runJob({ data_source_id: demo.tasks.dataSourceId, steps, dry_run: true });
    expect(preview.map((r: any) => [r.kind, r.changes])).toEqual([
      ['set_values', 2],
      ['rename_property', 1],
      ['change_type', 3],
      ['archive', 1],
    ]);
    expect(writes()).toEqual([]);

    const done = await runJob({ data_source_id: demo.tasks.dataSourceId, steps });
    expect(done).toEqual(preview);
    const rows = await call('POST', '/v1/query', { data_source_id: demo.tasks.dataSourceId });
    const byName = Object.fromEntries(rows.json.result.rows.map((r: any) => [r.title, r.properties]));
    expect(Object.keys(byName).sort()).toEqual(['Build landing page', 'Export legacy tables']);
    expect(byName['Build landing page']).toMatchObject({ Effort: '1' });
    expect(byName['Build landing page'].Hours).toBeUndefined();
    const schema = await call('POST', '/v1/data_sources/get', { data_source_id: demo.tasks.dataSourceId });
    expect(schema.json.result.properties.Effort).toEqual({ type: 'rich_text' });
  });

  it('refuses an unknown step before anything is queued', async () => {
    const res = await call('POST', '/v1/jobs', {
      kind: 'migration',
      args: { data_source_id: demo.tasks.dataSourceId, steps: [{ drop_table: {} }] },
    });
    expectError(res, 400, 'validation_failed');
    expect(res.json.error.details.valid_choices).toContain('archive');
  });
});

describe('a cancelled migration job', () => {
  it('stops after its current step: no write follows, the rest of its steps never run', async () => {
    demo = await reseed(sandbox);
    sandbox.setLatency(30);
    // 12 steps of one write per task: far more writes than run before the cancel lands.
    const steps = Array.from({ length: 12 }, (_, i) => ({ set_values: { values: { Hours: i + 1 } } }));
    const started = await call('POST', '/v1/jobs', {
      kind: 'migration',
      args: { data_source_id: demo.tasks.dataSourceId, steps },
    });
    expect(started.status, started.text).toBe(200);
    const jobId = started.json.result.job_id as string;
    const read = async () => (await call('GET', `/v1/jobs/${jobId}`)).json.result;
    for (let i = 0; i < 200 && ((await read()).counts?.done ?? 0) < 1; i++) await new Promise((r) => setTimeout(r, 20));
    const cancelled = await call('POST', `/v1/jobs/${jobId}/cancel`, {});
    expect(cancelled.status, cancelled.text).toBe(200);
    // What was in flight when the cancel landed may finish; nothing after it.
    await new Promise((r) => setTimeout(r, 300));
    const settled = sandbox.requestLog().filter((e) => e.method === 'PATCH').length;
    await new Promise((r) => setTimeout(r, 600));
    expect(sandbox.requestLog().filter((e) => e.method === 'PATCH').length).toBe(settled);
    expect(settled).toBeLessThan(12 * demo.tasks.pageIds.length);
    expect((await read()).status).toBe('cancelled');
    sandbox.setLatency(0);
  });

  it('is taken back whole by notion_undo with its job id: every row as before the job', async () => {
    demo = await reseed(sandbox);
    const hours = async () =>
      Object.fromEntries(
        (await call('POST', '/v1/query', { data_source_id: demo.tasks.dataSourceId })).json.result.rows.map(
          (r: any) => [r.id, r.properties.Hours ?? null],
        ),
      );
    const before = await hours();
    sandbox.setLatency(30);
    const steps = Array.from({ length: 12 }, (_, i) => ({ set_values: { values: { Hours: 100 + i } } }));
    const started = await call('POST', '/v1/jobs', {
      kind: 'migration',
      args: { data_source_id: demo.tasks.dataSourceId, steps },
    });
    const jobId = started.json.result.job_id as string;
    const read = async () => (await call('GET', `/v1/jobs/${jobId}`)).json.result;
    // Past the first step: every row changed at least once, some twice.
    const rows = Object.keys(before).length;
    for (let i = 0; i < 400 && ((await read()).counts?.done ?? 0) < rows + 1; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await call('POST', `/v1/jobs/${jobId}/cancel`, {})).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // the write in flight when the cancel landed
    sandbox.setLatency(0);
    expect(Object.values(await hours()).every((h) => typeof h === 'number' && h >= 100)).toBe(true);

    const undo = await call('POST', '/v1/undo', { job_id: jobId });
    expect(undo.status, undo.text).toBe(200);
    expect(undo.json.result.undone.length).toBeGreaterThan(rows);
    expect(await hours()).toEqual(before);
  });
});
