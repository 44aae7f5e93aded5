/**
 * os_plan_apply: a declarative workspace plan that ChatGPT writes, applied like `terraform apply`. The server holds no
 * plan of its own. A plan names databases (friendly schemas; a relation's `target` may be another database's key),
 * sub-pages of the root page, and rows (upserts). `dry_run` answers the diff without writing. Applying creates what
 * is missing, adds and changes properties, upserts rows, and deletes nothing unless `prune` (then properties the plan
 * no longer has are removed). The ids it creates are kept in os_state under the plan key, so applying the same plan
 * again changes nothing and an edited plan applies only its difference.
 *
 * All or nothing: every apply starts with the dry run, which also builds every schema change and every row's values
 * as the writes would (`failures` in its answer); the real apply refuses to start when it found any
 * (`validation_failed`, each listed). A write that still fails stops the apply and undoes the writes already made,
 * newest first, from their before-images: rows it made and databases and pages it created go to the trash, updated
 * rows get their values back, added properties are removed, changed ones get their old schema, pruned ones come back
 * with their values. The job's progress counts writes, its total known before the first.
 */
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';
import type { KeyLocks } from '../store/locks.ts';
import type { OsStateRepository } from '../store/repositories.ts';
import { allRows, type UndoEntry, undoNewestFirst } from './job-writes.ts';
import {
  buildCreateSchema,
  buildPropertyValues,
  buildUpdateSchema,
  type CompactPage,
  type DataSourceSchema,
  type FriendlyPropertySchema,
} from './properties/index.ts';
import type { Input, Model, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;

/** An os_plan_apply job's args (PlanJobArgs in spec/models/jobs.tsp: its shape is checked when the job starts). */
export type Plan = Model<'PlanJobArgs'>;
type PlanDatabase = Model<'PlanDatabase'>;

interface PlanState {
  databases: Record<string, { database_id: string; data_source_id: string }>;
  pages: Record<string, string>;
}

export interface DatabaseDiff {
  key: string;
  action: 'create' | 'update' | 'unchanged';
  add: string[];
  change: string[];
  remove: string[];
}

export interface PlanDiff {
  databases: DatabaseDiff[];
  pages: Array<{ key: string; action: 'create' | 'unchanged' }>;
  rows: number;
  /** What the apply could not write: a schema Notion's rules refuse, a row value its property cannot take. */
  failures?: Array<{ pointer: string; message: string; value?: unknown }>;
}

/** Properties that point at other databases wait for the second pass, when every database of the plan exists. */
const LINKED_TYPES = new Set(['relation', 'rollup', 'formula']);

/** What the schema cannot say: database keys are unique, and every row names one of them. */
export function checkPlan(plan: Plan): void {
  const keys = new Set<string>();
  for (const [i, db] of (plan.databases ?? []).entries()) {
    if (keys.has(db.key)) {
      throw new GatewayError('validation_failed', `databases[${i}].key "${db.key}" is used twice; keys are unique.`, {
        pointer: `/args/databases/${i}/key`,
      });
    }
    keys.add(db.key);
  }
  for (const [i, row] of (plan.rows ?? []).entries()) {
    if (!keys.has(row.database)) {
      throw new GatewayError(
        'validation_failed',
        `rows[${i}].database "${row.database}" is not a database key of this plan (${[...keys].join(', ')}).`,
        { pointer: `/args/rows/${i}/database` },
      );
    }
  }
}

/** A property schema with `target: "<database key>"` pointing at that database's data source. */
function resolveTargets(
  properties: Record<string, Record<string, unknown>>,
  state: PlanState,
): Record<string, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => {
      const target = schema.target;
      if (schema.type !== 'relation' || typeof target !== 'string' || !(target in state.databases))
        return [name, schema];
      return [name, { ...schema, target: state.databases[target]!.data_source_id }];
    }),
  );
}

/** What differs between a database's schema in the plan and in Notion. */
function diffProperties(
  desired: Record<string, Record<string, unknown>>,
  current: Record<string, FriendlyPropertySchema>,
  prune: boolean,
): Pick<DatabaseDiff, 'add' | 'change' | 'remove'> {
  const add: string[] = [];
  const change: string[] = [];
  for (const [name, want] of Object.entries(desired)) {
    const have = current[name] as unknown as Record<string, unknown> | undefined;
    if (!have) add.push(name);
    else if (!covers(have, want)) change.push(name);
  }
  const remove = prune ? Object.keys(current).filter((n) => !(n in desired) && current[n]!.type !== 'title') : [];
  return { add, change, remove };
}

