/**
 * The realistic task of issue 16 (find Tasks and Projects, list a project's open tasks, create a task linked to it
 * with a due date, set the project's status, append a paragraph, read it back) through our default MCP view (the bare
 * /mcp) and through the official Notion MCP server (@notionhq/notion-mcp-server over stdio), both against one
 * sandbox, in one run. Prints calls and characters (tools/list, arguments, results, total) for both.
 *   npm run bench:task             (--detail: each call's arguments and result, and each listed tool's size)
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Client as Notion } from '@notionhq/client';
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { startSandbox } from '../notion-sandbox/index.ts';
import { seedDemoWorkspace } from '../notion-sandbox/seed.ts';
import { makeTempDir, removeTempDir, root } from './lib.ts';
import { check, runTask } from './task-plan.ts';

// biome-ignore lint/suspicious/noExplicitAny: tool results are JSON read field by field, each one checked.
type Json = any;

const detail = process.argv.includes('--detail');

interface Figures {
  calls: number;
  toolsList: number;
  args: number;
  results: number;
}

function meter(client: Client, figures: Figures) {
  return async (name: string, args: Record<string, unknown>): Promise<Json> => {
    figures.calls++;
    figures.args += JSON.stringify(args).length;
    const result = await client.callTool({ name, arguments: args });
    figures.results += JSON.stringify(result).length;
    if (detail) {
      console.log(`${name}: args ${JSON.stringify(args).length}, result ${JSON.stringify(result).length}`);
      console.log(`  ${JSON.stringify(result.structuredContent ?? result.content)}`);
    }
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
    const text = (result.content as Array<{ type: string; text?: string }>)[0]?.text ?? '{}';
    return result.structuredContent ?? JSON.parse(text);
  };
}

const sandbox = await startSandbox();
const demo = await seedDemoWorkspace(sandbox);
const truth = new Notion({ auth: sandbox.token, baseUrl: sandbox.url });
const dataDir = makeTempDir();
const config = loadConfig({
  ...process.env,
  NOTION_TOKEN: sandbox.token,
  NOTION_BASE_URL: sandbox.url,
  MCP_AUTH: 'none',
  LOG_LEVEL: 'silent',
  DATA_DIR: dataDir,
  MCP_TOOLSETS: '',
});
const gateway = await createGateway(config, createLogger('silent'));
const { url } = await gateway.listen(0, '127.0.0.1');
const rows: Array<[string, Figures]> = [];
try {
  // Ours: the default view.
  {
    const client = new Client({ name: 'bench-task', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
    const { tools } = await client.listTools();
    if (detail) for (const t of tools) console.log(`listed ${t.name}: ${JSON.stringify(t).length}`);
    const figures: Figures = { calls: 0, toolsList: JSON.stringify(tools).length, args: 0, results: 0 };
    await runTask(meter(client, figures), truth, demo);
    rows.push(['ours, default /mcp', figures]);
    await client.close();
  }
  // The official server over stdio.
  {
    const client = new Client({ name: 'bench-task', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [join(root, 'node_modules/@notionhq/notion-mcp-server/bin/cli.mjs')],
        env: {
          PATH: process.env.PATH ?? '',
          BASE_URL: sandbox.url,
          OPENAPI_MCP_HEADERS: JSON.stringify({
            Authorization: `Bearer ${sandbox.token}`,
            'Notion-Version': '2025-09-03',
          }),
        },
        stderr: 'ignore',
      }),
    );
    const figures: Figures = {
      calls: 0,
      toolsList: JSON.stringify((await client.listTools()).tools).length,
      args: 0,
      results: 0,
    };
    const call = meter(client, figures);
    const found = await call('API-post-search', { filter: { property: 'object', value: 'data_source' } });
    const title = (o: Json) => (o.title ?? []).map((t: Json) => t.plain_text).join('');
    const ds = Object.fromEntries(found.results.map((o: Json) => [title(o), o]));
    check(ds.Tasks?.id === demo.tasks.dataSourceId, 'Tasks found');
    const projects = await call('API-query-data-source', {
      data_source_id: ds.Projects.id,
      filter: { property: 'Name', title: { equals: 'Website relaunch' } },
    });
    const projectId = projects.results[0].id;
    const open = await call('API-query-data-source', {
      data_source_id: ds.Tasks.id,
      filter: {
        and: [
          { property: 'Project', relation: { contains: projectId } },
          { property: 'Done', checkbox: { equals: false } },
        ],
      },
    });
    // Ours ran first: its new task is open too.
    check(open.results.length === 2, 'two open tasks');
    const page = await call('API-post-page', {
      parent: { data_source_id: ds.Tasks.id },
      properties: {
        Name: { title: [{ text: { content: 'Write launch post (official)' } }] },
        Due: { date: { start: '2026-01-20' } },
        Project: { relation: [{ id: projectId }] },
      },
      children: [{ paragraph: { rich_text: [{ text: { content: 'Draft due before the relaunch.' } }] } }],
    });
    await call('API-patch-page', { page_id: projectId, properties: { Status: { status: { name: 'Done' } } } });
    const read = await call('API-get-block-children', { block_id: page.id });
    check(JSON.stringify(read).includes('Draft due before the relaunch.'), 'paragraph read back');
    rows.push(['official @notionhq/notion-mcp-server', figures]);
    await client.close();
  }
} finally {
  await gateway.close();
  await sandbox.close();
  removeTempDir(dataDir);
}

console.log('| plan | calls | tools/list chars | args chars | results chars | total chars |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const [name, f] of rows) {
  const n = (v: number) => v.toLocaleString('en-US');
  console.log(
    `| ${name} | ${f.calls} | ${n(f.toolsList)} | ${n(f.args)} | ${n(f.results)} | ${n(f.toolsList + f.args + f.results)} |`,
  );
}
