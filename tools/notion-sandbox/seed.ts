// seedDemoWorkspace(): builds a small demo workspace through the public HTTP API (via @notionhq/client),
// so whatever it creates is exactly what a real integration could create: a root page, and two related
// data sources (Projects ⇄ Tasks, dual relation, rollup, formula) with a few rows.
import { Client } from '@notionhq/client';
import type { Sandbox } from './index.ts';

export interface DemoWorkspace {
  rootPageId: string;
  projects: { databaseId: string; dataSourceId: string; pageIds: string[] };
  tasks: { databaseId: string; dataSourceId: string; pageIds: string[] };
}

const rt = (content: string) => [{ type: 'text' as const, text: { content } }];

/** `target` is a running Sandbox or a sandbox origin URL; `token` defaults to the sandbox's first token. */
export async function seedDemoWorkspace(target: Sandbox | string, token?: string): Promise<DemoWorkspace> {
  const baseUrl = typeof target === 'string' ? target : target.url;
  const auth = token ?? (typeof target === 'string' ? 'secret_sandbox' : target.token);
  const notion = new Client({ auth, baseUrl });

  const root = await notion.pages.create({
    parent: { type: 'workspace', workspace: true },
    icon: { type: 'emoji', emoji: '🏠' },
    properties: { title: { title: rt('Demo workspace') } },
    children: [{ paragraph: { rich_text: rt('Seeded by the Notion sandbox.') } }],
  });

  const projectsDb = await notion.databases.create({
    parent: { type: 'page_id', page_id: root.id },
    title: rt('Projects'),
    initial_data_source: {
      properties: {
        Name: { title: {} },
        Status: { status: {} },
        Budget: { number: { format: 'dollar' } },
      },
    },
  });
  if (!('data_sources' in projectsDb)) throw new Error('seed: full database expected');
  const projectsDs = projectsDb.data_sources[0]!.id;

  const tasksDb = await notion.databases.create({
    parent: { type: 'page_id', page_id: root.id },
    title: rt('Tasks'),
    initial_data_source: {
      properties: {
        Name: { title: {} },
        Done: { checkbox: {} },
        Hours: { number: {} },
        Due: { date: {} },
        Tags: {
          multi_select: {
            options: [
              { name: 'backend', color: 'blue' },
              { name: 'frontend', color: 'green' },
            ],
          },
        },
        Project: {
          relation: {
            data_source_id: projectsDs,
            type: 'dual_property',
            dual_property: { synced_property_name: 'Tasks' },
          },
        },
      },
    },
  });
  if (!('data_sources' in tasksDb)) throw new Error('seed: full database expected');
  const tasksDs = tasksDb.data_sources[0]!.id;

  await notion.dataSources.update({
    data_source_id: projectsDs,
    properties: {
      'Total hours': { rollup: { relation_property_name: 'Tasks', rollup_property_name: 'Hours', function: 'sum' } },
      'Task count': { rollup: { relation_property_name: 'Tasks', rollup_property_name: 'Name', function: 'count' } },
    },
  });

  const projectIds: string[] = [];
  for (const [name, status, budget] of [
    ['Website relaunch', 'In progress', 12000],
    ['Data migration', 'Not started', 8000],
  ] as const) {
    const p = await notion.pages.create({
      parent: { data_source_id: projectsDs },
      properties: { Name: { title: rt(name) }, Status: { status: { name: status } }, Budget: { number: budget } },
    });
    projectIds.push(p.id);
  }
  const taskIds: string[] = [];
  const tasks: Array<[string, boolean, number, string, string[], number]> = [
    ['Design mockups', true, 6, '2025-01-10', ['frontend'], 0],
    ['Build landing page', false, 12, '2025-02-01', ['frontend'], 0],
    ['Export legacy tables', false, 5, '2025-03-15', ['backend'], 1],
  ];
  for (const [name, done, hours, due, tags, project] of tasks) {
    const t = await notion.pages.create({
      parent: { data_source_id: tasksDs },
      properties: {
        Name: { title: rt(name) },
        Done: { checkbox: done },
        Hours: { number: hours },
        Due: { date: { start: due } },
        Tags: { multi_select: tags.map((n) => ({ name: n })) },
        Project: { relation: [{ id: projectIds[project]! }] },
      },
    });
    taskIds.push(t.id);
  }
  return {
    rootPageId: root.id,
    projects: { databaseId: projectsDb.id, dataSourceId: projectsDs, pageIds: projectIds },
    tasks: { databaseId: tasksDb.id, dataSourceId: tasksDs, pageIds: taskIds },
  };
}
