/**
 * GET /metrics (issue 18.4) against the Notion sandbox: after REST and MCP calls (one replayed idempotent write, one
 * Notion 429 retried by the SDK), the Prometheus exposition counts them; without the operator's token it is a 401
 * envelope; no token value appears in it.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { expectError } from '../support/contract.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

const NOTION_TOKEN = 'secret_metrics_workspace';
let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
let call: ReturnType<typeof api>;
let connectionId: string;

/** The samples of an exposition: `name{labels} value` → value, labels as written by prom-client. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(url = gateway.url) {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
  const text = await res.text();
  return { res, text, values: samples(text) };
}

const value = (values: Map<string, number>, key: string) => values.get(key) ?? 0;

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: NOTION_TOKEN, name: 'Metrics' }] });
  gateway = await startGateway({ NOTION_TOKEN, NOTION_BASE_URL: sandbox.url });
  call = api(gateway.url);
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'core,admin' });
  const list = await call('GET', '/v1/connections');
  connectionId = list.json.result.connections[0].connection_id;
});

afterAll(async () => {
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

describe('GET /metrics', () => {
  it('counts REST and MCP calls, a replayed write, a Notion 429 and its retry, per operation and connection', async () => {
    const before = (await scrape()).values;
    const conn = `connection_id="${connectionId}"`;

    // REST: one read, and one write sent twice with the same key (the second is a replay).
    expect((await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' })).status).toBe(200);
    const write = {
      method: 'POST',
      path: '/v1/pages',
      body: {
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'Metrics page' } }] } },
      },
      idempotency_key: `metrics-${Math.random().toString(36).slice(2)}`,
    };
    const first = await call('POST', '/v1/notion/request', write);
    expect(first.status).toBe(200);
    const second = await call('POST', '/v1/notion/request', write);
    expect(second.status).toBe(200);
    expect(second.json.meta.idempotent_replay).toBe(true);

    // MCP: one read, answered by Notion with a 429 first (the SDK waits and sends it again).
    sandbox.addFault({ status: 429, count: 1, routes: ['/v1/users/me'], retryAfter: 0 });
    const viaMcp = await mcp.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } });
    expect(viaMcp.isError).toBeFalsy();

    const { res, text, values } = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const delta = (key: string) => value(values, key) - value(before, key);

    expect(delta('gateway_requests_total{operation="notion_read",transport="rest",status="ok"}')).toBe(1);
    expect(delta('gateway_requests_total{operation="notion_request",transport="rest",status="ok"}')).toBe(2);
    expect(delta('gateway_requests_total{operation="notion_read",transport="mcp",status="ok"}')).toBe(1);
    expect(delta('gateway_idempotent_replays_total{operation="notion_request"}')).toBe(1);
    expect(delta('gateway_request_duration_seconds_count{operation="notion_request"}')).toBe(2);
    expect(delta('gateway_request_duration_seconds_count{operation="notion_read"}')).toBe(2);
    // Notion saw: the REST read, the first write (the replay never reached it), the 429 and the MCP read's retry.
    expect(delta(`gateway_notion_requests_total{${conn}}`)).toBe(4);
    expect(delta(`gateway_notion_rate_limited_total{${conn}}`)).toBe(1);
    expect(delta(`gateway_notion_retries_total{${conn}}`)).toBe(1);
    expect(sandbox.requestLog().filter((e) => e.path === '/v1/pages' && e.method === 'POST')).toHaveLength(1);

    // State read on scrape: no job queued, no SSE session open; the pace series exist (here: never waited).
    expect(values.get('gateway_jobs_queued')).toBe(0);
    expect(values.get('gateway_jobs_oldest_queued_age_seconds')).toBe(0);
    expect(values.get('gateway_sse_sessions')).toBe(0);
    expect(text).toContain('# TYPE gateway_notion_pace_waits_total counter');

    // No secret in the exposition.
    expect(text).not.toContain(API_TOKEN);
    expect(text).not.toContain(NOTION_TOKEN);
  });

  it('counts a legacy SSE session while it is open and its calls under transport="sse"', async () => {
    const before = (await scrape()).values;
    const sse = await connectMcp(gateway.url, 'sse', API_TOKEN, { toolsets: 'core,admin' });
    try {
      const res = await sse.callTool({ name: 'notion_read', arguments: { method: 'GET', path: '/v1/users/me' } });
      expect(res.isError).toBeFalsy();
      const { values } = await scrape();
      expect(values.get('gateway_sse_sessions')).toBe(1);
      const key = 'gateway_requests_total{operation="notion_read",transport="sse",status="ok"}';
      expect(value(values, key) - value(before, key)).toBe(1);
    } finally {
      await sse.close();
    }
  });

  it('counts a refused call under its error code', async () => {
    const key = 'gateway_requests_total{operation="notion_read",transport="rest",status="notion_request_blocked"}';
    const before = (await scrape()).values;
    sandbox.addFault({
      status: 429,
      rateLimitReason: 'public_api_request_blocked',
      count: 1,
      routes: ['/v1/users/me'],
    });
    expectError(
      await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' }),
      429,
      'notion_request_blocked',
    );
    expect(value((await scrape()).values, key) - value(before, key)).toBe(1);
  });

  it('counts pace waits per connection', async () => {
    // Burst 1 at 600 a minute: of three reads sent at once, one goes at once and two wait for their turn.
    const paced = await startGateway({
      NOTION_TOKEN,
      NOTION_BASE_URL: sandbox.url,
      NOTION_RATE_LIMIT_PER_MINUTE: '600',
      NOTION_RATE_BURST: '1',
    });
    try {
      const pacedCall = api(paced.url);
      const pacedId = (await pacedCall('GET', '/v1/connections')).json.result.connections[0].connection_id as string;
      const key = `gateway_notion_pace_waits_total{connection_id="${pacedId}"}`;
      const before = (await scrape(paced.url)).values;
      const reads = await Promise.all(
        [1, 2, 3].map(() => pacedCall('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' })),
      );
      expect(reads.map((r) => r.status)).toEqual([200, 200, 200]);
      const { values } = await scrape(paced.url);
      expect(value(values, key) - value(before, key)).toBe(2);
      expect(value(values, `gateway_notion_pace_wait_seconds_total{connection_id="${pacedId}"}`)).toBeGreaterThan(0);
      // Each gateway counts into its own registry: the other gateway in this process saw none of these waits.
      expect((await scrape()).text).not.toContain(pacedId);
    } finally {
      await paced.close();
    }
  });

  it('answers a 401 envelope without the operator token, or with another one', async () => {
    for (const token of [null, 'not-the-token-at-all']) {
      const res = await api(gateway.url, token)('GET', '/metrics');
      expectError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(res.text).not.toContain('gateway_requests_total');
    }
  });

  it('logs each request with its request id, principal, operation and connection', async () => {
    const res = await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    const requestId = res.json.meta.request_id as string;
    const lines = gateway.logs.map((l) => JSON.parse(l)).filter((l) => l.request_id === requestId);
    const access = lines.find((l) => l.msg === 'request');
    expect(access).toMatchObject({
      request_id: requestId,
      principal: 'operator',
      operation: 'notion_read',
      connection_id: connectionId,
      status: 200,
    });
  });
});
