/**
 * The assistant-friendly row operations: notion_query (compact rows, friendly filters), notion_upsert (create or
 * update by a unique key, never a duplicate) and notion_link (relations by property name). Values go through the
 * property builder (src/engine/properties) both ways.
 */

import {
  APIResponseError,
  type Client,
  collectPaginatedAPI,
  isFullPage,
  type PageObjectResponse,
  type PropertyItemListResponse,
  type QueryDataSourceParameters,
} from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import { isMissingObject } from '../../notion/errors.ts';
import { currentNotionObserver } from '../../notion/observer.ts';
import { GatewayError } from '../../shared/errors.ts';
import { normaliseUuid } from '../../shared/ids.ts';
import { allSettledOrThrow } from '../../shared/settle.ts';
import type { OperationContext, ResolvedConnection } from '../context.ts';
import type { ResolvedDataSource } from '../data-sources.ts';
import { dryRunAnswer, previewPage } from '../dry-run.ts';
import { withIdKind } from '../id-kinds.ts';
import { idFromField, titleOf } from '../notion-objects.ts';
import {
  buildFilter,
  buildPropertyValues,
  buildSorts,
  type CompactPage,
  compactPage,
  type DataSourceSchema,
  findProperty,
  invalidProperty,
  isNativeFilter,
  lookupProperty,
  type NotionPropertyValues,
  pageIdOf,
  sameValue,
} from '../properties/index.ts';
import { compactWithTitles, relatedTitles } from '../related-titles.ts';
import {
  refuseBodyWithTemplate,
  resolveTemplate,
  type TemplateParam,
  wantsTemplate,
  withTemplateErrors,
} from '../templates.ts';
import { MAX_KEYS_PER_LOOKUP, type UpsertLookahead } from '../upsert-batch.ts';
import { resolveFilterReferences, valueOptionsFor } from '../value-options.ts';
import { connectionOf, type Operation } from './operation.ts';

const BLOCKS_PER_APPEND = 100;

// ───────────────────────────── notion_query ─────────────────────────────

type QueryInput = Parameters<Operation<'notion_query'>>[0];
type Services = Parameters<Operation<'notion_query'>>[2];
type QuerySorts = QueryDataSourceParameters['sorts'];
type QueryFilter = QueryDataSourceParameters['filter'];

/** The friendly filter as Notion's, with relation and people values (titles, e-mails) resolved to ids. */
async function notionFilter(
  services: Services,
  connection: ResolvedConnection,
  filter: Record<string, unknown> | undefined,
  schema: DataSourceSchema,
): Promise<QueryFilter> {
  if (isNativeFilter(filter ?? {})) return filter as QueryFilter;
  return (await resolveFilterReferences(services, connection, buildFilter(filter, schema), schema)) as QueryFilter;
}

/** One page of one data source's rows, compact. */
async function queryRows(
  input: QueryInput,
  connection: ResolvedConnection,
  source: ResolvedDataSource,
  query: { filter: QueryFilter; sorts: QuerySorts; page_size: number; start_cursor?: string },
) {
  const { id, schema } = source;
  const properties = input.properties?.map((given) => findProperty(schema, given)[0]);
  const response = await connection.notion().dataSources.query({
    data_source_id: id,
    ...query,
    filter_properties: properties?.map((name) => schema[name]!.id),
  });
  const pages = response.results.filter((r): r is PageObjectResponse => r.object === 'page' && 'properties' in r);
  const pageTitle = await relatedTitles(connection, pages, properties);
  const rows = pages.map((page) => compactPage(page, { properties, pageTitle }));
  return { pages, rows, next_cursor: response.next_cursor, has_more: response.has_more };
}

export const notion_query: Operation<'notion_query'> = async (input, ctx, services) => {
  const targets = (['data_source_id', 'database_id', 'view_id', 'data_source_ids'] as const).filter(
    (key) => input[key] !== undefined,
  );
  if (targets.length > 1) {
    throw new GatewayError(
      'validation_failed',
      `Query one thing: ${targets.join(' or ')}, not several (data_source_ids takes several data sources at once).`,
      { pointer: `/${targets[1]}`, field: targets[1] },
    );
  }
  if (input.data_source_ids) return queryMany(input, ctx, services);
  if (input.view_id) return queryView(input, ctx, services);
  const connection = connectionOf(ctx);
  return services.dataSources.withSchema(connection, input, async (source) => {
    const answer = await queryRows(input, connection, source, {
      filter: await notionFilter(services, connection, input.filter, source.schema),
      sorts: buildSorts(input.sorts, source.schema) as QuerySorts,
      page_size: input.page_size ?? 50,
      start_cursor: input.start_cursor,
    });
    return fitRows(singleResult(input, source.id, answer), answer.pages, ctx, services.limits.maxResponseChars);
  });
};

