/**
 * Regressions of the adversarial probe (issue 8): DNS rebinding on the MCP endpoints, SSE sessions bound to their
 * principal, authentication before any body byte, malformed tokens, inputs that used to answer 500 (with a stack in
 * the log), the OpenAPI server URL, 415, and JSON-RPC errors on /mcp. Fast: also part of `npm run test:reliability`.
 */
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import Koa from 'koa';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.ts';
import { mountMcpRoutes } from '../../src/mcp/routes.ts';
import { loadToolCatalog } from '../../src/mcp/server.ts';
import { GatewayError } from '../../src/shared/errors.ts';
import type { Principal } from '../../src/shared/principal.ts';
import { errorHandler, requestContext } from '../../src/transport/context.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';
import { rawRequest, stalledSocket, untilClosed } from '../support/raw-http.ts';

const BAD_ENV_TOKEN = 'secret_env_token_with\nInjected-Header: 1';
const NOTION_TOKEN = 'secret_hardening_0f3c';
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

let sandbox: Sandbox;
let gateway: RunningGateway;
let call: ReturnType<typeof api>;
let pageId: string;

beforeAll(async () => {
  sandbox = await startSandbox({ workspaces: [{ token: NOTION_TOKEN, name: 'Hardening' }] });
  // A malformed NOTION_TOKEN must not refuse the start; MCP_AUTH=none is the case DNS rebinding matters most for.
  gateway = await startGateway({
    NOTION_TOKEN: BAD_ENV_TOKEN,
    NOTION_BASE_URL: sandbox.url,
    MCP_AUTH: 'none',
    ALLOWED_HOSTS: 'gw.internal, other.internal:9999',
    MAX_BODY_BYTES: '65536',
  });
  call = api(gateway.url);
  expect((await call('POST', '/v1/connections', { token: NOTION_TOKEN })).status).toBe(200);
  const page = await call('POST', '/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    body: {
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: [{ text: { content: 'H' } }] } },
    },
  });
  pageId = page.json.result.response.id;
});

afterAll(async () => {
  await gateway?.close();
  await sandbox?.close();
});

const port = () => new URL(gateway.url).port;
const mcpPost = (headers: Record<string, string>, body: string | Buffer) =>
  rawRequest(gateway.url, { method: 'POST', path: '/mcp', headers: { ...MCP_HEADERS, ...headers }, body });
const listTools = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });

describe('DNS rebinding: Host and Origin on the MCP endpoints', () => {
  it.each([
    ['POST', '/mcp'],
    ['GET', '/sse'],
    ['POST', '/messages?sessionId=x'],
  ])('%s %s refuses a foreign Host with 403 host_not_allowed', async (method, path) => {
    const res = await rawRequest(gateway.url, {
      method,
      path,
      headers: { ...MCP_HEADERS, host: `evil.example:${port()}` },
      ...(method === 'POST' ? { body: listTools } : {}),
    });
    expect(res.status).toBe(403);
    expect(res.json.error).toMatchObject({ code: 'host_not_allowed', details: { header: 'host' } });
  });

  it('refuses a foreign or opaque Origin even with an allowed Host', async () => {
    for (const origin of ['http://evil.example', 'null', `http://evil.example:${port()}`, 'file://x']) {
      const res = await mcpPost({ origin }, listTools);
      expect(res.status, origin).toBe(403);
      expect(res.json.error.details.header).toBe('origin');
    }
  });

  it('serves loopback, ALLOWED_HOSTS names (any port, or the port given) and loopback origins', async () => {
    for (const host of [
      `localhost:${port()}`,
      `127.0.0.1:${port()}`,
      `[::1]:${port()}`,
      'gw.internal',
      'GW.internal.:80',
      'other.internal:9999',
    ]) {
      const res = await mcpPost({ host }, listTools);
      expect(res.status, host).toBe(200);
      expect(res.json.result.tools.length).toBeGreaterThan(0);
    }
    expect((await mcpPost({ host: 'other.internal:9998' }, listTools)).status).toBe(403);
    expect((await mcpPost({ origin: 'http://localhost:6274' }, listTools)).status).toBe(200);
  });

  it('leaves the REST surface (bearer-protected) alone', async () => {
    const res = await rawRequest(gateway.url, {
      path: '/health',
      headers: { host: 'anything.example' },
    });
    expect(res.status).toBe(200);
  });
});

