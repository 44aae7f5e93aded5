/**
 * A job's args are checked against the contract's union (JobStartInput: one model per kind, chosen by `kind`) on
 * both surfaces before anything is stored or queued: a bad arg is `validation_failed` with the pointer of the value
 * inside the kind's own model, never a job that fails later.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import type { RunningGateway } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let mcp: Client;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,jobs,admin' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
  demo = await reseed(sandbox);
});

afterAll(async () => stack?.close());

const run = (surface: Surface, args: Record<string, unknown>) =>
  operationCaller(gateway.url, mcp)(surface, 'notion_job_start', args);

const plan = (extra: Record<string, unknown>) => ({
  plan_key: 'os',
  root_page_id: demo.rootPageId,
  databases: [{ key: 'tasks', title: 'Tasks', properties: { Name: { type: 'title' } } }],
  ...extra,
});

/** [what is wrong, the body, the pointer the error names] */
const cases = (): Array<[string, Record<string, unknown>, string]> => [
  ['an unknown kind', { kind: 'reindex', args: {} }, '/kind'],
  ['no kind', { args: {} }, '/kind'],
  ['a plan without plan_key', { kind: 'os_plan_apply', args: { root_page_id: demo.rootPageId } }, '/args/plan_key'],
  ['a plan root that is no id', { kind: 'os_plan_apply', args: plan({ root_page_id: 'home' }) }, '/args/root_page_id'],
  [
    'a plan row without its unique key',
    { kind: 'os_plan_apply', args: plan({ rows: [{ database: 'tasks' }] }) },
    '/args/rows/0/unique',
  ],
  [
    'a plan field of another kind',
    { kind: 'os_plan_apply', args: plan({ steps: [] }) },
    '/args/steps', // `steps` is a migration's: a plan does not know it
  ],
  [
    'a migration step of no known kind',
    { kind: 'migration', args: { data_source_id: demo.tasks.dataSourceId, steps: [{ drop_table: {} }] } },
    '/args/steps/0/drop_table',
  ],
  [
    'a migration step of two kinds',
    {
      kind: 'migration',
      args: {
        data_source_id: demo.tasks.dataSourceId,
        steps: [{ archive: { where: { Done: true } }, rename_property: { from: 'A', to: 'B' } }],
      },
    },
    '/args/steps/0',
  ],
  [
    'a rename without its new name',
    {
      kind: 'migration',
      args: { data_source_id: demo.tasks.dataSourceId, steps: [{ rename_property: { from: 'A' } }] },
    },
    '/args/steps/0/rename_property/to',
  ],
  [
    'a migration without steps',
    { kind: 'migration', args: { data_source_id: demo.tasks.dataSourceId, steps: [] } },
    '/args/steps',
  ],
  ['an export depth out of range', { kind: 'export', args: { page_id: demo.rootPageId, depth: 99 } }, '/args/depth'],
  ['a bulk job of no ops', { kind: 'bulk', args: { ops: [] } }, '/args/ops'],
];

describe.each(['rest', 'mcp'] as const)('job args over %s', (surface) => {
  it('refuse each bad arg with validation_failed and its pointer; nothing is queued, Notion never called', async () => {
    const jobs = async () => (await operationCaller(gateway.url, mcp)('mcp', 'notion_job_list', { limit: 100 })).result;
    const queued = await jobs();
    const before = sandbox.requestLog().length;
    for (const [what, body, pointer] of cases()) {
      const { error, result } = await run(surface, body);
      expect(result ?? null, what).toBeNull();
      expect(error?.code, what).toBe('validation_failed');
      expect(error.details.pointer, `${what}: ${error.message}`).toBe(pointer);
    }
    expect(sandbox.requestLog().length).toBe(before);
    expect(await jobs()).toEqual(queued);
  });

  it('say which kinds exist when the kind is unknown', async () => {
    const { error } = await run(surface, { kind: 'reindex', args: {} });
    expect(error.message).toMatch(/bulk, export, os_plan_apply, migration/);
  });

  it('keep the checks a schema cannot say: plan keys unique, rows naming a plan database', async () => {
    const twice = await run(surface, {
      kind: 'os_plan_apply',
      args: plan({ databases: [...plan({}).databases, ...plan({}).databases] }),
    });
    expect(twice.error).toMatchObject({ code: 'validation_failed', details: { pointer: '/args/databases/1/key' } });
    const stray = await run(surface, {
      kind: 'os_plan_apply',
      args: plan({ rows: [{ database: 'notes', unique: { property: 'Name', value: 'x' } }] }),
    });
    expect(stray.error).toMatchObject({ code: 'validation_failed', details: { pointer: '/args/rows/0/database' } });
  });
});
