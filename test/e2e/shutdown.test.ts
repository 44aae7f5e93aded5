/**
 * Graceful shutdown (what SIGTERM runs, src/main.ts → gateway.close()): a request in flight finishes and its answer
 * closes the connection, /health answers 503 `draining` meanwhile, an open SSE stream ends with a `retry:` hint, and
 * then nothing listens any more.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, startGateway } from '../support/gateway.ts';

describe('graceful shutdown', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });

  afterAll(async () => {
    await sandbox?.close();
  });

  it('finishes in-flight work, reports draining, ends SSE with a retry hint, then stops listening', async () => {
    const gateway = await startGateway({
      NOTION_TOKEN: sandbox.token,
      NOTION_BASE_URL: sandbox.url,
      SHUTDOWN_GRACE_MS: '20000',
    });
    const call = api(gateway.url);
    expect((await call('GET', '/health')).json.result.status).toBe('ok');

    const stream = await fetch(`${gateway.url}/sse`, { headers: { authorization: `Bearer ${API_TOKEN}` } });
    const streamText = new Response(stream.body).text();

    // A Notion call that takes 3 s is in flight when the shutdown starts (the sandbox logs a request once answered).
    sandbox.clearRequestLog();
    sandbox.setLatency(3000);
    const slow = fetch(`${gateway.url}/v1/notion/read`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'GET', path: '/v1/users/me' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(sandbox.requestLog().some((e) => e.path === '/v1/users/me')).toBe(false);
    const closed = gateway.close();

    const health = await call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.json.error.code).toBe('draining');

    const answered = await slow;
    expect(answered.status).toBe(200);
    expect(answered.headers.get('connection')).toBe('close');
    const body = (await answered.json()) as { ok: boolean; result: unknown };
    expect(body.ok).toBe(true);
    expect(JSON.stringify(body.result)).toContain('"object":"user"');

    await closed;
    const text = await streamText;
    expect(text).toMatch(/event: endpoint/);
    expect(text).toMatch(/retry: \d+\n\n$/);
    await expect(fetch(`${gateway.url}/health`)).rejects.toThrow();
    sandbox.setLatency(0);
  });
});
