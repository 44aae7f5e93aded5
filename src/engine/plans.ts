/**
 * os_plan_apply: a declarative workspace plan that ChatGPT writes, applied like `terraform apply`. The server holds no
 * plan of its own. A plan names databases (friendly schemas; a relation's `target` may be another database's key),
 * sub-pages of the root page, and rows (upserts). `dry_run` answers the diff without writing. Applying creates what
 * is missing, adds and changes properties, upserts rows, and deletes nothing unless `prune` (then properties the plan
 * no longer has are removed). The ids it creates are kept in os_state under the plan key, so applying the same plan
 * again changes nothing and an edited plan applies only its difference.
 */
import { isDeepStrictEqual } from 'node:util';
import { GatewayError } from '../shared/errors.ts';
import { normaliseUuid } from '../shared/ids.ts';
import type { KeyLocks } from '../store/locks.ts';
import type { OsStateRepository } from '../store/repositories.ts';
import type { FriendlyPropertySchema } from './properties/index.ts';
import type { Input, Model, OperationId, Outcome } from './types.ts';

type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;

/** An os_plan_apply job's args (PlanJobArgs in spec/models/jobs.tsp: its shape is checked when the job starts). */
export type Plan = Model<'PlanJobArgs'>;

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
  /** Called after each applied step. */
  progress(done: number): Promise<void>;
}

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
  if (plan.dry_run) return { ...diff, applied: false };

  let done = 0;
  const step = async () => ctx.progress(++done);
  // Pass 1: databases that do not exist yet, with the properties that point at nothing else.
  for (const db of plan.databases ?? []) {
    if (state.databases[db.key]) continue;
    const own = Object.fromEntries(Object.entries(db.properties).filter(([, s]) => !LINKED_TYPES.has(String(s.type))));
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
  }
  const rowActions = { created: 0, updated: 0, unchanged: 0 };
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
  }
  return { ...diff, applied: true, row_actions: rowActions };
}
