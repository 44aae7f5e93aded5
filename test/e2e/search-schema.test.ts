/**
 * Search hits for data sources carry their schema in the friendly format, so a model goes from a search straight to
 * notion_query or notion_upsert without reading the schema first (issue 16: one lookup call fewer).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let demo: DemoWorkspace;
let client: Client;

beforeAll(async () => {
  sandbox = await startSandbox();
  demo = await seedDemoWorkspace(sandbox);
  gateway = await startGateway({ NOTION_TOKEN: sandbox.token, NOTION_BASE_URL: sandbox.url });
  client = await connectMcp(gateway.url, 'streamable-http', API_TOKEN);
});

afterAll(async () => {
  await client?.close();
  await gateway?.close();
  await sandbox?.close();
});

interface Hit {
  object: string;
  id: string;
  title: string;
  properties?: Record<string, string>;
}

describe('notion_search on the default MCP view', () => {
  it('answers a data source with its schema summary: types, options and relation targets', async () => {
    const found = await client.callTool({ name: 'notion_search', arguments: { query: 'Tasks' } });
    expect(found.isError).toBeFalsy();
    const hits = (found.structuredContent as { results: Hit[] }).results;
    const tasks = hits.find((h) => h.object === 'data_source' && h.id === demo.tasks.dataSourceId);
    expect(tasks?.title).toBe('Tasks');
    // One string a property: the type of each property notion_data_source_get shows, with options and targets.
    const schema = await api(gateway.url)('POST', '/v1/data_sources/get', { data_source_id: demo.tasks.dataSourceId });
    expect(schema.status).toBe(200);
    const full = schema.json.result.properties as Record<string, { type: string }>;
    expect(Object.keys(tasks?.properties ?? {})).toEqual(Object.keys(full));
    for (const [name, p] of Object.entries(full)) expect(tasks?.properties?.[name]?.split(':')[0]).toBe(p.type);
    expect(tasks?.properties).toMatchObject({
      Name: 'title',
      Tags: 'multi_select: backend, frontend',
      Project: `relation: ${demo.projects.dataSourceId}`,
    });
  });

  it('leaves pages without a schema', async () => {
    const found = await client.callTool({
      name: 'notion_search',
      arguments: { query: 'Demo workspace', filter: { property: 'object', value: 'page' } },
    });
    const hits = (found.structuredContent as { results: Hit[] }).results;
    expect(hits.length).toBeGreaterThan(0);
    for (const hit of hits) expect(hit.properties).toBeUndefined();
  });
});