function singleResult(input: QueryInput, id: string, answer: Awaited<ReturnType<typeof queryRows>>) {
  return {
    // The data source a database_id or view_id named; a caller that gave data_source_id has it already.
    ...(input.data_source_id ? {} : { data_source_id: id }),
    rows: answer.rows,
    ...(input.raw ? { raw_rows: answer.pages as unknown as Record<string, unknown>[] } : {}),
    next_cursor: answer.next_cursor,
    has_more: answer.has_more,
  };
}

/**
 * A view's rows: the view's own filter and sorts (read from the view), on its data source, as compact rows. A friendly
 * filter given beside narrows them further (AND); given sorts replace the view's.
 */
async function queryView(input: QueryInput, ctx: OperationContext, services: Services) {
  const connection = connectionOf(ctx);
  const viewId = idFromField(
    input.view_id!,
    'view_id',
    'a view id (notion_request GET /v1/views?data_source_id=… lists them)',
  );
  const view = (await withIdKind(connection, viewId, 'view', 'view_id', () =>
    connection.notion().views.retrieve({ view_id: viewId }),
  )) as { id: string; data_source_id?: string | null; filter?: unknown; sorts?: unknown; type?: string };
  if (!view.data_source_id) {
    throw new GatewayError(
      'validation_failed',
      `view_id: view ${viewId} (${view.type ?? 'unknown type'}) shows no data source of its own, so it has no rows to list.`,
      { pointer: '/view_id', field: 'view_id' },
    );
  }
  return services.dataSources.withSchema(connection, { data_source_id: view.data_source_id }, async (source) => {
    const given = input.filter ? await notionFilter(services, connection, input.filter, source.schema) : undefined;
    const own = (view.filter ?? undefined) as QueryFilter;
    const filter = own && given ? ({ and: [own, given] } as QueryFilter) : (own ?? given);
    const answer = await queryRows(input, connection, source, {
      filter,
      sorts: (input.sorts ? buildSorts(input.sorts, source.schema) : (view.sorts ?? undefined)) as QuerySorts,
      page_size: input.page_size ?? 50,
      start_cursor: input.start_cursor,
    });
    const result = { ...singleResult(input, source.id, answer), view_id: view.id };
    return fitRows(result, answer.pages, ctx, services.limits.maxResponseChars);
  });
}

/** Where each data source of a multi-source query continues: its Notion cursor, null when it has no more rows. */
type MultiCursor = Record<string, string | null>;
const MULTI_CURSOR_PREFIX = 'multi.';

function readMultiCursor(raw: string | undefined, ids: string[]): MultiCursor {
  const fresh = Object.fromEntries(ids.map((id) => [id, ''])) as MultiCursor;
  if (raw === undefined) return fresh;
  try {
    if (!raw.startsWith(MULTI_CURSOR_PREFIX)) throw new Error('not ours');
    const parsed = JSON.parse(
      Buffer.from(raw.slice(MULTI_CURSOR_PREFIX.length), 'base64url').toString(),
    ) as MultiCursor;
    if (Object.keys(parsed).sort().join() !== [...ids].sort().join()) throw new Error('other sources');
    return parsed;
  } catch {
    throw new GatewayError(
      'validation_failed',
      'start_cursor: pass the next_cursor of the previous page of this same query (same data_source_ids) unchanged.',
      { pointer: '/start_cursor', field: 'start_cursor' },
    );
  }
}

const isEmpty = (v: unknown) => v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);

/** Compact values in sort order: numbers as numbers, dates and text as strings (ISO dates sort as text). */
function compareValues(a: unknown, b: unknown): number {
  const plain = (v: unknown) => (v && typeof v === 'object' && 'start' in v ? (v as { start: unknown }).start : v);
  const [x, y] = [plain(a), plain(b)];
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  return String(x).localeCompare(String(y));
}

