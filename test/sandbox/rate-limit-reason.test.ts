// 429 bodies carry Notion's `rate_limit_reason`: 'request_rate' (throttled; retry after Retry-After) or
// 'public_api_request_blocked' (blocked; a client must not retry — injected with FaultSpec.rateLimitReason).
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';

const sb: Sandbox = await startSandbox({ workspaces: [{ token: 'secret_rl' }] });
const headers = { authorization: 'Bearer secret_rl', 'Notion-Version': '2025-09-03' };
const me = () => fetch(`${sb.url}/v1/users/me`, { headers });

afterAll(() => sb.close());
beforeEach(() => {
  sb.clearFaults();
  sb.setRateLimit(false);
  sb.clearRequestLog();
});

describe('rate_limit_reason on 429 bodies', () => {
  it('is request_rate, with Retry-After, when the rate limiter answers', async () => {
    sb.setRateLimit({ perSecond: 1, burst: 1 });
    expect((await me()).status).toBe(200);
    const res = await me();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).not.toBeNull();
    expect(await res.json()).toMatchObject({ code: 'rate_limited', rate_limit_reason: 'request_rate' });
  });

  it('is request_rate for an injected 429 by default', async () => {
    sb.addFault({ status: 429, count: 1, retryAfter: 3 });
    const res = await me();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ code: 'rate_limited', rate_limit_reason: 'request_rate' });
  });

  it('can be public_api_request_blocked: no Retry-After, and the fault keeps answering until removed', async () => {
    const id = sb.addFault({ status: 429, rateLimitReason: 'public_api_request_blocked', routes: ['/v1/users'] });
    for (let i = 0; i < 2; i++) {
      const res = await me();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBeNull();
      expect(await res.json()).toMatchObject({
        object: 'error',
        status: 429,
        code: 'rate_limited',
        rate_limit_reason: 'public_api_request_blocked',
      });
    }
    expect(sb.faults()[0]).toMatchObject({ id, rateLimitReason: 'public_api_request_blocked', injected: 2 });
    sb.removeFault(id);
    expect((await me()).status).toBe(200);
  });

  it('is accepted over the admin API', async () => {
    const res = await fetch(`${sb.url}/__sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 429, count: 1, rateLimitReason: 'public_api_request_blocked' }),
    });
    expect(res.status).toBe(200);
    const blocked = await me();
    expect(await blocked.json()).toMatchObject({ rate_limit_reason: 'public_api_request_blocked' });
    expect(sb.requestLog().filter((e) => e.injected === 'fault')).toHaveLength(1);
  });
});
