/**
 * The scenario the gateway exists for: ChatGPT builds a small second brain from nothing through the public REST API
 * only — a root page, two data sources with a dual relation, a rollup and a formula, 20 upserted rows, links, a view
 * and Markdown content — then runs the very same calls again. The second run creates nothing: every upsert answers
 * `unchanged`, every link `unchanged`, and calls that are not naturally repeatable replay through their
 * idempotency_key.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { api, type RunningGateway, startGateway } from '../support/gateway.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let call: ReturnType<typeof api>;

// Each test starts from nothing (its own workspace and gateway store): none relies on what another left behind.
beforeEach(async () => {
  sandbox = await startSandbox();
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
  call = api(gateway.url);
});

afterEach(async () => {
  await gateway?.close();
  await sandbox?.close();
});

async function ok(path: string, body: Record<string, unknown>) {
  const res = await call('POST', path, body);
  expect(res.status, `${path}: ${res.text.slice(0, 400)}`).toBe(200);
  return { result: res.json.result, replayed: res.json.meta.idempotent_replay === true };
}

const projects = ['Website relaunch', 'Data migration', 'Hiring', 'Annual report'];
const tasks = Array.from({ length: 16 }, (_, i) => ({
  name: `Task ${i + 1}`,
  hours: (i % 5) + 1,
  done: i % 3 === 0,
  due: `2026-0${(i % 9) + 1}-1${i % 10}`,
  project: projects[i % projects.length]!,
}));

/** Everything ChatGPT would send, in order; the answers of interest come back. */
async function build() {
  const root = await ok('/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    idempotency_key: 'brain-root',
    body: {
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'Second brain' } }] } },
    },
  });
  const rootId = root.result.response.id as string;
  const projectsDb = await ok('/v1/databases', {
    parent_page_id: rootId,
    title: 'Projects',
    idempotency_key: 'brain-projects',
    properties: {
      Name: { type: 'title' },
      Status: { type: 'status', options: ['Not started', 'In progress', 'Done'] },
      Budget: { type: 'number', format: 'dollar' },
    },
  });
  const tasksDb = await ok('/v1/databases', {
    parent_page_id: rootId,
    title: 'Tasks',
    idempotency_key: 'brain-tasks',
    properties: {
      Name: { type: 'title' },
      Done: { type: 'checkbox' },
      Hours: { type: 'number' },
      Due: { type: 'date' },
      Project: { type: 'relation', target: projectsDb.result.data_source_id, dual: 'Tasks' },
    },
  });
  const schema = await ok('/v1/data_sources/update', {
    data_source_id: projectsDb.result.data_source_id,
    idempotency_key: 'brain-rollup',
    properties: {
      'Total hours': { type: 'rollup', relation: 'Tasks', property: 'Hours', function: 'sum' },
      'Budget per hour': { type: 'formula', expression: 'prop("Budget") / 100' },
    },
  });
  const upserts: string[] = [];
  for (const [i, name] of projects.entries()) {
    const { result } = await ok('/v1/upsert', {
      data_source_id: projectsDb.result.data_source_id,
      unique: { property: 'Name', value: name },
      properties: { Status: i === 0 ? 'In progress' : 'Not started', Budget: (i + 1) * 1000 },
      content_markdown: `# ${name}\n\nWhy this project matters.\n\n- [ ] first step`,
    });
    upserts.push(result.action);
  }
  const links: string[] = [];
  for (const task of tasks) {
    const { result } = await ok('/v1/upsert', {
      database_id: tasksDb.result.database_id,
      unique: { property: 'Name', value: task.name },
      properties: { Hours: task.hours, Done: task.done, Due: task.due },
    });
    upserts.push(result.action);
    const linked = await ok('/v1/link', {
      from: { type: 'page', id: result.page.id },
      to: { type: 'page', id: task.project },
      relation_property: 'Project',
    });
    links.push(linked.result.action);
  }
  const view = await ok('/v1/notion/request', {
    method: 'POST',
    path: '/v1/views',
    idempotency_key: 'brain-view',
    body: {
      data_source_id: tasksDb.result.data_source_id,
      name: 'Open tasks',
      type: 'table',
      filter: { property: 'Done', checkbox: { equals: false } },
    },
  });
  return {
    rootId,
    projectsDb,
    tasksDb,
    schema,
    upserts,
    links,
    view,
    replays: [root, projectsDb, tasksDb, schema, view].map((r) => r.replayed),
  };
}

describe('a second brain from nothing, twice', () => {
  it('builds it: two data sources with a dual relation, a rollup and a formula, 20 rows, links, a view, Markdown', async () => {
    const first = await build();
    expect(first.upserts).toEqual(Array(20).fill('created'));
    expect(first.links).toEqual(Array(16).fill('linked'));
    expect(first.replays).toEqual([false, false, false, false, false]);
    expect(first.schema.result.properties['Total hours']).toMatchObject({ type: 'rollup', function: 'sum' });
    expect(first.schema.result.properties.Tasks).toMatchObject({ type: 'relation' });

    const hiring = await ok('/v1/query', {
      data_source_id: first.projectsDb.result.data_source_id,
      filter: { Name: 'Hiring' },
    });
    const row = hiring.result.rows[0];
    const hiringHours = tasks.filter((t) => t.project === 'Hiring').reduce((sum, t) => sum + t.hours, 0);
    expect(row.properties['Total hours']).toBe(hiringHours);
    expect(row.properties['Budget per hour']).toBe(30);
    expect(row.properties.Tasks).toHaveLength(4);

    const page = await ok('/v1/pages/get', { page_id: row.id, include_markdown: true });
    expect(page.result.markdown).toContain('Why this project matters.');

    const open = await ok('/v1/notion/read', {
      method: 'POST',
      path: `/v1/views/${first.view.result.response.id}/queries`,
      body: {},
    });
    expect(open.result.response.object).toBeDefined();
  });

  it('runs the same calls again: nothing new, every upsert and link unchanged', async () => {
    const first = await build();
    expect(first.upserts).toEqual(Array(20).fill('created'));
    sandbox.clearRequestLog();
    const second = await build();
    expect(second.upserts).toEqual(Array(20).fill('unchanged'));
    expect(second.links).toEqual(Array(16).fill('unchanged'));
    expect(second.replays).toEqual([true, true, true, true, true]);
    expect(second.tasksDb.result.data_source_id).toBe(first.tasksDb.result.data_source_id);
    // Reads only: page retrieves, queries, and the searches that resolve link targets by title.
    const writes = sandbox
      .requestLog()
      .filter((e) => e.method !== 'GET' && !e.path.endsWith('/query') && e.path !== '/v1/search');
    expect(writes).toEqual([]);
  });
});
