/**
 * Legacy SSE across replicas: two gateways on one PostgreSQL, the stream opened on one and every POST /messages sent
 * to the other (what a balancer without affinity does). Messages are relayed to the replica holding the stream
 * (src/store/sse-relay.ts). Runs under `npm run test:pg` (CI runs it); embedded PGlite serves one process only.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { testDatabaseUrl } from '../support/db.ts';
import { API_TOKEN, api, type RunningGateway, startGatewaysOnOneDatabase } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

const serverUrl = testDatabaseUrl();

/** Opens GET /sse and resolves with the session's POST path once the endpoint event arrives. */
async function openStream(baseUrl: string) {
  const controller = new AbortController();
  const res = await fetch(`${baseUrl}/sse`, {
    headers: { authorization: `Bearer ${API_TOKEN}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
      text += decoder.decode(value, { stream: true });
    }
    return text.match(pattern)!;
  };
  const endpoint = (await until(/event: endpoint\ndata: (\S+)\n/))[1]!;
  return { res, endpoint, until, close: () => controller.abort() };
}

describe.runIf(serverUrl)('legacy SSE on two replicas of one PostgreSQL', () => {
  let sandbox: Sandbox;
  let gateways: RunningGateway[] = [];
  let stopGateways = async () => {};

  beforeAll(async () => {
    sandbox = await startSandbox();
    ({ gateways, close: stopGateways } = await startGatewaysOnOneDatabase(serverUrl!, 2, {
      NOTION_TOKEN: sandbox.token,
      NOTION_BASE_URL: sandbox.url,
    }));
  });

  afterAll(async () => {
    await stopGateways();
    await sandbox?.close();
  });

  it('answers on replica A the calls posted to replica B', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    const client: Client = await connectMcp(a.url, 'sse', API_TOKEN, { postTo: b.url });
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('connections_list');
      const listed = await client.callTool({ name: 'connections_list', arguments: {} });
      expect(listed.isError).toBeFalsy();
      expect((listed.structuredContent as { connections: unknown[] }).connections).toHaveLength(1);
      // Both replicas answered a POST: B relayed, A held the stream.
      expect(b.logs.some((line) => line.includes('/messages'))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('relays a refusal of bad params onto the stream, and forgets a closed session', async () => {
    const [a, b] = gateways as [RunningGateway, RunningGateway];
    const stream = await openStream(a.url);
    expect(stream.res.headers.get('x-accel-buffering')).toBe('no');
    const post = (body: unknown) => api(b.url)('POST', stream.endpoint, body);
    const accepted = await post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { arguments: 'nope' } });
    expect(accepted.status).toBe(202);
    const [event] = await stream.until(/event: message\ndata: (.*"id":7.*)\n/);
    const answer = JSON.parse(event.split('data: ')[1]!);
    expect(answer.error.code).toBe(-32602);

    // Not JSON-RPC at all: refused by the forwarding replica itself.
    const invalid = await post({ hello: 'world' });
    expect(invalid.status).toBe(400);
    expect(invalid.json.error.code).toBe('bad_request');

    stream.close();
    await expect
      .poll(async () => (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status)
      .toBe(404);
  });

  it('answers 404 for a session no replica holds, whatever its id looks like', async () => {
    const [, b] = gateways as [RunningGateway, RunningGateway];
    for (const id of ['not-a-session', '00000000-0000-4000-8000-000000000000']) {
      const res = await api(b.url)('POST', `/messages?sessionId=${id}`, { jsonrpc: '2.0', id: 1, method: 'ping' });
      expect(res.status).toBe(404);
      expect(res.json.error.code).toBe('not_found');
    }
  });
});
