/**
 * Blocks beyond Notion's page sizes: read the blocks of a page following Notion's cursors up to a cap, compactly;
 * append any number of blocks in Notion's batches of 100, in order. (Updating or deleting one block is one Notion
 * call: notion_request PATCH/DELETE /v1/blocks/{id}.)
 */
import type { BlockObjectResponse } from '@notionhq/client';
import { dryRunAnswer } from '../dry-run.ts';
import { idFromField, plainText } from '../notion-objects.ts';
import type { Output } from '../types.ts';
import { connectionOf, type Operation } from './operation.ts';

const NOTION_PAGE = 100;
const NOTION_APPEND_BATCH = 100;

type Compact = Output<'notion_blocks_get'>['blocks'][number];

/** A block's type, text and link: what a model reads; colours, annotations and ids of its parts are left out. */
function compactBlock(block: BlockObjectResponse): Compact {
  const body = (block as unknown as Record<string, Record<string, unknown>>)[block.type] ?? {};
  const text = plainText(body.rich_text ?? body.caption);
  const url =
    typeof body.url === 'string'
      ? body.url
      : ((body.external as { url?: string } | undefined)?.url ?? (body.file as { url?: string } | undefined)?.url);
  return {
    id: block.id,
    type: block.type,
    ...(block.type === 'child_page' || block.type === 'child_database'
      ? { text: String(body.title ?? '') }
      : text
        ? { text }
        : {}),
    ...(block.type === 'to_do' ? { checked: Boolean(body.checked) } : {}),
    ...(url ? { url } : {}),
    ...(block.type === 'code' && typeof body.language === 'string' ? { language: body.language } : {}),
    has_children: block.has_children,
  };
}

export const notion_blocks_get: Operation<'notion_blocks_get'> = async (input, ctx) => {
  const client = connectionOf(ctx).notion();
  const blockId = idFromField(input.block_id, 'block_id', 'a Notion block or page id, or a notion.so page URL');
  const max = input.max_blocks ?? 300;
  const blocks: BlockObjectResponse[] = [];
  let cursor: string | undefined = input.start_cursor;
  let hasMore = true;
  while (hasMore && blocks.length < max) {
    const page = await client.blocks.children.list({
      block_id: blockId,
      start_cursor: cursor,
      page_size: Math.min(NOTION_PAGE, max - blocks.length),
    });
    blocks.push(...(page.results.filter((b) => 'type' in b) as BlockObjectResponse[]));
    hasMore = page.has_more;
    cursor = page.next_cursor ?? undefined;
  }
  return {
    blocks: blocks.map(compactBlock),
    ...(input.raw ? { raw_blocks: blocks as unknown as Record<string, unknown>[] } : {}),
    has_more: hasMore,
    next_cursor: hasMore ? (cursor ?? null) : null,
  };
};

export const notion_blocks_append: Operation<'notion_blocks_append'> = async (input, ctx) => {
  const client = connectionOf(ctx).notion();
  const blockId = idFromField(input.block_id, 'block_id', 'a Notion block or page id, or a notion.so page URL');
  const ids: string[] = [];
  let batches = 0;
  ctx.audit.summary = `appended ${input.children.length} blocks to ${blockId}`;
  ctx.audit.notionIds.add(blockId);
  if (input.dry_run === true) {
    // The same check as Notion's: the parent must be a block or page shared with the connection.
    await client.blocks.children.list({ block_id: blockId, page_size: 1 });
    ctx.audit.summary = `would append ${input.children.length} blocks to ${blockId}`;
    const sent = [];
    for (let at = 0; at < input.children.length; at += NOTION_APPEND_BATCH) {
      const children = input.children.slice(at, at + NOTION_APPEND_BATCH);
      sent.push({ method: 'PATCH', path: `/v1/blocks/${blockId}/children`, body: { children } });
    }
    return { appended: 0, block_ids: [], batches: sent.length, ...dryRunAnswer(sent, {}) };
  }
  // In order, one batch after the other: the next batch goes after the last block of the previous one.
  for (let at = 0; at < input.children.length; at += NOTION_APPEND_BATCH) {
    const appended = await client.blocks.children.append({
      block_id: blockId,
      children: input.children.slice(at, at + NOTION_APPEND_BATCH) as never,
    });
    batches++;
    // Notion answers the appended blocks (and, on large parents, possibly earlier ones): keep the tail of this batch.
    const batchSize = Math.min(NOTION_APPEND_BATCH, input.children.length - at);
    ids.push(...appended.results.slice(-batchSize).map((b) => b.id));
  }
  return { appended: ids.length, block_ids: ids, batches };
};
