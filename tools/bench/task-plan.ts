/**
 * The realistic task of issue 16 as a model does it on our default MCP view (the bare /mcp), each step checked
 * against the sandbox through Notion's own API (not through the gateway): find Tasks and Projects, list a project's
 * open tasks, create a task linked to it with a due date and a paragraph, set the project's status, read the
 * paragraph back. npm run bench:task and test/e2e/task.test.ts both run it.
 */
import type { Client } from '@notionhq/client';
import type { DemoWorkspace } from '../notion-sandbox/seed.ts';

// biome-ignore lint/suspicious/noExplicitAny: tool results are JSON read field by field, each one checked.
type Json = any;

/** One tool call: its structured result, or a throw when the tool answered an error. */
export type ToolCall = (name: string, args: Record<string, unknown>) => Promise<Json>;

export const check = (ok: boolean, what: string) => {
  if (!ok) throw new Error(`not verified: ${what}`);
};

const plain = (items: Json[] = []) => items.map((t) => t.plain_text).join('');

/** Runs the task with `call`; `truth` reads the sandbox directly. Answers the new task's id. */
export async function runTask(call: ToolCall, truth: Client, demo: DemoWorkspace): Promise<string> {
  // 1. Find Tasks and Projects: the hits carry their schemas (no schema lookup).
  const found = await call('notion_search', { filter: { property: 'object', value: 'data_source' } });
  const ds = Object.fromEntries(found.results.map((h: Json) => [h.title, h]));
  check(ds.Tasks?.id === demo.tasks.dataSourceId, 'Tasks found');
  check(ds.Projects?.id === demo.projects.dataSourceId, 'Projects found');
  check(
    ds.Tasks.properties?.Project === `relation: ${demo.projects.dataSourceId}`,
    'the Tasks schema names its relation',
  );

  // 2. The project's open tasks: a relation filter takes the project's title (no id lookup).
  const open = await call('notion_query', {
    data_source_id: ds.Tasks.id,
    filter: { Project: 'Website relaunch', Done: false },
  });
  const projectId = demo.projects.pageIds[0]!;
  const expected = await truth.dataSources.query({
    data_source_id: demo.tasks.dataSourceId,
    filter: {
      and: [
        { property: 'Project', relation: { contains: projectId } },
        { property: 'Done', checkbox: { equals: false } },
      ],
    },
  });
  check(
    JSON.stringify(open.rows.map((r: Json) => r.id)) === JSON.stringify(expected.results.map((r) => r.id)),
    "the open tasks are the project's open tasks",
  );

  // 3. One bulk: the new task (linked by title, due, with a paragraph) and the project's status; each answers the
  // compact page, so nothing needs reading back to know what was written.
  const bulk = await call('notion_bulk', {
    ops: [
      {
        op: 'notion_upsert',
        args: {
          data_source_id: ds.Tasks.id,
          unique: { property: 'Name', value: 'Write launch post' },
          properties: { Due: '2026-01-20', Project: ['Website relaunch'] },
          content_markdown: 'Draft due before the relaunch.',
        },
      },
      {
        op: 'notion_upsert',
        args: {
          data_source_id: ds.Projects.id,
          unique: { property: 'Name', value: 'Website relaunch' },
          properties: { Status: 'Done' },
        },
      },
    ],
  });
  check(bulk.succeeded === 2, 'both writes succeeded');
  const [created, updated] = bulk.results.map((r: Json) => r.result);
  check(created.action === 'created' && created.page.properties.Due === '2026-01-20', 'the answer shows the due date');
  check(created.page.properties.Project?.[0]?.id === projectId, 'the answer shows the project');
  check(updated.action === 'updated' && updated.page.properties.Status === 'Done', 'the answer shows the status');
  const taskId: string = created.page.id;
  const task: Json = await truth.pages.retrieve({ page_id: taskId });
  check(plain(task.properties.Name.title) === 'Write launch post', 'the task is in the sandbox');
  check(task.properties.Due.date.start === '2026-01-20', 'its due date is in the sandbox');
  check(task.properties.Project.relation.map((r: Json) => r.id).join() === projectId, 'its project is in the sandbox');
  const blocks: Json = await truth.blocks.children.list({ block_id: taskId });
  check(plain(blocks.results[0]?.paragraph?.rich_text) === 'Draft due before the relaunch.', 'its paragraph too');
  const project: Json = await truth.pages.retrieve({ page_id: projectId });
  check(project.properties.Status.status.name === 'Done', "the project's status is in the sandbox");

  // 4. Read the paragraph back (as Markdown).
  const read = await call('fetch', { id: taskId });
  check(read.text.trim() === 'Draft due before the relaunch.', 'paragraph read back');
  return taskId;
}