describe('/openapi.json never names an arbitrary Host', () => {
  it('uses the request origin only for an allowed host, else loopback', async () => {
    const foreign = await rawRequest(gateway.url, { path: '/openapi.json', headers: { host: 'evil.example' } });
    expect(foreign.json.servers[0].url).toBe(`http://localhost:${port()}`);
    const allowed = await rawRequest(gateway.url, {
      path: '/openapi.full.json',
      headers: { host: 'gw.internal:8443' },
    });
    expect(allowed.json.servers[0].url).toBe('http://gw.internal:8443');
  });
});

describe('SSE sessions stay with the principal that opened them', () => {
  const principals: Record<string, Principal> = {
    'token-alice': { id: 'alice', kind: 'user' },
    'token-bob': { id: 'bob', kind: 'user' },
  };

  async function serve(auth: 'bearer' | 'none') {
    const app = new Koa();
    const router = new Router();
    const logger = pino({ level: 'silent' });
    const routes = mountMcpRoutes(router, {
      engine: {} as Engine, // tools/list and ping never reach the engine
      catalog: loadToolCatalog(Engine.isOperation),
      version: 'test',
      auth,
      apiToken: 'unused-token-0000000000',
      logger,
      allowedHosts: ['127.0.0.1'],
      body: { maxBytes: 65536, timeoutMs: 2000 },
      gatekeeper: {
        authenticate: async (ctx) => principals[(ctx.get('Authorization') ?? '').replace(/^Bearer /, '')] ?? null,
        refuse: () => new GatewayError('unauthorized', 'Send a token.'),
      },
    });
    app.use(requestContext(logger));
    app.use(errorHandler());
    app.use(router.routes());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      url,
      async close() {
        await routes.close();
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      },
    };
  }

  /** Opens GET /sse and returns the /messages endpoint it announces. */
  async function openSession(url: string, token: string | null) {
    const controller = new AbortController();
    const res = await fetch(`${url}/sse`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!/data: (\S+)\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    return { endpoint: /data: (\S+)\n/.exec(text)![1]!, close: () => controller.abort() };
  }

  const post = (url: string, endpoint: string, token: string | null) =>
    api(url, token)('POST', endpoint, { jsonrpc: '2.0', id: 1, method: 'ping' });

  it('a second principal cannot post to another principal’s session (bearer)', async () => {
    const server = await serve('bearer');
    try {
      const alice = await openSession(server.url, 'token-alice');
      const bob = await post(server.url, alice.endpoint, 'token-bob');
      expect(bob.status).toBe(403);
      expect(bob.json.error.code).toBe('forbidden');
      expect((await post(server.url, alice.endpoint, null)).status).toBe(401);
      expect((await post(server.url, alice.endpoint, 'token-alice')).status).toBe(202);
      alice.close();
    } finally {
      await server.close();
    }
  });

  it('under MCP_AUTH=none a session is bound to nobody: its id alone reaches it', async () => {
    const server = await serve('none');
    try {
      const session = await openSession(server.url, null);
      expect((await post(server.url, session.endpoint, null)).status).toBe(202);
      expect((await post(server.url, session.endpoint, 'token-bob')).status).toBe(202);
      expect((await post(server.url, '/messages?sessionId=not-a-session', null)).status).toBe(404);
      session.close();
    } finally {
      await server.close();
    }
  });
});