/** Rows of several sources in the order of friendly sorts (`["-Due", "Name"]`); empty values last either way. */
function sortRows(rows: CompactPage[], sortKeys: string[]): CompactPage[] {
  const order = sortKeys.map((key) => ({
    name: key.replace(/^-/, '').toLowerCase(),
    sign: key.startsWith('-') ? -1 : 1,
  }));
  const valueNamed = (row: CompactPage, name: string) =>
    row.properties[Object.keys(row.properties).find((k) => k.toLowerCase() === name) ?? name];
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      for (const { name, sign } of order) {
        const [x, y] = [valueNamed(a.row, name), valueNamed(b.row, name)];
        if (isEmpty(x) || isEmpty(y)) {
          if (isEmpty(x) !== isEmpty(y)) return isEmpty(x) ? 1 : -1;
          continue;
        }
        const byValue = compareValues(x, y) * sign;
        if (byValue !== 0) return byValue;
      }
      return a.index - b.index;
    })
    .map(({ row }) => row);
}

/**
 * Several data sources in one query: the friendly filter applied to each data source that has every property it
 * names (the others are listed in `skipped`, since none of their rows could match), each source's rows in its own
 * order, merged by the friendly sorts, each row tagged with its data source. One cursor continues them all.
 */
async function queryMany(input: QueryInput, ctx: OperationContext, services: Services) {
  const connection = connectionOf(ctx);
  if (input.filter && isNativeFilter(input.filter)) {
    throw new GatewayError(
      'validation_failed',
      'filter: Notion\'s native filter names one data source\'s properties; with data_source_ids use the friendly filter ({"Status": "Done"}).',
      { pointer: '/filter', field: 'filter' },
    );
  }
  const ids = [
    ...new Set(input.data_source_ids!.map((raw, i) => idFromField(raw, `data_source_ids/${i}`, 'a data source id'))),
  ];
  const cursor = readMultiCursor(input.start_cursor, ids);
  const pageSize = input.page_size ?? 50;
  const active = ids.filter((id) => cursor[id] !== null);
  const share = Math.max(1, Math.ceil(pageSize / Math.max(1, active.length)));
  const sortKeys = (input.sorts ?? []).filter((sort): sort is string => typeof sort === 'string');
  const skipped: Array<{ data_source_id: string; missing: string[] }> = [];
  const next: MultiCursor = { ...cursor };

  const perSource = await allSettledOrThrow(
    active.map((id) =>
      services.dataSources.withSchema(connection, { data_source_id: id }, async (source) => {
        const missing = Object.keys(input.filter ?? {}).filter((name) => !lookupProperty(source.schema, name));
        if (missing.length) {
          skipped.push({ data_source_id: id, missing });
          next[id] = null;
          return [];
        }
        const sorts = sortKeys.filter((key) => lookupProperty(source.schema, key.replace(/^-/, '')));
        const answer = await queryRows(input, connection, source, {
          filter: await notionFilter(services, connection, input.filter, source.schema),
          sorts: buildSorts(sorts, source.schema) as QuerySorts,
          page_size: share,
          start_cursor: cursor[id] || undefined,
        });
        next[id] = answer.has_more ? answer.next_cursor : null;
        return answer.rows.map((row) => ({ ...row, data_source_id: id }));
      }),
    ),
  );
  const rows = sortKeys.length ? sortRows(perSource.flat(), sortKeys) : perSource.flat();
  const hasMore = Object.values(next).some((c) => c !== null);
  return {
    data_source_ids: ids,
    rows,
    next_cursor: hasMore ? MULTI_CURSOR_PREFIX + Buffer.from(JSON.stringify(next)).toString('base64url') : null,
    has_more: hasMore,
    ...(skipped.length ? { skipped } : {}),
  };
}

/**
 * Rows beyond the size limit are left for the next page rather than refused: the cursor of a Notion query is the id of
 * the first row of the next page, so the first row left out is where the caller continues.
 */
function fitRows<
  R extends {
    rows: CompactPage[];
    raw_rows?: unknown[];
    next_cursor: string | null;
    has_more: boolean;
    truncated?: boolean;
  },
