/**
 * Views as friendly tools: notion_views_list shows a data source's (or database's) views with their filter and sorts
 * written back in notion_query's friendly form where that form says exactly the same; notion_view_save creates a view
 * or changes its name, filter or sorts, taking both as notion_query does. Deleting a view stays a raw
 * `notion_request DELETE /v1/views/{id}`: a delete here would make the tool destructive, so a client would confirm
 * every save.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CreateViewParameters, UpdateViewParameters } from '@notionhq/client';
import { GatewayError } from '../../shared/errors.ts';
import { normaliseUuid } from '../../shared/ids.ts';
import type { ResolvedConnection } from '../context.ts';
import { dryRunAnswer } from '../dry-run.ts';
import { withIdKind } from '../id-kinds.ts';
import { idFromField } from '../notion-objects.ts';
import { buildFilter, buildSorts, type DataSourceSchema, isNativeFilter } from '../properties/index.ts';
import { resolveFilterReferences } from '../value-options.ts';
import { connectionOf, type Operation } from './operation.ts';

type Services = Parameters<Operation<'notion_view_save'>>[2];
type Filter = Record<string, unknown>;
/** A sort as notion_query takes it: `"Due"`, `"-Due"` or Notion's object. */
type Sort = string | Filter;
type SaveInput = Parameters<Operation<'notion_view_save'>>[0];

/** A view as Notion answers it (the fields read here). */
interface NotionView {
  id: string;
  name?: string;
  type?: string;
  url?: string;
  data_source_id?: string | null;
  filter?: Filter | null;
  sorts?: unknown[] | null;
}

const isObject = (v: unknown): v is Filter => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The schema's name of a property a view names by name or by id (Notion may store either). */
function nameOf(schema: DataSourceSchema, given: unknown): string | undefined {
  if (typeof given !== 'string') return undefined;
  if (schema[given]) return given;
  return Object.entries(schema).find(([, p]) => p.id === given)?.[0];
}

