/**
 * MCP surface end to end with the SDK's own Client, over Streamable HTTP (/mcp) and legacy SSE (/sse + /messages),
 * against the Notion sandbox. The Client checks each structuredContent against the tool's outputSchema.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { conformsTo } from '../support/contract.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp, type McpTransportKind } from '../support/mcp.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: 'secret_mcp_e2e', name: 'MCP workspace' }] });
  gateway = await startGateway({ NOTION_TOKEN: 'secret_mcp_e2e', NOTION_BASE_URL: sandbox.url });
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

const DEFAULT_TOOLS = [
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
];

const text = (result: unknown) => (result as { content: Array<{ type: string; text: string }> }).content[0]!.text;

describe.each<McpTransportKind>(['streamable-http', 'sse'])('MCP over %s', (kind) => {
  let client: Client;

  beforeAll(async () => {
    client = await connectMcp(gateway.url, kind, API_TOKEN);
  });
  afterAll(async () => {
    await client?.close();
  });

  it('lists the generated tools with annotations and output schemas', async () => {
    const { tools } = await client.listTools();
    // The default toolsets (core, research, rows, jobs); audit_list and the job housekeeping are in `admin`, the page
    // tools in `pages`.
    expect(tools.map((t) => t.name).sort()).toEqual(DEFAULT_TOOLS);
    for (const tool of tools) {
      expect(tool.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
      expect(tool.outputSchema?.type).toBe('object');
      // readOnlyHint always; the other hints where they differ from MCP's defaults (test/contract/mcp-tools.test.ts).
      expect(typeof tool.annotations?.readOnlyHint).toBe('boolean');
    }
    expect(client.getServerVersion()?.name).toBe('notion-gateway');
  });

  it('gives instructions that name the listed tools and no other', async () => {
    const instructions = client.getInstructions() ?? '';
    for (const name of ['notion_query', 'notion_upsert', 'notion_link', 'notion_bulk', 'notion_job_start', 'fetch']) {
      expect(instructions).toContain(name);
    }
    expect(instructions).toContain('idempotency_key');
    expect(instructions).not.toMatch(/notion_page_create|audit_list/);
    const narrow = await connectMcp(gateway.url, kind, API_TOKEN, { toolsets: 'core' });
    try {
      const said = narrow.getInstructions() ?? '';
      expect(said).toContain('notion_request');
      const named = said.match(/\b(notion_[a-z_]+|search|fetch|connections_list|audit_list)\b/g) ?? [];
      const listed = (await narrow.listTools()).tools.map((t) => t.name);
      expect([...new Set(named)].filter((n) => !listed.includes(n))).toEqual([]);
    } finally {
      await narrow.close();
    }
  });

  it('creates a page through notion_request and finds it with notion_search', async () => {
    const title = `Inbox ${kind}`;
    const created = await client.callTool({
      name: 'notion_request',
      arguments: {
        method: 'POST',
        path: '/v1/pages',
        body: {
          parent: { type: 'workspace', workspace: true },
          properties: { title: { title: [{ text: { content: title } }] } },
        },
      },
    });
    expect(created.isError).toBeFalsy();
    const structured = created.structuredContent as { response: { id: string; object: string } };
    expect(structured.response.object).toBe('page');
    expect(JSON.parse(text(created))).toEqual(structured);

    const found = await client.callTool({ name: 'notion_search', arguments: { query: title } });
    const hits = (found.structuredContent as { results: Array<{ id: string; title: string }> }).results;
    expect(hits).toEqual([expect.objectContaining({ id: structured.response.id, title })]);
  });

  it('returns engine errors as isError results carrying the envelope error code', async () => {
    const refused = await client.callTool({
      name: 'notion_request',
      arguments: { method: 'GET', path: '/v1/oauth/token' },
    });
    expect(refused.isError).toBe(true);
    const payload = JSON.parse(text(refused));
    expect(payload.error.code).toBe('path_not_allowed');
    conformsTo('ErrorBody', payload.error);
    expect(typeof payload.meta.request_id).toBe('string');
  });

  it('validates arguments against the tool schema and names the failing pointer', async () => {
    const bad = await client.callTool({ name: 'notion_request', arguments: { method: 'PUT', path: '/v1/users/me' } });
    expect(bad.isError).toBe(true);
    const payload = JSON.parse(text(bad));
    expect(payload.error).toMatchObject({
      code: 'validation_failed',
      details: { pointer: '/method', location: 'arguments' },
    });
    const typo = await client.callTool({ name: 'notion_search', arguments: { qurey: 'x' } });
    expect(JSON.parse(text(typo)).error.details.pointer).toBe('/qurey');
  });

  it('answers an unknown tool with a protocol error', async () => {
    await expect(client.callTool({ name: 'notion_nothing', arguments: {} })).rejects.toThrow(/Unknown tool/);
  });
});

describe('MCP authentication', () => {
  it.each<McpTransportKind>(['streamable-http', 'sse'])('refuses %s without the bearer token', async (kind) => {
    // Streamable HTTP surfaces the envelope's code, the SSE client the status.
    const refused = kind === 'sse' ? /\(401\)/ : /"code":"unauthorized"/;
    await expect(connectMcp(gateway.url, kind, null)).rejects.toThrow(refused);
    await expect(connectMcp(gateway.url, kind, 'wrong-token-000000000')).rejects.toThrow(refused);
  });

  it('answers 401 with WWW-Authenticate and the error envelope', async () => {
    const res = await api(gateway.url, null)('POST', '/mcp', { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect(res.json.error.code).toBe('unauthorized');
  });

  it('refuses GET on the stateless endpoint and posts to unknown SSE sessions', async () => {
    const get = await api(gateway.url)('GET', '/mcp');
    expect(get.status).toBe(405);
    expect(get.json.error.code).toBe('method_not_allowed');
    const orphan = await api(gateway.url)('POST', '/messages?sessionId=nope', {
      jsonrpc: '2.0',
      id: 1,
      method: 'ping',
    });
    expect(orphan.status).toBe(404);
  });

  it('answers the HTTP exchanges of Streamable HTTP: 202 for a notification, 406 without both media types', async () => {
    const post = (body: unknown, accept: string) =>
      fetch(`${gateway.url}/mcp`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json', accept },
        body: JSON.stringify(body),
      });
    const both = 'application/json, text/event-stream';
    const notified = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, both);
    expect(notified.status).toBe(202);
    expect(notified.headers.get('content-type')).toBeNull();
    expect(await notified.text()).toBe('');
    const refused = await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, 'application/json');
    expect(refused.status).toBe(406);
    expect(await refused.json()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32000 } });
    const batch = await post(
      [
        { jsonrpc: '2.0', id: 'a', method: 'ping' },
        { jsonrpc: '2.0', id: 'b', method: 'tools/list' },
      ],
      both,
    );
    const answers = (await batch.json()) as Array<{ id: string; result: Record<string, unknown> }>;
    expect(answers.map((a) => a.id)).toEqual(['a', 'b']);
    expect(answers[1]!.result.tools).toHaveLength(DEFAULT_TOOLS.length);
    // A batch over the SDK's bound (100 messages) is refused as a whole; one at the bound is answered.
    const pings = (n: number) => Array.from({ length: n }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' }));
    const tooMany = await post(pings(101), both);
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({ error: { code: -32600 } });
    const atBound = await post(pings(100), both);
    expect(atBound.status).toBe(200);
    expect((await atBound.json()) as unknown[]).toHaveLength(100);
  });

  it('runs unauthenticated only when MCP_AUTH=none is set explicitly', async () => {
    const open = await startGateway({ NOTION_TOKEN: 'secret_mcp_e2e', NOTION_BASE_URL: sandbox.url, MCP_AUTH: 'none' });
    try {
      const client = await connectMcp(open.url, 'streamable-http', null);
      const { tools } = await client.listTools();
      expect(tools.length).toBe(DEFAULT_TOOLS.length);
      await client.close();
      // The REST surface keeps its bearer token whatever MCP_AUTH says.
      expect((await api(open.url, null)('GET', '/v1/connections')).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});
