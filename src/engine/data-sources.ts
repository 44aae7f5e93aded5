/**
 * Which data source a call means, and its schema. A database id is accepted wherever a data source id is expected
 * when that database has exactly one data source. Schemas are kept for a minute per connection, so a run of upserts
 * into one data source costs one schema read; an unknown property name refreshes the schema once before it is refused.
 */
import type { Client, DataSourceObjectResponse, GetDatabaseResponse } from '@notionhq/client';
import { APIResponseError } from '@notionhq/client';
import { LRUCache } from 'lru-cache';
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';
import { actualKindOf, wrongKind } from './id-kinds.ts';
import type { DataSourceSchema } from './properties/index.ts';

/** What the cache needs of a ResolvedConnection (context.ts, which holds this cache in EngineServices). */
interface ResolvedConnection {
  summary: { connection_id: string };
  notion(): Client;
}

export interface DataSourceTarget {
  data_source_id?: string;
  database_id?: string;
}

export interface ResolvedDataSource {
  id: string;
  schema: DataSourceSchema;
}

const SCHEMA_TTL_MS = 60_000;

/**
 * The data-source schemas and database → data source ids an engine has read, per connection: a minute at most, the
 * most recently used few thousand. One per engine (EngineServices.dataSources), never shared between engines.
 */
export class DataSourceCache {
  /** Per connection and data source. */
  readonly schemas = new LRUCache<string, DataSourceSchema>({ max: 5_000, ttl: SCHEMA_TTL_MS });
  /** Per connection and database: its only data source. */
  readonly databases = new LRUCache<string, string>({ max: 5_000, ttl: SCHEMA_TTL_MS });

  dataSourceIdOf(connection: ResolvedConnection, target: DataSourceTarget): Promise<string> {
    return dataSourceIdOf(this, connection, target);
  }
  schemaOf(connection: ResolvedConnection, dataSourceId: string, options?: { fresh?: boolean }) {
    return schemaOf(this, connection, dataSourceId, options);
  }
  withSchema<T>(
    connection: ResolvedConnection,
    target: DataSourceTarget,
    work: (source: ResolvedDataSource) => Promise<T>,
  ): Promise<T> {
    return withSchema(this, connection, target, work);
  }
  /** Forget a schema (after this gateway changed it). */
  forget(connection: ResolvedConnection, dataSourceId: string): void {
    this.schemas.delete(keyOf(connection, dataSourceId));
  }
}

const keyOf = (connection: ResolvedConnection, id: string) => `${connection.summary.connection_id}:${id}`;

async function dataSourceOfDatabase(
  { databases }: DataSourceCache,
  connection: ResolvedConnection,
  databaseId: string,
): Promise<string> {
  const cached = databases.get(keyOf(connection, databaseId));
  if (cached) return cached;
  const database = (await connection
    .notion()
    .databases.retrieve({ database_id: databaseId })) as GetDatabaseResponse & {
    data_sources?: Array<{ id: string; name: string }>;
  };
  const sources = database.data_sources ?? [];
  if (sources.length !== 1) {
    throw new GatewayError(
      'ambiguous_data_source',
      sources.length === 0
        ? `Database ${databaseId} has no data source.`
        : `Database ${databaseId} has ${sources.length} data sources: pass data_source_id (one of ${sources.map((s) => `${s.id} "${s.name}"`).join(', ')}).`,
      { database_id: databaseId, data_sources: sources },
    );
  }
  databases.set(keyOf(connection, databaseId), sources[0]!.id);
  return sources[0]!.id;
}

/** The data source id of a call: `data_source_id`, or the only data source of `database_id`. */
async function dataSourceIdOf(
  cache: DataSourceCache,
  connection: ResolvedConnection,
  target: DataSourceTarget,
): Promise<string> {
  const given = target.data_source_id ?? target.database_id;
  const id = given ? normaliseUuid(given) : null;
  if (!id) {
    throw new GatewayError('validation_failed', 'Pass data_source_id (or a database_id with one data source).', {
      pointer: '/data_source_id',
    });
  }
  if (target.data_source_id) return id;
  return dataSourceOfDatabase(cache, connection, id);
}

async function schemaOf(
  { schemas }: DataSourceCache,
  connection: ResolvedConnection,
  dataSourceId: string,
  options: { fresh?: boolean } = {},
): Promise<DataSourceSchema> {
  const key = keyOf(connection, dataSourceId);
  const cached = options.fresh ? undefined : schemas.get(key);
  if (cached) return cached;
  let source: DataSourceObjectResponse;
  try {
    source = (await connection
      .notion()
      .dataSources.retrieve({ data_source_id: dataSourceId })) as DataSourceObjectResponse;
  } catch (error) {
    if (error instanceof APIResponseError && (error.status === 404 || error.status === 400)) {
      const actual = await actualKindOf(connection, dataSourceId, 'data_source');
      if (actual) throw wrongKind(dataSourceId, 'data_source', actual, 'data_source_id');
      if (error.status === 400) throw error;
      throw new GatewayError(
        'not_found',
        `No data source ${dataSourceId} is shared with this connection. A database id? Pass it as database_id. Find data sources with notion_search.`,
        { data_source_id: dataSourceId, notion_code: error.code },
      );
    }
    throw error;
  }
  schemas.set(key, source.properties as DataSourceSchema);
  return source.properties as DataSourceSchema;
}

/** Runs `work` with the cached schema; when it refuses a property the schema may be stale: retry once with a fresh one. */
async function withSchema<T>(
  cache: DataSourceCache,
  connection: ResolvedConnection,
  target: DataSourceTarget,
  work: (source: ResolvedDataSource) => Promise<T>,
): Promise<T> {
  const id = await dataSourceIdOf(cache, connection, target);
  const wasCached = cache.schemas.has(keyOf(connection, id));
  try {
    return await work({ id, schema: await schemaOf(cache, connection, id) });
  } catch (error) {
    if (!(error instanceof GatewayError) || error.code !== 'invalid_property' || !wasCached) throw error;
    return work({ id, schema: await schemaOf(cache, connection, id, { fresh: true }) });
  }
}