/** One native condition in the friendly form (`{"Done": false}`), or undefined when it has none. */
function friendlyCondition(condition: Filter, schema: DataSourceSchema): [string, unknown] | undefined {
  if (typeof condition.timestamp === 'string') {
    const type = condition.timestamp;
    const found = Object.entries(schema).filter(([, p]) => p.type === type);
    // Only when one property stands for that timestamp: the friendly form names a property.
    if (found.length !== 1 || !isObject(condition[type])) return undefined;
    return [found[0]![0], condition[type]];
  }
  const name = nameOf(schema, condition.property);
  const property = name ? schema[name] : undefined;
  if (!name || !property) return undefined;
  const inner = condition[property.type];
  if (!isObject(inner) || Object.keys(condition).length !== 2) return undefined;
  const [op, value] = Object.entries(inner)[0] ?? [];
  if (Object.keys(inner).length === 1) {
    if (op === 'equals' && (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'))
      return [name, value];
    if (
      op === 'contains' &&
      typeof value === 'string' &&
      ['multi_select', 'people', 'relation'].includes(property.type)
    )
      return [name, value];
    if (op === 'is_empty' && value === true) return [name, null];
  }
  return [name, inner];
}

/**
 * Notion's filter in the friendly form when one exists that notion_query would turn back into the same filter (a
 * single condition or an AND of conditions on distinct properties); otherwise Notion's own, as it is.
 */
export function friendlyFilter(native: Filter | null | undefined, schema: DataSourceSchema): Filter | null {
  if (!native || Object.keys(native).length === 0) return null;
  const parts = Array.isArray(native.and) && Object.keys(native).length === 1 ? (native.and as unknown[]) : [native];
  if (parts.length === 0 || !parts.every(isObject)) return native;
  const entries = parts.map((part) => friendlyCondition(part, schema));
  if (entries.some((e) => e === undefined)) return native;
  const friendly = Object.fromEntries(entries as [string, unknown][]);
  if (Object.keys(friendly).length !== parts.length) return native;
  // The round trip proves the two say the same (names for ids, single conditions unwrapped).
  const named = (part: Filter) =>
    typeof part.property === 'string' ? { ...part, property: nameOf(schema, part.property) } : part;
  const expected = parts.length === 1 ? named(parts[0] as Filter) : { and: (parts as Filter[]).map(named) };
  try {
    return isDeepStrictEqual(buildFilter(friendly, schema), expected) ? friendly : native;
  } catch {
    return native;
  }
}

/** Notion's sorts as `["Due", "-Hours"]`, timestamp sorts left as Notion writes them. */
export function friendlySorts(native: unknown[] | null | undefined, schema: DataSourceSchema): Sort[] | null {
  if (!native || native.length === 0) return null;
  return native.map((sort): Sort => {
    // Notion's sorts are objects; anything else is shown as it came.
    if (!isObject(sort)) return String(sort);
    const name = nameOf(schema, sort.property);
    if (!name || Object.keys(sort).length !== 2) return sort;
    if (sort.direction === 'ascending') return name;
    if (sort.direction === 'descending') return `-${name}`;
    return sort;
  });
}

function summary(view: NotionView, schema: DataSourceSchema | null) {
  return {
    id: view.id,
    name: view.name ?? '',
    type: view.type ?? 'unknown',
    data_source_id: view.data_source_id ?? null,
    ...(view.url ? { url: view.url } : {}),
    filter: schema ? friendlyFilter(view.filter, schema) : (view.filter ?? null),
    sorts: schema ? friendlySorts(view.sorts, schema) : ((view.sorts ?? null) as Sort[] | null),
  };
}

async function retrieveView(connection: ResolvedConnection, viewId: string): Promise<NotionView> {
  return (await withIdKind(connection, viewId, 'view', 'view_id', () =>
    connection.notion().views.retrieve({ view_id: viewId }),
  )) as NotionView;
}

/** The schema a view's filter is read with; null for a view without a data source (a dashboard). */
async function schemaFor(services: Services, connection: ResolvedConnection, view: NotionView) {
  return view.data_source_id ? services.dataSources.schemaOf(connection, view.data_source_id) : null;
}

export const notion_views_list: Operation<'notion_views_list'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  if (!input.data_source_id === !input.database_id) {
    throw new GatewayError('validation_failed', 'Pass data_source_id or database_id (one of them).', {
      pointer: '/data_source_id',
      field: 'data_source_id',
    });
  }
  const field = input.data_source_id ? 'data_source_id' : 'database_id';
  const id = normaliseUuid(input[field]!);
  if (!id) {
    throw new GatewayError('validation_failed', `${field} should be a Notion id or URL.`, {
      pointer: `/${field}`,
      field,
    });
  }
  const kind = input.data_source_id ? 'data_source' : 'database';
  const listed = await withIdKind(connection, id, kind, field, () =>
    connection.notion().views.list({
      [field]: id,
      page_size: input.page_size ?? 25,
      ...(input.start_cursor ? { start_cursor: input.start_cursor } : {}),
    } as never),
  );
  // Notion lists ids only: each view is read for its name, type, filter and sorts.
  const views = await Promise.all(
    listed.results.map(async ({ id: viewId }) => {
      const view = await retrieveView(connection, viewId);
      return summary(view, await schemaFor(services, connection, view));
    }),
  );
  return { views, next_cursor: listed.next_cursor, has_more: listed.has_more };
};

/** The friendly filter as Notion's (relation titles, people e-mails resolved); `{}` → null (clears), undefined keeps. */
async function nativeFilter(
  services: Services,
  connection: ResolvedConnection,
  filter: Filter | undefined,
  schema: DataSourceSchema,
): Promise<Filter | null | undefined> {
  if (filter === undefined) return filter;
  if (Object.keys(filter).length === 0) return null;
  if (isNativeFilter(filter)) return filter;
  return (await resolveFilterReferences(services, connection, buildFilter(filter, schema), schema)) ?? null;
}

function nativeSorts(sorts: readonly Sort[] | undefined, schema: DataSourceSchema) {
  if (sorts === undefined) return sorts;
  return buildSorts(sorts, schema) ?? null;
}

export const notion_view_save: Operation<'notion_view_save'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  return input.view_id ? updateView(input, ctx, services, connection) : createView(input, ctx, services, connection);
};