describe('authentication before the body', () => {
  it('answers 401 at once to an unauthenticated upload whose body never comes, and closes the connection', async () => {
    for (const path of ['/v1/notion/request', '/v1/connections']) {
      const socket = await stalledSocket(
        gateway.url,
        `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"a":`,
      );
      const { closed, received, ms } = await untilClosed(socket, 5_000);
      expect(received).toMatch(/^HTTP\/1\.1 401 /);
      expect(received.toLowerCase()).toContain('connection: close');
      expect(closed).toBe(true);
      expect(ms).toBeLessThan(3_000);
    }
  });

  it('refuses a declared body over MAX_BODY_BYTES from Content-Length, before reading it', async () => {
    const socket = await stalledSocket(
      gateway.url,
      `POST /v1/search HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${API_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n\r\n`,
    );
    const { received } = await untilClosed(socket, 5_000);
    expect(received).toMatch(/^HTTP\/1\.1 413 /);
  });
});

describe('tokens are validated before use or logging', () => {
  it('a malformed NOTION_TOKEN did not refuse the start and was never logged', () => {
    const warning = gateway.logs.find((l) => l.includes('NOTION_TOKEN was not used'));
    expect(warning).toBeDefined();
    const all = gateway.logs.join('\n');
    expect(all).not.toContain('Injected-Header');
    expect(all).not.toContain('secret_env_token_with');
  });

  it.each([
    ['a newline', 'secret_abc\nX-Evil: 1'],
    ['a NUL', 'secret_abc\u0000def'],
    ['a space', 'secret abc'],
    ['non-ASCII', 'secret_äbc'],
    ['too many characters', `secret_${'a'.repeat(600)}`],
  ])('POST /v1/connections with %s answers 400 without calling Notion', async (_label, token) => {
    sandbox.clearRequestLog();
    const res = await call('POST', '/v1/connections', { token });
    expect(res.status).toBe(400);
    // The contract's maxLength answers validation_failed first; the character checks answer connection_invalid.
    expect(['connection_invalid', 'validation_failed']).toContain(res.json.error.code);
    expect(res.text).not.toContain(token);
    expect(sandbox.requestLog()).toHaveLength(0);
    expect(gateway.logs.join('\n')).not.toContain('X-Evil');
  });
});

