/**
 * The whole OAuth dance with real clients, headless: the MCP SDK's own client-side OAuth (discovery of RFC 9728 and
 * RFC 8414 metadata, Dynamic Client Registration, PKCE S256, resource indicator, token exchange) → the consent page
 * → "Connect Notion" through the sandbox's Notion OAuth → tools/call. Then two users with two workspaces each: neither
 * can see nor touch the other's connections through any MCP tool or REST operation (connection_forbidden).
 */
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationPolicies } from '../../generated/operations.ts';
import { loadGeneratedDocument, operationsOf } from '../../src/contract/openapi.ts';
import { Engine } from '../../src/engine/engine.ts';
import { API_TOKEN, api } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';
import { authorizeThrough, CookieBrowser, MemoryProvider, type OAuthWorld, startOAuthWorld } from '../support/oauth.ts';

const REDIRECT = 'http://localhost:5173/oauth/callback';
const UUID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

interface User {
  browser: CookieBrowser;
  /** MCP-audience client (resource PUBLIC_BASE_URL/mcp). */
  mcp: MemoryProvider;
  /** REST-audience client (resource PUBLIC_BASE_URL). */
  rest: MemoryProvider;
  connections: string[];
}

/** The SDK's auth(): discovery + DCR + PKCE → our consent → Notion → code → the SDK exchanges it. */
async function signIn(
  world: OAuthWorld,
  browser: CookieBrowser,
  serverUrl: string,
  connect: string[],
): Promise<MemoryProvider> {
  const provider = new MemoryProvider({ redirect: REDIRECT, clientName: 'E2E MCP client', state: 'e2e-state' });
  expect(await auth(provider, { serverUrl })).toBe('REDIRECT');
  const url = provider.authorizationUrl!;
  expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  expect(url.searchParams.get('resource')).toBe(serverUrl);
  const back = await authorizeThrough(browser, world, url, { connect, redirectPrefix: REDIRECT });
  expect(back.searchParams.get('state')).toBe('e2e-state');
  const code = back.searchParams.get('code');
  expect(code).toBeTruthy();
  expect(await auth(provider, { serverUrl, authorizationCode: code! })).toBe('AUTHORIZED');
  expect(provider.saved?.access_token).toBeTruthy();
  expect(provider.saved?.refresh_token).toBeTruthy();
  return provider;
}

