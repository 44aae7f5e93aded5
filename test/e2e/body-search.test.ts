/**
 * Body search against the sandbox over REST and MCP: a word only in a page's body is not found by Notion's title
 * search, and is found by `search` and `notion_search` once a `search_index` job swept the connection; the next sweep
 * picks up an edit; the index is per connection; a connection's deletion deletes its rows; a cold index falls back
 * to Notion's title search and says so. Sweeps are started as jobs (SEARCH_INDEX_INTERVAL_S=0: no timer runs).
 */
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reseed, type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let mcp: McpClient;
let call: Stack['call'];
let notion: Client;
let rootPageId: string;
let alpha: string;

const rt = (content: string) => [{ type: 'text' as const, text: { content } }];

beforeAll(async () => {
  stack = await startStack({ toolsets: 'core,research,jobs', env: { SEARCH_INDEX_INTERVAL_S: '0' } });
  call = stack.call;
  mcp = stack.mcp!;
  rootPageId = (await reseed(stack.sandbox)).rootPageId;
  notion = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url });
  alpha = (await call('GET', '/v1/connections')).json.result.connections[0].connection_id;
});

afterAll(async () => stack?.close());

async function page(title: string, body: string, client = notion, parent = rootPageId): Promise<string> {
  const created = await client.pages.create({
    parent: { type: 'page_id', page_id: parent },
    properties: { title: { title: rt(title) } },
    children: [{ paragraph: { rich_text: rt(body) } }],
  });
  return created.id;
}

