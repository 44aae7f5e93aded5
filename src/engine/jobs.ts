/**
 * Durable jobs: what a job of each kind does, run by workers of the pg-boss queue (src/store/queue.ts). A job's state
 * lives in its `jobs` row: after each step its results so far are saved, so a job taken up again after a crash
 * continues where it was; each step also carries a deterministic idempotency key (`job:<id>#<step>`), so a step that
 * ran but was not saved before the crash is replayed, never written twice. Every step goes through the request path
 * (actor `job`, audited with the job id, paced per connection).
 */
import type { Logger } from 'pino';
import { GatewayError, toErrorBody } from '../shared/errors.ts';
import { OPERATOR, type Principal } from '../shared/principal.ts';
import type { KeyLocks } from '../store/locks.ts';
import type { JobQueue } from '../store/queue.ts';
import type { JobRepository, JobRow, OsStateRepository } from '../store/repositories.ts';
import type { SearchIndexRepository } from '../store/search-index.ts';
import type { CallContext } from './context.ts';
import { runMigration } from './migrations.ts';
import { type OpResult, planOps, runOps } from './operations/bulk.ts';
import { applyPlan } from './plans.ts';
import { sweepSearchIndex } from './search-index.ts';
import type { Input, Model, OperationId, Outcome } from './types.ts';

/** An operation run with the job's call context. */
type Invoke = <Op extends OperationId>(operationId: Op, input: Input<Op>) => Promise<Outcome<Op>>;
/** The engine's entry point (Engine.invoke): the runner needs nothing else of it. */
type EngineInvoke = <Op extends OperationId>(
  operationId: Op,
  input: Input<Op>,
  call: CallContext,
) => Promise<Outcome<Op>>;

/** What a job row's `progress` holds. */
export interface JobProgress {
  done: number;
  total: number | null;
  succeeded: number;
  failed: number;
}

/** What a job row's `output` holds: every item so far (op results, exported rows or pages). */
export interface JobOutputState {
  items: Record<string, unknown>[];
  /** export: where the next page of a data source starts. */
  cursor?: string | null;
}

/** What notion_job_start takes: one model per kind (JobStartInput in spec/models/jobs.tsp). */
export type JobStart = Input<'notion_job_start'>;
/** A job's kind and its args, typed by that kind. */
type KindAndArgs<J> = J extends { kind: infer K; args: infer A } ? { kind: K; args: A } : never;
type StartedJob = KindAndArgs<JobStart>;

/** The kind and args a stored job was started with: the contract checked them then, against the same union. */
const startedJob = (job: JobRow) => ({ kind: job.kind, args: job.args }) as StartedJob;

const EXPORT_MAX_PAGES = 200;
/** How often a bulk job rewrites its results (its counts are saved after every op). */
const OUTPUT_SAVE_MS = 1_000;

export const principalOfJob = (job: JobRow): Principal =>
  job.principal === OPERATOR.id ? OPERATOR : { id: job.principal, kind: 'user' };

/** What a runner needs of the engine: its operations, and the retry back-off setting. */
type JobEngine = { invoke: EngineInvoke; services?: { settings: { retryBaseMs: number } } };

export class JobRunner {
  readonly #engine: JobEngine;
  readonly #jobs: JobRepository;
  readonly #store: { osState: OsStateRepository; locks: KeyLocks; searchIndex?: SearchIndexRepository };
  readonly #logger: Logger;

  constructor(
    engine: JobEngine,
    store: { jobs: JobRepository; osState: OsStateRepository; locks: KeyLocks; searchIndex?: SearchIndexRepository },
    logger: Logger,
  ) {
    this.#engine = engine;
    this.#jobs = store.jobs;
    this.#store = store;
    this.#logger = logger.child({ component: 'jobs' });
  }

  /** Starts this process's workers on the queue. */
  async start(queue: JobQueue, concurrency = 2): Promise<void> {
    await queue.work((jobId) => this.run(jobId), { concurrency });
  }

