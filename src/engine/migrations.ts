/**
 * migration jobs: ordered steps over one data source, each through the request path. `dry_run` counts what each step
 * would change (rows matched, schema changes) and writes nothing; the real run changes exactly those. Every write
 * carries the key `job:<id>#m<step>:<page>`, so a migration resumed after a crash does not write twice.
 *
 * Steps:
 *   {"rename_property": {"from": "Owner", "to": "Lead"}}
 *   {"set_values": {"where": <filter>, "values": {"Status": "Done"}}}          friendly filter and values
 *   {"copy_values": {"from": "Due", "to": "Deadline", "where"?: <filter>}}    the compact value, written as friendly
 *   {"change_type": {"property": "Points", "to": {"type": "number"}}}         new property, values converted, swapped
 *   {"archive": {"where": <filter>}}                                           rows to the trash
 *   {"move": {"where": <filter>, "to_data_source_id": "…"}}                    rows to another data source
 */
import { GatewayError } from '../shared/errors.ts';
import type { CompactPage } from './properties/index.ts';
import type { Input, Model, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;
type Filter = Record<string, unknown>;

/** A migration job's args (MigrationJobArgs in spec/models/jobs.tsp: its shape is checked when the job starts). */
export type Migration = Model<'MigrationJobArgs'>;

export interface StepReport {
  step: number;
  kind: string;
  /** Rows the step changes (or would change); schema changes count 1. */
  changes: number;
}

/** What the schema cannot say: which data source (one of two optional ids). */
export function checkMigration(migration: Migration): void {
  if (!migration.data_source_id && !migration.database_id) {
    throw new GatewayError('validation_failed', 'A migration needs data_source_id (or database_id).', {
      pointer: '/args',
    });
  }
}

export interface MigrationContext {
  invoke: Invoke;
  connectionId: string;
  keyPrefix: string;
  progress(done: number): Promise<void>;
}

/** Every row (compact) matching `where`, following the query's cursor. */
async function rows(ctx: MigrationContext, dataSourceId: string, where?: Filter): Promise<CompactPage[]> {
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

/** A compact value as a friendly value the builder takes back (relations and people by id). */
function friendly(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: string }).id : v));
  return value;
}

export async function runMigration(migration: Migration, ctx: MigrationContext): Promise<StepReport[]> {
  checkMigration(migration);
  const connection = { connection_id: ctx.connectionId };
  const source = await ctx.invoke('notion_data_source_get', {
    ...connection,
    ...(migration.data_source_id
      ? { data_source_id: migration.data_source_id }
      : { database_id: migration.database_id }),
  });
  const dataSourceId = source.result.data_source_id;
  const dry = migration.dry_run === true;
  // A dry run renames nothing: later steps that use a new name read the property by its old one.
  const renamed = new Map<string, string>();
  const current = (name: string) => (dry ? (renamed.get(name) ?? name) : name);
  const where = (filter?: Filter) =>
    filter && dry ? Object.fromEntries(Object.entries(filter).map(([k, v]) => [current(k), v])) : filter;
  const reports: StepReport[] = [];
  let done = 0;
  const write = async <Op extends OperationId>(op: Op, input: Input<Op>, key: string) => {
    await ctx.invoke(op, { ...(input as object), idempotency_key: `${ctx.keyPrefix}#${key}` } as Input<Op>);
    await ctx.progress(++done);
  };
  const schema = (index: number, properties: Record<string, unknown>) =>
    write(
      'notion_data_source_update',
      { ...connection, data_source_id: dataSourceId, properties } as never,
      `m${index}:schema`,
    );
  const updateRows = async (
    index: number,
    pages: CompactPage[],
    properties: (page: CompactPage) => Record<string, unknown>,
  ) => {
    for (const page of pages) {
      await write(
        'notion_page_update',
        { ...connection, page_id: page.id, properties: properties(page) } as never,
        `m${index}:${page.id}`,
      );
    }
  };

  for (const [index, step] of migration.steps.entries()) {
    // The schema lets exactly one member through (MigrationStep is @exactlyOneMember).
    if (step.rename_property) {
      const { from, to } = step.rename_property;
      if (!dry) await schema(index, { [from]: { name: to } });
      else renamed.set(to, current(from));
      reports.push({ step: index, kind: 'rename_property', changes: 1 });
    } else if (step.set_values) {
      const { where: filter, values } = step.set_values;
      const matched = await rows(ctx, dataSourceId, where(filter));
      if (!dry) await updateRows(index, matched, () => values);
      reports.push({ step: index, kind: 'set_values', changes: matched.length });
    } else if (step.copy_values) {
      const { from, to, where: filter } = step.copy_values;
      const matched = (await rows(ctx, dataSourceId, where(filter))).filter(
        (p) => p.properties[current(from)] !== undefined,
      );
      if (!dry) await updateRows(index, matched, (p) => ({ [to]: friendly(p.properties[from]) }));
      reports.push({ step: index, kind: 'copy_values', changes: matched.length });
    } else if (step.change_type) {
      // A new property of the new type, the values converted into it, the old one removed, the new one renamed.
      const { property, to } = step.change_type;
      const temporary = `${property} (${String(to.type)})`;
      const all = await rows(ctx, dataSourceId);
      const withValue = all.filter((p) => {
        const value = p.properties[current(property)];
        return value !== null && value !== undefined;
      });
      if (!dry) {
        await schema(index, { [temporary]: to });
        await updateRows(index, withValue, (p) => ({ [temporary]: friendly(p.properties[property]) }));
        await write(
          'notion_data_source_update',
          { ...connection, data_source_id: dataSourceId, properties: { [property]: null } } as never,
          `m${index}:drop`,
        );
        await write(
          'notion_data_source_update',
          { ...connection, data_source_id: dataSourceId, properties: { [temporary]: { name: property } } } as never,
          `m${index}:rename`,
        );
      }
      reports.push({ step: index, kind: 'change_type', changes: withValue.length });
    } else if (step.archive) {
      const matched = await rows(ctx, dataSourceId, where(step.archive.where));
      if (!dry) {
        for (const page of matched) {
          await write(
            'notion_page_update',
            { ...connection, page_id: page.id, in_trash: true } as never,
            `m${index}:${page.id}`,
          );
        }
      }
      reports.push({ step: index, kind: 'archive', changes: matched.length });
    } else if (step.move) {
      const { where: filter, to_data_source_id } = step.move;
      const matched = await rows(ctx, dataSourceId, where(filter));
      if (!dry) {
        for (const page of matched) {
          await write(
            'notion_request',
            {
              ...connection,
              method: 'POST',
              path: `/v1/pages/${page.id}/move`,
              body: { parent: { type: 'data_source_id', data_source_id: to_data_source_id } },
            } as never,
            `m${index}:${page.id}`,
          );
        }
      }
      reports.push({ step: index, kind: 'move', changes: matched.length });
    }
  }
  return reports;
}