>(result: R, pages: PageObjectResponse[], ctx: OperationContext, limit: number): R {
  const { measure } = ctx;
  if (measure(result) <= limit) return result;
  let keep = result.rows.length;
  const trimmed = { ...result, truncated: true, has_more: true };
  while (keep > 1) {
    keep = Math.floor(keep * 0.75);
    trimmed.rows = result.rows.slice(0, keep);
    if (result.raw_rows) trimmed.raw_rows = result.raw_rows.slice(0, keep);
    trimmed.next_cursor = pages[keep]!.id;
    if (measure(trimmed) <= limit) return trimmed;
  }
  return trimmed; // one row over the limit: the pipeline answers response_too_large with how to ask for less
}

// ───────────────────────────── notion_upsert ─────────────────────────────

/** Property types that can identify a row (Notion filters them with `equals`). */
const KEY_TYPES = new Set(['title', 'rich_text', 'number', 'email', 'url', 'phone_number', 'select', 'status']);

interface Key {
  name: string;
  type: string;
  value: string | number;
}

type Given = { property: string; value: string | number };

function keyOf(schema: DataSourceSchema, given: Given, field: string): Key {
  const [name, property] = findProperty(schema, given.property);
  if (!KEY_TYPES.has(property.type)) {
    throw invalidProperty(
      `${field} "${name}" is a ${property.type} property; a row is identified by a title, text, number, email, url, phone, select or status property.`,
      { property: name, expected: 'a title, rich_text, number, email, url, phone_number, select or status property' },
    );
  }
  if (property.type !== 'number') return { name, type: property.type, value: given.value };
  const value = Number(given.value);
  if (!Number.isFinite(value)) {
    throw invalidProperty(`${field} "${name}" is a number property: its key must be a number.`, {
      property: name,
      expected: 'a number, e.g. "42"',
    });
  }
  return { name, type: property.type, value };
}

const keyFilter = (keys: Key[]) => {
  const conditions = keys.map((k) => ({ property: k.name, [k.type]: { equals: k.value } }));
  return conditions.length === 1 ? conditions[0] : { and: conditions };
};

async function retrievePage(client: Client, pageId: string): Promise<PageObjectResponse | null> {
  try {
    const page = await client.pages.retrieve({ page_id: pageId });
    return isFullPage(page) ? page : null;
  } catch (error) {
    if (isMissingObject(error)) return null;
    throw error;
  }
}