/** Equal values; ids (a relation's data source) equal with or without dashes, in any case. */
function sameValue(have: unknown, want: unknown): boolean {
  const [a, b] = [
    typeof have === 'string' ? normaliseUuid(have) : null,
    typeof want === 'string' ? normaliseUuid(want) : null,
  ];
  return a !== null && b !== null ? a === b : isDeepStrictEqual(have, want);
}

/** The current schema already has what the plan asks: same type, every option, same target and formula. */
function covers(have: Record<string, unknown>, want: Record<string, unknown>): boolean {
  if (have.type !== want.type) return false;
  for (const [field, value] of Object.entries(want)) {
    if (field === 'type' || field === 'description' || field === 'color') continue;
    if (field === 'options') {
      const names = new Set(((have.options as string[] | undefined) ?? []).map(String));
      const wanted = (value as Array<string | { name: string }>).map((o) => (typeof o === 'string' ? o : o.name));
      if (!wanted.every((n) => names.has(n))) return false;
    } else if (field === 'dual') {
      if (Boolean(have.dual) !== Boolean(value)) return false;
    } else if (!sameValue(have[field], value)) return false;
  }
  return true;
}

export interface PlanContext {
  invoke: Invoke;
  connectionId: string;
  osState: OsStateRepository;
  locks: KeyLocks;
  /** Prefix of every write's idempotency key (`job:<id>`): a plan job resumed after a crash writes nothing twice. */
  keyPrefix: string;
  /** Called after each write: the writes done and the total expected. */
  progress(done: number, total: number): Promise<void>;
}

/** People and related pages are found by Notion at run time (a failure there is undone); options must exist. */
const DRY_VALUES = {
  createOptions: false,
  resolveUser: () => '00000000-0000-4000-8000-000000000000',
  resolvePage: () => '00000000-0000-4000-8000-000000000000',
};
const PLACEHOLDER_ID = '00000000-0000-4000-8000-000000000000';

/** A plan's friendly property schemas as the data-source schema the value builder reads (targets not yet made: a placeholder). */
function schemaOf(properties: Record<string, Record<string, unknown>>, state: PlanState): DataSourceSchema {
  const out: Record<string, unknown> = {};
  for (const [name, friendly] of Object.entries(resolveTargets(properties, state))) {
    const sure =
      friendly.type === 'relation' && typeof friendly.target === 'string' && !normaliseUuid(friendly.target)
        ? { ...friendly, target: PLACEHOLDER_ID }
        : friendly;
    const built = (buildUpdateSchema({ [name]: sure }) as Record<string, object>)[name];
    out[name] = { id: name, name, type: String(friendly.type), ...built };
  }
  return out as DataSourceSchema;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Builds every schema the apply would send and every row's values: what Notion's rules or a property would refuse. */
async function validate(plan: Plan, state: PlanState, ctx: PlanContext): Promise<NonNullable<PlanDiff['failures']>> {
  const failures: NonNullable<PlanDiff['failures']> = [];
  const schemas = new Map<string, DataSourceSchema>();
  for (const [i, db] of (plan.databases ?? []).entries()) {
    const own = Object.fromEntries(Object.entries(db.properties).filter(([, s]) => !LINKED_TYPES.has(String(s.type))));
    try {
      if (!state.databases[db.key]) buildCreateSchema(own);
      const desired = schemaOf(db.properties, state);
      const known = state.databases[db.key];
      const current = known
        ? (
            (
              await ctx.invoke('notion_read', {
                connection_id: ctx.connectionId,
                method: 'GET',
                path: `/v1/data_sources/${known.data_source_id}`,
              })
            ).result.response as { properties: DataSourceSchema }
          ).properties
        : {};
      schemas.set(db.key, { ...current, ...desired });
    } catch (error) {
      failures.push({ pointer: `/args/databases/${i}/properties`, message: message(error) });
    }
  }
  for (const [i, row] of (plan.rows ?? []).entries()) {
    const schema = schemas.get(row.database);
    if (!schema) continue;
    const values = { ...(row.properties ?? {}), [row.unique.property]: row.unique.value };
    try {
      await buildPropertyValues(values, schema, DRY_VALUES);
    } catch (error) {
      failures.push({ pointer: `/args/rows/${i}`, message: message(error), value: values });
    }
  }
  return failures;
}

/** A property left empty: nothing to put back after it was pruned. */
const hasValue = (value: unknown) =>
  value !== null && value !== undefined && value !== '' && !(Array.isArray(value) && value.length === 0);

/** A compact value as a value the builder takes back (relations and people by id). */
const friendlyValue = (value: unknown) =>
  Array.isArray(value)
    ? value.map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: string }).id : v))
    : (value ?? null);

