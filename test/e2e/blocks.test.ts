/**
 * Blocks past Notion's limits, against the sandbox: 250 blocks appended in one call (Notion's batches of 100, in
 * order), read back compactly across Notion's pages of 100, with a cursor to continue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../tools/notion-sandbox/index.ts';
import type { DemoWorkspace } from '../../tools/notion-sandbox/seed.ts';
import { expectError } from '../support/contract.ts';
import { type Stack, startStack } from '../support/stack.ts';

let stack: Stack;
let sandbox: Sandbox;
let demo: DemoWorkspace;
let call: Stack['call'];

beforeAll(async () => {
  stack = await startStack();
  ({ sandbox, demo, call } = stack);
});

afterAll(async () => stack?.close());

describe('blocks', () => {
  it('appends 250 blocks in order in batches of 100 and reads them back compactly, page after page', async () => {
    const page = await call('POST', '/v1/pages', { parent_page_id: demo.rootPageId, title: 'Long page' });
    const pageId = page.json.result.page.id;
    const children = Array.from({ length: 250 }, (_, i) =>
      i % 50 === 0
        ? { to_do: { rich_text: [{ text: { content: `Check ${i}` } }], checked: i === 0 } }
        : { paragraph: { rich_text: [{ text: { content: `Line ${i}` } }] } },
    );
    sandbox.clearRequestLog();
    const appended = await call('POST', '/v1/blocks/append', { block_id: pageId, children });
    expect(appended.status).toBe(200);
    expect(appended.json.result).toMatchObject({ appended: 250, batches: 3 });
    expect(sandbox.requestLog().filter((e) => e.method === 'PATCH')).toHaveLength(3);

    const first = await call('POST', '/v1/blocks/get', { block_id: pageId, max_blocks: 200 });
    expect(first.json.result.blocks).toHaveLength(200);
    expect(first.json.result.blocks[0]).toEqual({
      id: appended.json.result.block_ids[0],
      type: 'to_do',
      text: 'Check 0',
      checked: true,
      has_children: false,
    });
    expect(first.json.result.blocks[1]).toMatchObject({ type: 'paragraph', text: 'Line 1' });
    expect(first.json.result.has_more).toBe(true);
    const rest = await call('POST', '/v1/blocks/get', {
      block_id: pageId,
      start_cursor: first.json.result.next_cursor,
    });
    expect(rest.json.result.blocks.map((b: any) => b.text)).toEqual(
      children.slice(200).map((_, i) => ((i + 200) % 50 === 0 ? `Check ${i + 200}` : `Line ${i + 200}`)),
    );
    expect(rest.json.result).toMatchObject({ has_more: false, next_cursor: null });
  });

  it('refuses what is not a block id', async () => {
    expectError(await call('POST', '/v1/blocks/get', { block_id: 'x/children' }), 400, 'invalid_id');
  });
});