export const notion_upsert: Operation<'notion_upsert'> = async (input, ctx, services) => {
  if (input.content_blocks && input.content_markdown !== undefined) {
    throw new GatewayError(
      'validation_failed',
      'Send the page body as content_blocks or as content_markdown, not both.',
      {
        pointer: '/content_markdown',
      },
    );
  }
  refuseBodyWithTemplate(input.template, {
    content_blocks: input.content_blocks,
    content_markdown: input.content_markdown || undefined,
  });
  const ignored = wantsTemplate(input.template)
    ? { template_ignored: 'The row already existed: a template applies only to a row being created.' }
    : {};
  const connection = connectionOf(ctx);
  const client = connection.notion();
  return services.dataSources.withSchema(connection, input, async (source) => {
    const keys = [keyOf(source.schema, input.unique, 'unique.property')];
    if (input.external_id) keys.push(keyOf(source.schema, input.external_id, 'external_id.property'));
    const desired = await buildPropertyValues(
      { ...(input.properties ?? {}), ...Object.fromEntries(keys.map((k) => [k.name, k.value])) },
      source.schema,
      valueOptionsFor(services, connection, input),
    );
    const uniqueKey = uniqueKeyOf(keys);
    const connectionId = connection.summary.connection_id;
    ctx.audit.summary = `upsert ${keys.map((k) => `${k.name}=${JSON.stringify(k.value)}`).join(', ')} in data source ${source.id}`;
    ctx.audit.notionIds.add(source.id);

    // What this upsert leaves the row as, for a later upsert of the same key in the same bulk.
    const leaves = (rows: PageObjectResponse[]) => ctx.upsertBatch?.put(source.id, uniqueKey, rows);

    // Concurrent upserts of one key wait for each other (across replicas on PostgreSQL): no duplicate rows.
    return services.locks.withLock(`upsert:${connectionId}:${source.id}:${uniqueKey}`, async () => {
      const batched = await fromBatch(client, source, keys, desired, uniqueKey, input as never, ctx, services);
      const existing =
        batched !== undefined ? batched : await findRow(client, source, keys, desired, uniqueKey, ctx, services);
      const dry = input.dry_run === true;
      if (!existing) {
        const template = await resolveTemplate(client, source.id, input.template);
        if (dry) {
          leaves([]);
          const { page, changes } = await previewPage(connection, null, desired, source.schema);
          const blocks = input.content_blocks ?? [];
          return {
            action: 'created' as const,
            page,
            ...dryRunAnswer(
              [
                {
                  method: 'POST',
                  path: '/v1/pages',
                  body: {
                    parent: { type: 'data_source_id', data_source_id: source.id },
                    properties: desired,
                    ...(blocks.length > 0 ? { children: blocks } : {}),
                    ...template,
                  },
                },
                ...(input.content_markdown
                  ? [
                      {
                        method: 'PATCH',
                        path: '/v1/pages/{new page}/markdown',
                        body: { type: 'insert_content', insert_content: { content: input.content_markdown } },
                      },
                    ]
                  : []),
              ],
              changes,
            ),
          };
        }
        const created = await withTemplateErrors(client, source.id, input.template, () =>
          createRow(connection.notion, source.id, desired, input, template),
        );
        await services.upsertKeys.reserve(connectionId, source.id, uniqueKey);
        await services.upsertKeys.setPage(connectionId, source.id, uniqueKey, created.id);
        leaves([created]);
        return { action: 'created' as const, page: await compactWithTitles(connection, created) };
      }
      const changed = Object.fromEntries(
        Object.entries(desired).filter(([name, value]) => !sameValue(value, existing.properties[name])),
      ) as NotionPropertyValues;
      if (Object.keys(changed).length === 0 || dry) leaves([existing]);
      if (Object.keys(changed).length === 0) {
        return {
          action: 'unchanged' as const,
          page: await compactWithTitles(connection, existing),
          ...ignored,
          ...(dry ? dryRunAnswer([], {}) : {}),
        };
      }
      if (dry) {
        const { page, changes } = await previewPage(connection, existing, changed, source.schema);
        return {
          action: 'updated' as const,
          page,
          ...ignored,
          ...dryRunAnswer(
            [{ method: 'PATCH', path: `/v1/pages/${existing.id}`, body: { properties: changed } }],
            changes,
          ),
        };
      }
      const updated = await client.pages.update({ page_id: existing.id, properties: changed });
      if (isFullPage(updated)) leaves([updated]);
      return {
        action: 'updated' as const,
        page: await compactWithTitles(connection, isFullPage(updated) ? updated : existing),
        ...ignored,
      };
    });
  });
};

/** A key's plain value on a page, lower-cased text: it only groups candidates; the upsert then compares exactly. */
function keyValueOf(value: unknown, type: string): string | number | null {
  const v = value as Record<string, unknown> | undefined;
  if (!v) return null;
  if (type === 'title' || type === 'rich_text') {
    return ((v[type] as Array<{ plain_text?: string }> | undefined) ?? [])
      .map((t) => t.plain_text ?? '')
      .join('')
      .toLowerCase();
  }
  if (type === 'number') return (v.number as number | null) ?? null;
  if (type === 'select' || type === 'status') return ((v[type] as { name?: string } | null)?.name ?? '').toLowerCase();
  return typeof v[type] === 'string' ? (v[type] as string).toLowerCase() : null;
}

const groupOf = (keys: Key[], value: (k: Key) => string | number | null) =>
  JSON.stringify(keys.map((k) => [k.name, value(k)]));
const wantedGroup = (keys: Key[]) =>
  groupOf(keys, (k) => (typeof k.value === 'string' ? k.value.toLowerCase() : k.value));
const uniqueKeyOf = (keys: Key[]) => JSON.stringify(keys.map((k) => [k.name, k.value]));
const targetOf = (args: Record<string, unknown>) =>
  typeof args.data_source_id === 'string'
    ? `ds:${normaliseUuid(args.data_source_id)}`
    : `db:${normaliseUuid(String(args.database_id ?? ''))}`;
