/**
 * Property-based fuzzing of the notion_request / notion_read allowlist through the real gateway (REST and MCP) against
 * a sandbox with two workspaces. The gateway holds only workspace A's token. Thousands of generated methods, paths
 * (ids of A and B, random and malformed ids, encodings, traversal, absolute URLs, OAuth routes, query strings,
 * control and non-ASCII characters) and query values. Afterwards the sandbox's request log must show that nothing
 * outside the allowlist and nothing in workspace B was reached, that notion_read only read, and no answer was a 5xx.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Client as NotionClient } from '@notionhq/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOWED_ROUTES, classifyNotionCall, resolveAllowedRoute } from '../../src/notion/allowlist.ts';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { API_TOKEN, api, type RunningGateway, startGateway } from '../support/gateway.ts';
import { connectMcp } from '../support/mcp.ts';

const TOKEN_A = 'secret_fuzz_workspace_a_51c2';
const TOKEN_B = 'secret_fuzz_workspace_b_93de';
const B_MARKER = 'Workspace B private title 7731';

let sandbox: Sandbox;
let gateway: RunningGateway;
let mcp: Client;
let call: ReturnType<typeof api>;
let idsA: string[] = [];
let idsB: string[] = [];
let workspaceA: string;
const figures = { rest: 0, mcp: 0, reachedNotion: 0 };

async function seed(token: string, title: string): Promise<string[]> {
  const notion = new NotionClient({ auth: token, baseUrl: sandbox.url });
  const page = await notion.pages.create({
    parent: { type: 'workspace', workspace: true } as never,
    properties: { title: { title: [{ text: { content: title } }] } },
  });
  const db = (await notion.databases.create({
    parent: { type: 'page_id', page_id: page.id },
    title: [{ text: { content: `${title} db` } }],
    initial_data_source: { properties: { Name: { title: {} } } },
  } as never)) as { id: string; data_sources?: Array<{ id: string }> };
  const blocks = await notion.blocks.children.append({
    block_id: page.id,
    children: [{ paragraph: { rich_text: [{ text: { content: title } }] } }],
  });
  return [page.id, db.id, ...(db.data_sources ?? []).map((d) => d.id), blocks.results[0]!.id];
}

beforeAll(async () => {
  sandbox = await startSandbox({
    workspaces: [
      { token: TOKEN_A, name: 'A' },
      { token: TOKEN_B, name: 'B' },
    ],
  });
  idsA = await seed(TOKEN_A, 'Workspace A page');
  idsB = await seed(TOKEN_B, B_MARKER);
  workspaceA = sandbox.workspaces().find((w) => w.name === 'A')!.id;
  sandbox.clearRequestLog(); // from here on, only what the gateway sends
  gateway = await startGateway({ NOTION_TOKEN: TOKEN_A, NOTION_BASE_URL: sandbox.url, NOTION_MAX_RETRIES: '0' });
  call = api(gateway.url);
  mcp = await connectMcp(gateway.url, 'streamable-http', API_TOKEN);
});

afterAll(async () => {
  await mcp?.close();
  await gateway?.close();
  await sandbox?.close();
});

const dashless = (id: string) => id.replace(/-/g, '');
const anyId = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...idsA, ...idsB) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(...idsA.map(dashless), ...idsB.map(dashless), ...idsB.map((i) => i.toUpperCase())),
    },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        'x',
        '..',
        '.',
        '%2e%2e',
        '%2F',
        'a/b',
        'me',
        'x?y=1',
        '',
        ' ',
        '\u0000',
        '😀',
        'oauth',
        'token',
      ),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );

const segment = () =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...new Set(ALLOWED_ROUTES.flatMap((r) => r.template.split('/')))) },
    { weight: 2, arbitrary: anyId() },
    { weight: 1, arbitrary: fc.constantFrom('oauth', 'token', 'revoke', 'introspect', 'file_uploads', 'send', 'v1') },
  );

/** Paths from the allowlist's own templates with their holes filled by anything, plus free-form hostile paths. */
const pathArb = () =>
  fc.oneof(
    {
      weight: 5,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...ALLOWED_ROUTES.map((r) => r.template)),
          fc.array(anyId(), { minLength: 3, maxLength: 3 }),
        )
        .map(([template, ids]) => {
          let i = 0;
          return `/v1/${template.replace(/\{[a-z_]+\}/g, () => ids[i++ % 3]!)}`;
        }),
    },
    { weight: 3, arbitrary: fc.array(segment(), { minLength: 1, maxLength: 5 }).map((s) => `/v1/${s.join('/')}`) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          fc.array(segment(), { minLength: 1, maxLength: 4 }),
          fc.constantFrom(
            (p: string) => `https://api.notion.com/v1/${p}`,
            (p: string) => `//evil.example/v1/${p}`,
            (p: string) => `/v1/${p}/../oauth/token`,
            (p: string) => `/v1/${p}?filter_properties=x`,
            (p: string) => `/v1/${p}#frag`,
            (p: string) => `/v1/${p}`.replace(/\//g, '%2F'),
            (p: string) => `/v1\\${p}`,
            (p: string) => `/v1/${p}/`,
            (p: string) => `v1/${p}`,
            (p: string) => p,
            (p: string) => `/v1//${p}`,
            (p: string) => `/v1/${p}\n`,
            (p: string) => `/v2/${p}`,
          ),
        )
        .map(([s, f]) => f(s.join('/'))),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
  );

