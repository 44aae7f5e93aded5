/**
 * os_plan_apply as a job, against the sandbox: a dry run answers the diff and writes nothing; applying builds the
 * workspace (databases with a dual relation between plan keys, a rollup, sub-pages, rows); applying again writes
 * nothing; an edited plan applies only its difference; prune removes what the plan dropped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { api, type RunningGateway, startGateway } from '../support/gateway.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let call: ReturnType<typeof api>;
let rootId = '';

beforeAll(async () => {
  sandbox = await startSandbox();
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
  call = api(gateway.url);
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

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

const plan = (extra: Record<string, unknown> = {}) => ({
  plan_key: 'life-os',
  root_page_id: rootId,
  databases: [
    {
      key: 'projects',
      title: 'Projects',
      properties: {
        Name: { type: 'title' },
        Status: { type: 'select', options: ['Active', 'Done'] },
        'Open tasks': { type: 'rollup', relation: 'Tasks', property: 'Name', function: 'count' },
      },
    },
    {
      key: 'tasks',
      title: 'Tasks',
      properties: {
        Name: { type: 'title' },
        Done: { type: 'checkbox' },
        Project: { type: 'relation', target: 'projects', dual: 'Tasks' },
      },
    },
  ],
  pages: [{ key: 'home', title: 'Home', content_markdown: '# Welcome' }],
  rows: [
    { database: 'projects', unique: { property: 'Name', value: 'Garden' }, properties: { Status: 'Active' } },
    { database: 'tasks', unique: { property: 'Name', value: 'Buy seeds' }, properties: { Done: false } },
  ],
  ...extra,
});

async function runJob(args: Record<string, unknown>) {
  const started = await call('POST', '/v1/jobs', { kind: 'os_plan_apply', args });
  expect(started.status, started.text).toBe(200);
  for (let i = 0; i < 300; i++) {
    const job = (await call('GET', `/v1/jobs/${started.json.result.job_id}`)).json.result;
    if (job.status === 'succeeded') return job.output.items[0];
    if (job.status === 'failed') throw new Error(JSON.stringify(job.error));
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('plan job did not finish');
}

const writes = () =>
  sandbox
    .requestLog()
    .filter(
      (e) => e.method === 'PATCH' || (e.method === 'POST' && !e.path.endsWith('/query') && e.path !== '/v1/search'),
    );

describe('os_plan_apply', () => {
  it('a dry run answers what would be created and writes nothing', async () => {
    sandbox.clearRequestLog();
    const diff = await runJob(plan({ dry_run: true }));
    expect(diff).toMatchObject({ applied: false, rows: 2, pages: [{ key: 'home', action: 'create' }] });
    expect(diff.databases.map((d: any) => [d.key, d.action])).toEqual([
      ['projects', 'create'],
      ['tasks', 'create'],
    ]);
    expect(writes()).toEqual([]);
  });

  it('applies the plan: databases, the relation between them, the rollup, the page, the rows', async () => {
    const result = await runJob(plan());
    expect(result).toMatchObject({ applied: true, row_actions: { created: 2, updated: 0, unchanged: 0 } });
    const hit = (
      await call('POST', '/v1/search', { query: 'Projects', filter: { property: 'object', value: 'data_source' } })
    ).json.result.results[0];
    const projects = await call('POST', '/v1/query', { data_source_id: hit.id });
    expect(projects.json.result.rows[0].properties).toMatchObject({
      Name: 'Garden',
      Status: 'Active',
      'Open tasks': 0,
    });
    // The relation exists (its empty value is left out of the row).
    expect(hit.properties.Tasks).toMatch(/^relation: /);
  });

  it('applying the same plan again changes nothing', async () => {
    sandbox.clearRequestLog();
    const again = await runJob(plan());
    expect(again.databases.map((d: any) => d.action)).toEqual(['unchanged', 'unchanged']);
    expect(again.pages).toEqual([{ key: 'home', action: 'unchanged' }]);
    expect(again.row_actions).toEqual({ created: 0, updated: 0, unchanged: 2 });
    expect(writes()).toEqual([]);
  });

  it('an edited plan applies only its difference; prune removes what it dropped', async () => {
    const edited = plan();
    edited.databases[1]!.properties = { ...edited.databases[1]!.properties, Due: { type: 'date' } } as never;
    edited.databases[0]!.properties = {
      Name: { type: 'title' },
      Status: { type: 'select', options: ['Active', 'Done', 'Paused'] },
      'Open tasks': { type: 'rollup', relation: 'Tasks', property: 'Name', function: 'count' },
    } as never;
    const preview = await runJob({ ...edited, dry_run: true });
    expect(preview.databases).toEqual([
      { key: 'projects', action: 'update', add: [], change: ['Status'], remove: [] },
      { key: 'tasks', action: 'update', add: ['Due'], change: [], remove: [] },
    ]);
    sandbox.clearRequestLog();
    await runJob(edited);
    expect(writes().filter((e) => e.path.startsWith('/v1/data_sources/'))).toHaveLength(2);
    expect(writes().filter((e) => e.path === '/v1/pages' || e.path === '/v1/databases')).toEqual([]);

    const pruned = plan();
    pruned.databases[1]!.properties = {
      Name: { type: 'title' },
      Project: { type: 'relation', target: 'projects', dual: 'Tasks' },
    } as never;
    const diff = await runJob({ ...pruned, prune: true, dry_run: true });
    expect(diff.databases[1]).toMatchObject({ key: 'tasks', action: 'update', remove: ['Done', 'Due'] });
  });
  it('a relation to a data source given by id without dashes is unchanged on a second apply', async () => {
    await runJob(plan()); // Projects exists, whatever ran before
    const found = await call('POST', '/v1/search', {
      query: 'Projects',
      filter: { property: 'object', value: 'data_source' },
    });
    const projectsId = found.json.result.results[0].id as string;
    const linked = {
      plan_key: 'links',
      root_page_id: rootId,
      databases: [
        {
          key: 'notes',
          title: 'Notes',
          properties: {
            Name: { type: 'title' },
            Project: { type: 'relation', target: projectsId.replaceAll('-', '') },
          },
        },
      ],
    };
    expect((await runJob(linked)).databases.map((d: any) => d.action)).toEqual(['create']);
    sandbox.clearRequestLog();
    const again = await runJob(linked);
    expect(again.databases.map((d: any) => d.action)).toEqual(['unchanged']);
    expect(writes()).toEqual([]);
  });
});