/** Only keys Notion can filter on as given join a look-up (a bad one would fail the whole query). */
const filterable = (keys: Key[]) =>
  keys.every((k) => (k.type === 'number' ? typeof k.value === 'number' : typeof k.value === 'string'));
const hasReference = (value: unknown) => JSON.stringify(value ?? null).includes('$ops[');

/**
 * One query for the rows of this upsert's key and of up to 99 more upcoming upserts into the same data source (by
 * the same key properties): what it finds, or that nothing has a key, goes to the bulk's look-ahead.
 */
async function lookUpBatch(
  client: Client,
  source: ResolvedDataSource,
  input: Record<string, unknown>,
  keys: Key[],
  batch: UpsertLookahead,
): Promise<void> {
  const names = keys.map((k) => k.name).join('\n');
  const target = targetOf(input);
  const wanted = new Map<string, Key[]>([[uniqueKeyOf(keys), keys]]);
  for (const { args } of batch.upcoming()) {
    if (wanted.size >= MAX_KEYS_PER_LOOKUP) break;
    if (targetOf(args) !== target || hasReference(args.unique) || hasReference(args.external_id)) continue;
    let theirs: Key[];
    try {
      theirs = [keyOf(source.schema, args.unique as Given, 'unique.property')];
      if (args.external_id) theirs.push(keyOf(source.schema, args.external_id as Given, 'external_id.property'));
    } catch {
      continue; // this upsert fails on its own when it runs
    }
    const uniqueKey = uniqueKeyOf(theirs);
    if (theirs.map((k) => k.name).join('\n') !== names || !filterable(theirs)) continue;
    if (!wanted.has(uniqueKey) && !batch.knows(source.id, uniqueKey)) wanted.set(uniqueKey, theirs);
  }
  const conditions = [...wanted.values()].map(keyFilter);
  const found: PageObjectResponse[] = [];
  let cursor: string | undefined;
  try {
    do {
      const page = await client.dataSources.query({
        data_source_id: source.id,
        filter: (conditions.length === 1 ? conditions[0] : { or: conditions }) as QueryDataSourceParameters['filter'],
        page_size: 100,
        ...(cursor ? { start_cursor: cursor } : {}),
      });
      found.push(...page.results.filter((r): r is PageObjectResponse => isFullPage(r)));
      cursor = page.has_more ? (page.next_cursor ?? undefined) : undefined;
    } while (cursor);
  } catch (error) {
    // Notion refused the filter: this data source's upserts look their rows up one by one.
    if (error instanceof APIResponseError && error.status === 400) return batch.disable(source.id);
    throw error;
  }
  const byGroup = new Map<string, PageObjectResponse[]>();
  for (const row of found) {
    const group = groupOf(keys, (k) => keyValueOf(row.properties[k.name], k.type));
    byGroup.set(group, [...(byGroup.get(group) ?? []), row]);
  }
  for (const [uniqueKey, theirs] of wanted) batch.put(source.id, uniqueKey, byGroup.get(wantedGroup(theirs)) ?? []);
}

/**
 * The row the bulk's look-up found for this key, checked under the key's lock against the key upserts remember: a row
 * made or remembered since the look-up, a key found on two rows, or one that differs: undefined (look it up as usual).
 */
async function fromBatch(
  client: Client,
  source: ResolvedDataSource,
  keys: Key[],
  desired: NotionPropertyValues,
  uniqueKey: string,
  input: Record<string, unknown>,
  ctx: OperationContext,
  services: Parameters<Operation<'notion_upsert'>>[2],
): Promise<PageObjectResponse | null | undefined> {
  const batch = ctx.upsertBatch;
  if (!batch || !filterable(keys)) return undefined;
  if (batch.enabled(source.id) && !batch.knows(source.id, uniqueKey)) {
    await lookUpBatch(client, source, input, keys, batch);
  }
  const rows = batch.take(source.id, uniqueKey);
  if (rows === undefined || rows.length > 1) return undefined;
  const connectionId = connectionOf(ctx).summary.connection_id;
  const remembered = await services.upsertKeys.find(connectionId, source.id, uniqueKey);
  const row = rows[0];
  if (!row) return remembered ? undefined : null;
  if (!keys.every((k) => sameValue(desired[k.name]!, row.properties[k.name]))) return undefined;
  // The look-ahead read this row for this upsert, in another op's call: tell this call's before-image recorder, which
  // would otherwise read the page again before the update.
  currentNotionObserver()?.answered({ method: 'GET', path: `/v1/pages/${row.id}`, body: undefined }, row);
  if (remembered?.page_id === row.id) return row;
  if (remembered) return undefined;
  await services.upsertKeys.reserve(connectionId, source.id, uniqueKey);
  await services.upsertKeys.setPage(connectionId, source.id, uniqueKey, row.id);
  return row;
}

