/**
 * The request path every call takes (src/engine/engine.ts), end to end against the Notion sandbox, through REST and
 * MCP: idempotent writes (concurrency, replay, reuse, crash recovery), the audit log, the read/write split, the Notion
 * call policy under injected failures, pacing, read-only mode and the size policy.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/engine/pipeline/idempotency.ts';
import { ALLOWED_ROUTES, kindOf } from '../../src/notion/allowlist.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { expectError } from '../support/contract.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
let call: ReturnType<typeof api>;

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: 'secret_request_path', name: 'Request path' }] });
  // The default NOTION_TIMEOUT_MS: on a busy machine a 1 s timeout made the burst below time out at Notion (every
  // answer then replays notion_outcome_unknown). The timeout tests have their own gateway (call policy, below).
  gateway = await startGateway({ NOTION_TOKEN: 'secret_request_path', NOTION_BASE_URL: sandbox.url });
  call = api(gateway.url);
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN, { toolsets: 'core,admin' });
});

afterAll(async () => {
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

beforeEach(() => {
  sandbox.clearFaults();
  sandbox.clearRequestLog();
});

const pageBody = (title: string) => ({
  parent: { type: 'workspace', workspace: true },
  properties: { title: { title: [{ text: { content: title } }] } },
});
const createPage = (title: string) => ({ method: 'POST', path: '/v1/pages', body: pageBody(title) });
const notionCalls = (method: string, path: string) =>
  sandbox.requestLog().filter((e) => e.method === method && e.path === path);
const pageCreates = () => notionCalls('POST', '/v1/pages');
const uniqueKey = (label: string) => `${label}-${Math.random().toString(36).slice(2)}`;

/** A write through either surface, answered as `{ok, result, error, replayed}`. */
type Surface = 'rest' | 'mcp';
async function write(surface: Surface, args: Record<string, unknown>, headers: Record<string, string> = {}) {
  if (surface === 'rest') {
    const res = await call('POST', '/v1/notion/request', args, headers);
    return {
      status: res.status,
      ok: res.json.ok as boolean,
      result: res.json.result,
      error: res.json.error,
      replayed: res.json.meta?.idempotent_replay === true,
      requestId: res.json.meta?.request_id as string,
    };
  }
  const res = await mcp.callTool({ name: 'notion_request', arguments: args });
  if (res.isError) {
    const body = JSON.parse((res.content as Array<{ text: string }>)[0]!.text);
    return { status: 0, ok: false, result: null, error: body.error, replayed: false, requestId: body.meta.request_id };
  }
  const meta = (res._meta ?? {}) as { idempotent_replay?: boolean; request_id?: string };
  return {
    status: 200,
    ok: true,
    result: res.structuredContent as any,
    error: null,
    replayed: meta.idempotent_replay === true,
    requestId: meta.request_id as string,
  };
}

async function auditOf(requestId: string) {
  const res = await call('GET', `/v1/audit?request_id=${encodeURIComponent(requestId)}`);
  expect(res.status).toBe(200);
  return res.json.result.entries as Array<Record<string, any>>;
}

