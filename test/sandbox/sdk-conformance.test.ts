// Every route the sandbox serves, checked at run time against JSON Schemas generated from @notionhq/client's own
// response types (sdk-schemas.ts): one call that must answer 200 with a body of the SDK's type, and one bad input
// that must answer the exact 4xx status and Notion error code. The route list comes from the sandbox's router, so a
// route added without an entry in `checks` fails here; the last test says how many routes were really checked.
import { APIErrorCode } from '@notionhq/client';
import type { ErrorObject } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRouter, type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { generateSdkSchemas } from './sdk-schemas.ts';

const OAUTH = { clientId: 'conformance-client', clientSecret: 'conformance-secret' };
const REDIRECT = 'https://gateway.example/oauth/callback';
const MISSING = '0badc0de-0000-4000-8000-000000000000';
const MARKDOWN_VERSION = '2026-03-11';
/** Error codes of RFC 6749 §5.2 / §4.1.2.1, which the OAuth routes answer with instead of Notion's APIErrorCode. */
const OAUTH_ERROR_CODES = ['invalid_request', 'invalid_client', 'invalid_grant', 'unsupported_grant_type'];

const schemas = generateSdkSchemas();
const served = buildRouter({ oauth: OAUTH })
  .list()
  .map((r) => `${r.method} ${r.template}`);

interface Answer {
  status: number;
  body: Record<string, unknown>;
  location: string | null;
}
type Request = { version?: string; auth?: string; query?: Record<string, string> };

let sb: Sandbox;
let demo: DemoWorkspace;
/** Ids made once in beforeAll that no check changes (a check that deletes or moves something makes its own). */
const fx = { everything: { databaseId: '', dataSourceId: '', pageId: '' }, blocksPageId: '', viewId: '' };

