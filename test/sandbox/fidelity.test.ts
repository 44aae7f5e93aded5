// Fidelity check against a source nobody here wrote: every operation in Notion's published OpenAPI
// description (bundled in @notionhq/notion-mcp-server, "Notion API 2025-09-03 – Data Source Edition") is
// called on the sandbox, and the raw response body is validated against that operation's response schema.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';

const require = createRequire(import.meta.url);
const doc = JSON.parse(
  readFileSync(require.resolve('@notionhq/notion-mcp-server/scripts/notion-openapi.json'), 'utf8'),
) as {
  info: { description: string };
  paths: Record<
    string,
    Record<
      string,
      { operationId: string; responses: Record<string, { content?: Record<string, { schema?: object }> }> }
    >
  >;
  components: object;
};
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);

let sb: Sandbox;
let demo: DemoWorkspace;
let commentId = '';

async function call(method: string, path: string, body?: unknown, version = '2025-09-03') {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${sb.token}`, 'Notion-Version': version, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function schemaFor(path: string, method: string, status: string): object | undefined {
  const s = doc.paths[path]?.[method]?.responses[status]?.content?.['application/json']?.schema;
  // $refs point into #/components: compile each response schema with the document's components alongside.
  return s ? { ...s, components: doc.components } : undefined;
}

function check(path: string, method: string, status: string, body: unknown): void {
  const schema = schemaFor(path, method, status);
  // A missing schema is a failure, not a pass: the published description documents both statuses checked here.
  expect(schema, `${method.toUpperCase()} ${path} has no ${status} response schema`).toBeDefined();
  const validate = ajv.compile(schema!);
  const ok = validate(body);
  expect(
    ok,
    `${method.toUpperCase()} ${path} ${status}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`,
  ).toBe(true);
}

/**
 * Operations whose 200 response the published description leaves without a schema. Kept exact (a test below
 * compares it with the document), so a schema that goes missing elsewhere fails instead of passing unchecked.
 */
const NO_200_SCHEMA = ['create-a-comment', 'get-user', 'retrieve-a-comment', 'retrieve-a-page-property'];

/** Where the generic failing variant (bad id, bad page_size, bad body) cannot apply: an explicit one. */
const badCalls: Record<string, () => { method: string; path: string; body?: unknown; version?: string }> = {
  'get-self': () => ({ method: 'GET', path: '/v1/users/me', version: 'not-a-version' }),
};

/** For each OpenAPI operation: how to call it on the seeded sandbox (success case) and a failing variant. */
const calls: Record<string, () => { method: string; path: string; body?: unknown; version?: string }> = {
  'get-user': () => ({ method: 'GET', path: `/v1/users/${sb.workspaces()[0]!.botId}` }),
  'get-users': () => ({ method: 'GET', path: '/v1/users?page_size=2' }),
  'get-self': () => ({ method: 'GET', path: '/v1/users/me' }),
  'post-search': () => ({ method: 'POST', path: '/v1/search', body: { query: '', page_size: 10 } }),
  'get-block-children': () => ({ method: 'GET', path: `/v1/blocks/${demo.rootPageId}/children` }),
  'patch-block-children': () => ({
    method: 'PATCH',
    path: `/v1/blocks/${demo.rootPageId}/children`,
    body: { children: [{ paragraph: { rich_text: [{ text: { content: 'fidelity' } }] } }] },
  }),
  'retrieve-a-block': () => ({ method: 'GET', path: `/v1/blocks/${demo.rootPageId}` }),
  'update-a-block': () => ({
    method: 'PATCH',
    path: `/v1/blocks/${blockId}`,
    body: { paragraph: { rich_text: [{ text: { content: 'edited' } }] } },
  }),
  'delete-a-block': () => ({ method: 'DELETE', path: `/v1/blocks/${blockId}` }),
  'retrieve-a-page': () => ({ method: 'GET', path: `/v1/pages/${demo.tasks.pageIds[0]}` }),
  'patch-page': () => ({
    method: 'PATCH',
    path: `/v1/pages/${demo.tasks.pageIds[0]}`,
    body: { properties: { Hours: { number: 7 } } },
  }),
  'post-page': () => ({
    method: 'POST',
    path: '/v1/pages',
    body: {
      parent: { data_source_id: demo.tasks.dataSourceId },
      properties: { Name: { title: [{ text: { content: 'New' } }] } },
    },
  }),
  'retrieve-a-page-property': () => ({ method: 'GET', path: `/v1/pages/${demo.tasks.pageIds[0]}/properties/title` }),
  'retrieve-a-comment': () => ({ method: 'GET', path: `/v1/comments?block_id=${demo.rootPageId}` }),
  'create-a-comment': () => ({
    method: 'POST',
    path: '/v1/comments',
    body: { parent: { page_id: demo.rootPageId }, rich_text: [{ text: { content: 'Hi' } }] },
  }),
  'query-data-source': () => ({
    method: 'POST',
    path: `/v1/data_sources/${demo.tasks.dataSourceId}/query`,
    body: { page_size: 2 },
  }),
  'retrieve-a-data-source': () => ({ method: 'GET', path: `/v1/data_sources/${demo.tasks.dataSourceId}` }),
  'update-a-data-source': () => ({
    method: 'PATCH',
    path: `/v1/data_sources/${demo.tasks.dataSourceId}`,
    body: { properties: { Notes: { rich_text: {} } } },
  }),
  'create-a-data-source': () => ({
    method: 'POST',
    path: '/v1/data_sources',
    body: { parent: { database_id: demo.tasks.databaseId }, properties: { Name: { title: {} } } },
  }),
  'list-data-source-templates': () => ({
    method: 'GET',
    path: `/v1/data_sources/${demo.tasks.dataSourceId}/templates`,
  }),
  'retrieve-a-database': () => ({ method: 'GET', path: `/v1/databases/${demo.tasks.databaseId}` }),
  'move-page': () => ({
    method: 'POST',
    path: `/v1/pages/${movable}/move`,
    body: { parent: { page_id: demo.rootPageId } },
  }),
  'retrieve-page-markdown': () => ({
    method: 'GET',
    path: `/v1/pages/${demo.rootPageId}/markdown`,
    version: '2026-03-11',
  }),
  'update-page-markdown': () => ({
    method: 'PATCH',
    path: `/v1/pages/${movable}/markdown`,
    body: { type: 'insert_content', insert_content: { content: '- item' } },
    version: '2026-03-11',
  }),
};
let blockId = '';
let movable = '';

beforeAll(async () => {
  sb = await startSandbox();
  demo = await seedDemoWorkspace(sb);
  const appended = await call('PATCH', `/v1/blocks/${demo.rootPageId}/children`, {
    children: [{ paragraph: { rich_text: [] } }],
  });
  blockId = (appended.body.results as Array<{ id: string }>)[0]!.id;
  const page = await call('POST', '/v1/pages', {
    parent: { page_id: demo.rootPageId },
    properties: { title: [{ text: { content: 'Movable' } }] },
  });
  movable = page.body.id as string;
  const c = await call('POST', '/v1/comments', {
    parent: { page_id: demo.rootPageId },
    rich_text: [{ text: { content: 'x' } }],
  });
  commentId = c.body.id as string;
});
afterAll(() => sb.close());

describe(`fidelity against ${doc.info.description.slice(0, 40)}…`, () => {
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, id: op.operationId })),
  );

  it('serves every operation of the published OpenAPI description', () => {
    const served = new Set(sb.routes().map((r) => `${r.method} ${r.template.replace(/:([a-z_]+)/g, '{$1}')}`));
    const missing = ops.filter((o) => !served.has(`${o.method.toUpperCase()} ${o.path}`));
    expect(missing).toEqual([]);
    expect(Object.keys(calls).sort()).toEqual(ops.map((o) => o.id).sort());
  });

  it('knows exactly which operations the description leaves without a 200 schema', () => {
    expect(
      ops
        .filter((o) => !schemaFor(o.path, o.method, '200'))
        .map((o) => o.id)
        .sort(),
    ).toEqual(NO_200_SCHEMA);
    expect(ops.filter((o) => !schemaFor(o.path, o.method, '400')).map((o) => o.id)).toEqual([]);
  });

  for (const op of Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, o]) => ({ path, method, id: o.operationId })),
  )) {
    it(`${op.method.toUpperCase()} ${op.path} (${op.id}) matches the 200 and 400 schemas`, async () => {
      const c = calls[op.id]!();
      expect(c.method).toBe(op.method.toUpperCase());
      const ok = await call(c.method, c.path, c.body, c.version);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      if (!NO_200_SCHEMA.includes(op.id)) check(op.path, op.method, '200', ok.body);
      // An invalid id in the path or an invalid body gives a 400 that must match the error schema.
      const badPath = c.path
        .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/, 'not-a-uuid')
        .replace('page_size=2', 'page_size=1000');
      const b = badCalls[op.id]?.() ?? {
        method: c.method,
        path: badPath === c.path ? `${c.path}${c.path.includes('?') ? '&' : '?'}page_size=0` : badPath,
        body:
          c.method === 'GET'
            ? undefined
            : { parent: 1, properties: 1, children: 1, query: 1, type: 1, page_size: 1000 },
        version: c.version,
      };
      const bad = await call(b.method, b.path, b.body, b.version);
      expect(bad.status, `${b.method} ${b.path}: ${JSON.stringify(bad.body).slice(0, 300)}`).toBe(400);
      expect(bad.body.object).toBe('error');
      check(op.path, op.method, '400', bad.body);
    });
  }

  it('uses the comment created in setup', () => {
    expect(commentId).toMatch(/[0-9a-f-]{36}/);
  });
});