async function loadState(ctx: PlanContext, planKey: string): Promise<PlanState> {
  const row = await ctx.osState.get(ctx.connectionId);
  const plans = (row?.created_ids ?? {}) as Record<string, PlanState>;
  return plans[planKey] ?? { databases: {}, pages: {} };
}

async function saveState(ctx: PlanContext, plan: Plan, state: PlanState): Promise<void> {
  // Plans of one connection share its os_state row: read-modify-write under a lock.
  await ctx.locks.withLock(`os_state:${ctx.connectionId}`, async () => {
    const row = await ctx.osState.get(ctx.connectionId);
    await ctx.osState.put({
      connectionId: ctx.connectionId,
      rootPageId: plan.root_page_id,
      specVersion: row?.spec_version ?? null,
      createdIds: { ...((row?.created_ids ?? {}) as Record<string, unknown>), [plan.plan_key]: state },
    });
  });
}

/** The diff (what was, or would be, done) and, after an apply, what the rows' upserts did. */
export interface PlanResult extends PlanDiff {
  applied: boolean;
  /** After an apply: what each row's upsert did. */
  row_actions?: { created: number; updated: number; unchanged: number };
}

/** Computes the diff and, unless `dry_run`, applies it. Returns the diff (what was, or would be, done). */
export async function applyPlan(plan: Plan, ctx: PlanContext): Promise<PlanResult> {
  checkPlan(plan);
  const state = await loadState(ctx, plan.plan_key);
  const connection = { connection_id: ctx.connectionId };
  const diff: PlanDiff = { databases: [], pages: [], rows: plan.rows?.length ?? 0 };

  const currentSchemas = new Map<string, Record<string, FriendlyPropertySchema>>();
  for (const db of plan.databases ?? []) {
    const known = state.databases[db.key];
    if (!known) {
      diff.databases.push({ key: db.key, action: 'create', add: Object.keys(db.properties), change: [], remove: [] });
      continue;
    }
    const { result } = await ctx.invoke('notion_data_source_get', {
      ...connection,
      data_source_id: known.data_source_id,
    });
    const current = result.properties as Record<string, FriendlyPropertySchema>;
    currentSchemas.set(db.key, current);
    const changes = diffProperties(resolveTargets(db.properties, state), current, plan.prune === true);
    const changed = changes.add.length + changes.change.length + changes.remove.length > 0;
    diff.databases.push({ key: db.key, action: changed ? 'update' : 'unchanged', ...changes });
  }
  for (const page of plan.pages ?? []) {
    diff.pages.push({ key: page.key, action: state.pages[page.key] ? 'unchanged' : 'create' });
  }
  const failures = await validate(plan, state, ctx);
  if (failures.length) diff.failures = failures;
  if (plan.dry_run) return { ...diff, applied: false };
  if (failures.length) {
    throw new GatewayError(
      'validation_failed',
      `The plan's dry run found ${failures.length} thing${failures.length === 1 ? '' : 's'} it cannot write, so nothing was changed: ${failures
        .slice(0, 10)
        .map((f) => `${f.pointer}: ${f.message}`)
        .join('; ')}${failures.length > 10 ? '; …' : ''}`,
      { pointer: failures[0]!.pointer, failures },
    );
  }

  // Writes: databases to create, up to two schema updates each (relations, then the rest), pages, rows.
  const linked = (db: PlanDatabase, relation: boolean) =>
    Object.values(db.properties).some((s) => (s.type === 'relation') === relation && LINKED_TYPES.has(String(s.type)));
  let total =
    diff.databases.reduce((sum, d) => {
      const db = plan.databases!.find((x) => x.key === d.key)!;
      if (d.action === 'create') return sum + 1 + (linked(db, true) ? 1 : 0) + (linked(db, false) ? 1 : 0);
      const names = [...d.add, ...d.change];
      const relations = names.filter((n) => db.properties[n]?.type === 'relation').length;
      return sum + (relations ? 1 : 0) + (names.length - relations + d.remove.length ? 1 : 0);
    }, 0) +
    diff.pages.filter((p) => p.action === 'create').length +
    (plan.rows?.length ?? 0);
  let done = 0;
  await ctx.progress(done, total);
  const step = async () => {
    total = Math.max(total, done + 1);
    await ctx.progress(++done, total);
  };
  /** What undoes each write made so far, in order. */
  const undo: UndoEntry[] = [];
  const undoWrite = async <Op extends OperationId>(op: Op, input: Input<Op>, key: string) => {
    await ctx.invoke(op, {
      ...(input as object),
      ...connection,
      idempotency_key: `${ctx.keyPrefix}#${key}`,
    } as Input<Op>);
    await step();
  };
  try {
    return await apply();
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error; // a cancelled job stops where it is
    throw await rollback(error);
  }

  async function rollback(error: GatewayError): Promise<GatewayError> {
    const undone = undo.length;
    total = done + undone;
    await ctx.progress(done, total);
    const failed = await undoNewestFirst(undo);
    await saveState(ctx, plan, state);
    return new GatewayError(
      error.code,
      `The plan stopped: ${error.message} ${
        failed.length
          ? `Undoing the ${undone} writes already made failed for ${failed.map((f) => f.what).join(', ')}: check those by hand.`
          : `The ${undone} writes already made were undone.`
      }`,
      { ...error.details, rolled_back: failed.length === 0, undone: undone - failed.length, undo_failures: failed },
      error.status,
    );
  }

  async function apply(): Promise<PlanResult> {
    /** Databases this apply creates: undoing trashes them whole, their rows and schema with them. */
    const created = new Set<string>();
    // Pass 1: databases that do not exist yet, with the properties that point at nothing else.
    for (const db of plan.databases ?? []) {
      if (state.databases[db.key]) continue;
      created.add(db.key);
      const own = Object.fromEntries(
        Object.entries(db.properties).filter(([, s]) => !LINKED_TYPES.has(String(s.type))),
      );
      const { result } = await ctx.invoke('notion_database_create', {
        ...connection,
        parent_page_id: plan.root_page_id,
        title: db.title,
        properties: own,
        idempotency_key: `${ctx.keyPrefix}#db:${db.key}`,
      });
      state.databases[db.key] = { database_id: result.database_id ?? '', data_source_id: result.data_source_id };
      await saveState(ctx, plan, state);
      currentSchemas.set(db.key, result.properties as Record<string, FriendlyPropertySchema>);
      await step();
      undo.push({
        what: `the new database "${db.title}"`,
        run: async (key) => {
          await undoWrite(
            'notion_request',
            { method: 'PATCH', path: `/v1/databases/${result.database_id}`, body: { in_trash: true } } as never,
            key,
          );
          delete state.databases[db.key];
        },
      });
    }
    // Pass 2: every database exists. Relations first (a dual relation adds its other side, which rollups may use),
    // then rollups, formulas and every other change; prune (if asked) last of all.
    const phases: Array<(type: string) => boolean> = [(type) => type === 'relation', (type) => type !== 'relation'];
    for (const [phase, inPhase] of phases.entries()) {
      for (const db of plan.databases ?? []) {
        const id = state.databases[db.key]!.data_source_id;
        const current =
          phase === 0 && currentSchemas.has(db.key)
            ? currentSchemas.get(db.key)!
            : ((await ctx.invoke('notion_data_source_get', { ...connection, data_source_id: id })).result
                .properties as Record<string, FriendlyPropertySchema>);
        const desired = resolveTargets(db.properties, state);
        const changes = diffProperties(desired, current, plan.prune === true && phase === 1);
        const names = [...changes.add, ...changes.change].filter((n) => inPhase(String(desired[n]!.type)));
        if (names.length + changes.remove.length === 0) continue;
        // Pruned properties take their values with them: keep those to put back.
        const kept = changes.remove.length ? await allRows(ctx, id) : [];
        const inverse = {
          ...Object.fromEntries(changes.add.filter((n) => names.includes(n)).map((n) => [n, null])),
          ...Object.fromEntries(changes.change.filter((n) => names.includes(n)).map((n) => [n, current[n]])),
          ...Object.fromEntries(changes.remove.map((n) => [n, current[n]])),
        };
        await ctx.invoke('notion_data_source_update', {
          ...connection,
          data_source_id: id,
          properties: {
            ...Object.fromEntries(names.map((n) => [n, desired[n]])),
            ...Object.fromEntries(changes.remove.map((n) => [n, null])),
          },
          idempotency_key: `${ctx.keyPrefix}#schema:${db.key}:${phase}`,
        });
        await step();
        // A database this apply created goes to the trash whole: its schema needs no undoing.
        if (created.has(db.key)) continue;
        undo.push({
          what: `the schema change of "${db.title}"`,
          run: async (key) => {
            await undoWrite('notion_data_source_update', { data_source_id: id, properties: inverse } as never, key);
            for (const row of kept) {
              const values = Object.fromEntries(
                changes.remove
                  .filter((n) => hasValue(row.properties[n]))
                  .map((n) => [n, friendlyValue(row.properties[n])]),
              );
              if (Object.keys(values).length) {
                await undoWrite(
                  'notion_page_update',
                  { page_id: row.id, properties: values } as never,
                  `${key}:${row.id}`,
                );
              }
            }
          },
        });
      }
    }
    for (const page of plan.pages ?? []) {
      if (state.pages[page.key]) continue;
      const { result } = await ctx.invoke('notion_page_create', {
        ...connection,
        parent_page_id: plan.root_page_id,
        title: page.title,
        ...(page.content_markdown ? { content_markdown: page.content_markdown } : {}),
        idempotency_key: `${ctx.keyPrefix}#page:${page.key}`,
      });
      state.pages[page.key] = result.page.id;
      await saveState(ctx, plan, state);
      await step();
      undo.push({
        what: `the new page "${page.title}"`,
        run: async (key) => {
          await undoWrite('notion_page_update', { page_id: result.page.id, in_trash: true } as never, key);
          delete state.pages[page.key];
        },
      });
    }
    const rowActions = { created: 0, updated: 0, unchanged: 0 };
    // The rows as they are before the upserts (databases the plan created have none): an updated row gets these back.
    const before = new Map<string, CompactPage>();
    for (const key of new Set((plan.rows ?? []).map((r) => r.database))) {
      if (created.has(key)) continue;
      for (const row of await allRows(ctx, state.databases[key]!.data_source_id)) before.set(row.id, row);
    }
    for (const [i, row] of (plan.rows ?? []).entries()) {
      const { result } = await ctx.invoke('notion_upsert', {
        ...connection,
        data_source_id: state.databases[row.database]!.data_source_id,
        unique: row.unique,
        properties: row.properties ?? {},
        // An upsert never duplicates a row anyway; the key makes a resumed job report the row's first action.
        idempotency_key: `${ctx.keyPrefix}#row:${i}`,
      });
      rowActions[result.action]++;
      await step();
      const page = result.page as { id: string };
      const was = before.get(page.id);
      if (result.action === 'created' && !created.has(row.database)) {
        undo.push({
          what: `the new row ${page.id}`,
          run: (key) => undoWrite('notion_page_update', { page_id: page.id, in_trash: true } as never, key),
        });
      } else if (result.action === 'updated' && was) {
        const values = Object.fromEntries(
          Object.keys(row.properties ?? {}).map((n) => [n, friendlyValue(was.properties[n])]),
        );
        undo.push({
          what: `the values of row ${page.id}`,
          run: (key) => undoWrite('notion_page_update', { page_id: page.id, properties: values } as never, key),
        });
      }
    }
    return { ...diff, applied: true, row_actions: rowActions };
  }
}