  /** Runs (or resumes) one job to its end. Never throws for a job's own failure: that is recorded on the job. */
  async run(jobId: string): Promise<void> {
    const job = await this.#jobs.get(jobId);
    if (!job || !['queued', 'running'].includes(job.status)) return;
    const started = await this.#jobs.updateIf(jobId, ['queued', 'running'], {
      status: 'running',
      attempts: job.attempts + 1,
    });
    if (!started) return; // cancelled meanwhile
    const principal = principalOfJob(job);
    const call: CallContext = {
      requestId: `job-${jobId}`,
      actor: 'job',
      principal,
      logger: this.#logger.child({
        job_id: jobId,
        request_id: `job-${jobId}`,
        principal: principal.id,
        connection_id: job.connection_id,
      }),
      jobId,
    };
    try {
      const start = startedJob(started);
      if (start.kind === 'bulk') await this.#bulk(started, start.args, call);
      else if (start.kind === 'export') await this.#export(started, start.args, call);
      else if (start.kind === 'os_plan_apply') await this.#plan(started, start.args, call);
      else if (start.kind === 'migration') await this.#migration(started, start.args, call);
      else if (start.kind === 'search_index') await this.#searchIndex(started, start.args, call);
      else throw new GatewayError('bad_request', `Unknown job kind ${job.kind}.`);
      await this.#jobs.updateIf(jobId, ['running'], { status: 'succeeded' });
    } catch (error) {
      if (error instanceof JobCancelled) return; // its status already says cancelled
      const mapped =
        error instanceof GatewayError
          ? error
          : new GatewayError('internal_error', `The job stopped on an unexpected error; quote job id ${jobId}.`);
      if (!(error instanceof GatewayError)) call.logger.error({ err: error }, 'job failed unexpectedly');
      await this.#jobs.updateIf(jobId, ['running'], { status: 'failed', error: toErrorBody(mapped) });
    }
  }

  /** Saves progress (and output, when given) after a step; false when the job was cancelled (the run stops there). */
  async #save(jobId: string, progress: JobProgress, output?: JobOutputState): Promise<boolean> {
    return (await this.#jobs.updateIf(jobId, ['running'], output ? { progress, output } : { progress })) !== null;
  }

  /** Saves progress, or ends the run when the job was cancelled (for runs that cannot return early themselves). */
  async #saveOrStop(jobId: string, progress: JobProgress, output: JobOutputState): Promise<void> {
    if (!(await this.#save(jobId, progress, output))) throw new JobCancelled();
  }

  async #bulk(job: JobRow, input: Model<'BulkJobArgs'>, call: CallContext): Promise<void> {
    const plan = planOps(input);
    const done = ((job.output as JobOutputState | null)?.items ?? []) as unknown as OpResult[];
    const counts = (results: OpResult[]): JobProgress => ({
      done: results.length,
      total: plan.length,
      succeeded: results.filter((r) => r.ok).length,
      failed: results.filter((r) => !r.ok).length,
    });
    let savedAt = Date.now();
    const run = await runOps(input, plan, {
      connectionId: job.connection_id,
      // A dry-run job claims no keys: a later real job with the same ops writes them.
      keyPrefix: input.dry_run === true ? null : `job:${job.id}`,
      dryRun: input.dry_run === true,
      retryBaseMs: this.#engine.services?.settings.retryBaseMs,
      invoke: (op, opInput, overrides = {}) => this.#engine.invoke(op, opInput, { ...call, ...overrides }),
      done,
      // The counts after every op (a cancel is seen there), the results at most once a second: rewriting every result
      // after every op grows with the square of a job's length. Ops run after the last saved results replay from
      // their idempotency keys when the job resumes.
      afterOp: async (results) => {
        if (Date.now() - savedAt < OUTPUT_SAVE_MS) return this.#save(job.id, counts(results));
        savedAt = Date.now();
        return this.#save(job.id, counts(results), { items: results as unknown as Record<string, unknown>[] });
      },
    });
    await this.#save(job.id, counts(run.results), { items: run.results as unknown as Record<string, unknown>[] });
  }

  /**
   * Plans and migrations count their writes as steps and answer one report at the end. Their writes carry
   * `job:<id>#…` keys, so a resumed run replays what already ran and only then writes on.
   */
  async #stepped<T>(
    job: JobRow,
    call: CallContext,
    run: (steps: {
      invoke: Invoke;
      connectionId: string;
      keyPrefix: string;
      /** The writes done, and the total once the run knows it (a plan or migration knows it before its first). */
      progress(done: number, total?: number): Promise<void>;
      resumed: boolean;
    }) => Promise<T>,
    items: (report: T) => Record<string, unknown>[],
  ): Promise<void> {
    let done = 0;
    let total: number | null = null;
    const report = await run({
      invoke: (op, input) => this.#engine.invoke(op, input, call),
      connectionId: job.connection_id,
      keyPrefix: `job:${job.id}`,
      progress: async (steps, expected) => {
        done = steps;
        total = Math.max(expected ?? total ?? done, done);
        await this.#saveOrStop(job.id, { done, total, succeeded: done, failed: 0 }, { items: [] });
      },
      resumed: job.attempts > 1,
    });
    await this.#save(job.id, { done, total: done, succeeded: done, failed: 0 }, { items: items(report) });
  }

  #plan(job: JobRow, plan: Model<'PlanJobArgs'>, call: CallContext): Promise<void> {
    return this.#stepped(
      job,
      call,
      (steps) => applyPlan(plan, { ...steps, osState: this.#store.osState, locks: this.#store.locks }),
      (result) => [result as unknown as Record<string, unknown>],
    );
  }

  #migration(job: JobRow, migration: Model<'MigrationJobArgs'>, call: CallContext): Promise<void> {
    return this.#stepped(
      job,
      call,
      (steps) => runMigration(migration, steps),
      (reports) => reports as unknown as Record<string, unknown>[],
    );
  }

  /** A sweep reads only, and only what changed: a resumed job sweeps again from the index's watermark. */
  async #searchIndex(job: JobRow, args: Model<'SearchIndexJobArgs'>, call: CallContext): Promise<void> {
    const index = this.#store.searchIndex;
    if (!index) throw new GatewayError('not_implemented', 'The search index is not open in this gateway process.');
    const counts = (r: { indexed: number; unchanged: number }) => ({
      done: r.indexed + r.unchanged,
      total: null,
      succeeded: r.indexed + r.unchanged,
      failed: 0,
    });
    const report = await sweepSearchIndex({
      invoke: (op, input) => this.#engine.invoke(op, input, call),
      connectionId: job.connection_id,
      index,
      rebuild: args.rebuild === true,
      progress: (r) => this.#saveOrStop(job.id, counts(r), { items: [] }),
    });
    await this.#save(job.id, counts(report), { items: [report as unknown as Record<string, unknown>] });
  }

  async #export(job: JobRow, args: Model<'ExportJobArgs'>, call: CallContext): Promise<void> {
    const state = (job.output as JobOutputState | null) ?? { items: [] };
    const invoke: Invoke = (op, input) => this.#engine.invoke(op, input, call);
    if (args.page_id) {
      // A page tree is short and reads only: it is read again from the top when a job resumes.
      const items: Record<string, unknown>[] = [];
      const visit = async (pageId: string, depth: number): Promise<void> => {
        if (items.length >= EXPORT_MAX_PAGES) return;
        const { result } = await invoke('notion_page_get', {
          connection_id: job.connection_id,
          page_id: pageId,
          include_markdown: true,
        } as never);
        items.push({
          id: result.page.id,
          title: result.page.title,
          url: result.page.url,
          depth,
          markdown: result.markdown,
        });
        await this.#saveOrStop(
          job.id,
          { done: items.length, total: null, succeeded: items.length, failed: 0 },
          { items },
        );
        if (depth >= (args.depth ?? 2)) return;
        for (const child of await childPages(invoke, job.connection_id, pageId)) await visit(child, depth + 1);
      };
      await visit(args.page_id, 0);
      return;
    }
    // A data source: page after page of compact rows, the cursor saved with them.
    const items = [...state.items];
    let cursor = state.cursor === undefined ? undefined : state.cursor;
    while (cursor !== null) {
      const { result } = await invoke('notion_query', {
        connection_id: job.connection_id,
        data_source_id: args.data_source_id,
        database_id: args.database_id,
        page_size: 100,
        start_cursor: cursor,
      } as never);
      items.push(...(result.rows as Record<string, unknown>[]));
      cursor = result.has_more ? result.next_cursor : null;
      const progress = { done: items.length, total: null, succeeded: items.length, failed: 0 };
      if (!(await this.#save(job.id, progress, { items, cursor }))) return;
    }
  }
}

/** Thrown out of a run whose job was cancelled between two steps. */
class JobCancelled extends Error {}

/** Ids of the sub-pages directly under a page (its child_page blocks). */
async function childPages(invoke: Invoke, connectionId: string, pageId: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const { result } = await invoke('notion_read', {
      connection_id: connectionId,
      method: 'GET',
      path: `/v1/blocks/${pageId}/children`,
      query: { page_size: 100, ...(cursor ? { start_cursor: cursor } : {}) },
    } as never);
    const list = result.response as { results: Array<{ id: string; type: string }>; next_cursor: string | null };
    for (const block of list.results) if (block.type === 'child_page') ids.push(block.id);
    cursor = list.next_cursor ?? undefined;
  } while (cursor);
  return ids;
}
