/**
 * migration jobs: ordered steps over one data source, each through the request path, all or nothing.
 *
 * Every run starts with the dry run: the steps are played on a copy of the schema and rows (read once), and every
 * value a step writes is built by the property builder for its property on every row it would write, as the real
 * write would build it; a value that cannot be converted is reported with its step, row and value. `dry_run` answers
 * that; the real run refuses to start when it found anything (`validation_failed`, the failing rows listed), so a
 * bad value never leaves a half-migrated data source. The real run then writes, keeping a before-image of each
 * write (the row's values, the property's schema); a step that still fails (rows changed meanwhile, Notion refused)
 * stops the run and the writes already made are undone from those before-images, in reverse order: values restored,
 * added properties removed, renames renamed back, a type change reverted, trashed rows restored, moved rows moved
 * back. The job's progress counts writes, its total known from the start (the dry run's count; a rollback adds its
 * undo writes to both). Every write carries the key `job:<id>#m<step>:<page>`, so a migration resumed after a crash
 * does not write twice (a resumed run does not refuse on what the half-run migration no longer matches, and what
 * ran before the crash has no before-image: it is not undone). A cancelled migration stops after its current write
 * and is not undone here; its writes are audited with their before-images, so notion_undo with the job id takes
 * them back.
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
import { allRows, type UndoEntry, undoNewestFirst } from './job-writes.ts';
import {
  buildPropertyValue,
  buildPropertyValues,
  buildUpdateSchema,
  type CompactPage,
  type DataSourceSchema,
  lookupProperty,
  type PropertySchema,
  type ValueOptions,
} from './properties/index.ts';
import type { Input, Model, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;
type Filter = Record<string, unknown>;

/** A migration job's args and one of its steps (MigrationJobArgs, MigrationStep in spec/models/jobs.tsp: checked when
 * the job starts; a step holds exactly one member). */
export type Migration = Model<'MigrationJobArgs'>;
export type MigrationStep = Model<'MigrationStep'>;

/** A value (or a step) the dry run found the real run could not write. */
export interface StepFailure {
  /** The row; null when the step itself cannot run (a property that does not exist, a schema Notion refuses). */
  row_id: string | null;
  title?: string;
  property?: string;
  value?: unknown;
  message: string;
}

export interface StepReport {
  step: number;
  kind: string;
  /** Rows the step changes (or would change); schema changes count 1. */
  changes: number;
  /** Dry run: what the step could not write (absent when nothing). */
  failures?: StepFailure[];
}

const KINDS = ['rename_property', 'set_values', 'copy_values', 'change_type', 'archive', 'move'] as const;

export function checkMigration(migration: Migration): void {
  if (!migration.data_source_id && !migration.database_id) {
    throw new GatewayError('validation_failed', 'A migration needs data_source_id (or database_id).', {
      pointer: '/args',
    });
  }
  if (!Array.isArray(migration.steps) || migration.steps.length === 0) {
    throw new GatewayError('validation_failed', 'A migration needs steps: at least one.', { pointer: '/args/steps' });
  }
  for (const [i, step] of migration.steps.entries()) {
    const kinds = Object.keys(step ?? {});
    if (kinds.length !== 1 || !KINDS.includes(kinds[0] as (typeof KINDS)[number])) {
      throw new GatewayError(
        'validation_failed',
        `steps[${i}] must be one of ${KINDS.join(', ')}, e.g. {"archive": {"where": {"Done": true}}}.`,
        {
          pointer: `/args/steps/${i}`,
          valid_choices: [...KINDS],
        },
      );
    }
  }
}

export interface MigrationContext {
  invoke: Invoke;
  connectionId: string;
  keyPrefix: string;
  /** After each write: the writes done and the total expected. */
  progress(done: number, total: number): Promise<void>;
  /** The job ran before (a crash): what it already wrote no longer matches the dry run, which then does not refuse. */
  resumed?: boolean;
}

/** A compact value as a friendly value the builder takes back (relations and people by id). */
function friendly(value: unknown): unknown {
  if (Array.isArray(value))
    return value.map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: string }).id : v));
  return value === undefined ? null : value;
}

/** A row's value of a property given by name, id or any case. */
function rowValue(page: CompactPage, name: string): unknown {
  if (name in page.properties) return page.properties[name];
  const lower = name.toLowerCase();
  const found = Object.keys(page.properties).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : page.properties[found];
}

const hasValue = (value: unknown) =>
  value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);

/**
 * As the real write builds values, except people and related pages: those are looked up by Notion at run time
 * (a failure there is rolled back). Options that do not exist are refused, as the write (no create_options) does.
 */
