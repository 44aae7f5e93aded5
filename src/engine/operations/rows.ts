/**
 * The assistant-friendly row operations: notion_query (compact rows, friendly filters), notion_upsert (create or
 * update by a unique key, never a duplicate) and notion_link (relations by property name). Values go through the
 * property builder (src/engine/properties) both ways.
 */

import {
  type Client,
  collectPaginatedAPI,
  isFullPage,
  type PageObjectResponse,
  type PropertyItemListResponse,
  type QueryDataSourceParameters,
} from '@notionhq/client';
import { MARKDOWN_NOTION_VERSION } from '../../notion/allowlist.ts';
import { isMissingObject } from '../../notion/errors.ts';
import { GatewayError } from '../../shared/errors.ts';
import { allSettledOrThrow } from '../../shared/settle.ts';
import type { OperationContext } from '../context.ts';
import type { ResolvedDataSource } from '../data-sources.ts';
import { dryRunAnswer, previewPage } from '../dry-run.ts';
import { titleOf } from '../notion-objects.ts';
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
import { resolveFilterReferences, valueOptionsFor } from '../value-options.ts';
import { connectionOf, type Operation } from './operation.ts';

const BLOCKS_PER_APPEND = 100;

// ───────────────────────────── notion_query ─────────────────────────────

export const notion_query: Operation<'notion_query'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  return services.dataSources.withSchema(connection, input, async ({ id, schema }) => {
    const properties = input.properties?.map((given) => findProperty(schema, given)[0]);
    const response = await connection.notion().dataSources.query({
      data_source_id: id,
      filter: (isNativeFilter(input.filter ?? {})
        ? input.filter
        : await resolveFilterReferences(
            services.dataSources,
            connection,
            buildFilter(input.filter, schema),
            schema,
          )) as QueryDataSourceParameters['filter'],
      sorts: buildSorts(input.sorts, schema) as QueryDataSourceParameters['sorts'],
      page_size: input.page_size ?? 50,
      start_cursor: input.start_cursor,
      filter_properties: properties?.map((name) => schema[name]!.id),
    });
    const pages = response.results.filter((r): r is PageObjectResponse => r.object === 'page' && 'properties' in r);
    // Rows leave out created_time: a query's rows are read many at a time, and every character counts against the limit.
    const pageTitle = await relatedTitles(connection, pages, properties);
    const rows = pages.map((page) => {
      const { created_time: _created, ...row } = compactPage(page, { properties, pageTitle });
      return row as CompactPage;
    });
    const result = {
      data_source_id: id,
      rows,
      ...(input.raw ? { raw_rows: pages as unknown as Record<string, unknown>[] } : {}),
      next_cursor: response.next_cursor,
      has_more: response.has_more,
      truncated: false,
    };
    return fitRows(result, pages, ctx, services.limits.maxResponseChars);
  });
};

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
    truncated: boolean;
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

function keyOf(schema: DataSourceSchema, given: { property: string; value: string | number }, field: string): Key {
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
      valueOptionsFor(services.dataSources, connection, input),
    );
    const uniqueKey = JSON.stringify(keys.map((k) => [k.name, k.value]));
    const connectionId = connection.summary.connection_id;
    ctx.audit.summary = `upsert ${keys.map((k) => `${k.name}=${JSON.stringify(k.value)}`).join(', ')} in data source ${source.id}`;
    ctx.audit.notionIds.add(source.id);

    // Concurrent upserts of one key wait for each other (across replicas on PostgreSQL): no duplicate rows.
    return services.locks.withLock(`upsert:${connectionId}:${source.id}:${uniqueKey}`, async () => {
      const existing = await findRow(client, source, keys, desired, uniqueKey, ctx, services);
      const dry = input.dry_run === true;
      if (!existing) {
        const template = await resolveTemplate(client, source.id, input.template);
        if (dry) {
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
        return { action: 'created' as const, page: await compactWithTitles(connection, created) };
      }
      const changed = Object.fromEntries(
        Object.entries(desired).filter(([name, value]) => !sameValue(value, existing.properties[name])),
      ) as NotionPropertyValues;
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
      return {
        action: 'updated' as const,
        page: await compactWithTitles(connection, isFullPage(updated) ? updated : existing),
        ...ignored,
      };
    });
  });
};

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
