import { APIErrorCode, Client, LogLevel, RequestTimeoutError } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { rt, sdk } from './helpers.ts';

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({
    workspaces: [
      { token: 'secret_one', name: 'One' },
      { token: 'secret_two', name: 'Two' },
    ],
  });
});
afterAll(() => sb.close());
beforeEach(() => {
  sb.reset();
  sb.clearRequestLog();
  sb.clearFaults();
  sb.setRateLimit(false);
  sb.setLatency(0);
});

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sb.url}/__sandbox/${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
};

describe('multi-workspace isolation', () => {
  it('keeps two tokens in two isolated workspaces', async () => {
    const one = sdk(sb, 'secret_one');
    const two = sdk(sb, 'secret_two');
    const page = await one.pages.create({
      parent: { workspace: true, type: 'workspace' },
      properties: { title: { title: rt('Secret plan') } },
    });
    await expect(two.pages.retrieve({ page_id: page.id })).rejects.toMatchObject({ code: APIErrorCode.ObjectNotFound });
    expect((await two.search({ query: 'Secret' })).results).toHaveLength(0);
    expect((await one.search({ query: 'Secret' })).results).toHaveLength(1);
    const [w1, w2] = sb.workspaces();
    expect((await one.users.me({})).id).toBe(w1!.botId);
    expect((await two.users.me({})).id).toBe(w2!.botId);
    const log = sb.requestLog();
    expect(log.filter((e) => e.workspaceId === w1!.id)).toHaveLength(3);
    expect(log.filter((e) => e.workspaceId === w2!.id)).toHaveLength(3);
  });
});

describe('rate limiting', () => {
  it('answers 429 rate_limited with Retry-After once the burst is spent', async () => {
    sb.setRateLimit({ perSecond: 3, burst: 3 });
    const notion = sdk(sb, 'secret_one');
    for (let i = 0; i < 3; i++) await notion.users.me({});
    const res = await fetch(`${sb.url}/v1/users/me`, {
      headers: { authorization: 'Bearer secret_one', 'Notion-Version': '2025-09-03' },
    });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await res.json()).toMatchObject({ object: 'error', status: 429, code: 'rate_limited' });
    await expect(notion.users.me({})).rejects.toMatchObject({ code: APIErrorCode.RateLimited });
    // Limits are per connection: the other token still has its burst.
    await expect(sdk(sb, 'secret_two').users.me({})).resolves.toMatchObject({ object: 'user' });
    expect(sb.counters().rateLimited).toBe(2);
  });

  it('paces a retrying client to about perSecond (the SDK honours Retry-After)', async () => {
    sb.setRateLimit({ perSecond: 50, burst: 2 });
    const notion = new Client({
      auth: 'secret_one',
      baseUrl: sb.url,
      logLevel: LogLevel.ERROR,
      retry: { maxRetries: 5, initialRetryDelayMs: 10 },
    });
    for (let i = 0; i < 4; i++) await notion.users.me({});
    const log = sb.requestLog();
    expect(log.filter((e) => e.status === 200)).toHaveLength(4);
    expect(log.some((e) => e.status === 429 && e.injected === 'rate_limit')).toBe(true);
  });

  it('can be toggled over the admin API', async () => {
    await admin('POST', 'rate-limit', { perSecond: 1, burst: 1 });
    expect(sb.rateLimit()).toEqual({ perSecond: 1, burst: 1 });
    await admin('POST', 'rate-limit', { enabled: false });
    expect(sb.rateLimit()).toBeNull();
  });
});