const DRY_VALUES: ValueOptions = {
  createOptions: false,
  resolveUser: () => '00000000-0000-4000-8000-000000000000',
  resolvePage: () => '00000000-0000-4000-8000-000000000000',
};

const message = (error: unknown) =>
  error instanceof GatewayError ? error.message : error instanceof Error ? error.message : String(error);

/** The temporary property a type change converts values into. */
const temporaryName = (property: string, to: Record<string, unknown>) => `${property} (${String(to.type)})`;

interface DryRun {
  reports: StepReport[];
  /** Writes the real run makes (schema changes and row writes). */
  writes: number;
}

/**
 * Plays the steps on a copy of the schema and rows: what each would change, and every value it could not write.
 * Filters are Notion's: a step's `where` is run on the data source as it is now (names mapped back through the
 * renames before it), then limited to the rows earlier steps left in place.
 */
async function dryRun(migration: Migration, ctx: MigrationContext, dataSourceId: string): Promise<DryRun> {
  const connection = { connection_id: ctx.connectionId };
  const source = (
    await ctx.invoke('notion_read', { ...connection, method: 'GET', path: `/v1/data_sources/${dataSourceId}` })
  ).result.response as { properties: DataSourceSchema };
  const schema: DataSourceSchema = { ...source.properties };
  const model = new Map((await allRows(ctx, dataSourceId)).map((p) => [p.id, structuredClone(p)]));
  /** Current name → the name it has in Notion now. */
  const original = new Map<string, string>();
  const inNotion = (name: string) => original.get(name) ?? name;
  const matching = async (where?: Filter) => {
    if (!where) return [...model.values()];
    const mapped = Object.fromEntries(Object.entries(where).map(([k, v]) => [inNotion(k), v]));
    const ids = new Set((await allRows(ctx, dataSourceId, mapped)).map((p) => p.id));
    return [...model.values()].filter((p) => ids.has(p.id));
  };
  const property = (name: string): [string, PropertySchema] | undefined => lookupProperty(schema, name);
  const reports: StepReport[] = [];
  let writes = 0;

  for (const [index, step] of migration.steps.entries()) {
    const failures: StepFailure[] = [];
    const missing = (name: string) =>
      failures.push({ row_id: null, property: name, message: `No property "${name}" at this step.` });
    const report = (kind: string, changes: number) =>
      reports.push({ step: index, kind, changes, ...(failures.length ? { failures } : {}) });
    /** Builds a row's value for a property: a failure with the row and value when it cannot be written. */
    const tryValue = async (page: CompactPage, name: string, prop: PropertySchema, value: unknown) => {
      try {
        await buildPropertyValue(name, prop, value, schema, DRY_VALUES);
        return true;
      } catch (error) {
        failures.push({ row_id: page.id, title: page.title, property: name, value, message: message(error) });
        return false;
      }
    };

    if (step.rename_property) {
      const { from, to } = step.rename_property;
      const found = property(from);
      if (!found) missing(from);
      else if (property(to) && property(to)![0] !== found[0]) {
        failures.push({ row_id: null, property: to, message: `A property "${to}" already exists.` });
      } else {
        const [name, prop] = found;
        delete schema[name];
        schema[to] = { ...prop, name: to };
        original.set(to, inNotion(name));
        for (const page of model.values()) {
          if (name in page.properties) {
            page.properties[to] = page.properties[name]!;
            delete page.properties[name];
          }
        }
      }
      writes += 1;
      report('rename_property', 1);
    } else if (step.set_values) {
      let ok = true;
      try {
        await buildPropertyValues(step.set_values.values, schema, DRY_VALUES);
      } catch (error) {
        ok = false;
        failures.push({ row_id: null, value: step.set_values.values, message: message(error) });
      }
      const matched = await matching(step.set_values.where);
      if (ok) {
        for (const page of matched) {
          for (const [given, value] of Object.entries(step.set_values.values)) {
            page.properties[property(given)![0]] = value as never;
          }
        }
      }
      writes += matched.length;
      report('set_values', matched.length);
    } else if (step.copy_values) {
      const { from, to, where: filter } = step.copy_values;
      const [source, target] = [property(from), property(to)];
      if (!source) missing(from);
      if (!target) missing(to);
      const matched = (await matching(filter)).filter((p) => source && p.properties[source[0]] !== undefined);
      let changes = 0;
      if (source && target) {
        for (const page of matched) {
          const value = friendly(page.properties[source[0]]);
          if (await tryValue(page, target[0], target[1], value)) changes++;
          page.properties[target[0]] = value as never;
        }
      }
      writes += matched.length;
      report('copy_values', changes);
    } else if (step.change_type) {
      const { property: name, to } = step.change_type;
      const found = property(name);
      let changes = 0;
      let converting = 0;
      if (!found) missing(name);
      else {
        let prop: PropertySchema | undefined;
        try {
          const built = buildUpdateSchema({ [temporaryName(found[0], to)]: to }) as Record<string, object>;
          prop = { id: name, name: found[0], type: String(to.type), ...built[temporaryName(found[0], to)] } as never;
        } catch (error) {
          failures.push({ row_id: null, property: name, value: to, message: message(error) });
        }
        const withValue = [...model.values()].filter((p) => {
          const value = p.properties[found[0]];
          return value !== null && value !== undefined;
        });
        converting = withValue.length;
        if (prop) {
          for (const page of withValue) {
            if (await tryValue(page, found[0], prop, friendly(page.properties[found[0]]))) changes++;
          }
          schema[found[0]] = prop;
        }
      }
      // The new property, each value, removing the old one, renaming the new one.
      writes += converting + 3;
      report('change_type', changes);
    } else if (step.archive) {
      const matched = await matching(step.archive.where);
      for (const page of matched) model.delete(page.id);
      writes += matched.length;
      report('archive', matched.length);
    } else if (step.move) {
      const matched = await matching(step.move.where);
      for (const page of matched) model.delete(page.id);
      writes += matched.length;
      report('move', matched.length);
    }
  }
  return { reports, writes };
}