describe.each(['rest', 'mcp'] as const)('idempotent writes over %s', (surface) => {
  it('50 concurrent identical writes with one key make exactly one Notion write; the others replay it', async () => {
    const key = uniqueKey('burst');
    // A slow Notion (as on a loaded machine): the holder keeps the key while its write takes a second.
    sandbox.setLatency(1_100);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => write(surface, { ...createPage(`Burst ${surface}`), idempotency_key: key })),
    ).finally(() => sandbox.setLatency(0));
    expect(pageCreates()).toHaveLength(1);
    const created = answers.filter((a) => a.ok && !a.replayed);
    expect(created).toHaveLength(1);
    const pageId = created[0]!.result.response.id;
    for (const answer of answers) {
      if (answer.ok) expect(answer.result.response.id).toBe(pageId);
      else expect(answer.error.code).toBe('idempotency_key_in_flight');
    }
    expect(answers.filter((a) => a.replayed).length).toBeGreaterThan(0);
  });

  it('a replay after completion answers the stored result with idempotent_replay and calls Notion 0 times', async () => {
    const key = uniqueKey('replay');
    const first = await write(surface, { ...createPage('Replayed'), idempotency_key: key });
    expect(first.ok).toBe(true);
    expect(first.replayed).toBe(false);
    sandbox.clearRequestLog();
    const again = await write(surface, { ...createPage('Replayed'), idempotency_key: key });
    expect(again.ok).toBe(true);
    expect(again.replayed).toBe(true);
    expect(again.result).toEqual(first.result);
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('the same key with another body is refused with idempotency_key_reused and writes nothing', async () => {
    const key = uniqueKey('reuse');
    expect((await write(surface, { ...createPage('First'), idempotency_key: key })).ok).toBe(true);
    sandbox.clearRequestLog();
    const other = await write(surface, { ...createPage('Second'), idempotency_key: key });
    expect(other.ok).toBe(false);
    expect(other.error.code).toBe('idempotency_key_reused');
    if (surface === 'rest') expect(other.status).toBe(422);
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('a key whose first attempt died is usable again once its lease is over', async () => {
    const key = uniqueKey('crashed');
    const args = { ...createPage('After a crash'), idempotency_key: key };
    // What a process killed mid-write leaves behind: the key claimed, in progress, its lease running out.
    const services = gateway.gateway.engine.services;
    const [connection] = await services.connections.list({ id: 'operator', kind: 'operator' });
    const scope = {
      principal: 'operator',
      connectionId: connection!.connection_id,
      operation: 'notion_request',
      key,
    };
    await services.idempotency.claim(scope, {
      requestHash: fingerprint(args),
      requestId: 'killed-request',
      leaseMs: 50,
      ttlMs: 60_000,
    });
    await new Promise((r) => setTimeout(r, 60));
    const answer = await write(surface, args);
    expect(answer.ok).toBe(true);
    expect(answer.replayed).toBe(false);
    expect(pageCreates()).toHaveLength(1);
    // The write took over the planted record (the scope above is the engine's own), not another key.
    expect(await services.idempotency.get(scope)).toMatchObject({ status: 'completed', request_id: answer.requestId });
  });

  it('a write whose 503 came after Notion saved it answers notion_outcome_unknown; a retry with its key writes nothing', async () => {
    sandbox.addFault({ status: 503, afterCommit: true, count: 1, routes: ['/v1/pages'], methods: ['POST'] });
    const key = uniqueKey('ambiguous');
    const first = await write(surface, { ...createPage('Maybe saved'), idempotency_key: key });
    expect(first.ok).toBe(false);
    expect(first.error.code).toBe('notion_outcome_unknown');
    expect(first.error.details.committed_resource_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(pageCreates()).toHaveLength(1); // never re-sent
    const retry = await write(surface, { ...createPage('Maybe saved'), idempotency_key: key });
    expect(retry.error.code).toBe('notion_outcome_unknown');
    expect(pageCreates()).toHaveLength(1);
  });

  it('a write Notion refused frees its key: a retry with the same key runs again', async () => {
    const key = uniqueKey('refused');
    const missing = await write(surface, {
      method: 'PATCH',
      path: '/v1/pages/0c6b2a4e-0000-4000-8000-000000000000',
      body: { properties: {} },
      idempotency_key: key,
    });
    expect(missing.error.code).toBe('notion_error');
    const again = await write(surface, {
      method: 'PATCH',
      path: '/v1/pages/0c6b2a4e-0000-4000-8000-000000000000',
      body: { properties: {} },
      idempotency_key: key,
    });
    expect(again.error.code).toBe('notion_error');
    expect(again.replayed).toBe(false);
    expect(notionCalls('PATCH', '/v1/pages/0c6b2a4e-0000-4000-8000-000000000000')).toHaveLength(2);
  });

  it('every write leaves exactly one audit row, failed ones included; reads leave none', async () => {
    const ok = await write(surface, createPage('Audited'));
    const failed = await write(surface, {
      method: 'PATCH',
      path: '/v1/blocks/0c6b2a4e-0000-4000-8000-000000000000',
      body: {},
    });
    const refused = await write(surface, { method: 'POST', path: '/v1/oauth/token', body: {} });
    const read = await write(surface, { method: 'GET', path: '/v1/users/me' });
    const [created] = await auditOf(ok.requestId);
    expect(await auditOf(ok.requestId)).toHaveLength(1);
    expect(created).toMatchObject({
      actor: surface === 'rest' ? 'chatgpt_action' : 'chatgpt_mcp',
      principal: 'operator',
      operation: 'notion_request',
      method: 'POST',
      path: '/v1/pages',
      success: true,
      error_code: null,
    });
    expect(created!.notion_ids).toContain(ok.result.response.id);
    expect(created!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(await auditOf(failed.requestId)).toMatchObject([{ success: false, error_code: 'notion_error' }]);
    expect(await auditOf(refused.requestId)).toMatchObject([{ success: false, error_code: 'path_not_allowed' }]);
    expect(read.ok).toBe(true);
    expect(await auditOf(read.requestId)).toHaveLength(0);
  });
});

describe('a write that cannot be audited', () => {
  it('is refused with audit_unavailable before anything reaches Notion', async () => {
    // The audit log's database failing, as a full disk or a lost connection would make it.
    const audit = gateway.gateway.engine.services.audit;
    const start = audit.start;
    audit.start = async () => {
      throw new Error('database unavailable');
    };
    try {
      const res = await call('POST', '/v1/notion/request', createPage('Unaudited'));
      expectError(res, 503, 'audit_unavailable');
      expect(sandbox.requestLog()).toHaveLength(0);
    } finally {
      audit.start = start;
    }
  });
});

describe('idempotency keys over REST', () => {
  it('the Idempotency-Key header works like the body field, and both must agree', async () => {
    const key = uniqueKey('header');
    const viaHeader = await write('rest', createPage('Header'), { 'Idempotency-Key': key });
    expect(viaHeader.ok).toBe(true);
    const viaBody = await write('rest', { ...createPage('Header'), idempotency_key: key });
    expect(viaBody.replayed).toBe(true);
    expect(pageCreates()).toHaveLength(1);
    const res = await call(
      'POST',
      '/v1/notion/request',
      { ...createPage('Header'), idempotency_key: key },
      {
        'Idempotency-Key': 'another',
      },
    );
    expectError(res, 400, 'bad_request');
  });
});

describe('reads and writes apart', () => {
  it('notion_read is read-only for ChatGPT (readOnlyHint, not consequential); notion_request is not', async () => {
    const { tools } = await mcp.listTools();
    const read = tools.find((t) => t.name === 'notion_read')!;
    const request = tools.find((t) => t.name === 'notion_request')!;
    // MCP's defaults for what is not listed: a write is destructive unless it says otherwise.
    expect(read.annotations).toEqual({ readOnlyHint: true });
    expect(request.annotations).toEqual({ readOnlyHint: false });
    const actions = (await api(gateway.url, null)('GET', '/openapi.json')).json;
    expect(actions.paths['/v1/notion/read'].post['x-openai-isConsequential']).toBe(false);
    expect(actions.paths['/v1/notion/request'].post['x-openai-isConsequential']).toBe(true);
  });

  it('every allow-listed read works through notion_read; every write route is refused there naming notion_request', async () => {
    const id = '0c6b2a4e-0000-4000-8000-000000000000';
    const concrete = (template: string) =>
      `/v1/${template.replaceAll('{id}', id).replaceAll('{property_id}', 'title')}`;
    let reads = 0;
    let writes = 0;
    for (const rule of ALLOWED_ROUTES) {
      const path = concrete(rule.template);
      const method = rule.method;
      const res = await call('POST', '/v1/notion/read', { method, path });
      if (kindOf(rule) === 'read') {
        reads++;
        // Reaches Notion (most answer 404 for the made-up id): never refused by the gateway.
        expect(res.json.error?.code, `${method} ${path}`).not.toBe('write_not_allowed');
        expect(res.json.error?.code ?? 'ok', `${method} ${path}`).not.toBe('path_not_allowed');
        expect(notionCalls(method, path).length, `${method} ${path} reached Notion`).toBeGreaterThan(0);
      } else {
        writes++;
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.json.error.code).toBe('write_not_allowed');
        expect(res.json.error.details.use).toBe('notion_request');
        expect(res.json.error.message).toContain('notion_request');
      }
    }
    expect(reads + writes).toBe(ALLOWED_ROUTES.length);
    expect(reads).toBeGreaterThan(0);
    expect(writes).toBeGreaterThan(0);
    const writeCalls = sandbox.requestLog().filter((e) => kindOfLogged(e.method, e.path) === 'write');
    expect(writeCalls).toHaveLength(0);
  });

  it('the pre-2025-09-03 database query route answers with the data-source route to use', async () => {
    const res = await call('POST', '/v1/notion/read', {
      method: 'POST',
      path: '/v1/databases/0c6b2a4e-0000-4000-8000-000000000000/query',
    });
    expectError(res, 403, 'path_not_allowed');
    expect(res.json.error.message).toContain('/v1/data_sources/{data_source_id}/query');
    expect(sandbox.requestLog()).toHaveLength(0);
  });
});

function kindOfLogged(method: string, path: string): 'read' | 'write' {
  return method === 'GET' || path === '/v1/search' || path.endsWith('/query') || path.endsWith('/queries')
    ? 'read'
    : 'write';
}

describe('the Notion call policy on reads', () => {
  // A 1 s NOTION_TIMEOUT_MS so the timeout cases below are quick; only this block uses it.
  let timed: RunningGateway;
  let call: ReturnType<typeof api>;
  beforeAll(async () => {
    timed = await startGateway({
      NOTION_TOKEN: 'secret_request_path',
      NOTION_BASE_URL: sandbox.url,
      NOTION_TIMEOUT_MS: '1000',
    });
    call = api(timed.url);
  });
  afterAll(async () => timed?.close());

  it.each([429, 500, 502, 503, 504] as const)('a read survives an injected %s', async (status) => {
    sandbox.addFault({ status, count: 2, routes: ['/v1/users/me'], retryAfter: 0 });
    const res = await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expect(res.status).toBe(200);
    expect(notionCalls('GET', '/v1/users/me')).toHaveLength(3);
  });

  it('a POST read (search) survives injected 500s the SDK would not retry', async () => {
    sandbox.addFault({ status: 500, count: 2, routes: ['/v1/search'] });
    const res = await call('POST', '/v1/notion/read', { method: 'POST', path: '/v1/search', body: { query: '' } });
    expect(res.status).toBe(200);
    expect(notionCalls('POST', '/v1/search')).toHaveLength(3);
  });

  it('a read survives a timeout and a reset connection', async () => {
    // Held past NOTION_TIMEOUT_MS (1 s): the attempt is abandoned and retried.
    sandbox.addFault({ status: 'timeout', timeoutMs: 3_000, count: 1, routes: ['/v1/users/me'] });
    // Dropped at once: the socket is reset under the request.
    sandbox.addFault({ status: 'timeout', timeoutMs: 1, count: 1, routes: ['/v1/users/me'] });
    const res = await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expect(res.status).toBe(200);
    expect(notionCalls('GET', '/v1/users/me').length).toBeGreaterThanOrEqual(2);
  });

  it('a read whose answer breaks off mid-body is retried; a write is not re-sent', async () => {
    sandbox.addFault({ status: 'cut', count: 1, routes: ['/v1/users/me'] });
    const read = await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expect(read.status).toBe(200);
    expect(read.json.result.response.object).toBe('user');
    expect(notionCalls('GET', '/v1/users/me')).toHaveLength(2);

    const before = pageCreates().length;
    sandbox.addFault({ status: 'cut', count: 1, routes: ['/v1/pages'], methods: ['POST'] });
    const written = await call('POST', '/v1/notion/request', createPage('Cut short'));
    // The page was created; its answer was lost on the way: the caller must check before writing again.
    expectError(written, 502, 'notion_outcome_unknown');
    expect(written.json.error.details.reason).toBe('reset');
    expect(pageCreates()).toHaveLength(before + 1);
  });

  it('public_api_request_blocked is not retried', async () => {
    sandbox.addFault({ status: 429, rateLimitReason: 'public_api_request_blocked', count: 5 });
    const res = await call('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expectError(res, 429, 'notion_request_blocked');
    expect(notionCalls('GET', '/v1/users/me')).toHaveLength(1);
  });

  it('a write is not re-sent after a timeout', async () => {
    sandbox.addFault({ status: 'timeout', timeoutMs: 1_500, count: 1, routes: ['/v1/pages'], methods: ['POST'] });
    const res = await call('POST', '/v1/notion/request', createPage('Timed out'));
    expectError(res, 502, 'notion_outcome_unknown');
    // Abandoned at NOTION_TIMEOUT_MS (1 s), before the sandbox dropped the socket (1.5 s): a timeout, not a reset.
    expect(res.json.error.details.reason).toBe('timeout');
    // The sandbox logs the held request when it drops it, after the gateway gave up on it.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(pageCreates()).toHaveLength(1);
  });
});

describe('audit log', () => {
  it('filters by operation and pages newest first with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await write('rest', createPage(`Paged ${i}`))).requestId);
    const first = await call('GET', '/v1/audit?operation=notion_request&limit=2');
    expect(first.status).toBe(200);
    expect(first.json.result.entries.map((e: any) => e.request_id)).toEqual([ids[2], ids[1]]);
    expect(first.json.result.next_cursor).toEqual(expect.any(String));
    const second = await call(
      'GET',
      `/v1/audit?operation=notion_request&limit=2&cursor=${first.json.result.next_cursor}`,
    );
    expect(second.json.result.entries[0].request_id).toBe(ids[0]);
    const none = await call('GET', '/v1/audit?operation=connections_create');
    expect(none.json.result.entries.every((e: any) => e.operation === 'connections_create')).toBe(true);
    expectError(await call('GET', '/v1/audit?cursor=not-a-cursor'), 400, 'bad_request');
  });

  it('is readable through the read-only MCP tool', async () => {
    // Its own write, so the test holds alone (`-t`) as well as after the others.
    const { requestId } = await write('rest', createPage('Audited for MCP'));
    const res = await mcp.callTool({ name: 'audit_list', arguments: { operation: 'notion_request', limit: 1 } });
    expect(res.isError).toBeFalsy();
    expect((res.structuredContent as any).entries).toHaveLength(1);
    expect((res.structuredContent as any).entries[0].request_id).toBe(requestId);
  });
});

describe('size policy', () => {
  let small: RunningGateway;
  beforeAll(async () => {
    small = await startGateway({
      NOTION_TOKEN: 'secret_request_path',
      NOTION_BASE_URL: sandbox.url,
      MAX_RESPONSE_CHARS: '5000',
    });
  });
  afterAll(async () => small?.close());

  it('a write too large to echo is acknowledged compactly, never reported as a failure', async () => {
    const page = await api(small.url)('POST', '/v1/notion/request', createPage('Long page'));
    const children = Array.from({ length: 100 }, (_, i) => ({
      paragraph: { rich_text: [{ text: { content: `Paragraph ${i} ${'x'.repeat(40)}` } }] },
    }));
    sandbox.clearRequestLog();
    const res = await api(small.url)('POST', '/v1/notion/request', {
      method: 'PATCH',
      path: `/v1/blocks/${page.json.result.response.id}/children`,
      body: { children },
    });
    expect(res.status).toBe(200);
    expect(res.json.result.compacted).toBe(true);
    expect(res.json.result.response.results_count).toBe(100);
    const [first] = res.json.result.response.results;
    expect(first).toMatchObject({ object: 'block', id: expect.any(String), type: 'paragraph' });
    expect(first.paragraph).toBeUndefined(); // ids and counts only, no content
    expect(res.text.length).toBeLessThan(20_000);
    expect(sandbox.requestLog()).toHaveLength(1);
  });

  it('a read too large answers response_too_large (4xx) with how to page', async () => {
    const page = await api(small.url)('POST', '/v1/notion/request', createPage('Read me'));
    await api(small.url)('POST', '/v1/notion/request', {
      method: 'PATCH',
      path: `/v1/blocks/${page.json.result.response.id}/children`,
      body: {
        children: Array.from({ length: 60 }, () => ({
          paragraph: { rich_text: [{ text: { content: 'y'.repeat(80) } }] },
        })),
      },
    });
    const res = await api(small.url)('POST', '/v1/notion/read', {
      method: 'GET',
      path: `/v1/blocks/${page.json.result.response.id}/children`,
    });
    expectError(res, 422, 'response_too_large');
    expect(res.json.error.message).toContain('page_size');
  });
});

describe('size policy over MCP', () => {
  it('counts what an MCP client receives (the result twice), not the bare result', async () => {
    // A page whose REST answer is just under the limit: over MCP, carried as structured content and as text, it is over.
    const title = 'x'.repeat(1800);
    const page = await call('POST', '/v1/notion/request', createPage(title));
    const read = { method: 'GET', path: `/v1/pages/${page.json.result.response.id}` };
    const restSize = JSON.stringify((await call('POST', '/v1/notion/read', read)).json.result).length;
    const tight = await startGateway({
      NOTION_TOKEN: 'secret_request_path',
      NOTION_BASE_URL: sandbox.url,
      MAX_RESPONSE_CHARS: String(restSize + 200),
    });
    const client = await connectMcp(tight.url, 'streamable-http', API_TOKEN);
    try {
      expect((await api(tight.url)('POST', '/v1/notion/read', read)).status).toBe(200);
      const viaMcp = await client.callTool({ name: 'notion_read', arguments: read });
      expect(viaMcp.isError).toBe(true);
      const body = JSON.parse((viaMcp.content as Array<{ text: string }>)[0]!.text);
      expect(body.error.code).toBe('response_too_large');
    } finally {
      await client.close();
      await tight.close();
    }
  });
});

describe('pacing and read-only mode', () => {
  let paced: RunningGateway;
  let readOnly: RunningGateway;
  beforeAll(async () => {
    paced = await startGateway({
      NOTION_TOKEN: 'secret_request_path',
      NOTION_BASE_URL: sandbox.url,
      NOTION_RATE_LIMIT_PER_MINUTE: '60',
      NOTION_RATE_BURST: '1',
      NOTION_PACE_MAX_WAIT_MS: '200',
    });
    readOnly = await startGateway({
      NOTION_TOKEN: 'secret_request_path',
      NOTION_BASE_URL: sandbox.url,
      READ_ONLY: 'true',
    });
  });
  afterAll(async () => {
    await paced?.close();
    await readOnly?.close();
  });

  it('a call that would wait past the bound answers rate_limited with retry_after_seconds, without reaching Notion', async () => {
    const read = () => api(paced.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expect((await read()).status).toBe(200);
    sandbox.clearRequestLog();
    const res = await read();
    expectError(res, 429, 'rate_limited');
    expect(res.json.error.details.retry_after_seconds).toBeGreaterThanOrEqual(1);
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('READ_ONLY refuses writes with read_only and keeps reads working', async () => {
    const res = await api(readOnly.url)('POST', '/v1/notion/request', createPage('Refused'));
    expectError(res, 403, 'read_only');
    expect(pageCreates()).toHaveLength(0);
    const read = await api(readOnly.url)('POST', '/v1/notion/read', { method: 'GET', path: '/v1/users/me' });
    expect(read.status).toBe(200);
  });
});