async function call(method: string, path: string, body?: unknown, req: Request = {}): Promise<Answer> {
  const url = new URL(path, sb.url);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const res = await fetch(url, {
    method,
    redirect: 'manual',
    headers: {
      authorization: req.auth ?? `Bearer ${sb.token}`,
      'Notion-Version': req.version ?? '2025-09-03',
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, location: res.headers.get('location') };
}

/** A call that must succeed: returns the body (used to build what a check needs). */
async function made(method: string, path: string, body?: unknown, req?: Request): Promise<Record<string, any>> {
  const a = await call(method, path, body, req);
  expect(a.status, `${method} ${path}: ${JSON.stringify(a.body)}`).toBe(200);
  return a.body;
}

const basic = `Basic ${Buffer.from(`${OAUTH.clientId}:${OAUTH.clientSecret}`).toString('base64')}`;
const rt = (content: string) => [{ type: 'text', text: { content } }];
const newPage = (title: string) =>
  made('POST', '/v1/pages', { parent: { page_id: demo.rootPageId }, properties: { title: { title: rt(title) } } });
const newBlock = async () =>
  (await made('PATCH', `/v1/blocks/${fx.blocksPageId}/children`, { children: [{ paragraph: { rich_text: rt('x') } }] }))
    .results[0].id as string;
const newComment = () =>
  made('POST', '/v1/comments', { parent: { page_id: demo.rootPageId }, rich_text: rt('A comment') });
const newView = () =>
  made('POST', '/v1/views', { data_source_id: demo.tasks.dataSourceId, name: 'Scratch', type: 'table' });
/** A file upload's bytes, as multipart/form-data (the one route that takes no JSON). */
async function sendPart(id: string, text: string, part?: string): Promise<Answer> {
  const form = new FormData();
  form.set('file', new Blob([text], { type: 'text/plain' }), 'part.txt');
  if (part) form.set('part_number', part);
  const res = await fetch(new URL(`/v1/file_uploads/${id}/send`, sb.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${sb.token}`, 'Notion-Version': '2025-09-03' },
    body: form,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, location: null };
}
const sentUpload = async () => {
  const upload = await made('POST', '/v1/file_uploads', { filename: 'sent.txt' });
  expect((await sendPart(upload.id as string, 'sent')).status).toBe(200);
  return upload;
};
async function authorizeCode(): Promise<string> {
  const a = await call('GET', '/v1/oauth/authorize', undefined, {
    query: { client_id: OAUTH.clientId, redirect_uri: REDIRECT, response_type: 'code', state: 's1' },
  });
  return new URL(a.location!).searchParams.get('code')!;
}
const exchange = async (code: string) =>
  call('POST', '/v1/oauth/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, { auth: basic });

interface Check {
  /** The SDK's response type for this route (an `…Response` of @notionhq/client). */
  sdk: string;
  /**
   * By `object`: the member of `sdk` the body (for a list: every result) must also match. The SDK's unions admit
   * partial objects (`{object, id}`) for content an integration cannot see; the sandbox always has full access, so
   * a partial object from it is a renderer that lost its fields.
   */
  full?: Record<string, string>;
  /** One or more calls that must answer 200. */
  ok: () => Promise<Answer[]>;
  /** A bad input and the exact status and code it must be refused with. */
  bad: { status: number; code: string; call: () => Promise<Answer> };
}

const PAGE = { page: 'PageObjectResponse' };
const BLOCK = { block: 'BlockObjectResponse' };
const notFound = (call: () => Promise<Answer>) => ({ status: 404, code: 'object_not_found', call });
const invalid = (call: () => Promise<Answer>) => ({ status: 400, code: 'validation_error', call });

const checks: Record<string, Check | { redirect: true; ok: () => Promise<Answer[]>; bad: Check['bad'] }> = {
  'GET /v1/users/me': {
    sdk: 'GetSelfResponse',
    ok: async () => [await call('GET', '/v1/users/me')],
    bad: {
      status: 401,
      code: 'unauthorized',
      call: () => call('GET', '/v1/users/me', undefined, { auth: 'Bearer no' }),
    },
  },
  'GET /v1/users': {
    sdk: 'ListUsersResponse',
    ok: async () => [
      await call('GET', '/v1/users'),
      await call('GET', '/v1/users', undefined, { query: { page_size: '1' } }),
    ],
    bad: invalid(() => call('GET', '/v1/users', undefined, { query: { page_size: '1000' } })),
  },
  'GET /v1/users/:user_id': {
    sdk: 'GetUserResponse',
    ok: async () => {
      const users = (await made('GET', '/v1/users')).results as Array<{ id: string }>;
      return Promise.all(users.map((u) => call('GET', `/v1/users/${u.id}`)));
    },
    bad: notFound(() => call('GET', `/v1/users/${MISSING}`)),
  },
  'POST /v1/search': {
    sdk: 'SearchResponse',
    full: { ...PAGE, data_source: 'DataSourceObjectResponse' },
    ok: async () => [
      await call('POST', '/v1/search', {}),
      await call('POST', '/v1/search', { filter: { property: 'object', value: 'data_source' } }),
    ],
    bad: invalid(() => call('POST', '/v1/search', { filter: { property: 'object', value: 'database' } })),
  },
  'POST /v1/pages': {
    sdk: 'CreatePageResponse',
    full: PAGE,
    ok: async () => [
      await call('POST', '/v1/pages', {
        parent: { page_id: demo.rootPageId },
        icon: { type: 'emoji', emoji: '📄' },
        cover: { type: 'external', external: { url: 'https://example.com/cover.png' } },
        properties: { title: { title: rt('Created') } },
        children: [{ paragraph: { rich_text: rt('body') } }],
      }),
      await call('POST', '/v1/pages', {
        parent: { data_source_id: fx.everything.dataSourceId },
        properties: { Name: { title: rt('Row') } },
      }),
    ],
    bad: invalid(() => call('POST', '/v1/pages', { properties: { title: { title: rt('No parent') } } })),
  },
  'GET /v1/pages/:page_id': {
    sdk: 'GetPageResponse',
    full: PAGE,
    ok: async () =>
      Promise.all(
        [demo.rootPageId, fx.everything.pageId, ...demo.projects.pageIds, ...demo.tasks.pageIds].map((id) =>
          call('GET', `/v1/pages/${id}`),
        ),
      ),
    bad: notFound(() => call('GET', `/v1/pages/${MISSING}`)),
  },
  'PATCH /v1/pages/:page_id': {
    sdk: 'UpdatePageResponse',
    full: PAGE,
    ok: async () => [
      await call('PATCH', `/v1/pages/${demo.tasks.pageIds[0]}`, {
        properties: { Hours: { number: 7 } },
        icon: { type: 'external', external: { url: 'https://example.com/icon.png' } },
      }),
      await call('PATCH', `/v1/pages/${(await newPage('Trashed')).id}`, { in_trash: true }),
    ],
    bad: invalid(() =>
      call('PATCH', `/v1/pages/${demo.tasks.pageIds[0]}`, { properties: { 'No such property': { number: 1 } } }),
    ),
  },
  'GET /v1/pages/:page_id/properties/:property_id': {
    sdk: 'GetPagePropertyResponse',
    ok: async () => {
      // Every property of the page that holds one of each type, and of a project (rollups over a relation).
      const answers: Answer[] = [];
      for (const pageId of [fx.everything.pageId, demo.projects.pageIds[0]!]) {
        const page = await made('GET', `/v1/pages/${pageId}`);
        for (const p of Object.values(page.properties as Record<string, { id: string }>))
          answers.push(await call('GET', `/v1/pages/${pageId}/properties/${encodeURIComponent(p.id)}`));
      }
      return answers;
    },
    bad: notFound(() => call('GET', `/v1/pages/${demo.rootPageId}/properties/nope`)),
  },
  'POST /v1/pages/:page_id/move': {
    sdk: 'MovePageResponse',
    full: PAGE,
    ok: async () => [
      await call('POST', `/v1/pages/${(await newPage('Moved')).id}/move`, { parent: { page_id: fx.blocksPageId } }),
    ],
    bad: invalid(() => call('POST', `/v1/pages/${demo.rootPageId}/move`, { parent: { page_id: demo.rootPageId } })),
  },
  'GET /v1/pages/:page_id/markdown': {
    sdk: 'GetPageMarkdownResponse',
    ok: async () => [
      await call('GET', `/v1/pages/${fx.blocksPageId}/markdown`, undefined, { version: MARKDOWN_VERSION }),
      await call('GET', `/v1/pages/${demo.rootPageId}/markdown`, undefined, { version: MARKDOWN_VERSION }),
    ],
    // The Markdown routes need a newer Notion-Version than the rest of the API.
    bad: invalid(() => call('GET', `/v1/pages/${demo.rootPageId}/markdown`)),
  },
  'PATCH /v1/pages/:page_id/markdown': {
    sdk: 'UpdatePageMarkdownResponse',
    ok: async () => {
      const id = (await newPage('Markdown')).id;
      const md = (body: unknown) => call('PATCH', `/v1/pages/${id}/markdown`, body, { version: MARKDOWN_VERSION });
      return [
        await md({ type: 'replace_content', replace_content: { new_str: '# Title\n\n- item\n- [x] done' } }),
        await md({ type: 'insert_content', insert_content: { content: 'A paragraph' } }),
      ];
    },
    bad: invalid(() =>
      call(
        'PATCH',
        `/v1/pages/${demo.rootPageId}/markdown`,
        { type: 'update_content', update_content: { content_updates: [{ old_str: 'absent text', new_str: 'x' }] } },
        { version: MARKDOWN_VERSION },
      ),
    ),
  },
  'GET /v1/blocks/:block_id': {
    sdk: 'GetBlockResponse',
    full: BLOCK,
    ok: async () => {
      const children = (await made('GET', `/v1/blocks/${fx.blocksPageId}/children`)).results as Array<{ id: string }>;
      return Promise.all([demo.rootPageId, ...children.map((c) => c.id)].map((id) => call('GET', `/v1/blocks/${id}`)));
    },
    bad: notFound(() => call('GET', `/v1/blocks/${MISSING}`)),
  },
  'PATCH /v1/blocks/:block_id': {
    sdk: 'UpdateBlockResponse',
    full: BLOCK,
    ok: async () => [await call('PATCH', `/v1/blocks/${await newBlock()}`, { paragraph: { rich_text: rt('edited') } })],
    bad: invalid(async () =>
      call('PATCH', `/v1/blocks/${await newBlock()}`, { paragraph: { rich_text: 'not an array' } }),
    ),
  },
  'DELETE /v1/blocks/:block_id': {
    sdk: 'DeleteBlockResponse',
    full: BLOCK,
    ok: async () => [await call('DELETE', `/v1/blocks/${await newBlock()}`)],
    bad: notFound(() => call('DELETE', `/v1/blocks/${MISSING}`)),
  },
  'GET /v1/blocks/:block_id/children': {
    sdk: 'ListBlockChildrenResponse',
    full: BLOCK,
    ok: async () => {
      const top = await call('GET', `/v1/blocks/${fx.blocksPageId}/children`);
      const parents = (top.body.results as Array<{ id: string; has_children: boolean }>).filter((b) => b.has_children);
      expect(parents.length).toBeGreaterThan(0);
      const nested = await Promise.all(parents.map((b) => call('GET', `/v1/blocks/${b.id}/children`)));
      return [
        top,
        await call('GET', `/v1/blocks/${demo.rootPageId}/children`, undefined, { query: { page_size: '1' } }),
        ...nested,
      ];
    },
    bad: invalid(() => call('GET', `/v1/blocks/${demo.rootPageId}/children`, undefined, { query: { page_size: '0' } })),
  },
  'PATCH /v1/blocks/:block_id/children': {
    sdk: 'AppendBlockChildrenResponse',
    full: BLOCK,
    ok: async () => [
      await call('PATCH', `/v1/blocks/${(await newPage('Append')).id}/children`, { children: EVERY_BLOCK() }),
    ],
    bad: invalid(() =>
      call('PATCH', `/v1/blocks/${demo.rootPageId}/children`, {
        children: Array.from({ length: 101 }, () => ({ paragraph: { rich_text: [] } })),
      }),
    ),
  },
  'POST /v1/databases': {
    sdk: 'CreateDatabaseResponse',
    full: { database: 'DatabaseObjectResponse' },
    ok: async () => [
      await call('POST', '/v1/databases', {
        parent: { type: 'page_id', page_id: demo.rootPageId },
        title: rt('Created database'),
        initial_data_source: { properties: { Name: { title: {} }, Size: { number: { format: 'number' } } } },
      }),
    ],
    bad: invalid(() => call('POST', '/v1/databases', { title: rt('No parent') })),
  },
  'GET /v1/databases/:database_id': {
    sdk: 'GetDatabaseResponse',
    full: { database: 'DatabaseObjectResponse' },
    ok: async () =>
      Promise.all(
        [demo.projects.databaseId, demo.tasks.databaseId, fx.everything.databaseId].map((id) =>
          call('GET', `/v1/databases/${id}`),
        ),
      ),
    bad: notFound(() => call('GET', `/v1/databases/${MISSING}`)),
  },
  'PATCH /v1/databases/:database_id': {
    sdk: 'UpdateDatabaseResponse',
    full: { database: 'DatabaseObjectResponse' },
    ok: async () => [
      await call('PATCH', `/v1/databases/${demo.projects.databaseId}`, {
        title: rt('Projects'),
        icon: { type: 'emoji', emoji: '📁' },
      }),
    ],
    // Properties live on the data source since 2025-09-03.
    bad: invalid(() =>
      call('PATCH', `/v1/databases/${demo.projects.databaseId}`, { properties: { Extra: { number: {} } } }),
    ),
  },
  'POST /v1/data_sources': {
    sdk: 'CreateDataSourceResponse',
    full: { data_source: 'DataSourceObjectResponse' },
    ok: async () => [
      await call('POST', '/v1/data_sources', {
        parent: { type: 'database_id', database_id: demo.tasks.databaseId },
        title: rt('Second source'),
        properties: { Name: { title: {} }, Tag: { select: { options: [{ name: 'a', color: 'red' }] } } },
      }),
    ],
    bad: notFound(() =>
      call('POST', '/v1/data_sources', { parent: { database_id: MISSING }, properties: { Name: { title: {} } } }),
    ),
  },
  'GET /v1/data_sources/:data_source_id': {
    sdk: 'GetDataSourceResponse',
    full: { data_source: 'DataSourceObjectResponse' },
    ok: async () =>
      Promise.all(
        [demo.projects.dataSourceId, demo.tasks.dataSourceId, fx.everything.dataSourceId].map((id) =>
          call('GET', `/v1/data_sources/${id}`),
        ),
      ),
    bad: notFound(() => call('GET', `/v1/data_sources/${MISSING}`)),
  },
  'PATCH /v1/data_sources/:data_source_id': {
    sdk: 'UpdateDataSourceResponse',
    full: { data_source: 'DataSourceObjectResponse' },
    ok: async () => [
      await call('PATCH', `/v1/data_sources/${demo.tasks.dataSourceId}`, {
        title: rt('Tasks'),
        properties: { Notes: { rich_text: {} } },
      }),
    ],
    bad: invalid(() =>
      call('PATCH', `/v1/data_sources/${demo.tasks.dataSourceId}`, { properties: { Hours: { no_such_type: {} } } }),
    ),
  },
  'POST /v1/data_sources/:data_source_id/query': {
    sdk: 'QueryDataSourceResponse',
    full: PAGE,
    ok: async () =>
      Promise.all(
        [demo.projects.dataSourceId, demo.tasks.dataSourceId, fx.everything.dataSourceId].map((id) =>
          call('POST', `/v1/data_sources/${id}/query`, {
            sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
          }),
        ),
      ),
    bad: invalid(() =>
      call('POST', `/v1/data_sources/${demo.tasks.dataSourceId}/query`, {
        filter: { property: 'No such property', number: { equals: 1 } },
      }),
    ),
  },
  'GET /v1/data_sources/:data_source_id/templates': {
    sdk: 'ListDataSourceTemplatesResponse',
    ok: async () => [await call('GET', `/v1/data_sources/${demo.tasks.dataSourceId}/templates`)],
    bad: notFound(() => call('GET', `/v1/data_sources/${MISSING}/templates`)),
  },
  'POST /v1/comments': {
    sdk: 'CreateCommentResponse',
    full: { comment: 'CommentObjectResponse' },
    ok: async () => {
      const first = await newComment();
      return [
        await call('POST', '/v1/comments', { parent: { page_id: demo.rootPageId }, rich_text: rt('New') }),
        await call('POST', '/v1/comments', { discussion_id: first.discussion_id, rich_text: rt('Reply') }),
      ];
    },
    bad: invalid(() => call('POST', '/v1/comments', { rich_text: rt('No parent') })),
  },
  'GET /v1/comments': {
    sdk: 'ListCommentsResponse',
    full: { comment: 'CommentObjectResponse' },
    ok: async () => {
      await newComment();
      return [await call('GET', '/v1/comments', undefined, { query: { block_id: demo.rootPageId } })];
    },
    bad: invalid(() => call('GET', '/v1/comments')),
  },
  'GET /v1/comments/:comment_id': {
    sdk: 'GetCommentResponse',
    full: { comment: 'CommentObjectResponse' },
    ok: async () => [await call('GET', `/v1/comments/${(await newComment()).id}`)],
    bad: notFound(() => call('GET', `/v1/comments/${MISSING}`)),
  },
  'PATCH /v1/comments/:comment_id': {
    sdk: 'UpdateCommentResponse',
    full: { comment: 'CommentObjectResponse' },
    ok: async () => [await call('PATCH', `/v1/comments/${(await newComment()).id}`, { rich_text: rt('Edited') })],
    bad: notFound(() => call('PATCH', `/v1/comments/${MISSING}`, { rich_text: rt('Edited') })),
  },
  'DELETE /v1/comments/:comment_id': {
    sdk: 'DeleteCommentResponse',
    full: { comment: 'CommentObjectResponse' },
    ok: async () => [await call('DELETE', `/v1/comments/${(await newComment()).id}`)],
    bad: notFound(() => call('DELETE', `/v1/comments/${MISSING}`)),
  },
  'POST /v1/file_uploads': {
    sdk: 'CreateFileUploadResponse',
    ok: async () => [
      await call('POST', '/v1/file_uploads', { filename: 'a.txt', content_type: 'text/plain' }),
      await call('POST', '/v1/file_uploads', { mode: 'multi_part', filename: 'b.bin', number_of_parts: 2 }),
    ],
    bad: invalid(() => call('POST', '/v1/file_uploads', { mode: 'multi_part', filename: 'b.bin' })),
  },
  'GET /v1/file_uploads': {
    sdk: 'ListFileUploadsResponse',
    ok: async () => {
      await sentUpload();
      return [
        await call('GET', '/v1/file_uploads'),
        await call('GET', '/v1/file_uploads', undefined, { query: { status: 'uploaded' } }),
      ];
    },
    bad: invalid(() => call('GET', '/v1/file_uploads', undefined, { query: { status: 'done' } })),
  },
  'GET /v1/file_uploads/:file_upload_id': {
    sdk: 'GetFileUploadResponse',
    ok: async () => [await call('GET', `/v1/file_uploads/${(await sentUpload()).id}`)],
    bad: notFound(() => call('GET', `/v1/file_uploads/${MISSING}`)),
  },
  'POST /v1/file_uploads/:file_upload_id/send': {
    sdk: 'SendFileUploadResponse',
    ok: async () => {
      const upload = await made('POST', '/v1/file_uploads', { filename: 'c.txt' });
      return [await sendPart(upload.id as string, 'hello')];
    },
    // Sent twice: only a pending upload takes data.
    bad: invalid(async () => sendPart((await sentUpload()).id as string, 'again')),
  },
  'POST /v1/file_uploads/:file_upload_id/complete': {
    sdk: 'CompleteFileUploadResponse',
    ok: async () => {
      const upload = await made('POST', '/v1/file_uploads', {
        mode: 'multi_part',
        filename: 'd.bin',
        number_of_parts: 1,
      });
      await sendPart(upload.id as string, 'one part', '1');
      return [await call('POST', `/v1/file_uploads/${upload.id}/complete`)];
    },
    bad: invalid(async () => call('POST', `/v1/file_uploads/${(await sentUpload()).id}/complete`)),
  },
  'POST /v1/views': {
    sdk: 'CreateViewResponse',
    full: { view: 'DataSourceViewObjectResponse' },
    ok: async () => [
      await call('POST', '/v1/views', {
        data_source_id: demo.tasks.dataSourceId,
        name: 'Open tasks',
        type: 'board',
        filter: { property: 'Done', checkbox: { equals: false } },
        sorts: [{ property: 'Hours', direction: 'descending' }],
      }),
    ],
    bad: invalid(() =>
      call('POST', '/v1/views', { data_source_id: demo.tasks.dataSourceId, name: 'Bad', type: 'spreadsheet' }),
    ),
  },
  'GET /v1/views': {
    sdk: 'ListDatabaseViewsResponse',
    ok: async () => [await call('GET', '/v1/views', undefined, { query: { database_id: demo.tasks.databaseId } })],
    bad: invalid(() => call('GET', '/v1/views')),
  },
  'GET /v1/views/:view_id': {
    sdk: 'GetViewResponse',
    full: { view: 'DataSourceViewObjectResponse' },
    ok: async () => [await call('GET', `/v1/views/${fx.viewId}`)],
    bad: notFound(() => call('GET', `/v1/views/${MISSING}`)),
  },
  'PATCH /v1/views/:view_id': {
    sdk: 'UpdateViewResponse',
    full: { view: 'DataSourceViewObjectResponse' },
    ok: async () => [
      await call('PATCH', `/v1/views/${(await newView()).id}`, {
        name: 'Renamed',
        sorts: [{ timestamp: 'created_time', direction: 'ascending' }],
      }),
    ],
    bad: invalid(() => call('PATCH', `/v1/views/${fx.viewId}`, { name: 42 })),
  },
  'DELETE /v1/views/:view_id': {
    sdk: 'DeleteViewResponse',
    ok: async () => [await call('DELETE', `/v1/views/${(await newView()).id}`)],
    bad: notFound(() => call('DELETE', `/v1/views/${MISSING}`)),
  },
  'POST /v1/views/:view_id/queries': {
    sdk: 'CreateViewQueryResponse',
    ok: async () => [await call('POST', `/v1/views/${fx.viewId}/queries`, { page_size: 2 })],
    bad: invalid(() => call('POST', `/v1/views/${fx.viewId}/queries`, { page_size: 1000 })),
  },
  'GET /v1/views/:view_id/queries/:query_id': {
    sdk: 'GetViewQueryResultsResponse',
    ok: async () => {
      const q = await made('POST', `/v1/views/${fx.viewId}/queries`, { page_size: 1 });
      return [
        await call('GET', `/v1/views/${fx.viewId}/queries/${q.id}`),
        await call('GET', `/v1/views/${fx.viewId}/queries/${q.id}`, undefined, {
          query: { start_cursor: q.next_cursor },
        }),
      ];
    },
    bad: notFound(() => call('GET', `/v1/views/${fx.viewId}/queries/${MISSING}`)),
  },
  'DELETE /v1/views/:view_id/queries/:query_id': {
    sdk: 'DeleteViewQueryResponse',
    ok: async () => {
      const q = await made('POST', `/v1/views/${fx.viewId}/queries`, {});
      return [await call('DELETE', `/v1/views/${fx.viewId}/queries/${q.id}`)];
    },
    bad: notFound(() => call('DELETE', `/v1/views/${fx.viewId}/queries/${MISSING}`)),
  },
  // A browser redirect: no JSON body and no SDK response type. The check is the redirect itself; the code it
  // carries is what POST /v1/oauth/token (checked against OauthTokenResponse) exchanges.
  'GET /v1/oauth/authorize': {
    redirect: true,
    ok: async () => [
      await call('GET', '/v1/oauth/authorize', undefined, {
        query: { client_id: OAUTH.clientId, redirect_uri: REDIRECT, response_type: 'code', state: 's1' },
      }),
    ],
    bad: {
      status: 400,
      code: 'invalid_client',
      call: () =>
        call('GET', '/v1/oauth/authorize', undefined, {
          query: { client_id: 'someone-else', redirect_uri: REDIRECT, response_type: 'code' },
        }),
    },
  },
  'POST /v1/oauth/token': {
    sdk: 'OauthTokenResponse',
    ok: async () => {
      const first = await exchange(await authorizeCode());
      const refreshed = await call(
        'POST',
        '/v1/oauth/token',
        { grant_type: 'refresh_token', refresh_token: first.body.refresh_token },
        { auth: basic },
      );
      return [first, refreshed];
    },
    bad: {
      status: 400,
      code: 'invalid_grant',
      call: async () => {
        const code = await authorizeCode();
        await exchange(code);
        return exchange(code); // codes are single-use
      },
    },
  },
  'POST /v1/oauth/revoke': {
    sdk: 'OauthRevokeResponse',
    ok: async () => {
      const token = (await exchange(await authorizeCode())).body.access_token;
      return [await call('POST', '/v1/oauth/revoke', { token }, { auth: basic })];
    },
    bad: {
      status: 401,
      code: 'invalid_client',
      call: () =>
        call('POST', '/v1/oauth/revoke', { token: 'x' }, { auth: `Basic ${btoa('conformance-client:wrong')}` }),
    },
  },
  'POST /v1/oauth/introspect': {
    sdk: 'OauthIntrospectResponse',
    ok: async () => {
      const token = (await exchange(await authorizeCode())).body.access_token;
      return [
        await call('POST', '/v1/oauth/introspect', { token }, { auth: basic }),
        await call('POST', '/v1/oauth/introspect', { token: 'unknown' }, { auth: basic }),
      ];
    },
    bad: invalid(() => call('POST', '/v1/oauth/introspect', {}, { auth: basic })),
  },
};

/** One block of every type the sandbox accepts on append, with nested children where the type has them. */
function EVERY_BLOCK(): unknown[] {
  const text = (s: string) => ({ rich_text: rt(s) });
  const file = (url: string) => ({ type: 'external', external: { url } });
  return [
    { paragraph: text('Paragraph') },
    { heading_1: text('H1') },
    { heading_2: text('H2') },
    { heading_3: { ...text('H3'), is_toggleable: true } },
    { bulleted_list_item: { ...text('Bullet'), children: [{ paragraph: text('Nested') }] } },
    { numbered_list_item: text('Number') },
    { quote: text('Quote') },
    { to_do: { ...text('To do'), checked: true } },
    { toggle: { ...text('Toggle'), children: [{ paragraph: text('Inside') }] } },
    { callout: { ...text('Callout'), icon: { type: 'emoji', emoji: '💡' } } },
    { code: { ...text('const x = 1;'), language: 'javascript' } },
    { divider: {} },
    { breadcrumb: {} },
    { table_of_contents: {} },
    { equation: { expression: 'e=mc^2' } },
    { bookmark: { url: 'https://example.com' } },
    { embed: { url: 'https://example.com/embed' } },
    { image: file('https://example.com/a.png') },
    { video: file('https://example.com/a.mp4') },
    { file: file('https://example.com/a.zip') },
    { pdf: file('https://example.com/a.pdf') },
    { audio: file('https://example.com/a.mp3') },
    {
      table: {
        table_width: 2,
        has_column_header: true,
        children: [{ table_row: { cells: [rt('a'), rt('b')] } }, { table_row: { cells: [rt('1'), rt('2')] } }],
      },
    },
    {
      column_list: {
        children: [
          { column: { children: [{ paragraph: text('Left') }] } },
          { column: { children: [{ paragraph: text('Right') }] } },
        ],
      },
    },
    { link_to_page: { type: 'page_id', page_id: demo.rootPageId } },
    { synced_block: { synced_from: null, children: [{ paragraph: text('Synced') }] } },
    { paragraph: { rich_text: [{ type: 'mention', mention: { page: { id: demo.rootPageId } } }] } },
    { paragraph: { rich_text: [{ type: 'equation', equation: { expression: 'x^2' } }] } },
  ];
}

beforeAll(async () => {
  sb = await startSandbox({ oauth: OAUTH });
  demo = await seedDemoWorkspace(sb);
  const me = await made('GET', '/v1/users/me');
  const person = ((await made('GET', '/v1/users')).results as Array<{ id: string; type: string }>).find(
    (u) => u.type === 'person',
  )!;

  // A data source with a property of every type the sandbox knows, and a page with every writable value set.
  const db = await made('POST', '/v1/databases', {
    parent: { type: 'page_id', page_id: demo.rootPageId },
    title: rt('Everything'),
    initial_data_source: {
      properties: {
        Name: { title: {} },
        Text: { rich_text: {} },
        Number: { number: { format: 'percent' } },
        Select: { select: { options: [{ name: 'One', color: 'blue' }] } },
        Multi: { multi_select: { options: [{ name: 'A', color: 'red' }] } },
        Status: { status: {} },
        Date: { date: {} },
        People: { people: {} },
        Files: { files: {} },
        Check: { checkbox: {} },
        Url: { url: {} },
        Email: { email: {} },
        Phone: { phone_number: {} },
        Project: { relation: { data_source_id: demo.projects.dataSourceId, single_property: {} } },
        Formula: { formula: { expression: 'prop("Number") * 2' } },
        'Text formula': { formula: { expression: 'concat("n=", prop("Name"))' } },
        Budgets: { rollup: { relation_property_name: 'Project', rollup_property_name: 'Budget', function: 'sum' } },
        Originals: {
          rollup: { relation_property_name: 'Project', rollup_property_name: 'Name', function: 'show_original' },
        },
        Created: { created_time: {} },
        Edited: { last_edited_time: {} },
        Creator: { created_by: {} },
        Editor: { last_edited_by: {} },
        'Number id': { unique_id: { prefix: 'EV' } },
        Button: { button: {} },
      },
    },
  });
  fx.everything.databaseId = db.id;
  fx.everything.dataSourceId = db.data_sources[0].id;
  fx.everything.pageId = (
    await made('POST', '/v1/pages', {
      parent: { data_source_id: fx.everything.dataSourceId },
      properties: {
        Name: { title: [...rt('Every '), { type: 'text', text: { content: 'value' }, annotations: { bold: true } }] },
        Text: { rich_text: [{ type: 'mention', mention: { user: { id: me.id } } }, ...rt(' wrote this')] },
        Number: { number: 0.5 },
        Select: { select: { name: 'One' } },
        Multi: { multi_select: [{ name: 'A' }, { name: 'New option' }] },
        Status: { status: { name: 'Done' } },
        Date: { date: { start: '2025-01-01', end: '2025-01-31' } },
        People: { people: [{ id: person.id }] },
        Files: { files: [{ name: 'spec.pdf', type: 'external', external: { url: 'https://example.com/spec.pdf' } }] },
        Check: { checkbox: true },
        Url: { url: 'https://example.com' },
        Email: { email: 'a@example.com' },
        Phone: { phone_number: '+1 555 0100' },
        Project: { relation: [{ id: demo.projects.pageIds[0] }] },
      },
    })
  ).id;

  fx.blocksPageId = (await newPage('Every block')).id;
  await made('PATCH', `/v1/blocks/${fx.blocksPageId}/children`, { children: EVERY_BLOCK() });
  fx.viewId = (
    await made('POST', '/v1/views', {
      data_source_id: demo.tasks.dataSourceId,
      name: 'All tasks',
      type: 'table',
      sorts: [{ property: 'Name', direction: 'ascending' }],
    })
  ).id;
});
afterAll(() => sb?.close());

/**
 * Ajv reports every branch of every union (`anyOf`) it tried, most of them "wrong `type`" noise. The branch meant
 * is usually the one that got furthest into the value, so the deepest errors come first.
 */
function readable(errors: ErrorObject[]): string[] {
  const depth = (e: ErrorObject) => e.instancePath.split('/').length;
  const sorted = [...errors].filter((e) => e.keyword !== 'anyOf').sort((x, y) => depth(y) - depth(x));
  return [...new Set(sorted.map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`))];
}

function expectMatches(type: string, body: unknown, what: string): void {
  const validate = schemas.validator(type);
  const errors = validate(body) ? [] : readable(validate.errors ?? []);
  const shown = errors.slice(0, 12).join('\n');
  expect(errors.length, `${what} is not a ${type}:\n${shown}\n${JSON.stringify(body).slice(0, 600)}`).toBe(0);
}

/**
 * The one deliberate departure (tools/notion-sandbox/README.md): data sources list `button` property schemas, which
 * the SDK's DatabasePropertyConfigResponse has no member for. They are taken out before validation, counted, and
 * a test below fails once the SDK gains the member, so the exception cannot outlive its reason.
 */
let buttonSchemasSetAside = 0;
function withoutButtonSchemas(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withoutButtonSchemas);
  if (typeof body !== 'object' || body === null) return body;
  const o = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, withoutButtonSchemas(v)]));
  if (o.object === 'data_source' && typeof o.properties === 'object' && o.properties !== null) {
    const props = o.properties as Record<string, { type?: string }>;
    const buttons = Object.keys(props).filter((k) => props[k]!.type === 'button');
    buttonSchemasSetAside += buttons.length;
    o.properties = Object.fromEntries(Object.entries(props).filter(([k]) => !buttons.includes(k)));
  }
  return o;
}

