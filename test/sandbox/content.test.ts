import { APIErrorCode, type Client } from '@notionhq/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../tools/notion-sandbox/index.ts';
import { type DemoWorkspace, seedDemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { rt, sdk } from './helpers.ts';

let sb: Sandbox;
let notion: Client;
let md: Client;
let demo: DemoWorkspace;

beforeAll(async () => {
  sb = await startSandbox();
  notion = sdk(sb);
  md = sdk(sb, sb.token, '2026-03-11');
});
afterAll(() => sb.close());
beforeEach(async () => {
  sb.reset();
  demo = await seedDemoWorkspace(sb);
});

describe('blocks update/delete and page move', () => {
  it('updates and deletes blocks, moves pages', async () => {
    const [b] = (
      await notion.blocks.children.append({
        block_id: demo.rootPageId,
        children: [{ to_do: { rich_text: rt('task') } }],
      })
    ).results;
    const upd = await notion.blocks.update({ block_id: b!.id, to_do: { rich_text: rt('done task'), checked: true } });
    expect(upd).toMatchObject({ type: 'to_do', to_do: { checked: true, rich_text: [{ plain_text: 'done task' }] } });
    const del = await notion.blocks.delete({ block_id: b!.id });
    expect(del).toMatchObject({ in_trash: true });
    await expect(notion.blocks.update({ block_id: b!.id, to_do: { rich_text: rt('x') } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    const a = await notion.pages.create({
      parent: { page_id: demo.rootPageId },
      properties: { title: { title: rt('A') } },
    });
    const c = await notion.pages.create({ parent: { page_id: a.id }, properties: { title: { title: rt('C') } } });
    const moved = await notion.pages.move({ page_id: c.id, parent: { page_id: demo.rootPageId } });
    expect('parent' in moved && moved.parent).toEqual({ type: 'page_id', page_id: demo.rootPageId });
    await expect(notion.pages.move({ page_id: a.id, parent: { page_id: a.id } })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    const toDs = await notion.pages.move({ page_id: c.id, parent: { data_source_id: demo.tasks.dataSourceId } });
    expect('parent' in toDs && toDs.parent).toMatchObject({
      type: 'data_source_id',
      data_source_id: demo.tasks.dataSourceId,
      database_id: demo.tasks.databaseId,
    });
  });
});

describe('comments', () => {
  it('creates, replies, lists, updates and deletes comments', async () => {
    const c = await notion.comments.create({ parent: { page_id: demo.rootPageId }, rich_text: rt('First!') });
    expect(c).toMatchObject({ object: 'comment', parent: { type: 'page_id', page_id: demo.rootPageId } });
    if (!('discussion_id' in c)) throw new Error('full comment expected');
    await notion.comments.create({ discussion_id: c.discussion_id, rich_text: rt('Reply') });
    const list = await notion.comments.list({ block_id: demo.rootPageId });
    expect(list.results.map((x) => x.rich_text[0]!.plain_text)).toEqual(['First!', 'Reply']);
    expect(new Set(list.results.map((x) => x.discussion_id)).size).toBe(1);
    await notion.comments.update({ comment_id: c.id, rich_text: rt('Edited') });
    expect(
      (await notion.comments.retrieve({ comment_id: c.id })) as { rich_text: Array<{ plain_text: string }> },
    ).toMatchObject({ rich_text: [{ plain_text: 'Edited' }] });
    await notion.comments.delete({ comment_id: c.id });
    expect((await notion.comments.list({ block_id: demo.rootPageId })).results).toHaveLength(1);
    await expect(
      notion.comments.create({ parent: { page_id: '00000000000000000000000000000000' }, rich_text: rt('x') }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ObjectNotFound,
    });
  });
});

describe('views', () => {
  it('creates, lists, updates, queries and deletes views', async () => {
    const v = await notion.views.create({
      data_source_id: demo.tasks.dataSourceId,
      name: 'Open tasks',
      type: 'table',
      filter: { property: 'Done', checkbox: { equals: false } } as never,
      sorts: [{ property: 'Hours', direction: 'descending' }] as never,
    });
    expect(v).toMatchObject({
      object: 'view',
      parent: { type: 'database_id', database_id: demo.tasks.databaseId },
      type: 'table',
    });
    const list = await notion.views.list({ database_id: demo.tasks.databaseId });
    expect(list.results).toEqual([{ object: 'view', id: v.id }]);
    const q = await notion.views.queries.create({ view_id: v.id, page_size: 1 });
    expect(q).toMatchObject({
      object: 'view_query',
      total_count: 2,
      has_more: true,
      results: [{ object: 'page', id: demo.tasks.pageIds[1] }],
    });
    const rest = await notion.views.queries.results({ view_id: v.id, query_id: q.id, start_cursor: q.next_cursor! });
    expect(rest.results).toEqual([{ object: 'page', id: demo.tasks.pageIds[2] }]);
    await notion.views.update({ view_id: v.id, name: 'Renamed' });
    expect(await notion.views.retrieve({ view_id: v.id })).toMatchObject({ name: 'Renamed' });
    await expect(
      notion.views.update({ view_id: v.id, filter: { property: 'Nope', checkbox: { equals: true } } as never }),
    ).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    expect(await notion.views.queries.delete({ view_id: v.id, query_id: q.id })).toMatchObject({ deleted: true });
    await notion.views.delete({ view_id: v.id });
    await expect(notion.views.retrieve({ view_id: v.id })).rejects.toMatchObject({ code: APIErrorCode.ObjectNotFound });
  });
});

describe('page markdown', () => {
  it('reads blocks as markdown and needs Notion-Version 2026-03-11', async () => {
    await expect(notion.pages.retrieveMarkdown({ page_id: demo.rootPageId })).rejects.toMatchObject({
      code: APIErrorCode.ValidationError,
    });
    const r = await md.pages.retrieveMarkdown({ page_id: demo.rootPageId });
    expect(r).toMatchObject({ object: 'page_markdown', id: demo.rootPageId, truncated: false });
    expect(r.markdown).toContain('Seeded by the Notion sandbox.');
    expect(r.markdown).toMatch(/<database url="[^"]+">Projects<\/database>/);
  });

  it('replaces, inserts and search-and-replaces content, keeping child databases', async () => {
    const page = await notion.pages.create({
      parent: { page_id: demo.rootPageId },
      properties: { title: { title: rt('Doc') } },
    });
    const doc =
      '# Title\n\nSome **bold** and *italic* and `code` with [a link](https://example.com).\n\n- one\n  - nested\n- [x] done\n1. first\n2. second\n> quote\n---\n```ts\nconst x = 1;\n```';
    const r = await md.pages.updateMarkdown({
      page_id: page.id,
      type: 'replace_content',
      replace_content: { new_str: doc },
    });
    expect(r.markdown).toBe(doc.replace(/\n\n/g, '\n'));
    const blocks = await notion.blocks.children.list({ block_id: page.id });
    expect(blocks.results.map((b) => ('type' in b ? b.type : ''))).toEqual([
      'heading_1',
      'paragraph',
      'bulleted_list_item',
      'to_do',
      'numbered_list_item',
      'numbered_list_item',
      'quote',
      'divider',
      'code',
    ]);
    const para = blocks.results[1]!;
    const runs = (
      para as unknown as {
        paragraph: {
          rich_text: Array<{ plain_text: string; href: string | null; annotations: Record<string, unknown> }>;
        };
      }
    ).paragraph.rich_text;
    expect(runs.map((x) => x.plain_text)).toEqual([
      'Some ',
      'bold',
      ' and ',
      'italic',
      ' and ',
      'code',
      ' with ',
      'a link',
      '.',
    ]);
    expect(runs[1]!.annotations.bold).toBe(true);
    expect(runs[3]!.annotations.italic).toBe(true);
    expect(runs[5]!.annotations.code).toBe(true);
    expect(runs[7]!.href).toBe('https://example.com');
    await md.pages.updateMarkdown({
      page_id: page.id,
      type: 'insert_content',
      insert_content: { content: 'Appended', position: { type: 'end' } },
    });
    const u = await md.pages.updateMarkdown({
      page_id: page.id,
      type: 'update_content',
      update_content: { content_updates: [{ old_str: 'Appended', new_str: 'Changed' }] },
    });
    expect(u.markdown.endsWith('Changed')).toBe(true);
    await expect(
      md.pages.updateMarkdown({
        page_id: page.id,
        type: 'update_content',
        update_content: { content_updates: [{ old_str: 'missing', new_str: 'x' }] },
      }),
    ).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
    // Replacing the root page's content would drop its child databases unless allowed.
    await expect(
      md.pages.updateMarkdown({
        page_id: demo.rootPageId,
        type: 'replace_content',
        replace_content: { new_str: 'Only text' },
      }),
    ).rejects.toMatchObject({ code: APIErrorCode.ValidationError });
    const kept = await md.pages.updateMarkdown({
      page_id: demo.rootPageId,
      type: 'update_content',
      update_content: { content_updates: [{ old_str: 'Seeded by', new_str: 'Made by' }] },
    });
    expect(kept.markdown).toContain('Projects</database>');
    const range = await md.pages.updateMarkdown({
      page_id: page.id,
      type: 'replace_content_range',
      replace_content_range: { content: '# New title', content_range: '# Title...Title' },
    });
    expect(range.markdown.startsWith('# New title')).toBe(true);
  });
});
