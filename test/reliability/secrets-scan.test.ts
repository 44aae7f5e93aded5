/**
 * Secrets scan: drive the gateway through its normal and hostile paths (connections with good and malformed tokens,
 * proxy calls over REST and MCP, wrong bearers, rebinding Hosts, bodies that used to answer 500), then search every
 * log line, every response (body and headers) and a dump of every table for any secret, raw or encoded.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openStore } from '../../src/store/store.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { dumpAllTables } from '../support/db.ts';
import { API_TOKEN, type RunningGateway, startGateway, TEST_ENCRYPTION_KEYS } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';
import { rawRequest } from '../support/raw-http.ts';

const TOKEN_A = 'secret_scan_alpha_9b8c7d6e5f4a3b2c1d0e';
const TOKEN_B = 'secret_scan_beta_0a1b2c3d4e5f6a7b8c9d';
const MARKER = 'leakmarker_5d1e9f';
const HOSTILE_TOKENS = [`secret_${MARKER}_nl\nX-Injected: 1`, `secret_${MARKER}_nul\u0000x`, `secret_${MARKER} space`];
const WRONG_BEARER = `wrong_bearer_${MARKER}_0123456789`;

let sandbox: Sandbox;
let gateway: RunningGateway;
let pgliteDir: string;
const responses: string[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [
      { token: TOKEN_A, name: 'Scan A' },
      { token: TOKEN_B, name: 'Scan B' },
    ],
  });
  pgliteDir = mkdtempSync(join(tmpdir(), 'ng-secrets-'));
  gateway = await startGateway({
    NOTION_TOKEN: HOSTILE_TOKENS[0]!,
    NOTION_BASE_URL: sandbox.url,
    PGLITE_DATA_DIR: pgliteDir,
    LOG_LEVEL: 'trace',
  });
});

afterAll(async () => {
  await sandbox?.close();
  rmSync(pgliteDir, { recursive: true, force: true });
});

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await rawRequest(gateway.url, {
    method,
    path,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...headers },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  responses.push(JSON.stringify(res.headers), res.text);
  return res;
}

it('no secret in logs, responses or any table', async () => {
  expect((await send('POST', '/v1/connections', { token: TOKEN_A })).status).toBe(200);
  expect((await send('POST', '/v1/connections', { token: TOKEN_B })).status).toBe(200);
  for (const token of HOSTILE_TOKENS) expect((await send('POST', '/v1/connections', { token })).status).toBe(400);
  const list = await send('GET', '/v1/connections');
  const [first] = list.json.result.connections as Array<{ connection_id: string }>;
  const page = {
    parent: { type: 'workspace', workspace: true },
    properties: { title: { title: [{ text: { content: 'S' } }] } },
  };
  await send('POST', '/v1/notion/request', {
    method: 'POST',
    path: '/v1/pages',
    body: page,
    connection_id: first!.connection_id,
  });
  await send('POST', '/v1/notion/request', { method: 'GET', path: '/v1/users/me' }); // connection_required
  await send('POST', '/v1/search', { query: 'S', connection_id: first!.connection_id });
  await send('POST', '/v1/connections/refresh', { connection_id: first!.connection_id });
  await send('GET', '/v1/audit');
  await send('GET', '/v1/meta');
  // Hostile requests.
  await send('GET', '/v1/connections', undefined, { authorization: `Bearer ${WRONG_BEARER}` });
  await send(
    'POST',
    '/mcp',
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    { host: 'evil.example', accept: 'application/json, text/event-stream' },
  );
  await send('POST', '/v1/notion/request', `{"token":"${MARKER}",${'['.repeat(5000)}`);
  await send('DELETE', '/v1/connections/%ff', undefined, { authorization: `Bearer ${WRONG_BEARER}` });
  await send('POST', '/v1/connections', `token=${TOKEN_A}`, { 'content-type': 'application/x-www-form-urlencoded' });
  await send('POST', '/v1/connections', `{"token":"${TOKEN_A}"`); // truncated JSON that quotes a token
  await send('POST', '/v1/notion/request', { method: 'GET', path: `/v1/pages/${TOKEN_A}` });
  // MCP: tools over Streamable HTTP and SSE, with a failing call.
  for (const kind of ['streamable-http', 'sse'] as const) {
    const client = await connectMcp(gateway.url, kind, API_TOKEN);
    responses.push(JSON.stringify(await client.listTools()));
    responses.push(JSON.stringify(await client.callTool({ name: 'connections_list', arguments: {} })));
    responses.push(
      JSON.stringify(
        await client.callTool({ name: 'notion_request', arguments: { method: 'GET', path: `/v1/blocks/${TOKEN_B}` } }),
      ),
    );
    await client.close();
  }
  await gateway.close();

  const store = await openStore({ dataDir: pgliteDir });
  const dump = await dumpAllTables(store);
  await store.close();

  const keyBase64 = TEST_ENCRYPTION_KEYS.split(':')[1]!;
  const secrets = [TOKEN_A, TOKEN_B, API_TOKEN, MARKER, WRONG_BEARER, keyBase64, ...HOSTILE_TOKENS];
  const forms = (s: string) => [
    s,
    encodeURIComponent(s),
    JSON.stringify(s).slice(1, -1),
    Buffer.from(s).toString('base64'),
    Buffer.from(s).toString('base64url'),
  ];
  const places = { logs: gateway.logs.join('\n'), responses: responses.join('\n'), database: dump };
  const found: string[] = [];
  for (const [place, text] of Object.entries(places)) {
    for (const secret of secrets) {
      for (const form of forms(secret))
        if (text.includes(form)) found.push(`${place}: ${JSON.stringify(secret).slice(0, 40)}`);
    }
  }
  console.log(
    `secrets scan: ${secrets.length} secrets × 5 encodings over ${gateway.logs.length} log lines, ${responses.length} response parts, ${dump.length} database characters`,
  );
  expect(found).toEqual([]);
  expect(dump.length).toBeGreaterThan(1000); // the dump is not empty: connections, audit rows
});
