/**
 * The realistic task of issue 16 on the bare /mcp URL (the default view), with the SDK's own client, every step
 * verified against the sandbox: find Tasks and Projects, list a project's open tasks, create a task linked to it with
 * a due date and a paragraph, set the project's status, read the paragraph back. In ≤ 5 calls; the characters it
 * costs (tools/list, arguments, results) are printed.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as Notion } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let demo: DemoWorkspace;
let client: Client;
let notion: Notion;

beforeAll(async () => {
  sandbox = await startSandbox();
  demo = await seedDemoWorkspace(sandbox);
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
  client = await connectMcp(gateway.url, 'streamable-http', API_TOKEN);
  notion = new Notion({ auth: sandbox.token, baseUrl: sandbox.url });
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await sandbox?.close();
});

describe('the realistic task on the default view', () => {
  it('takes ≤ 5 calls, each verified against the sandbox', { timeout: 60_000 }, async () => {
    const figures = { calls: 0, toolsList: 0, args: 0, results: 0 };
    const { tools } = await client.listTools();
    figures.toolsList = JSON.stringify(tools).length;
    const call = async (name: string, args: Record<string, unknown>) => {
      figures.calls++;
      figures.args += JSON.stringify(args).length;
      const result = await client.callTool({ name, arguments: args });
      figures.results += JSON.stringify(result).length;
      expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
      return result.structuredContent as any;
    };

    // 1. Find Tasks and Projects: the hits carry their schemas (no schema lookup).
    const found = await call('notion_search', { filter: { property: 'object', value: 'data_source' } });
    const byTitle = Object.fromEntries(found.results.map((h: any) => [h.title, h]));
    expect(byTitle.Tasks.id).toBe(demo.tasks.dataSourceId);
    expect(byTitle.Projects.id).toBe(demo.projects.dataSourceId);
    expect(byTitle.Tasks.properties.Project).toMatchObject({ type: 'relation', target: demo.projects.dataSourceId });

    // 2. The project's id (a relation filter takes an id).
    const projects = await call('notion_query', {
      data_source_id: byTitle.Projects.id,
      filter: { Name: 'Website relaunch' },
    });
    expect(projects.rows).toHaveLength(1);
    const projectId: string = projects.rows[0].id;
    expect(projectId).toBe(demo.projects.pageIds[0]);

    // 3. Its open tasks.
    const open = await call('notion_query', {
      data_source_id: byTitle.Tasks.id,
      filter: { Project: projectId, Done: false },
    });
    expect(open.rows.map((r: any) => r.title)).toEqual(['Build landing page']);

    // 4. One bulk: the new task (linked, due, with a paragraph) and the project's status.
    const bulk = await call('notion_bulk', {
      idempotency_key: 'task-test',
      ops: [
        {
          op: 'notion_upsert',
          args: {
            data_source_id: byTitle.Tasks.id,
            unique: { property: 'Name', value: 'Write launch post' },
            properties: { Due: '2026-01-20', Project: [projectId] },
            content_markdown: 'Draft due before the relaunch.',
          },
        },
        {
          op: 'notion_upsert',
          args: {
            data_source_id: byTitle.Projects.id,
            unique: { property: 'Name', value: 'Website relaunch' },
            properties: { Status: 'Done' },
          },
        },
      ],
    });
    expect(bulk).toMatchObject({ succeeded: 2, failed: 0 });
    const taskId: string = bulk.results[0].result.page.id;

    // 5. Read the paragraph back.
    const read = await call('notion_read', { method: 'GET', path: `/v1/blocks/${taskId}/children` });
    const texts = read.response.results.map((b: any) => b.paragraph?.rich_text?.map((t: any) => t.plain_text).join(''));
    expect(texts).toContain('Draft due before the relaunch.');

    // The sandbox holds what the calls said.
    const task = (await notion.pages.retrieve({ page_id: taskId })) as any;
    expect(task.properties.Due.date.start).toBe('2026-01-20');
    expect(task.properties.Project.relation.map((r: any) => r.id)).toEqual([projectId]);
    const project = (await notion.pages.retrieve({ page_id: projectId })) as any;
    expect(project.properties.Status.status.name).toBe('Done');

    const total = figures.toolsList + figures.args + figures.results;
    console.log(`task on the default view: ${JSON.stringify({ ...figures, total })}`);
    expect(figures.calls).toBeLessThanOrEqual(5);
  });
});
