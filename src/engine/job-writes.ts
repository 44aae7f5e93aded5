/**
 * What the plan and migration jobs share: reading every row of a data source through the engine (notion_query, so
 * reads are paced and shaped like any other), and undoing the writes a failed run already made, newest first.
 */
import { GatewayError, toErrorBody } from '../shared/errors.ts';
import type { CompactPage } from './properties/index.ts';
import type { Input, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;

/** Every row (compact) of a data source matching the friendly filter `where` (all rows without), following cursors. */
export async function allRows(
  ctx: { invoke: Invoke; connectionId: string },
  dataSourceId: string,
  where?: Record<string, unknown>,
): Promise<CompactPage[]> {
  const found: CompactPage[] = [];
  let cursor: string | undefined;
  do {
    const { result } = await ctx.invoke('notion_query', {
      connection_id: ctx.connectionId,
      data_source_id: dataSourceId,
      ...(where ? { filter: where } : {}),
      page_size: 100,
      raw: false,
      ...(cursor ? { start_cursor: cursor } : {}),
    });
    found.push(...(result.rows as CompactPage[]));
    cursor = result.has_more ? (result.next_cursor ?? undefined) : undefined;
  } while (cursor);
  return found;
}

/** A write a run made and how to take it back (`key`: the undo's own idempotency key). */
export interface UndoEntry {
  what: string;
  run: (key: string) => Promise<unknown>;
}

/** Runs the undo entries newest first; an undo that fails is noted (what, why) and the others still run. */
export async function undoNewestFirst(undo: readonly UndoEntry[]): Promise<Array<{ what: string; error: unknown }>> {
  const failed: Array<{ what: string; error: unknown }> = [];
  for (const [n, entry] of [...undo].reverse().entries()) {
    try {
      await entry.run(`undo${n}`);
    } catch (undoError) {
      if (!(undoError instanceof GatewayError)) throw undoError;
      failed.push({ what: entry.what, error: toErrorBody(undoError) });
    }
  }
  return failed;
}
