/**
 * Issue 19 point 6: a page of 5,000 blocks is read whole, in parts, by `fetch` and `notion_page_get`, over REST and
 * MCP. Every answer stays under the ChatGPT Actions limit (100,000 characters), the parts put together are exactly
 * the page's Markdown as Notion gives it, and a cursor from before an edit is refused instead of stitching two
 * versions together.
 */
import type { Client as McpClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Client } from '@notionhq/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.ts';
import { operationCaller, type Surface } from '../support/surfaces.ts';

const BLOCKS = 5000;
const ACTIONS_LIMIT = 100_000;

let stack: Stack;
let notion: Client;
let mcp: McpClient;
let longPageId: string;
let wholeMarkdown: string;

/** Paragraphs with quotes, backslashes and non-ASCII, so JSON escaping makes parts uneven. */
const paragraph = (i: number) =>
  `Line ${i}: "quoted" \\ back-slashed, café ☕ 𝄞 and enough words to make it a real line of notes.`;

beforeAll(async () => {
  stack = await startStack({ toolsets: 'all' });
  mcp = stack.mcp!;
  notion = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url, notionVersion: '2025-09-03' });
  const page = await notion.pages.create({
    parent: { page_id: stack.demo.rootPageId },
    properties: { title: { title: [{ text: { content: 'Long meeting notes' } }] } },
  });
  longPageId = page.id;
  for (let start = 0; start < BLOCKS; start += 100) {
    await notion.blocks.children.append({
      block_id: longPageId,
      children: Array.from({ length: 100 }, (_, k) => ({
        paragraph: { rich_text: [{ text: { content: paragraph(start + k) } }] },
      })),
    });
  }
  const md = new Client({ auth: stack.sandbox.token, baseUrl: stack.sandbox.url, notionVersion: '2026-03-11' });
  wholeMarkdown = (await md.pages.retrieveMarkdown({ page_id: longPageId })).markdown;
  expect(wholeMarkdown.length).toBeGreaterThan(3 * ACTIONS_LIMIT);
}, 120_000);

afterAll(async () => stack?.close());

const run = (surface: Surface, tool: string, args: Record<string, unknown>) =>
  operationCaller(stack.gateway.url, mcp)(surface, tool, args);

/** Reads every part through `read`, checking each answer's size; returns the texts. */
async function readAllParts(
  read: (cursor: string | undefined) => Promise<{ text: string; next: string | undefined; chars: number }>,
): Promise<string[]> {
  const texts: string[] = [];
  let cursor: string | undefined;
  do {
    const part = await read(cursor);
    expect(part.chars).toBeLessThan(ACTIONS_LIMIT);
    expect(part.text.length).toBeGreaterThan(0);
    texts.push(part.text);
    cursor = part.next;
  } while (cursor && texts.length < 50);
  return texts;
}

describe.each<Surface>(['rest', 'mcp'])('a 5,000-block page over %s', (surface) => {
  it('fetch reads it whole in parts, each under the Actions limit, cut at line ends', async () => {
    const texts = await readAllParts(async (cursor) => {
      const answer = await run(surface, 'fetch', { id: longPageId, ...(cursor ? { cursor } : {}) });
      expect(answer.error).toBeNull();
      expect(answer.result.metadata.truncated).toBe(false);
      return {
        text: answer.result.text,
        next: answer.result.metadata.next_cursor,
        chars: JSON.stringify({ ok: true, result: answer.result, meta: answer.meta }).length,
      };
    });
    expect(texts.length).toBeGreaterThanOrEqual(4);
    expect(texts.join('')).toBe(wholeMarkdown);
    for (const text of texts.slice(0, -1)) expect(text.endsWith('\n')).toBe(true);
  });

  it('notion_page_get reads the body whole in parts beside the compact page', async () => {
    const texts = await readAllParts(async (cursor) => {
      const answer = await run(surface, 'notion_page_get', {
        page_id: longPageId,
        include_markdown: true,
        ...(cursor ? { cursor } : {}),
      });
      expect(answer.error).toBeNull();
      expect(answer.result.page.title).toBe('Long meeting notes');
      return {
        text: answer.result.markdown,
        next: answer.result.markdown_next_cursor,
        chars: JSON.stringify({ ok: true, result: answer.result, meta: answer.meta }).length,
      };
    });
    expect(texts.join('')).toBe(wholeMarkdown);
  });

  it('refuses a cursor it did not issue, naming the field', async () => {
    const answer = await run(surface, 'fetch', { id: longPageId, cursor: 'not-a-cursor' });
    expect(answer.error).toMatchObject({ code: 'validation_failed', details: { field: 'cursor' } });
    if (surface === 'rest') expect(answer.status).toBe(400);
  });
});

describe('a page that changes between parts', () => {
  it('refuses the old cursor with cursor_stale (409) rather than stitching two versions', async () => {
    const first = await run('rest', 'fetch', { id: longPageId });
    const cursor = first.result.metadata.next_cursor as string;
    expect(cursor).toBeTruthy();
    await notion.blocks.children.append({
      block_id: longPageId,
      children: [{ paragraph: { rich_text: [{ text: { content: 'Added during the read.' } }] } }],
    });
    const stale = await run('rest', 'fetch', { id: longPageId, cursor });
    expect(stale.status).toBe(409);
    expect(stale.error).toMatchObject({ code: 'cursor_stale' });
    const mcpStale = await run('mcp', 'notion_page_get', { page_id: longPageId, cursor });
    expect(mcpStale.error).toMatchObject({ code: 'cursor_stale' });
  });

  it('a short page still comes whole, without a cursor', async () => {
    const answer = await run('mcp', 'fetch', { id: stack.demo.rootPageId });
    expect(answer.error).toBeNull();
    expect(answer.result.metadata.next_cursor).toBeUndefined();
  });
});