/** Routes whose success check passed, and routes whose bad-input check passed. */
const answered = new Set<string>();
const refused = new Set<string>();

// Not shuffled: the last test counts what the others checked.
describe('sandbox responses match the @notionhq/client response types', { shuffle: false }, () => {
  for (const route of served) {
    const c = checks[route];
    const expected = !c ? '(no check)' : 'sdk' in c ? `200 with ${c.sdk}` : '302 to redirect_uri';
    it(`${route} answers ${expected}`, async () => {
      expect(c, `no check for ${route}: add one to \`checks\``).toBeDefined();
      const answers = await c!.ok();
      expect(answers.length).toBeGreaterThan(0);
      for (const [i, a] of answers.entries()) {
        const what = `${route} (call ${i + 1})`;
        if ('redirect' in c!) {
          expect(a.status, what).toBe(302);
          const to = new URL(a.location ?? 'missing:');
          expect(to.searchParams.get('code'), what).toMatch(/./);
          expect(to.searchParams.get('state'), what).toBe('s1');
          continue;
        }
        expect(a.status, `${what}: ${JSON.stringify(a.body).slice(0, 500)}`).toBe(200);
        const body = withoutButtonSchemas(a.body) as Record<string, unknown>;
        expectMatches(c!.sdk, body, what);
        if (!c!.full) continue;
        const objects = body.object === 'list' ? (body.results as Array<{ object: string }>) : [body];
        for (const [j, o] of objects.entries()) {
          const member = c!.full[String(o.object)];
          expect(member, `${what} object ${j}: unexpected object ${o.object}`).toBeDefined();
          expect(schemas.refersTo(c!.sdk, member!), `${member} is part of ${c!.sdk}`).toBe(true);
          expectMatches(member!, o, `${what} object ${j}`);
        }
      }
      answered.add(route);
    });

    it(`${route} refuses a bad input with ${c ? `${c.bad.status} ${c.bad.code}` : '(no check)'}`, async () => {
      expect(c, `no check for ${route}: add one to \`checks\``).toBeDefined();
      const a = await c!.bad.call();
      expect({ status: a.status, code: a.body.code }, JSON.stringify(a.body)).toEqual({
        status: c!.bad.status,
        code: c!.bad.code,
      });
      const codes: string[] = route.includes(' /v1/oauth/')
        ? [...OAUTH_ERROR_CODES, ...Object.values(APIErrorCode)]
        : Object.values(APIErrorCode);
      expect(codes, 'a code the SDK knows').toContain(a.body.code);
      expect(a.body).toMatchObject({ object: 'error', status: c!.bad.status, message: expect.any(String) });
      expect(a.body.request_id).toEqual(expect.any(String));
      refused.add(route);
    });
  }

  it('sets button schemas aside only while the SDK has no button property schema', async () => {
    const answer = await call('GET', `/v1/data_sources/${fx.everything.dataSourceId}`);
    const ds = withoutButtonSchemas(answer.body) as Record<string, any>;
    expect(buttonSchemasSetAside, 'the fixture data source has a button property').toBeGreaterThan(0);
    const dataSource = schemas.validator('DataSourceObjectResponse');
    const button = { id: 'b', name: 'Button', description: null, type: 'button', button: {} };
    const withButton = (o: Record<string, any>) => ({ ...o, properties: { ...o.properties, Button: button } });
    expect(dataSource(ds), 'a data source without button schemas matches').toBe(true);
    expect(dataSource(withButton(ds)), 'the SDK still rejects a button schema').toBe(false);
  });

  it(`checked all ${served.length} routes the sandbox serves, each with a success and a bad input`, () => {
    expect(
      Object.keys(checks).filter((r) => !served.includes(r)),
      'checks for routes not served',
    ).toEqual([]);
    const checked = served.filter((r) => answered.has(r) && refused.has(r));
    expect(
      served.filter((r) => !checked.includes(r)),
      'routes served but not checked',
    ).toEqual([]);
    console.info(
      `sdk-conformance: ${checked.length} of ${served.length} sandbox routes checked against @notionhq/client`,
    );
  });
});
