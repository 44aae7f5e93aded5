/**
 * ChatGPT's deep-research pair (`search`, `fetch`) in exactly the shape it expects, and MCP toolsets: the default
 * set, choosing others on the URL, and read-only mode listing reads only.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let readOnly: RunningGateway;
const clients: Client[] = [];

async function client(gw: RunningGateway, toolsets?: string): Promise<Client> {
  const c = await connectMcp(gw.url, 'streamable-http', API_TOKEN, { toolsets });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  sandbox = await startSandbox();
  demo = await seedDemoWorkspace(sandbox, sandbox.token);
  const env = { NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url };
  [gateway, readOnly] = await Promise.all([startGateway(env), startGateway({ ...env, READ_ONLY: 'true' })]);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gateway?.close();
  await readOnly?.close();
  await sandbox?.close();
});

const names = async (c: Client) => (await c.listTools()).tools.map((t) => t.name).sort();

describe('deep research tools', () => {
  it('search answers {results:[{id,title,url}]} with absolute notion.so links', async () => {
    const mcp = await client(gateway);
    const res = await mcp.callTool({ name: 'search', arguments: { query: 'Projects' } });
    expect(res.isError).toBeFalsy();
    const { results } = res.structuredContent as { results: Array<Record<string, string>> };
    expect(results.length).toBeGreaterThan(0);
    for (const hit of results) {
      expect(Object.keys(hit).sort()).toEqual(['id', 'title', 'url']);
      expect(hit.url).toMatch(/^https:\/\/www\.notion\.so\//);
    }
    expect(results.map((r) => r.id)).toContain(demo.projects.dataSourceId);
  });

  it('fetch answers a page as Markdown, by id or by its notion.so URL', async () => {
    const mcp = await client(gateway);
    const byId = await mcp.callTool({ name: 'fetch', arguments: { id: demo.rootPageId } });
    expect(byId.isError).toBeFalsy();
    const doc = byId.structuredContent as { id: string; title: string; text: string; url: string; metadata: any };
    expect(doc.id).toBe(demo.rootPageId);
    expect(doc.title.length).toBeGreaterThan(0);
    expect(doc.text.length).toBeGreaterThan(0);
    expect(doc.metadata).toMatchObject({ object: 'page', truncated: false });
    const byUrl = await mcp.callTool({ name: 'fetch', arguments: { id: doc.url } });
    expect((byUrl.structuredContent as { id: string }).id).toBe(demo.rootPageId);
  });

  it('fetch describes a data source by its properties', async () => {
    const mcp = await client(gateway);
    const res = await mcp.callTool({ name: 'fetch', arguments: { id: demo.tasks.dataSourceId } });
    const doc = res.structuredContent as { text: string; metadata: { object: string } };
    expect(doc.metadata.object).toBe('data_source');
    expect(doc.text).toContain('## Properties');
  });

  it('fetch refuses what is not an id', async () => {
    const mcp = await client(gateway);
    const res = await mcp.callTool({ name: 'fetch', arguments: { id: 'not an id' } });
    expect(res.isError).toBe(true);
    const error = JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error;
    expect(error.code).toBe('invalid_id');
    expect(error.details.pointer).toBe('/id');
  });
});

describe('toolsets', () => {
  it('the default toolsets are core, research, rows and jobs', async () => {
    expect(await names(await client(gateway))).toEqual([
      'connections_list',
      'fetch',
      'notion_bulk',
      'notion_job_get',
      'notion_job_start',
      'notion_link',
      'notion_query',
      'notion_read',
      'notion_request',
      'notion_search',
      'notion_undo',
      'notion_upsert',
      'search',
    ]);
    expect(await names(await client(gateway, 'core,research'))).toEqual([
      'connections_list',
      'fetch',
      'notion_read',
      'notion_request',
      'notion_search',
      'search',
    ]);
  });

  it('a client picks others on the URL; a tool outside them cannot be called', async () => {
    const admin = await client(gateway, 'admin');
    expect(await names(admin)).toEqual(['audit_list', 'notion_job_cancel', 'notion_job_list']);
    await expect(
      admin.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } }),
    ).rejects.toThrow(/-32602.*Unknown tool: notion_read/);
    expect(await names(await client(gateway, 'all'))).toContain('audit_list');
  });

  it('an unknown toolset is refused, naming the known ones', async () => {
    await expect(client(gateway, 'bogus')).rejects.toThrow(/core, research, rows, databases, pages, jobs, admin/);
  });

  it('READ_ONLY lists and allows only read-only tools', async () => {
    const mcp = await client(readOnly, 'all');
    const { tools } = await mcp.listTools();
    expect(tools.length).toBeGreaterThan(0);
    for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
    expect(tools.map((t) => t.name)).not.toContain('notion_request');
    await expect(
      mcp.callTool({ name: 'notion_request', arguments: { method: 'GET', path: '/v1/users/me' } }),
    ).rejects.toThrow(/Unknown tool: notion_request/);
  });
});
