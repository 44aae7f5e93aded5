/**
 * The log of a request (issue 18.4): every pino line written while serving one REST call, one MCP call (Streamable
 * HTTP) and one legacy SSE call carries the request id, the principal, the operation and the connection; no line
 * carries the operator's token or the Notion token, whatever the level (the gateway logs at debug here).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

const NOTION_TOKEN = 'secret_request_logs_workspace_4f1c';
let sandbox: Sandbox;
let gateway: RunningGateway;
let connectionId: string;
const clients: Client[] = [];

type Line = Record<string, unknown>;
const lines = (from: number): Line[] => gateway.logs.slice(from).map((l) => JSON.parse(l) as Line);

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: NOTION_TOKEN, name: 'Logs' }] });
  gateway = await startGateway({ NOTION_TOKEN, NOTION_BASE_URL: sandbox.url });
  const list = await api(gateway.url)('GET', '/v1/connections');
  connectionId = list.json.result.connections[0].connection_id;
});

afterAll(async () => {
  for (const c of clients) await c.close();
  await gateway?.close();
  await sandbox?.close();
});

/** Every line, and at least the engine's line and (over HTTP) the access line, names the four fields. */
function expectTraced(traced: Line[], requestId: string, operation: string) {
  expect(traced.length).toBeGreaterThanOrEqual(2);
  for (const line of traced) {
    expect(line, String(line.msg)).toMatchObject({
      request_id: requestId,
      principal: 'operator',
      operation,
      connection_id: connectionId,
    });
  }
}

function expectNoSecret(from: number) {
  const text = gateway.logs.slice(from).join('\n');
  expect(text).not.toContain(API_TOKEN);
  expect(text).not.toContain(NOTION_TOKEN);
}

describe('request logs', () => {
  it('REST: each line of a write carries request id, principal, operation and connection, and no token', async () => {
    const from = gateway.logs.length;
    const res = await api(gateway.url)('POST', '/v1/notion/request', {
      method: 'POST',
      path: '/v1/pages',
      body: {
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'Logged page' } }] } },
      },
    });
    expect(res.status).toBe(200);
    const requestId = res.json.meta.request_id as string;
    const mine = lines(from).filter((l) => l.request_id === requestId);
    expect(mine.map((l) => l.msg)).toContain('request');
    expectTraced(mine, requestId, 'notion_request');
    // Nothing of this request was logged without its id.
    expect(lines(from).filter((l) => l.request_id === undefined)).toEqual([]);
    expectNoSecret(from);
  });

  it('MCP over Streamable HTTP: the tools/call request is traced the same way', async () => {
    const mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'core' });
    clients.push(mcp);
    const from = gateway.logs.length;
    const answer = await mcp.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } });
    expect(answer.isError).toBeFalsy();
    const requestId = (answer._meta as { request_id: string }).request_id;
    const mine = lines(from).filter((l) => l.request_id === requestId);
    expect(mine.map((l) => l.msg)).toContain('request');
    expect(mine.find((l) => l.msg === 'request')).toMatchObject({ path: '/mcp', status: 200 });
    expectTraced(mine, requestId, 'notion_read');
    expect(lines(from).filter((l) => l.request_id === undefined)).toEqual([]);
    expectNoSecret(from);
  });

  it('MCP over legacy SSE: the call runs on the stream, its lines carry its own request id and the session', async () => {
    const sse = await connectMcp(gateway.url, 'sse', API_TOKEN, { toolsets: 'core' });
    clients.push(sse);
    const from = gateway.logs.length;
    const answer = await sse.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } });
    expect(answer.isError).toBeFalsy();
    const requestId = (answer._meta as { request_id: string }).request_id;
    const mine = lines(from).filter((l) => l.request_id === requestId);
    // The POST /messages that carried it answered 202 at once (its own access line); the call's lines follow.
    expect(mine.length).toBeGreaterThanOrEqual(1);
    for (const line of mine) {
      expect(line).toMatchObject({ principal: 'operator', operation: 'notion_read', connection_id: connectionId });
      expect(typeof line.sse_session).toBe('string');
    }
    expect(lines(from).filter((l) => l.request_id === undefined)).toEqual([]);
    expectNoSecret(from);
  });
});