async function mcpClient(world: OAuthWorld, provider: MemoryProvider): Promise<Client> {
  const client = new Client({ name: 'e2e', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${world.url}/mcp?toolsets=all`), { authProvider: provider }),
  );
  return client;
}

const resultOf = (res: unknown) => (res as { structuredContent?: Record<string, any> }).structuredContent ?? {};

/** A schema-valid input per operation that takes a connection: resolution refuses before anything else runs. */
const samples: Record<string, Record<string, unknown>> = {
  notion_search: { query: 'x' },
  notion_request: { method: 'GET', path: `/v1/pages/${UUID(1)}` },
  notion_read: { method: 'GET', path: `/v1/pages/${UUID(1)}` },
  search: { query: 'x' },
  fetch: { id: UUID(1) },
  notion_query: { data_source_id: UUID(2) },
  notion_upsert: { data_source_id: UUID(2), unique: { property: 'Name', value: 'x' }, properties: {} },
  notion_database_create: { parent_page_id: UUID(1), title: 'x', properties: { Name: { type: 'title' } } },
  notion_data_source_get: { database_id: UUID(3) },
  notion_data_source_update: { data_source_id: UUID(2), title: 'x' },
  notion_views_list: { data_source_id: UUID(2) },
  notion_view_save: { data_source_id: UUID(2), name: 'x' },
  notion_page_create: { parent_page_id: UUID(1), title: 'x' },
  notion_page_get: { page_id: UUID(1) },
  notion_page_update: { page_id: UUID(1), append_markdown: 'x' },
  notion_link: {
    from: { type: 'page', id: UUID(1) },
    to: { type: 'page', id: UUID(4) },
    relation_property: 'Project',
  },
  notion_blocks_get: { block_id: UUID(1) },
  notion_blocks_append: { block_id: UUID(1), children: [{ paragraph: { rich_text: [{ text: { content: 'x' } }] } }] },
  notion_job_start: { kind: 'export', args: { data_source_id: UUID(2) } },
  notion_file_upload: { data_base64: 'eA==', filename: 'x.txt', page_id: UUID(1) },
  assets_url: { url: 'https://example.com/x.pdf', page_id: UUID(1) },
  notion_undo: { request_id: 'req-x' },
  notion_bulk: {
    ops: [{ op: 'notion_page_update', args: { page_id: UUID(1), append_markdown: 'x' } }],
  },
};

/** Operations of the running engine that resolve a connection (x-engine connection: required). */
const connectionOperations = Object.entries(operationPolicies)
  .filter(([id, p]) => p.connection === 'required' && Engine.isOperation(id))
  .map(([id]) => id);

describe('OAuth 2.1 end to end (MCP SDK client, consent, Notion sign-in)', () => {
  let world: OAuthWorld;
  const users: Record<'alice' | 'bob', User> = {} as never;

  beforeAll(async () => {
    world = await startOAuthWorld([
      { name: 'Alice Home' },
      { name: 'Alice Work' },
      { name: 'Bob Home' },
      { name: 'Bob Work' },
    ]);
    const ws = world.sandbox.workspaces().map((w) => w.id);
    for (const [name, mine] of [
      ['alice', [ws[0]!, ws[1]!]],
      ['bob', [ws[2]!, ws[3]!]],
    ] as const) {
      const browser = new CookieBrowser();
      // First sign-in connects both workspaces; the REST client signs in on the same browser session.
      const mcp = await signIn(world, browser, `${world.url}/mcp`, [...mine]);
      const rest = await signIn(world, browser, world.url, []);
      users[name] = { browser, mcp, rest, connections: [] };
    }
  }, 120_000);

  afterAll(async () => {
    await world?.close();
  });

  it('tools/call works with the access token; connections_list shows only the granted workspaces', async () => {
    for (const name of ['alice', 'bob'] as const) {
      const client = await mcpClient(world, users[name].mcp);
      const listed = resultOf(await client.callTool({ name: 'connections_list', arguments: {} }));
      const names = listed.connections.map((c: { workspace_name: string }) => c.workspace_name).sort();
      expect(names).toEqual(name === 'alice' ? ['Alice Home', 'Alice Work'] : ['Bob Home', 'Bob Work']);
      for (const c of listed.connections) expect(c.owner).toMatch(/^user:/);
      users[name].connections = listed.connections.map((c: { connection_id: string }) => c.connection_id);
      const found = await client.callTool({
        name: 'notion_search',
        arguments: { query: '', connection_id: users[name].connections[0] },
      });
      expect(found.isError).toBeFalsy();
      await client.close();
    }
    // The operator sees none of the users' connections.
    const operator = await api(world.url)('GET', '/v1/connections');
    expect(operator.json.result.connections).toEqual([]);
  });

  it('every MCP tool that takes a connection refuses the other user’s connection_id (connection_forbidden)', async () => {
    const client = await mcpClient(world, users.alice.mcp);
    const { tools } = await client.listTools();
    const toolNames = new Set(tools.map((t) => t.name));
    // The victims exist (made by the sign-in test above): without them the loop below would check nothing.
    expect(users.bob.connections).toHaveLength(2);
    const checked: string[] = [];
    let refused = 0;
    for (const operationId of connectionOperations) {
      const tool = operationPolicies[operationId as keyof typeof operationPolicies].tool;
      if (!tool || !toolNames.has(tool)) continue;
      expect(samples[operationId], `add an isolation sample for ${operationId}`).toBeDefined();
      for (const victim of users.bob.connections) {
        const res = await client.callTool({
          name: tool,
          arguments: { ...samples[operationId], connection_id: victim },
        });
        expect(res.isError, `${tool} with Bob's connection`).toBe(true);
        const error = resultOf(res).error ?? JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error;
        expect(error.code, `${tool}: ${JSON.stringify(error)}`).toBe('connection_forbidden');
        refused++;
        expect(error.details.connections.map((c: { connection_id: string }) => c.connection_id).sort()).toEqual(
          [...users.alice.connections].sort(),
        );
      }
      checked.push(tool);
    }
    expect(checked.length).toBeGreaterThanOrEqual(10);
    expect(refused).toBe(checked.length * 2);
    await client.close();
  });

  it('every REST operation that takes a connection refuses the other user’s connection_id', async () => {
    const call = api(world.url, users.bob.rest.saved!.access_token);
    const document = loadGeneratedDocument('openapi.full.json');
    let checked = 0;
    expect(users.alice.connections).toHaveLength(2);
    for (const { method, path, op } of operationsOf(document)) {
      const victim = users.alice.connections[0]!;
      if (op.operationId === 'connections_refresh') {
        const res = await call('POST', path, { connection_id: victim });
        expect(res.status, op.operationId).toBe(403);
        expect(res.json.error.code).toBe('connection_forbidden');
        checked++;
      } else if (op.operationId === 'connections_delete') {
        const res = await call('DELETE', path.replace('{connection_id}', victim));
        expect(res.status, op.operationId).toBe(403);
        expect(res.json.error.code).toBe('connection_forbidden');
        checked++;
      } else if (connectionOperations.includes(op.operationId)) {
        expect(samples[op.operationId], `add an isolation sample for ${op.operationId}`).toBeDefined();
        const res = await call(method.toUpperCase(), path, { ...samples[op.operationId], connection_id: victim });
        expect(res.json?.error?.code, `${op.operationId}: ${res.text.slice(0, 300)}`).toBe('connection_forbidden');
        expect(res.status).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(12);
    // Alice's connections are still there and still hers.
    const mine = await api(world.url, users.alice.rest.saved!.access_token)('GET', '/v1/connections');
    expect(mine.json.result.connections).toHaveLength(2);
  });

  it('principals are isolated: the operator reads none of a user’s jobs or audit rows, as it sees none of its connections', async () => {
    const alice = api(world.url, users.alice.rest.saved!.access_token);
    const operator = api(world.url, API_TOKEN);
    const [connection] = (await alice('GET', '/v1/connections')).json.result.connections;
    const started = await alice('POST', '/v1/jobs', {
      kind: 'bulk',
      connection_id: connection.connection_id,
      args: {
        ops: [
          {
            op: 'upsert',
            args: {
              data_source_id: '00000000-0000-4000-8000-000000000000',
              unique: { property: 'Name', value: 'Isolated' },
              properties: {},
            },
          },
        ],
      },
    });
    expect(started.status, started.text.slice(0, 300)).toBe(200);
    const jobId = started.json.result.job_id as string;
    const startRequest = started.json.meta.request_id as string;
    // Alice reads her own job and its audit row.
    expect((await alice('GET', `/v1/jobs/${jobId}`)).status).toBe(200);
    expect((await alice('GET', `/v1/audit?request_id=${startRequest}`)).json.result.entries).toHaveLength(1);
    // The operator does not: not_found, as for a job that does not exist, and no row in its lists.
    const read = await operator('GET', `/v1/jobs/${jobId}`);
    expect(read.status).toBe(404);
    expect(read.json.error.code).toBe('not_found');
    const cancel = await operator('POST', `/v1/jobs/${jobId}/cancel`);
    expect(cancel.status).toBe(404);
    const listed = (await operator('GET', '/v1/jobs?limit=100')).json.result.jobs.map(
      (j: { job_id: string }) => j.job_id,
    );
    expect(listed).not.toContain(jobId);
    expect((await operator('GET', `/v1/audit?request_id=${startRequest}`)).json.result.entries).toEqual([]);
    const audit = (await operator('GET', '/v1/audit?limit=200')).json.result.entries;
    expect(audit.filter((e: { job_id: string | null }) => e.job_id === jobId)).toEqual([]);
    expect(audit.filter((e: { request_id: string }) => e.request_id === startRequest)).toEqual([]);
  });

  it('legacy SSE takes the same MCP access token, and its session stays with that grant', async () => {
    const sse = await connectMcp(world.url, 'sse', users.alice.mcp.saved!.access_token);
    const listed = resultOf(await sse.callTool({ name: 'connections_list', arguments: {} }));
    expect(listed.connections.map((c: { connection_id: string }) => c.connection_id).sort()).toEqual(
      [...users.alice.connections].sort(),
    );
    const res = await sse.callTool({
      name: 'notion_search',
      arguments: { query: '', connection_id: users.bob.connections[0] },
    });
    expect(res.isError).toBe(true);
    expect(JSON.parse((res.content as Array<{ text: string }>)[0]!.text).error.code).toBe('connection_forbidden');
    await sse.close();
  });

  it('tokens are bound to their audience, their issuer and their signature', async () => {
    const mcpToken = users.alice.mcp.saved!.access_token;
    const restToken = users.alice.rest.saved!.access_token;
    // An MCP token does not open REST, nor a REST token MCP.
    const rest = await api(world.url, mcpToken)('GET', '/v1/connections');
    expect(rest.status).toBe(401);
    expect(rest.headers.get('www-authenticate')).toContain(
      `resource_metadata="${world.url}/.well-known/oauth-protected-resource"`,
    );
    expect(rest.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const mcp = await fetch(`${world.url}/mcp`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${restToken}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(mcp.status).toBe(401);
    expect(mcp.headers.get('www-authenticate')).toContain(
      `resource_metadata="${world.url}/.well-known/oauth-protected-resource/mcp"`,
    );
    // A tampered signature.
    const [h, p] = restToken.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'user:someone' })).toString('base64url')}.${restToken.split('.')[2]}`;
    expect((await api(world.url, forged)('GET', '/v1/connections')).status).toBe(401);
    // The operator's static token keeps working beside OAuth.
    expect((await api(world.url, API_TOKEN)('GET', '/v1/connections')).status).toBe(200);
  });

  it('refresh tokens are rotated for public clients and keep the grant', async () => {
    const provider = users.bob.mcp;
    const before = provider.saved!;
    const refresh = () =>
      fetch(`${world.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          refresh_token: before.refresh_token!,
          client_id: (provider.client as { client_id: string }).client_id,
        }),
      });
    const res = await refresh();
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as OAuthTokens;
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.refresh_token).not.toBe(before.refresh_token);
    provider.saveTokens(tokens);
    const client = await mcpClient(world, provider);
    const listed = resultOf(await client.callTool({ name: 'connections_list', arguments: {} }));
    expect(listed.connections).toHaveLength(2);
    await client.close();
    // The old refresh token is spent.
    const again = await refresh();
    expect(again.status).toBe(400);
  });
});