describe('fault injection', () => {
  it('injects 500/502/503/429 for chosen routes and methods, count-limited', async () => {
    const notion = sdk(sb, 'secret_one');
    sb.addFault({ status: 503, routes: ['/v1/search'], count: 1 });
    await expect(notion.search({})).rejects.toMatchObject({ status: 503, code: APIErrorCode.ServiceUnavailable });
    await expect(notion.search({})).resolves.toMatchObject({ object: 'list' });
    sb.addFault({ status: 500, methods: ['POST'], routes: ['/v1/pages'], count: 1 });
    await expect(notion.users.me({})).resolves.toBeTruthy();
    await expect(
      notion.pages.create({ parent: { workspace: true, type: 'workspace' }, properties: {} }),
    ).rejects.toMatchObject({ status: 500 });
    sb.addFault({ status: 502, count: 1 });
    await expect(notion.users.me({})).rejects.toMatchObject({ status: 502 });
    sb.addFault({ status: 429, count: 1, retryAfter: 2 });
    await expect(notion.users.me({})).rejects.toMatchObject({ status: 429, code: APIErrorCode.RateLimited });
    expect(sb.counters().faultsInjected).toBe(4);
  });

  it('can fail a write after committing it (503 with committed_resource_id)', async () => {
    const notion = sdk(sb, 'secret_one');
    sb.addFault({ status: 503, routes: ['POST /v1/pages'], afterCommit: true, count: 1 });
    const err = await notion.pages
      .create({ parent: { workspace: true, type: 'workspace' }, properties: { title: { title: rt('Saved anyway') } } })
      .catch((e) => e);
    expect(err.status).toBe(503);
    const body = JSON.parse(err.body);
    expect(body.committed_resource_id).toBeTruthy();
    await expect(notion.pages.retrieve({ page_id: body.committed_resource_id })).resolves.toMatchObject({
      object: 'page',
    });
    // "Exactly one create reached Notion."
    expect(sb.counters().byRoute['POST /v1/pages']).toBe(1);
  });

  it('simulates timeouts by holding the request', async () => {
    sb.addFault({ status: 'timeout', count: 1, timeoutMs: 5_000 });
    const notion = new Client({
      auth: 'secret_one',
      baseUrl: sb.url,
      timeoutMs: 200,
      retry: false,
      logLevel: LogLevel.ERROR,
    });
    await expect(notion.users.me({})).rejects.toBeInstanceOf(RequestTimeoutError);
  });

  it('injects faults at a seeded rate and is driven over HTTP', async () => {
    const { id } = await admin('POST', 'faults', { status: 500, rate: 0.5, seed: 7 });
    const notion = sdk(sb, 'secret_one');
    let failures = 0;
    for (let i = 0; i < 20; i++) await notion.users.me({}).catch(() => failures++);
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(20);
    expect(((await admin('GET', 'faults')).faults as unknown[]).length).toBe(1);
    await admin('DELETE', `faults/${id}`);
    expect(sb.faults()).toHaveLength(0);
  });
});

describe('latency, request log, counters and reset over HTTP', () => {
  it('applies fixed or jittered latency', async () => {
    await admin('POST', 'latency', { min: 5, max: 10 });
    expect(sb.latency()).toEqual({ min: 5, max: 10 });
    await sdk(sb, 'secret_one').users.me({});
    await admin('POST', 'latency', { ms: 0 });
    expect(sb.latency()).toBe(0);
  });

  it('exposes requests and counters, proves what reached the API, and resets', async () => {
    const notion = sdk(sb, 'secret_one');
    await notion.pages.create({
      parent: { workspace: true, type: 'workspace' },
      properties: { title: { title: rt('x') } },
    });
    await notion.search({});
    await fetch(`${sb.url}/v1/unknown`, {
      headers: { authorization: 'Bearer secret_one', 'Notion-Version': '2025-09-03' },
    });
    const { requests } = (await admin('GET', 'requests')) as {
      requests: Array<{ route: string | null; status: number }>;
    };
    expect(requests.map((r) => r.route)).toEqual(['POST /v1/pages', 'POST /v1/search', null]);
    const allow = new Set(['POST /v1/pages', 'POST /v1/search']);
    expect(requests.filter((r) => !allow.has(r.route ?? ''))).toHaveLength(1);
    const counters = (await admin('GET', 'counters')) as { total: number; byStatus: Record<string, number> };
    expect(counters.total).toBe(3);
    expect(counters.byStatus['400']).toBe(1);
    expect(JSON.stringify(requests)).not.toContain('secret_one');
    await admin('POST', 'reset', { requests: true });
    expect(sb.requestLog()).toHaveLength(0);
    expect((await notion.search({})).results).toHaveLength(0);
    expect((await notion.users.me({})).object).toBe('user');
    const ws = (await admin('GET', 'workspaces')) as { workspaces: Array<{ name: string }> };
    expect(ws.workspaces.map((w) => w.name)).toEqual(['One', 'Two']);
  });

  it('seeds the demo workspace over HTTP and adds workspaces at runtime', async () => {
    const seeded = (await admin('POST', 'seed', { token: 'secret_two' })) as { rootPageId: string };
    await expect(sdk(sb, 'secret_two').pages.retrieve({ page_id: seeded.rootPageId })).resolves.toBeTruthy();
    const added = await admin('POST', 'workspaces', { token: 'secret_three', name: 'Three' });
    expect(added.name).toBe('Three');
    await expect(sdk(sb, 'secret_three').users.me({})).resolves.toBeTruthy();
  });
});

describe('request limits', () => {
  it('rejects payloads over 500KB and arrays over 100 items', async () => {
    const notion = sdk(sb, 'secret_one');
    const page = await notion.pages.create({ parent: { workspace: true, type: 'workspace' }, properties: {} });
    const big = Array.from({ length: 90 }, () => ({
      paragraph: { rich_text: Array.from({ length: 3 }, () => ({ text: { content: 'x'.repeat(2000) } })) },
    }));
    await expect(notion.blocks.children.append({ block_id: page.id, children: big })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
      message: expect.stringMatching(/too large/),
    });
    const many = Array.from({ length: 101 }, () => ({ text: { content: 'a' } }));
    await expect(
      notion.pages.update({ page_id: page.id, properties: { title: { title: many } } }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
  });
});