describe('inputs that used to answer 500', () => {
  const noStackSince = (from: number) =>
    expect(gateway.logs.slice(from).filter((l) => l.includes('"stack"') || l.includes('unhandled error'))).toEqual([]);

  it('a malformed percent escape in a filter_properties list', async () => {
    const from = gateway.logs.length;
    const res = await call('POST', '/v1/notion/request', {
      method: 'GET',
      path: `/v1/pages/${pageId}`,
      query: { filter_properties: ['%zz', 'title'] },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    noStackSince(from);
  });

  it('a body nested 5,000 levels deep, over REST and MCP', async () => {
    const from = gateway.logs.length;
    const deep = `{"method":"POST","path":"/v1/pages","body":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`;
    const rest = await call('POST', '/v1/notion/request', deep);
    expect(rest.status).toBe(400);
    expect(rest.json.error.code).toBe('bad_request');
    const mcp = await mcpPost(
      {},
      `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"notion_request","arguments":${deep}}}`,
    );
    expect(mcp.status).toBe(400);
    expect(mcp.json.error.code).toBe(-32700);
    noStackSince(from);
  });

  it('DELETE /v1/connections/%ff: 401 without a token, 400 with one, never a stack', async () => {
    const from = gateway.logs.length;
    expect((await api(gateway.url, null)('DELETE', '/v1/connections/%ff')).status).toBe(401);
    const authed = await call('DELETE', '/v1/connections/%ff');
    expect(authed.status).toBe(400);
    expect(authed.json.error.code).toBe('bad_request');
    noStackSince(from);
  });

  it('a NUL byte or an unpaired surrogate in any string: 400 validation_failed naming the field (REST and MCP)', async () => {
    const from = gateway.logs.length;
    const expectNamed = (res: { status: number; json: any }, location: string, pointer: string) => {
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('validation_failed');
      expect(res.json.error.details).toMatchObject({ location, pointer });
    };
    expectNamed(await call('GET', '/v1/audit?operation=%00'), 'query', '/operation');
    expectNamed(await call('GET', '/v1/audit?request_id=%00'), 'query', '/request_id');
    const write = {
      method: 'POST',
      path: '/v1/pages',
      body: {
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'N' } }] } },
      },
    };
    expectNamed(
      await call('POST', '/v1/notion/request', { ...write, idempotency_key: 'a\u0000b' }),
      'body',
      '/idempotency_key',
    );
    expectNamed(
      await call('POST', '/v1/notion/request', `{"method":"GET","path":"/v1/users/me","idempotency_key":"a\\ud800b"}`),
      'body',
      '/idempotency_key',
    );
    const mcp = await connectMcp(gateway.url, 'streamable-http', null, { toolsets: 'core,admin' });
    try {
      for (const [name, args, pointer] of [
        ['audit_list', { operation: '\u0000' }, '/operation'],
        ['audit_list', { request_id: 'x\u0000' }, '/request_id'],
        ['notion_request', { ...write, idempotency_key: 'a\u0000b' }, '/idempotency_key'],
      ] as const) {
        const result = (await mcp.callTool({ name, arguments: args })) as { isError?: boolean; content: any[] };
        expect(result.isError, name).toBe(true);
        const { error } = JSON.parse(result.content[0].text);
        expect(error.code, name).toBe('validation_failed');
        expect(error.details, name).toMatchObject({ location: 'arguments', pointer });
      }
    } finally {
      await mcp.close();
    }
    noStackSince(from);
  });

  it('a body that is not UTF-8', async () => {
    const from = gateway.logs.length;
    const body = Buffer.concat([Buffer.from('{"token":"secret_'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await rawRequest(gateway.url, {
      method: 'POST',
      path: '/v1/connections',
      headers: { authorization: `Bearer ${API_TOKEN}` },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('bad_request');
    noStackSince(from);
  });
});

describe('media types', () => {
  it('a non-JSON body answers 415 unsupported_media_type', async () => {
    for (const headers of [{ 'content-type': 'text/plain' }, { 'content-type': 'application/x-www-form-urlencoded' }]) {
      const res = await call('POST', '/v1/search', 'query=x', headers);
      expect(res.status).toBe(415);
      expect(res.json.error.code).toBe('unsupported_media_type');
    }
    const gzip = await call('POST', '/v1/search', '{}', { 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(415);
  });
});

describe('/mcp answers JSON-RPC errors about the message', () => {
  it('malformed JSON: -32700 parse error', async () => {
    const res = await mcpPost({}, '{"jsonrpc":"2.0",');
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    expect(res.json.error.data.code).toBe('bad_request');
  });

  it('a body over MAX_BODY_BYTES: 413 with a JSON-RPC error', async () => {
    const res = await mcpPost(
      {},
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { x: 'y'.repeat(70_000) } }),
    );
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ jsonrpc: '2.0', error: { code: -32600, data: { code: 'payload_too_large' } } });
  });

  it('a non-JSON content type: 415 with a JSON-RPC error', async () => {
    const res = await mcpPost({ 'content-type': 'text/plain' }, listTools);
    expect(res.status).toBe(415);
    expect(res.json.error).toMatchObject({ code: -32600, data: { code: 'unsupported_media_type' } });
  });

  it.each([[[1]], ['text'], [7], [null]])(
    'tools/call with arguments %j: -32602 with its id, no zod dump',
    async (args) => {
      const res = await mcpPost(
        {},
        JSON.stringify({
          jsonrpc: '2.0',
          id: 42,
          method: 'tools/call',
          params: { name: 'notion_search', arguments: args },
        }),
      );
      expect(res.json).toMatchObject({ jsonrpc: '2.0', id: 42, error: { code: -32602 } });
      expect(res.json.error.message).not.toContain('invalid_type');
    },
  );

  it('the SDK client still works through all of this', async () => {
    const client = await connectMcp(gateway.url, 'streamable-http', null);
    expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    await client.close();
  });
});
