/**
 * REST surface end to end, over real sockets: client → Prism (validating every response against the generated full
 * document) → gateway → Notion sandbox.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { expectError } from '../support/contract.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { type Prism, startPrismProxy } from '../support/prism.ts';

let sandbox: Sandbox;
let gateway: RunningGateway;
let prism: Prism;
let call: ReturnType<typeof api>;
/** Straight to the gateway: Prism answers invalid requests itself, so error cases bypass it (see support/contract.ts). */
let direct: ReturnType<typeof api>;

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [
      { token: 'secret_rest_e2e', name: 'REST workspace' },
      { token: 'secret_rest_second', name: 'Second workspace' },
    ],
  });
  gateway = await startGateway({ NOTION_TOKEN: 'secret_rest_e2e', NOTION_BASE_URL: sandbox.url });
  prism = await startPrismProxy(gateway.url);
  call = api(prism.url);
  direct = api(gateway.url);
});

afterAll(async () => {
  await prism?.close();
  await gateway?.close();
  await sandbox?.close();
});

beforeEach(() => {
  sandbox.reset();
  sandbox.clearRequestLog();
});

const proxy = (method: string, path: string, extra: Record<string, unknown> = {}) =>
  call('POST', '/v1/notion/request', { method, path, ...extra });
const directProxy = (method: string, path: string, extra: Record<string, unknown> = {}) =>
  direct('POST', '/v1/notion/request', { method, path, ...extra });

const titleProperty = (text: string) => ({ title: { title: [{ text: { content: text } }] } });

describe('public routes', () => {
  it('GET /health answers without a token', async () => {
    const res = await api(prism.url, null)('GET', '/health');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ ok: true, result: { status: 'ok' }, error: null });
    expect(res.json.meta.request_id).toBe(res.headers.get('x-request-id'));
  });

  it('serves the Actions document with the public base URL as its server', async () => {
    const res = await api(gateway.url, null)('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.json.openapi).toBe('3.1.0');
    expect(res.json.servers).toEqual([{ url: gateway.url, description: 'This gateway' }]);
    const full = await api(gateway.url, null)('GET', '/openapi.full.json');
    expect(Object.keys(full.json.paths).length).toBeGreaterThan(Object.keys(res.json.paths).length);
  });
});

