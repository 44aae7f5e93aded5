/**
 * Issue 16 points 4 and 5 against the sandbox's demo workspace, through REST and MCP: lenient where it is safe
 * (JSON-string arguments, `body: {}` on a GET), precise where it is not (refusals name the field, what was expected
 * and an example).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { api, type RunningGateway } from '../support/gateway.ts';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let gateway: RunningGateway;
let mcp: Client;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'all' });
  ({ sandbox, gateway } = stack);
  mcp = stack.mcp!;
});

afterAll(async () => stack?.close());

beforeEach(async () => {
  demo = await reseed(sandbox);
});

type Surface = 'rest' | 'mcp';
const routes: Record<string, string> = {
  notion_query: '/v1/query',
  notion_upsert: '/v1/upsert',
  notion_link: '/v1/link',
  notion_request: '/v1/notion/request',
  notion_read: '/v1/notion/read',
  notion_page_create: '/v1/pages',
  notion_page_update: '/v1/pages/update',
};

/** One operation through either surface: the result, or the error body. */
async function run(
  surface: Surface,
  tool: string,
  args: Record<string, unknown>,
): Promise<{ result: any; error: any; meta: any }> {
  if (surface === 'rest') {
    const res = await api(gateway.url)('POST', routes[tool]!, args);
    return { result: res.json.result, error: res.json.error, meta: res.json.meta };
  }
  const res = await mcp.callTool({ name: tool, arguments: args });
  if (res.isError) {
    return { result: null, error: JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error, meta: null };
  }
  return { result: res.structuredContent, error: null, meta: res._meta };
}

describe('MCP: object and array arguments sent as JSON strings', () => {
  it('parses a JSON-string object argument, validates it as the object and says so in _meta', async () => {
    const title = 'Stringly typed page';
    const res = await mcp.callTool({
      name: 'notion_request',
      arguments: {
        method: 'POST',
        path: '/v1/pages',
        body: JSON.stringify({
          parent: { type: 'page_id', page_id: demo.rootPageId },
          properties: { title: { title: [{ text: { content: title } }] } },
        }),
      },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta).toMatchObject({ coerced_arguments: ['body'] });
    const created = (res.structuredContent as { response: { id: string } }).response;
    const page = sandbox.requestLog().find((e) => e.method === 'POST' && e.path === '/v1/pages');
    expect(page).toBeTruthy();
    const read = await mcp.callTool({
      name: 'notion_read',
      arguments: { method: 'GET', path: `/v1/pages/${created.id}` },
    });
    const props = (read.structuredContent as any).response.properties;
    expect(props.title.title[0].plain_text).toBe(title);
  });

  it('parses a JSON-string filter object and sorts array of notion_query', async () => {
    const res = await mcp.callTool({
      name: 'notion_query',
      arguments: {
        data_source_id: demo.tasks.dataSourceId,
        filter: JSON.stringify({ Done: false }),
        sorts: '["-Due"]',
      },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta).toMatchObject({ coerced_arguments: ['filter', 'sorts'] });
    const rows = (res.structuredContent as { rows: Array<{ title: string }> }).rows;
    expect(rows.map((r) => r.title)).toEqual(['Export legacy tables', 'Build landing page']);
  });

  it('a string that is not JSON is still refused by the schema, naming the argument', async () => {
    const res = await mcp.callTool({
      name: 'notion_request',
      arguments: { method: 'POST', path: '/v1/pages', body: '{not json' },
    });
    expect(res.isError).toBe(true);
    const error = JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error;
    expect(error.code).toBe('validation_failed');
    expect(JSON.stringify(error)).toContain('/body');
  });

  it('calls without a coerced argument carry no coerced_arguments', async () => {
    const res = await mcp.callTool({
      name: 'notion_read',
      arguments: { method: 'GET', path: `/v1/pages/${demo.rootPageId}` },
    });
    expect(res.isError).toBeFalsy();
    expect(res._meta?.coerced_arguments).toBeUndefined();
  });
});

describe.each(['rest', 'mcp'] as const)('over %s', (surface) => {
  it('ignores body: {} on a GET through the proxy', async () => {
    for (const tool of ['notion_read', 'notion_request']) {
      const { result, error } = await run(surface, tool, {
        method: 'GET',
        path: `/v1/pages/${demo.rootPageId}`,
        body: {},
      });
      expect(error).toBeFalsy();
      expect(result.response.id).toBe(demo.rootPageId);
    }
  });

  it('still refuses a non-empty body on a GET, naming the field and showing an example', async () => {
    const { error } = await run(surface, 'notion_read', {
      method: 'GET',
      path: `/v1/pages/${demo.rootPageId}`,
      body: { page_size: 10 },
    });
    expect(error.code).toBe('bad_request');
    expect(error.message).toMatch(/^body: GET requests take no body/);
    expect(error.message).toContain('"query"');
    expect(error.details).toMatchObject({ field: 'body', pointer: '/body' });
  });
});
