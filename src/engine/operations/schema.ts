/**
 * Databases and data-source schemas in the friendly schema format (src/engine/properties): create a database with
 * its one data source, read a schema, change it. What comes back is the schema as notion_upsert and notion_query read it.
 */

import type { DataSourceObjectResponse } from '@notionhq/client';
import { GatewayError } from '../../shared/errors.ts';
import { allSettledOrThrow } from '../../shared/settle.ts';
import type { ResolvedConnection } from '../context.ts';
import { dryRunAnswer } from '../dry-run.ts';
import { plainText, urlOf } from '../notion-objects.ts';
import {
  buildCreateSchema,
  buildUpdateSchema,
  compactSchema,
  type DataSourceSchema,
  textToRichText,
} from '../properties/index.ts';
import { listTemplates } from '../templates.ts';
import type { Output } from '../types.ts';
import { connectionOf, type Operation } from './operation.ts';

type SchemaView = Output<'notion_database_create'>;

function view(source: DataSourceObjectResponse): SchemaView {
  const parent = source.parent as { database_id?: string };
  return {
    database_id: parent.database_id ?? null,
    data_source_id: source.id,
    title: plainText(source.title),
    url: urlOf(source as { id: string; url?: string }),
    properties: compactSchema(source.properties as DataSourceSchema),
  };
}

async function retrieve(connection: ResolvedConnection, id: string): Promise<DataSourceObjectResponse> {
  return (await connection.notion().dataSources.retrieve({ data_source_id: id })) as DataSourceObjectResponse;
}

export const notion_database_create: Operation<'notion_database_create'> = async (input, ctx) => {
  const connection = connectionOf(ctx);
  const body = {
    parent: { type: 'page_id' as const, page_id: input.parent_page_id },
    title: textToRichText(input.title) as never,
    ...(input.description ? { description: textToRichText(input.description) as never } : {}),
    ...(input.icon_emoji ? { icon: { type: 'emoji' as const, emoji: input.icon_emoji as never } } : {}),
    ...(input.is_inline !== undefined ? { is_inline: input.is_inline } : {}),
    initial_data_source: { properties: buildCreateSchema(input.properties) },
  };
  if (input.dry_run === true) {
    // The parent must exist and be shared, as the real create needs: one read checks it.
    await connection.notion().pages.retrieve({ page_id: input.parent_page_id });
    ctx.audit.summary = `would create database "${input.title}"`;
    const changes = Object.fromEntries(
      Object.entries(input.properties).map(([name, schema]) => [name, { before: null, after: schema }]),
    );
    // No ids yet: they are empty strings (a dry bulk shows them as `<ops[i].data_source_id>`).
    return {
      database_id: null,
      data_source_id: '',
      title: input.title,
      url: null,
      properties: input.properties,
      ...dryRunAnswer([{ method: 'POST', path: '/v1/databases', body }], changes),
    };
  }
  const database = await connection.notion().databases.create(body);
  const sources = (database as { data_sources?: Array<{ id: string }> }).data_sources ?? [];
  if (!sources[0]) throw new GatewayError('notion_error', 'Notion created the database without a data source.', {});
  ctx.audit.summary = `created database "${input.title}"`;
  ctx.audit.notionIds.add(database.id).add(sources[0].id);
  return view(await retrieve(connection, sources[0].id));
};

export const notion_data_source_get: Operation<'notion_data_source_get'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const id = await services.dataSources.dataSourceIdOf(connection, input);
  const [source, templates] = await allSettledOrThrow([
    retrieve(connection, id),
    listTemplates(connection.notion(), id),
  ]);
  return { ...view(source), templates };
};

export const notion_data_source_update: Operation<'notion_data_source_update'> = async (input, ctx, services) => {
  const connection = connectionOf(ctx);
  const id = await services.dataSources.dataSourceIdOf(connection, input);
  if (!input.properties && input.title === undefined) {
    throw new GatewayError('validation_failed', 'Nothing to change: pass properties, title, or both.', { pointer: '' });
  }
  // The live schema, not a cached one: option merges and renames must start from what Notion has now.
  const current = await services.dataSources.schemaOf(connection, id, { fresh: true });
  if (input.dry_run === true) {
    const properties = input.properties ? buildUpdateSchema(input.properties, current) : undefined;
    const title = input.title !== undefined ? textToRichText(input.title) : undefined;
    const now = compactSchema(current);
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    for (const [name, value] of Object.entries(input.properties ?? {})) {
      changes[name] = { before: now[name] ?? null, after: value };
    }
    const source = await retrieve(connection, id);
    if (input.title !== undefined) changes.title = { before: plainText(source.title), after: input.title };
    ctx.audit.summary = `would change the schema of data source ${id}`;
    const body = { ...(properties ? { properties } : {}), ...(title ? { title } : {}) };
    return { ...view(source), ...dryRunAnswer([{ method: 'PATCH', path: `/v1/data_sources/${id}`, body }], changes) };
  }
  const updated = (await connection.notion().dataSources.update({
    data_source_id: id,
    ...(input.properties ? { properties: buildUpdateSchema(input.properties, current) } : {}),
    ...(input.title !== undefined ? { title: textToRichText(input.title) as never } : {}),
  })) as DataSourceObjectResponse;
  services.dataSources.forget(connection, id);
  ctx.audit.summary = `changed the schema of data source ${id}${input.properties ? `: ${Object.keys(input.properties).join(', ')}` : ''}`;
  ctx.audit.notionIds.add(id);
  return view(updated);
};
