/**
 * When Notion answers "Could not find page … make sure it is shared" for an id that is in fact a data source (or a
 * page given where a data source is wanted), say what the id is and which tool takes it. Only asked after Notion
 * refused the id, so a correct call costs nothing; each probe is one read.
 */
import { APIResponseError, type Client } from '@notionhq/client';
import { GatewayError } from '../shared/errors.ts';

/** What the probes need of a connection (structural: data-sources.ts, below context.ts, calls them too). */
interface ResolvedConnection {
  notion(): Client;
}

export type IdKind = 'page' | 'data_source' | 'database' | 'view';

const USE: Record<IdKind, string> = {
  page: 'read it with notion_page_get (or notion_read GET /v1/pages/{id}); change it with notion_page_update',
  data_source: 'query its rows with notion_query (data_source_id), add rows with notion_upsert or notion_page_create',
  database: 'pass it as database_id (notion_query takes a database with one data source), or read its data sources',
  view: 'list its rows with notion_query (view_id)',
};

const PROBES: Record<IdKind, (connection: ResolvedConnection, id: string) => Promise<unknown>> = {
  page: (c, id) => c.notion().pages.retrieve({ page_id: id }),
  data_source: (c, id) => c.notion().dataSources.retrieve({ data_source_id: id }),
  database: (c, id) => c.notion().databases.retrieve({ database_id: id }),
  view: (c, id) => c.notion().views.retrieve({ view_id: id }),
};

const isRefusal = (error: unknown) =>
  error instanceof APIResponseError && (error.status === 404 || error.status === 400);

/** What `id` is, when it is not the `expected` kind but another Notion object the connection can see. */
export async function actualKindOf(
  connection: ResolvedConnection,
  id: string,
  expected: IdKind,
): Promise<IdKind | null> {
  for (const kind of ['data_source', 'database', 'page', 'view'] as const) {
    if (kind === expected) continue;
    try {
      await PROBES[kind](connection, id);
      return kind;
    } catch {
      // Not this kind either (or not shared): try the next.
    }
  }
  return null;
}

/**
 * Runs `work`; when Notion refuses `id` as missing and the id is another kind of object, the refusal names its kind
 * (invalid_id, 400) instead of Notion's "make sure it is shared".
 */
export async function withIdKind<T>(
  connection: ResolvedConnection,
  id: string,
  expected: IdKind,
  field: string,
  work: () => Promise<T>,
): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!isRefusal(error)) throw error;
    const actual = await actualKindOf(connection, id, expected);
    if (!actual) throw error;
    throw wrongKind(id, expected, actual, field);
  }
}

export function wrongKind(id: string, expected: IdKind, actual: IdKind, field: string): GatewayError {
  const name = (k: IdKind) => k.replace('_', ' ');
  return new GatewayError(
    'invalid_id',
    `${field}: ${id} is a ${name(actual)}, not a ${name(expected)}. To use it, ${USE[actual]}.`,
    {
      pointer: `/${field}`,
      field,
      expected: `the id of a ${name(expected)}`,
      actual_kind: actual,
      example: { [field]: `<id of a ${name(expected)}>` },
    },
  );
}

const KIND_OF_ROUTE: Record<string, IdKind> = { pages: 'page', data_sources: 'data_source', databases: 'database' };

/** For a proxied path such as `pages/{id}/…`: the id and the kind the route expects, or null for other routes. */
export function idOfRoute(path: string): { id: string; kind: IdKind } | null {
  const [collection, id] = path.split('/');
  const kind = collection ? KIND_OF_ROUTE[collection] : undefined;
  return kind && id && /^[0-9a-f-]{32,36}$/i.test(id) ? { id, kind } : null;
}