const methodArb = () =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
    {
      weight: 2,
      arbitrary: fc.constantFrom('get', 'Post', 'PUT', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT', ' GET', 'GET\n'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 10 }) },
  );

const queryArb = () =>
  fc.option(
    fc.dictionary(
      fc.constantFrom(
        'filter_properties',
        'page_size',
        'start_cursor',
        'name',
        'block_id',
        'database_id',
        'x',
        '__proto__',
      ),
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.integer(),
        fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
        fc.constant('%zz'),
        fc.constant(['%', '%E0%A4%A']),
      ),
      { maxKeys: 2 },
    ),
    { nil: undefined },
  );

const bodyArb = () =>
  fc.option(
    fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constant({
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: 'fuzz' } }] } },
      }),
      fc.constantFrom(...idsB).map((id) => ({ parent: { page_id: id }, properties: {} })),
    ),
    { nil: undefined },
  );

const requestArb = () =>
  fc.record(
    { method: methodArb(), path: pathArb(), query: queryArb(), body: bodyArb() },
    { requiredKeys: ['method', 'path'] },
  );

function checkAnswer(status: number, text: string) {
  expect(status, text.slice(0, 300)).toBeLessThan(500);
  expect(text).not.toContain(B_MARKER);
  for (const id of idsB) {
    expect(text).not.toContain(`"id":"${id}"`);
  }
}

describe('the Notion proxy allowlist under fuzzing', () => {
  it('REST notion_request: thousands of generated requests, never a 5xx, never workspace B', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb(), async (input) => {
        figures.rest++;
        const res = await call('POST', '/v1/notion/request', input);
        checkAnswer(res.status, res.text);
      }),
      { numRuns: 2500, seed: 8_2026 },
    );
  });

  it('REST notion_read: only reads reach Notion', async () => {
    const before = sandbox.requestLog().length;
    await fc.assert(
      fc.asyncProperty(requestArb(), async (input) => {
        figures.rest++;
        const res = await call('POST', '/v1/notion/read', input);
        checkAnswer(res.status, res.text);
      }),
      { numRuns: 1000, seed: 8_2027 },
    );
    const reached = sandbox.requestLog().slice(before);
    // Not vacuous: generated reads do reach Notion.
    expect(reached.length).toBeGreaterThan(0);
    for (const entry of reached) {
      expect(classifyNotionCall(entry.method, entry.path), `${entry.method} ${entry.path}`).toBe('read');
      // Judged again without the production classifier: Notion's reads are GETs, search and the query routes.
      const read =
        entry.method === 'GET' ||
        (entry.method === 'POST' &&
          (entry.path === '/v1/search' || entry.path.endsWith('/query') || entry.path.endsWith('/queries')));
      expect(read, `${entry.method} ${entry.path}`).toBe(true);
    }
  });

  it('MCP notion_request and notion_read: the same guarantees', async () => {
    await fc.assert(
      fc.asyncProperty(requestArb(), fc.constantFrom('notion_request', 'notion_read'), async (input, name) => {
        figures.mcp++;
        const res = await mcp.callTool({ name, arguments: input as Record<string, unknown> });
        checkAnswer(200, JSON.stringify(res));
        // MCP answers failures as isError results: a gateway fault there is the 5xx of REST.
        if (res.isError) {
          const { error } = JSON.parse((res.content as Array<{ text: string }>)[0]!.text);
          expect(error.code, JSON.stringify(error)).not.toBe('internal_error');
        }
      }),
      { numRuns: 500, seed: 8_2028 },
    );
  });

  it('the sandbox log: every request reached an allow-listed route of workspace A, never OAuth', () => {
    const log = sandbox.requestLog();
    figures.reachedNotion = log.length;
    expect(log.length).toBeGreaterThan(50); // the fuzzer does reach Notion: the check below is not vacuous
    for (const entry of log) {
      const where = `${entry.method} ${entry.path}`;
      // Routes the sandbox does not serve (file uploads) are refused before it resolves the token: no workspace.
      if (entry.route === null) expect(entry.workspaceId, where).toBeNull();
      else expect(entry.workspaceId, where).toBe(workspaceA);
      expect(entry.path, where).not.toMatch(/oauth/i);
      const pathOnly = entry.path.split('?')[0]!;
      expect(() => resolveAllowedRoute(entry.method, pathOnly), where).not.toThrow();
    }
    console.log(
      `allowlist fuzzing: ${figures.rest} REST + ${figures.mcp} MCP generated requests, ${log.length} reached the sandbox`,
    );
  });
});