/** The dry run's failures as one refusal: every failing row with its value, nothing written. */
function refusal(reports: StepReport[]): GatewayError {
  const failures = reports.flatMap((r) => (r.failures ?? []).map((f) => ({ step: r.step, kind: r.kind, ...f })));
  const listed = failures
    .slice(0, 10)
    .map(
      (f) =>
        `step ${f.step} (${f.kind})${f.row_id ? ` row "${f.title}" (${f.row_id})` : ''}${f.value !== undefined ? ` value ${JSON.stringify(f.value)}` : ''}: ${f.message}`,
    )
    .join('; ');
  return new GatewayError(
    'validation_failed',
    `The migration's dry run found ${failures.length} value${failures.length === 1 ? '' : 's'} or step${failures.length === 1 ? '' : 's'} it cannot write, so nothing was changed: ${listed}${failures.length > 10 ? '; …' : ''}. Fix those rows (or the steps) and run it again; {"dry_run": true} lists them all.`,
    { pointer: '/args/steps', failures },
  );
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
  const planned = await dryRun(migration, ctx, dataSourceId);
  if (migration.dry_run === true) return planned.reports;
  if (!ctx.resumed && planned.reports.some((r) => r.failures)) throw refusal(planned.reports);

  let total = planned.writes;
  let done = 0;
  await ctx.progress(done, total);
  /** What undoes each write made so far, in the order they were made. */
  const undo: UndoEntry[] = [];
  const write = async <Op extends OperationId>(op: Op, input: Input<Op>, key: string) => {
    await ctx.invoke(op, { ...(input as object), idempotency_key: `${ctx.keyPrefix}#${key}` } as Input<Op>);
    total = Math.max(total, done + 1);
    await ctx.progress(++done, total);
  };
  const schemaInput = (properties: Record<string, unknown>) =>
    ({ ...connection, data_source_id: dataSourceId, properties }) as never;
  const schema = async (
    index: number,
    properties: Record<string, unknown>,
    key: string,
    inverse: Record<string, unknown>,
    what: string,
  ) => {
    await write('notion_data_source_update', schemaInput(properties), `m${index}:${key}`);
    undo.push({ what, run: (k) => write('notion_data_source_update', schemaInput(inverse), k) });
  };
  const pageInput = (page: CompactPage, properties: Record<string, unknown>) =>
    ({ ...connection, page_id: page.id, properties }) as never;
  /** Writes each row's new values, keeping what they were: undone by writing those back. */
  const updateRows = async (
    index: number,
    pages: CompactPage[],
    properties: (page: CompactPage) => Record<string, unknown>,
  ) => {
    for (const page of pages) {
      const values = properties(page);
      const before = Object.fromEntries(Object.keys(values).map((name) => [name, friendly(rowValue(page, name))]));
      await write('notion_page_update', pageInput(page, values), `m${index}:${page.id}`);
      undo.push({
        what: `values of row ${page.id}`,
        run: (k) => write('notion_page_update', pageInput(page, before), k),
      });
    }
  };

  const reports: StepReport[] = [];
  for (const [index, step] of migration.steps.entries()) {
    try {
      reports.push(await runStep(index, step));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error; // a cancelled job stops where it is
      throw await rollback(index, step, error);
    }
  }
  return reports;

  async function runStep(index: number, step: MigrationStep): Promise<StepReport> {
    if (step.rename_property) {
      const { from, to } = step.rename_property;
      await schema(index, { [from]: { name: to } }, 'schema', { [to]: { name: from } }, `rename of "${from}"`);
      return { step: index, kind: 'rename_property', changes: 1 };
    }
    if (step.set_values) {
      const { where: filter, values } = step.set_values;
      const matched = await allRows(ctx, dataSourceId, filter);
      await updateRows(index, matched, () => values);
      return { step: index, kind: 'set_values', changes: matched.length };
    }
    if (step.copy_values) {
      const { from, to, where: filter } = step.copy_values;
      const matched = (await allRows(ctx, dataSourceId, filter)).filter((p) => rowValue(p, from) !== undefined);
      await updateRows(index, matched, (p) => ({ [to]: friendly(rowValue(p, from)) }));
      return { step: index, kind: 'copy_values', changes: matched.length };
    }
    if (step.change_type) {
      // A new property of the new type, the values converted into it, the old one removed, the new one renamed.
      const { property, to } = step.change_type;
      const temporary = temporaryName(property, to);
      const before = (await ctx.invoke('notion_data_source_get', { ...connection, data_source_id: dataSourceId }))
        .result.properties as Record<string, Record<string, unknown>>;
      const oldSchema = before[property];
      const all = await allRows(ctx, dataSourceId);
      const withValue = all.filter((p) => {
        const value = p.properties[property];
        return value !== null && value !== undefined;
      });
      await schema(index, { [temporary]: to }, 'schema', { [temporary]: null }, `the new property "${temporary}"`);
      for (const page of withValue) {
        await write(
          'notion_page_update',
          pageInput(page, { [temporary]: friendly(page.properties[property]) }),
          `m${index}:${page.id}`,
        );
      }
      await write('notion_data_source_update', schemaInput({ [property]: null }), `m${index}:drop`);
      undo.push({
        what: `the removed property "${property}"`,
        run: async (k) => {
          await write('notion_data_source_update', schemaInput({ [property]: oldSchema }), `${k}:schema`);
          for (const page of withValue.filter((p) => hasValue(p.properties[property]))) {
            await write(
              'notion_page_update',
              pageInput(page, { [property]: friendly(page.properties[property]) }),
              `${k}:${page.id}`,
            );
          }
        },
      });
      await schema(
        index,
        { [temporary]: { name: property } },
        'rename',
        { [property]: { name: temporary } },
        `the rename of "${temporary}"`,
      );
      return { step: index, kind: 'change_type', changes: withValue.length };
    }
    if (step.archive) {
      const matched = await allRows(ctx, dataSourceId, step.archive.where);
      for (const page of matched) {
        await write(
          'notion_page_update',
          { ...connection, page_id: page.id, in_trash: true } as never,
          `m${index}:${page.id}`,
        );
        undo.push({
          what: `the trashed row ${page.id}`,
          run: (k) => write('notion_page_update', { ...connection, page_id: page.id, in_trash: false } as never, k),
        });
      }
      return { step: index, kind: 'archive', changes: matched.length };
    }
    // The schema lets exactly one member through (MigrationStep is @exactlyOneMember): what is left is a move.
    const move = step.move!;
    const matched = await allRows(ctx, dataSourceId, move.where);
    const moveTo = (page: CompactPage, target: string) =>
      ({
        ...connection,
        method: 'POST',
        path: `/v1/pages/${page.id}/move`,
        body: { parent: { type: 'data_source_id', data_source_id: target } },
      }) as never;
    for (const page of matched) {
      await write('notion_request', moveTo(page, move.to_data_source_id), `m${index}:${page.id}`);
      undo.push({
        what: `the moved row ${page.id}`,
        run: (k) => write('notion_request', moveTo(page, dataSourceId), k),
      });
    }
    return { step: index, kind: 'move', changes: matched.length };
  }

  /** Undoes every write made so far, newest first; the step's error then says what was undone. */
  async function rollback(index: number, step: MigrationStep, error: GatewayError): Promise<GatewayError> {
    const undone = undo.length;
    total = done + undone;
    await ctx.progress(done, total);
    const failed = await undoNewestFirst(undo);
    const kind = Object.keys(step)[0];
    return new GatewayError(
      error.code,
      `Step ${index} (${kind}) failed: ${error.message} ${
        failed.length
          ? `Undoing the ${undone} writes already made failed for ${failed.map((f) => f.what).join(', ')}: check those by hand.`
          : `The ${undone} writes already made were undone: the data source is as it was.`
      }`,
      {
        ...error.details,
        step: index,
        rolled_back: failed.length === 0,
        undone: undone - failed.length,
        undo_failures: failed,
      },
      error.status,
    );
  }
}