async function createView(
  input: SaveInput,
  ctx: Parameters<Operation<'notion_view_save'>>[1],
  services: Services,
  connection: ResolvedConnection,
) {
  if (input.name === undefined) {
    throw new GatewayError('validation_failed', 'A new view needs a name (or pass view_id to change a view).', {
      pointer: '/name',
      field: 'name',
    });
  }
  const name = input.name;
  return services.dataSources.withSchema(connection, input, async ({ id, schema }) => {
    const filter = await nativeFilter(services, connection, input.filter, schema);
    const sorts = nativeSorts(input.sorts, schema);
    const body = {
      data_source_id: id,
      name,
      type: input.type ?? 'table',
      ...(filter ? { filter } : {}),
      ...(sorts ? { sorts } : {}),
    };
    if (input.dry_run === true) {
      ctx.audit.summary = `would create view "${name}" on data source ${id}`;
      const preview = summary({ id: '', ...body }, schema);
      const changes = Object.fromEntries(
        (['name', 'type', 'filter', 'sorts'] as const).map((key) => [key, { before: null, after: preview[key] }]),
      );
      return { ...preview, ...dryRunAnswer([{ method: 'POST', path: '/v1/views', body }], changes) };
    }
    const created = (await connection.notion().views.create(body as CreateViewParameters)) as NotionView;
    ctx.audit.summary = `created view "${name}" (${body.type}) on data source ${id}`;
    ctx.audit.notionIds.add(created.id);
    return summary(created, schema);
  });
}

async function updateView(
  input: SaveInput,
  ctx: Parameters<Operation<'notion_view_save'>>[1],
  services: Services,
  connection: ResolvedConnection,
) {
  const viewId = idFromField(input.view_id!, 'view_id', 'a view id (notion_views_list lists them)');
  if (input.name === undefined && input.filter === undefined && input.sorts === undefined) {
    throw new GatewayError('validation_failed', 'Nothing to change: pass name, filter or sorts.', { pointer: '' });
  }
  const view = await retrieveView(connection, viewId);
  const schema = await schemaFor(services, connection, view);
  if (!schema && (input.filter || input.sorts)) {
    throw new GatewayError(
      'validation_failed',
      `view_id: view ${viewId} (${view.type ?? 'unknown type'}) shows no data source, so it takes no filter or sorts.`,
      { pointer: '/view_id', field: 'view_id' },
    );
  }
  const filter = schema ? await nativeFilter(services, connection, input.filter, schema) : input.filter;
  const sorts = schema ? nativeSorts(input.sorts, schema) : input.sorts;
  const body = {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(filter !== undefined ? { filter } : {}),
    ...(sorts !== undefined ? { sorts } : {}),
  };
  if (input.dry_run === true) {
    ctx.audit.summary = `would change view ${view.id}`;
    const before = summary(view, schema);
    const after = summary({ ...view, ...body } as NotionView, schema);
    const changes = Object.fromEntries(
      Object.keys(body).map((key) => [key, { before: before[key as 'name'], after: after[key as 'name'] }]),
    );
    return { ...after, ...dryRunAnswer([{ method: 'PATCH', path: `/v1/views/${view.id}`, body }], changes) };
  }
  const updated = (await connection
    .notion()
    .views.update({ view_id: view.id, ...body } as UpdateViewParameters)) as NotionView;
  ctx.audit.summary = `changed view ${view.id}: ${Object.keys(body).join(', ')}`;
  ctx.audit.notionIds.add(view.id);
  return summary(updated, schema);
}
