/**
 * Batched upserts: a bulk (or bulk job) hands its upserts this look-ahead, so the first upsert into a data source finds
 * the existing rows of up to 100 upcoming keys with one query (a compound `or` filter) instead of one query each.
 * Each upsert still runs on its own through the request path, under its own key lock, and checks what the look-up
 * found against the keys upserts remember (src/engine/operations/rows.ts), so a row made since is never made twice.
 *
 * What the look-up found for a key is taken once: the upsert that takes it puts back the row as it left it (created,
 * updated or unchanged), so a key repeated later in the same bulk applies in order (the last value wins) on one row.
 * An upsert that fails leaves nothing behind, and its retry looks the row up again the usual way.
 */
import type { PageObjectResponse } from '@notionhq/client';

/** Notion takes at most 100 filters in one compound filter (its arrays hold at most 100 elements). */
export const MAX_KEYS_PER_LOOKUP = 100;
/** Found rows older than this are looked up again: the longer the wait, the likelier someone changed them. */
const MAX_AGE_MS = 120_000;

export interface PendingUpsert {
  index: number;
  args: Record<string, unknown>;
}

export class UpsertLookahead {
  readonly #ops: ReadonlyArray<{ args: Record<string, unknown> }>;
  readonly #isUpsert: ReadonlyArray<boolean>;
  readonly #found = new Map<string, { rows: PageObjectResponse[]; at: number }>();
  /** Data sources whose look-up Notion refused (a key it cannot filter on): their upserts look up one by one. */
  readonly #off = new Set<string>();
  #position = 0;

  constructor(ops: ReadonlyArray<{ args: Record<string, unknown> }>, isUpsert: ReadonlyArray<boolean>) {
    this.#ops = ops;
    this.#isUpsert = isUpsert;
  }

  /** The op about to run: the look-ahead starts there. */
  at(index: number): void {
    this.#position = index;
  }

  /** The upserts from the current op on, in order (their args as given: `$ops[…]` references still unresolved). */
  *upcoming(): Generator<PendingUpsert> {
    for (let index = this.#position; index < this.#ops.length; index++) {
      if (this.#isUpsert[index]) yield { index, args: this.#ops[index]!.args };
    }
  }

  enabled(dataSourceId: string): boolean {
    return !this.#off.has(dataSourceId);
  }

  disable(dataSourceId: string): void {
    this.#off.add(dataSourceId);
  }

  knows(dataSourceId: string, uniqueKey: string): boolean {
    const entry = this.#found.get(`${dataSourceId}\n${uniqueKey}`);
    return entry !== undefined && Date.now() - entry.at < MAX_AGE_MS;
  }

  /** The rows found for a key (none: no row has it), once; undefined when it was not looked up (or too long ago). */
  take(dataSourceId: string, uniqueKey: string): PageObjectResponse[] | undefined {
    const id = `${dataSourceId}\n${uniqueKey}`;
    const entry = this.#found.get(id);
    this.#found.delete(id);
    return entry && Date.now() - entry.at < MAX_AGE_MS ? entry.rows : undefined;
  }

  put(dataSourceId: string, uniqueKey: string, rows: PageObjectResponse[]): void {
    this.#found.set(`${dataSourceId}\n${uniqueKey}`, { rows, at: Date.now() });
  }
}
