import { APIErrorCode, APIResponseError, Client, LogLevel } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';

let sb: Sandbox;
let notion: Client;

beforeAll(async () => {
  sb = await startSandbox();
  notion = new Client({ auth: sb.token, baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR });
});
afterAll(() => sb.close());
beforeEach(() => {
  sb.reset();
  sb.clearRequestLog();
});

const raw = (path: string, init: RequestInit = {}) => fetch(`${sb.url}${path}`, init);
const title = (s: string) => ({ title: { title: [{ text: { content: s } }] } });

async function rootPage(name = 'Root') {
  return notion.pages.create({ parent: { type: 'workspace', workspace: true }, properties: title(name) });
}

describe('auth, version and error shape', () => {
  it('rejects a missing or unknown bearer token with a Notion-shaped 401', async () => {
    const res = await raw('/v1/users/me', { headers: { 'Notion-Version': '2025-09-03' } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ object: 'error', status: 401, code: 'unauthorized' });
    expect(typeof body.request_id).toBe('string');
    const bad = new Client({ auth: 'nope', baseUrl: sb.url, retry: false, logLevel: LogLevel.ERROR });
    await expect(bad.users.me({})).rejects.toMatchObject({ code: APIErrorCode.Unauthorized, status: 401 });
  });

  it('requires the Notion-Version header', async () => {
    const res = await raw('/v1/users/me', { headers: { authorization: `Bearer ${sb.token}` } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ object: 'error', code: 'missing_version' });
  });

  it('answers unknown routes with invalid_request_url', async () => {
    const res = await raw('/v1/nothing-here', {
      headers: { authorization: `Bearer ${sb.token}`, 'Notion-Version': '2025-09-03' },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_request_url' });
  });

  it('rejects malformed JSON with invalid_json', async () => {
    const res = await raw('/v1/search', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${sb.token}`,
        'Notion-Version': '2025-09-03',
        'content-type': 'application/json',
      },
      body: '{nope',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_json' });
  });
});

describe('users', () => {
  it('returns the bot user for /users/me and lists people and bots', async () => {
    const me = await notion.users.me({});
    expect(me).toMatchObject({ object: 'user', type: 'bot' });
    const ws = sb.workspaces()[0]!;
    expect(me.id).toBe(ws.botId);
    if (me.type === 'bot' && 'workspace_id' in me.bot) expect(me.bot.workspace_id).toBe(ws.id);
    const list = await notion.users.list({});
    expect(list.results.some((u) => u.type === 'person')).toBe(true);
    const person = list.results.find((u) => u.type === 'person')!;
    expect((await notion.users.retrieve({ user_id: person.id })).id).toBe(person.id);
    const paged = await notion.users.list({ page_size: 1 });
    expect(paged.has_more).toBe(true);
    const next = await notion.users.list({ page_size: 1, start_cursor: paged.next_cursor! });
    expect(next.results[0]!.id).not.toBe(paged.results[0]!.id);
  });
});

describe('pages and blocks', () => {
  it('creates, retrieves and updates a page; ids work with or without dashes', async () => {
    const root = await rootPage('Home');
    const child = await notion.pages.create({
      parent: { page_id: root.id },
      properties: title('Child'),
      icon: { emoji: '🧪' },
    });
    const got = await notion.pages.retrieve({ page_id: child.id.replace(/-/g, '') });
    expect(got.id).toBe(child.id);
    if (!('properties' in got)) throw new Error('full page expected');
    expect(got.parent).toEqual({ type: 'page_id', page_id: root.id });
    expect(got.url).toMatch(/^https:\/\/www\.notion\.so\/Child-[0-9a-f]{32}$/);
    const upd = await notion.pages.update({ page_id: child.id, properties: title('Renamed'), in_trash: true });
    if (!('properties' in upd)) throw new Error('full page expected');
    expect(upd.in_trash).toBe(true);
    expect(upd.properties.title).toMatchObject({ type: 'title', title: [{ plain_text: 'Renamed' }] });
  });

  it('404s unknown pages with object_not_found and rejects non-uuid ids', async () => {
    await expect(notion.pages.retrieve({ page_id: '00000000-0000-0000-0000-000000000000' })).rejects.toMatchObject({
      code: APIErrorCode.ObjectNotFound,
    });
    await expect(notion.pages.retrieve({ page_id: 'not-an-id' })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
  });

  it('appends nested children and lists them with cursor pagination', async () => {
    const root = await rootPage();
    const children = Array.from({ length: 30 }, (_, i) => ({
      paragraph: { rich_text: [{ text: { content: `p${i}` } }] },
    }));
    await notion.blocks.children.append({ block_id: root.id, children });
    const nested = await notion.blocks.children.append({
      block_id: root.id,
      children: [
        {
          toggle: {
            rich_text: [{ text: { content: 'outer' } }],
            children: [
              {
                bulleted_list_item: {
                  rich_text: [{ text: { content: 'inner' } }],
                  children: [{ paragraph: { rich_text: [] } }],
                },
              },
            ],
          },
        },
      ],
    });
    const toggle = nested.results[0]!;
    expect('has_children' in toggle && toggle.has_children).toBe(true);
    const first = await notion.blocks.children.list({ block_id: root.id, page_size: 25 });
    expect(first.results).toHaveLength(25);
    expect(first.has_more).toBe(true);
    const second = await notion.blocks.children.list({ block_id: root.id, start_cursor: first.next_cursor! });
    expect(second.results).toHaveLength(6);
    expect(second.has_more).toBe(false);
    const block = await notion.blocks.retrieve({ block_id: toggle.id });
    expect(block).toMatchObject({ type: 'toggle', parent: { type: 'page_id', page_id: root.id } });
  });

  it('enforces 100 children per append, two nesting levels and 2000 chars per rich text', async () => {
    const root = await rootPage();
    const p = (t: string) => ({ paragraph: { rich_text: [{ text: { content: t } }] } });
    await expect(
      notion.blocks.children.append({ block_id: root.id, children: Array.from({ length: 101 }, () => p('x')) }),
    ).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
    await expect(
      notion.blocks.children.append({ block_id: root.id, children: [p('x'.repeat(2001))] }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    const tooDeep = {
      toggle: {
        rich_text: [],
        children: [{ toggle: { rich_text: [], children: [{ toggle: { rich_text: [], children: [p('deep')] } }] } }],
      },
    };
    await expect(
      notion.blocks.children.append({ block_id: root.id, children: [tooDeep as never] }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    expect((await notion.blocks.children.list({ block_id: root.id })).results).toHaveLength(0);
  });

  it('searches pages by title', async () => {
    const root = await rootPage('Alpha root');
    await notion.pages.create({ parent: { page_id: root.id }, properties: title('Beta notes') });
    const res = await notion.search({ query: 'beta' });
    expect(res.results).toHaveLength(1);
    const all = await notion.search({ filter: { property: 'object', value: 'page' }, page_size: 1 });
    expect(all.has_more).toBe(true);
  });
});

describe('request log', () => {
  it('records method, path, status, workspace and never the token', async () => {
    await notion.users.me({});
    const log = sb.requestLog();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({
      method: 'GET',
      path: '/v1/users/me',
      status: 200,
      workspaceId: sb.workspaces()[0]!.id,
    });
    expect(JSON.stringify(log)).not.toContain(sb.token);
  });

  it('records a refused call with its status, and the SDK sees a typed APIResponseError', async () => {
    const wrong = new Client({ auth: 'secret_not_a_real_token_42', baseUrl: sb.url, logLevel: LogLevel.ERROR });
    const error = await wrong.users.me({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIResponseError);
    expect((error as APIResponseError).code).toBe(APIErrorCode.Unauthorized);
    expect((error as APIResponseError).status).toBe(401);
    const log = sb.requestLog();
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ method: 'GET', path: '/v1/users/me', status: 401 });
    expect(JSON.stringify(log)).not.toContain('secret_not_a_real_token_42');
  });
});