/** The row with these keys: the remembered page when it still matches (one read), else a query. */
async function findRow(
  client: Client,
  source: ResolvedDataSource,
  keys: Key[],
  desired: NotionPropertyValues,
  uniqueKey: string,
  ctx: OperationContext,
  services: Parameters<Operation<'notion_upsert'>>[2],
): Promise<PageObjectResponse | null> {
  const connectionId = connectionOf(ctx).summary.connection_id;
  const remembered = await services.upsertKeys.find(connectionId, source.id, uniqueKey);
  if (remembered?.page_id) {
    const page = await retrievePage(client, remembered.page_id);
    const parent = page?.parent as { data_source_id?: string } | undefined;
    const stillTheRow =
      page &&
      !page.in_trash &&
      !(page as { archived?: boolean }).archived &&
      parent?.data_source_id === source.id &&
      keys.every((k) => sameValue(desired[k.name]!, page.properties[k.name]));
    if (stillTheRow) return page;
    await services.upsertKeys.release(connectionId, source.id, uniqueKey);
  }
  const found = await client.dataSources.query({
    data_source_id: source.id,
    filter: keyFilter(keys) as QueryDataSourceParameters['filter'],
    page_size: 3,
  });
  const rows = found.results.filter((r): r is PageObjectResponse => isFullPage(r));
  if (rows.length > 1) {
    throw new GatewayError(
      'ambiguous_match',
      `${rows.length}${found.has_more ? '+' : ''} rows have ${keys.map((k) => `${k.name} = ${JSON.stringify(k.value)}`).join(' and ')}: none was changed. Make the key unique (add external_id), or update one row by id with notion_request.`,
      { candidates: rows.map((r) => ({ id: r.id, url: r.url, title: titleOf(r) })) },
      409,
    );
  }
  if (rows.length === 1) {
    await services.upsertKeys.reserve(connectionId, source.id, uniqueKey);
    await services.upsertKeys.setPage(connectionId, source.id, uniqueKey, rows[0]!.id);
  }
  return rows[0] ?? null;
}

async function createRow(
  notion: (version?: string) => Client,
  dataSourceId: string,
  properties: NotionPropertyValues,
  input: { content_blocks?: Record<string, unknown>[]; content_markdown?: string },
  template: TemplateParam = {},
): Promise<PageObjectResponse> {
  const blocks = (input.content_blocks ?? []) as never[];
  const created = await notion().pages.create({
    parent: { type: 'data_source_id', data_source_id: dataSourceId },
    properties,
    ...template,
    ...(blocks.length > 0 ? { children: blocks.slice(0, BLOCKS_PER_APPEND) } : {}),
  });
  // Notion takes 100 blocks per request: the rest follows in batches.
  for (let at = BLOCKS_PER_APPEND; at < blocks.length; at += BLOCKS_PER_APPEND) {
    await notion().blocks.children.append({ block_id: created.id, children: blocks.slice(at, at + BLOCKS_PER_APPEND) });
  }
  if (input.content_markdown) {
    await notion(MARKDOWN_NOTION_VERSION).pages.updateMarkdown({
      page_id: created.id,
      type: 'insert_content',
      insert_content: { content: input.content_markdown },
    });
  }
  return created as PageObjectResponse;
}

// ───────────────────────────── notion_link ─────────────────────────────