/** Runs a sweep of the connection as a job and waits for its end; answers the sweep's report. */
async function sweep(connectionId: string, args: Record<string, unknown> = {}) {
  const started = await call('POST', '/v1/jobs', { connection_id: connectionId, kind: 'search_index', args });
  expect(started.status).toBe(200);
  for (let i = 0; i < 300; i++) {
    const job = (await call('GET', `/v1/jobs/${started.json.result.job_id}`)).json.result;
    if (job.status === 'succeeded') return job.output.items[0];
    expect(['queued', 'running']).toContain(job.status);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the sweep did not end');
}

const ids = (results: Array<{ id: string }>) => results.map((r) => r.id);

describe('body search', () => {
  it('a cold index falls back to Notion title search and says so', async () => {
    const id = await page('Quarterly notes', 'We spoke about the zanzibarite shipment.');
    const rest = await call('POST', '/v1/research/search', { connection_id: alpha, query: 'zanzibarite' });
    expect(rest.json.result).toEqual({ results: [], index: 'cold' });
    const titled = await call('POST', '/v1/research/search', { connection_id: alpha, query: 'Quarterly' });
    expect(titled.json.result.index).toBe('cold');
    expect(ids(titled.json.result.results)).toContain(id);
  });

  it('finds a word only in a body after a sweep, over REST and MCP; Notion title search does not', async () => {
    const id = await page('Supplier call', 'The vendor agreed to ship the quokkaberry crates on Tuesday.');
    const notionOwn = await notion.search({ query: 'quokkaberry' });
    expect(notionOwn.results).toHaveLength(0);
    const report = await sweep(alpha);
    expect(report.indexed).toBeGreaterThan(0);

    const rest = (await call('POST', '/v1/research/search', { connection_id: alpha, query: 'quokkaberry' })).json
      .result;
    expect(rest.index).toBe('ready');
    expect(rest.results[0]).toMatchObject({ id, title: 'Supplier call' });
    expect(rest.results[0].snippet).toContain('**quokkaberry**');

    const viaMcp = await mcp.callTool({ name: 'search', arguments: { connection_id: alpha, query: 'quokkaberry' } });
    expect((viaMcp.structuredContent as any).results[0].id).toBe(id);

    const core = await mcp.callTool({
      name: 'notion_search',
      arguments: { connection_id: alpha, query: 'quokkaberry crates', mode: 'content' },
    });
    expect(core.structuredContent).toMatchObject({ index: 'ready', has_more: false });
    expect((core.structuredContent as any).results[0]).toMatchObject({ object: 'page', id, title: 'Supplier call' });

    // Title only: Notion's own search, which does not read bodies.
    const titleOnly = await call('POST', '/v1/search', { connection_id: alpha, query: 'quokkaberry', mode: 'title' });
    expect(titleOnly.json.result).toMatchObject({ results: [], index: 'ready' });
    // Both: body hits first, then title hits (Notion's), each page once.
    const both = await call('POST', '/v1/search', { connection_id: alpha, query: 'supplier' });
    expect(ids(both.json.result.results).filter((x: string) => x === id)).toHaveLength(1);
  });

  it('the next sweep picks up an edit, and costs one listing call when nothing changed', async () => {
    const id = await page('Meeting minutes', 'Nothing decided yet.');
    await sweep(alpha);
    stack.sandbox.clearRequestLog();
    const idle = await sweep(alpha);
    expect(idle).toMatchObject({ list_calls: 1, indexed: 0 });
    const searches = stack.sandbox.requestLog().filter((e) => e.path === '/v1/search');
    expect(searches).toHaveLength(1);
    expect(stack.sandbox.requestLog().filter((e) => e.path.includes('/markdown'))).toHaveLength(0);

    await notion.blocks.children.append({
      block_id: id,
      children: [{ paragraph: { rich_text: rt('Decision: adopt the xylophonic roadmap.') } }],
    });
    const before = (await call('POST', '/v1/research/search', { connection_id: alpha, query: 'xylophonic' })).json;
    expect(before.result.results).toHaveLength(0);
    const edited = await sweep(alpha);
    expect(edited.indexed).toBe(1);
    const after = (await call('POST', '/v1/research/search', { connection_id: alpha, query: 'xylophonic' })).json;
    expect(ids(after.result.results)).toEqual([id]);
  });

  it('keeps one index per connection, and a connection deletion deletes its rows', async () => {
    stack.sandbox.addWorkspace({ token: 'secret_beta_body_search', name: 'Beta' });
    const beta = new Client({ auth: 'secret_beta_body_search', baseUrl: stack.sandbox.url });
    const betaRoot = await beta.pages.create({
      parent: { type: 'workspace', workspace: true },
      properties: { title: { title: rt('Beta home') } },
    });
    const betaPage = await page('Beta plans', 'The wombatish merger is secret.', beta, betaRoot.id);
    const created = await call('POST', '/v1/connections', { token: 'secret_beta_body_search' });
    const betaId = created.json.result.connection.connection_id;
    await sweep(betaId);
    await sweep(alpha);

    const fromAlpha = (await call('POST', '/v1/research/search', { connection_id: alpha, query: 'wombatish' })).json;
    expect(fromAlpha.result.results).toHaveLength(0);
    const fromBeta = (await call('POST', '/v1/research/search', { connection_id: betaId, query: 'wombatish' })).json;
    expect(ids(fromBeta.result.results)).toEqual([betaPage]);
    const leak = (await call('POST', '/v1/research/search', { connection_id: betaId, query: 'quokkaberry' })).json;
    expect(leak.result.results).toHaveLength(0);

    const index = stack.gateway.gateway.engine.services.searchIndex;
    expect(await index.search(betaId, 'wombatish', 10)).toHaveLength(1);
    expect((await call('DELETE', `/v1/connections/${betaId}`)).status).toBe(200);
    expect(await index.search(betaId, 'wombatish', 10)).toHaveLength(0);
    expect(await index.state(betaId)).toBeNull();
    expect(await index.search(alpha, 'quokkaberry', 10)).toHaveLength(1);
  });
});

describe('the scheduled sweep', () => {
  it('finds a body word within SEARCH_INDEX_INTERVAL_S (the interval timer on a test clock)', async () => {
    // Only setInterval is faked: the gateway's sweep timer then fires when the test says, everything else runs.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let own: Stack | undefined;
    try {
      own = await startStack({ env: { SEARCH_INDEX_INTERVAL_S: '600' } });
      const client = new Client({ auth: own.sandbox.token, baseUrl: own.sandbox.url });
      const id = await page('Standup', 'The pangolinic release slipped a day.', client, own.demo.rootPageId);
      const ask = async () =>
        (await own!.call('POST', '/v1/research/search', { query: 'pangolinic' })).json.result as {
          results: Array<{ id: string }>;
          index: string;
        };
      expect(await ask()).toEqual({ results: [], index: 'cold' });
      vi.advanceTimersByTime(600_000);
      let answer = await ask();
      for (let i = 0; i < 300 && answer.results.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        answer = await ask();
      }
      expect(answer.index).toBe('ready');
      expect(ids(answer.results)).toEqual([id]);
    } finally {
      vi.useRealTimers();
      await own?.close();
    }
  });
});