describe('the generic Notion proxy', () => {
  it('creates a page, appends blocks, and reads them back through allow-listed routes', async () => {
    const created = await proxy('POST', '/v1/pages', {
      body: { parent: { type: 'workspace', workspace: true }, properties: titleProperty('Second brain') },
    });
    expect(created.status).toBe(200);
    expect(created.json.ok).toBe(true);
    expect(created.json.result.method).toBe('POST');
    expect(created.json.result.path).toBe('/v1/pages');
    const page = created.json.result.response;
    expect(page).toMatchObject({ object: 'page' });

    // Ids without dashes are accepted and normalised.
    const appended = await proxy('PATCH', `/v1/blocks/${page.id.replaceAll('-', '')}/children`, {
      body: {
        children: [
          {
            object: 'block',
            type: 'paragraph',
            paragraph: { rich_text: [{ type: 'text', text: { content: 'Hello' } }] },
          },
        ],
      },
    });
    expect(appended.status).toBe(200);
    expect(appended.json.result.path).toBe(`/v1/blocks/${page.id}/children`);

    const listed = await proxy('GET', `blocks/${page.id}/children`, { query: { page_size: 10 } });
    expect(listed.status).toBe(200);
    expect(listed.json.result.response.results).toHaveLength(1);
    expect(listed.json.result.response.results[0].paragraph.rich_text[0].plain_text).toBe('Hello');

    const creates = sandbox.requestLog().filter((e) => e.method === 'POST' && e.path === '/v1/pages');
    expect(creates).toHaveLength(1);
  });

  it('maps a Notion error into the envelope with Notion code and status', async () => {
    const missing = await directProxy('GET', '/v1/pages/0c6b2a4e-0000-4000-8000-000000000000');
    expectError(missing, 404, 'notion_error');
    expect(missing.json.error.details).toMatchObject({ notion_code: 'object_not_found', notion_status: 404 });
  });

  it.each([
    ['GET', '/v1/pages/../oauth/token', 'dot segments'],
    ['GET', '/v1/pages/abc%2Fchildren', 'percent-encoding'],
    ['GET', 'https://evil.example/v1/users/me', 'absolute URL'],
    ['GET', '//evil.example/v1/users/me', 'protocol-relative URL'],
    ['POST', '/v1/oauth/token', 'OAuth route'],
    ['GET', '/v1/users/me?x=1', 'query string in the path'],
    ['GET', '/v1/pages/not-a-uuid', 'id that is not a UUID'],
    ['GET', '/v1/pages/x/children', 'crafted id'],
    ['DELETE', '/v1/pages/0c6b2a4e-0000-4000-8000-000000000000', 'method not allowed on the route'],
    ['GET', '/v1/workspaces', 'route not on the list'],
  ])('refuses %s %s (%s) without reaching Notion', async (method, path) => {
    const res = await directProxy(method, path);
    expectError(res, 403, 'path_not_allowed');
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('refuses undocumented query parameters and bodies on GET', async () => {
    const query = await directProxy('GET', '/v1/users', { query: { evil: 'yes' } });
    expectError(query, 400, 'bad_request');
    const body = await directProxy('GET', '/v1/users/me', { body: { a: 1 } });
    expectError(body, 400, 'bad_request');
    expect(body.json.error.details.pointer).toBe('/body');
    expect(sandbox.requestLog()).toHaveLength(0);
  });
});

describe('search and connections', () => {
  it('finds pages by title with compact hits', async () => {
    await proxy('POST', '/v1/pages', {
      body: { parent: { type: 'workspace', workspace: true }, properties: titleProperty('Project Atlas') },
    });
    await proxy('POST', '/v1/pages', {
      body: { parent: { type: 'workspace', workspace: true }, properties: titleProperty('Groceries') },
    });
    const res = await call('POST', '/v1/search', { query: 'atlas', filter: { property: 'object', value: 'page' } });
    expect(res.status).toBe(200);
    expect(res.json.result.results).toHaveLength(1);
    expect(res.json.result.results[0]).toMatchObject({ object: 'page', title: 'Project Atlas' });
    expect(res.json.result.results[0]).not.toHaveProperty('in_trash');
    expect(res.json.result.has_more).toBe(false);
  });

  it('lists the configured connection without its token', async () => {
    const res = await call('GET', '/v1/connections');
    expect(res.status).toBe(200);
    expect(res.json.result.connections).toHaveLength(1);
    expect(res.json.result.default_connection_id).toBe(res.json.result.connections[0].connection_id);
    expect(res.text).not.toContain('secret_rest_e2e');
  });

  it('reports an unknown connection_id precisely', async () => {
    const res = await direct('POST', '/v1/search', { connection_id: '00000000-0000-4000-8000-000000000000' });
    expectError(res, 404, 'connection_not_found');
  });

  it('GET /v1/meta says which Notion version is spoken and that Notion answers', async () => {
    const res = await call('GET', '/v1/meta');
    expect(res.status).toBe(200);
    expect(res.json.result).toMatchObject({
      service: 'notion-gateway',
      notion_api_version: '2025-09-03',
      notion: { reachable: true },
    });
    expect(res.json.result.build).toMatch(/^[0-9a-f]{7,40}$|^unknown$/);
  });
});

describe('connection lifecycle, every response checked by Prism', () => {
  it('adds, lists, refreshes and removes a connection', async () => {
    const created = await call('POST', '/v1/connections', { token: 'secret_rest_second' });
    expect(created.status).toBe(200);
    const id = created.json.result.connection.connection_id;
    expect(created.json.result.connection.workspace_name).toBe('Second workspace');

    const list = await call('GET', '/v1/connections');
    expect(list.json.result.connections).toHaveLength(2);
    expect(list.json.result.default_connection_id).toBeNull();

    const refreshed = await call('POST', '/v1/connections/refresh', { connection_id: id });
    expect(refreshed.json.result).toMatchObject({ connection_id: id, kind: 'internal' });

    const removed = await call('DELETE', `/v1/connections/${id}`);
    expect(removed.json.result).toEqual({ connection_id: id, deleted: true, revoked: false });
    expect((await call('GET', '/v1/connections')).json.result.connections).toHaveLength(1);
    expect(created.text + list.text + refreshed.text).not.toContain('secret_rest_second');
  });
});

describe('authentication and bad input', () => {
  it('refuses /v1 without the bearer token, or with a wrong one', async () => {
    for (const token of [null, 'wrong-token-0000000000', `${API_TOKEN}x`]) {
      const res = await api(gateway.url, token)('GET', '/v1/connections');
      expectError(res, 401, 'unauthorized');
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(sandbox.requestLog()).toHaveLength(0);
  });

  it('answers a schema violation with 400 and the failing JSON pointer', async () => {
    const res = await direct('POST', '/v1/notion/request', { method: 'PUT', path: '/v1/users/me' });
    expectError(res, 400, 'validation_failed');
    expect(res.json.error.details.pointer).toBe('/method');
    expect(res.json.error.message).toContain('GET, POST, PATCH, DELETE');
    const missing = await direct('POST', '/v1/notion/request', { path: '/v1/users/me' });
    expect(missing.json.error.details.pointer).toBe('/method');
    const unknown = await direct('POST', '/v1/search', { qurey: 'typo' });
    expectError(unknown, 400, 'validation_failed');
    expect(unknown.json.error.details.pointer).toBe('/qurey');
    const range = await direct('POST', '/v1/search', { page_size: 500 });
    expect(range.json.error.details.pointer).toBe('/page_size');
  });

  it('answers malformed JSON, a missing body and an unknown route with envelopes', async () => {
    const malformed = await direct('POST', '/v1/search', '{"query": ');
    expectError(malformed, 400, 'bad_request');
    const noBody = await direct('POST', '/v1/notion/request');
    expectError(noBody, 400, 'validation_failed');
    const unknown = await direct('GET', '/v1/nothing-here');
    expectError(unknown, 404, 'not_found');
    const wrongMethod = await direct('DELETE', '/v1/search');
    expectError(wrongMethod, 405, 'method_not_allowed');
    for (const res of [malformed, noBody, unknown]) expect(res.text).not.toMatch(/at .+\.ts:\d+/);
  });

  it('answers an oversize body with 413', async () => {
    const res = await direct('POST', '/v1/notion/request', {
      method: 'POST',
      path: '/v1/pages',
      body: { filler: 'x'.repeat(1_100_000) },
    });
    expectError(res, 413, 'payload_too_large');
    // Under the HTTP limit but over Notion's 500 KB: refused before it reaches Notion.
    const notionTooBig = await directProxy('POST', '/v1/pages', { body: { filler: 'x'.repeat(600_000) } });
    expectError(notionTooBig, 413, 'payload_too_large');
    expect(sandbox.requestLog()).toHaveLength(0);
  });
});

describe('secrets', () => {
  it('never writes the Notion token or the API token to the log', async () => {
    await call('GET', '/v1/meta');
    await direct('POST', '/v1/notion/request', { method: 'GET', path: '/v1/users/me' });
    await api(gateway.url, 'wrong-token-0000000000')('GET', '/v1/connections');
    const log = gateway.logs.join('\n');
    expect(gateway.logs.length).toBeGreaterThan(5);
    expect(log).not.toContain('secret_rest_e2e');
    expect(log).not.toContain(API_TOKEN);
  });
});
