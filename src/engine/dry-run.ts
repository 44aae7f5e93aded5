/**
 * Dry runs of page writes: the same checks as the real run (schema lookup, every property value built), then an answer
 * saying what would be sent and, per property, the value before → after; Notion sees reads only.
 */
import type { PageObjectResponse } from '@notionhq/client';
import type { ResolvedConnection } from './context.ts';
import type { CompactPage, DataSourceSchema, NotionPropertyValues } from './properties/index.ts';
import { compactWithTitles } from './related-titles.ts';

export interface WouldSend {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

export interface DryRunAnswer {
  dry_run: true;
  would_send: Record<string, unknown>[];
  changes: Record<string, { before: unknown; after: unknown }>;
}

/** Rich text as Notion answers it: each item with its `plain_text` (what the friendly format reads). */
function withPlainText(value: object): object {
  const out: Record<string, unknown> = { ...value };
  for (const key of ['title', 'rich_text']) {
    const items = out[key];
    if (!Array.isArray(items)) continue;
    out[key] = items.map((item: { plain_text?: string; text?: { content?: string }; annotations?: object }) => ({
      annotations: {},
      ...item,
      plain_text: item.plain_text ?? item.text?.content ?? '',
    }));
  }
  return out;
}

/**
 * `base` with `values` applied, as Notion would hold it after the write (a new page when `base` is null), in the
 * friendly format, and each changed property's value before → after.
 */
export async function previewPage(
  connection: ResolvedConnection,
  base: PageObjectResponse | null,
  values: NotionPropertyValues,
  schema: DataSourceSchema | null,
  extra: { in_trash?: boolean } = {},
): Promise<{ page: CompactPage; changes: DryRunAnswer['changes'] }> {
  const typed = Object.fromEntries(
    Object.entries(values).map(([name, value]) => {
      const type =
        (base?.properties[name] as { type?: string } | undefined)?.type ??
        schema?.[name]?.type ??
        Object.keys(value)[0];
      return [name, { id: schema?.[name]?.id ?? name, type, ...withPlainText(value) }];
    }),
  );
  const after = {
    object: 'page',
    id: base?.id ?? '',
    url: base?.url ?? null,
    created_time: base?.created_time ?? '',
    last_edited_time: base?.last_edited_time ?? '',
    in_trash: extra.in_trash ?? base?.in_trash ?? false,
    parent: base?.parent ?? {},
    ...base,
    properties: { ...(base?.properties ?? {}), ...typed },
  } as unknown as PageObjectResponse;
  if (extra.in_trash !== undefined) (after as { in_trash: boolean }).in_trash = extra.in_trash;
  const [beforePage, afterPage] = await Promise.all([
    base ? compactWithTitles(connection, base) : null,
    compactWithTitles(connection, after),
  ]);
  const changes: DryRunAnswer['changes'] = {};
  for (const name of Object.keys(values)) {
    changes[name] = { before: beforePage?.properties[name] ?? null, after: afterPage.properties[name] ?? null };
  }
  if (extra.in_trash !== undefined && extra.in_trash !== Boolean(base?.in_trash)) {
    changes.in_trash = { before: Boolean(base?.in_trash), after: extra.in_trash };
  }
  return { page: afterPage, changes };
}

export const dryRunAnswer = (would_send: WouldSend[], changes: DryRunAnswer['changes']): DryRunAnswer => ({
  dry_run: true,
  would_send: would_send as unknown as Record<string, unknown>[],
  changes,
});