/** A page by id, notion.so URL, or exact title (unique among the pages shared with the connection). */
async function pageIdFromRef(client: Client, ref: string, field: string): Promise<string> {
  const id = pageIdOf(ref);
  if (id) return id;
  const found = await client.search({ query: ref, filter: { property: 'object', value: 'page' }, page_size: 25 });
  const exact = found.results.filter((r) => isFullPage(r) && titleOf(r) === ref);
  if (exact.length === 1) return exact[0]!.id;
  if (exact.length === 0) {
    throw new GatewayError(
      'not_found',
      `${field}: no page titled "${ref}" is shared with this connection. Pass its id or URL.`,
      {
        pointer: `/${field.replace('.', '/')}`,
      },
    );
  }
  throw new GatewayError(
    'ambiguous_match',
    `${field}: ${exact.length} pages are titled "${ref}". Pass the id or URL of one.`,
    {
      pointer: `/${field.replace('.', '/')}`,
      candidates: exact.map((r) => ({ id: r.id, url: (r as PageObjectResponse).url })),
    },
    409,
  );
}

/** Every page id of a relation, following Notion's paging when the page object cut it short. */
async function relationIds(client: Client, page: PageObjectResponse, name: string): Promise<string[]> {
  const value = page.properties[name] as { id: string; relation: Array<{ id: string }>; has_more?: boolean };
  if (!value.has_more) return value.relation.map((r) => r.id);
  // A paginated property answers a list of property items; the SDK's helper follows its cursor.
  const items = await collectPaginatedAPI(
    (args: { page_id: string; property_id: string; start_cursor?: string }) =>
      client.pages.properties.retrieve(args) as Promise<PropertyItemListResponse>,
    { page_id: page.id, property_id: value.id },
  );
  return items.flatMap((item) => (item.type === 'relation' ? [item.relation.id] : []));
}

export const notion_link: Operation<'notion_link'> = async (input, ctx) => {
  const client = connectionOf(ctx).notion();
  const [fromId, toId] = await allSettledOrThrow([
    pageIdFromRef(client, input.from.id, 'from.id'),
    pageIdFromRef(client, input.to.id, 'to.id'),
  ]);
  const from = await retrievePage(client, fromId);
  if (!from)
    throw new GatewayError('not_found', `from.id: no page ${fromId} is shared with this connection.`, {
      pointer: '/from/id',
    });
  const schema = from.properties as unknown as DataSourceSchema;
  const [name, property] = findProperty(schema, input.relation_property);
  if (property.type !== 'relation') {
    const relations = Object.entries(from.properties)
      .filter(([, v]) => v.type === 'relation')
      .map(([n]) => n);
    throw invalidProperty(
      `"${name}" is a ${property.type} property, not a relation. Relations on this page: ${relations.join(', ') || 'none'}.`,
      {
        property: name,
        expected: 'a relation property',
        valid_choices: relations,
      },
    );
  }
  const mode = input.mode ?? 'add';
  const same = (a: string, b: string) => a.replaceAll('-', '') === b.replaceAll('-', '');
  const current = await relationIds(client, from, name);
  const next =
    mode === 'set'
      ? [toId]
      : mode === 'remove'
        ? current.filter((id) => !same(id, toId))
        : current.some((id) => same(id, toId))
          ? current
          : [...current, toId];
  ctx.audit.summary = `${mode} relation "${name}" from ${fromId} to ${toId}`;
  ctx.audit.notionIds.add(fromId).add(toId);
  const unchanged = next.length === current.length && next.every((id, i) => same(id, current[i]!));
  if (input.dry_run === true) {
    ctx.audit.summary = `would ${mode} relation "${name}" from ${fromId} to ${toId}`;
    const body = { properties: { [name]: { relation: next.map((id) => ({ id })) } } };
    return {
      action: unchanged ? 'unchanged' : mode === 'add' ? 'linked' : mode === 'remove' ? 'unlinked' : 'set',
      from: { id: from.id, title: titleOf(from) },
      relation_property: name,
      related: next.map((id) => ({ id })),
      ...dryRunAnswer(unchanged ? [] : [{ method: 'PATCH', path: `/v1/pages/${fromId}`, body }], {
        ...(unchanged ? {} : { [name]: { before: current, after: next } }),
      }),
    };
  }
  if (!unchanged) {
    await client.pages.update({ page_id: fromId, properties: { [name]: { relation: next.map((id) => ({ id })) } } });
  }
  return {
    action: unchanged ? 'unchanged' : mode === 'add' ? 'linked' : mode === 'remove' ? 'unlinked' : 'set',
    from: { id: from.id, title: titleOf(from) },
    relation_property: name,
    related: next.map((id) => ({ id })),
  };
};
