/**
 * The job operations: start (validated up front, stored, queued), read with a page of output, list, cancel. Jobs
 * belong to the principal that started them; another principal, the operator too, gets `not_found`. What jobs do:
 * src/engine/jobs.ts.
 */
import { GatewayError } from '../../shared/errors.ts';
import { normaliseUuid } from '../../shared/ids.ts';
import type { JobRow } from '../../store/repositories.ts';
import type { EngineServices, OperationContext } from '../context.ts';
import type { JobOutputState, JobProgress, JobStart } from '../jobs.ts';
import { checkMigration } from '../migrations.ts';
import { checkPlan } from '../plans.ts';
import type { Output } from '../types.ts';
import { planOps } from './bulk.ts';
import { connectionOf, type Operation } from './operation.ts';

type JobView = Output<'notion_job_get'>;

function view(job: JobRow, page?: { offset: number; limit: number }): JobView {
  const progress = (job.progress as JobProgress | null) ?? { done: 0, total: null, succeeded: 0, failed: 0 };
  const items = (job.output as JobOutputState | null)?.items ?? [];
  const finished = job.status === 'succeeded';
  const fraction = finished ? 1 : progress.total ? Math.min(1, progress.done / progress.total) : 0;
  const offset = page?.offset ?? 0;
  const limit = page?.limit ?? 50;
  return {
    job_id: job.id,
    kind: job.kind,
    status: job.status,
    progress: Math.round(fraction * 1000) / 1000,
    counts: progress,
    output: page
      ? {
          items: items.slice(offset, offset + limit),
          total: items.length,
          offset,
          next_offset: offset + limit < items.length ? offset + limit : null,
        }
      : null,
    error: (job.error as JobView['error']) ?? null,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
  };
}

function queueOf(services: EngineServices) {
  if (!services.queue) throw new GatewayError('not_implemented', 'Jobs are not running in this gateway process.');
  return services.queue;
}

/** The caller's own job, or `not_found` (another principal's job does not exist for them). */
async function ownJob(jobId: string, ctx: OperationContext, services: EngineServices): Promise<JobRow> {
  const id = normaliseUuid(jobId);
  const job = id ? await services.jobs.get(id) : null;
  if (!job || job.principal !== ctx.principal.id) {
    throw new GatewayError('not_found', `No job ${jobId}.`, { job_id: jobId });
  }
  return job;
}

/**
 * The contract already checked the args of the kind (JobStartInput, one model per kind): what is left is what a
 * schema cannot say. Answers the number of steps when it is known up front (a bulk's ops).
 */
function checkArgs(start: JobStart): number | null {
  switch (start.kind) {
    case 'migration':
      checkMigration(start.args);
      return null;
    case 'os_plan_apply':
      checkPlan(start.args);
      return null;
    case 'search_index':
      return null;
    case 'bulk':
      planOps(start.args, '/args');
      return start.args.ops.length;
    case 'export': {
      const targets = (['data_source_id', 'database_id', 'page_id'] as const).filter((k) => start.args[k]);
      if (targets.length !== 1) {
        throw new GatewayError(
          'validation_failed',
          'An export takes args.data_source_id, args.database_id or args.page_id (one).',
          { pointer: '/args' },
        );
      }
      return null;
    }
  }
}

export const notion_job_start: Operation<'notion_job_start'> = async (input, ctx, services) => {
  const queue = queueOf(services);
  const total = checkArgs(input);
  const job = await services.jobs.create({
    connectionId: connectionOf(ctx).summary.connection_id,
    principal: ctx.principal.id,
    requestId: ctx.requestId,
    kind: input.kind,
    args: input.args,
    progress: { done: 0, total, succeeded: 0, failed: 0 } satisfies JobProgress,
  });
  await queue.send(job.id);
  const dry = 'dry_run' in input.args && input.args.dry_run === true;
  ctx.audit.summary = `started ${dry ? 'a dry-run ' : ''}${input.kind} job ${job.id}${total ? ` of ${total} ops` : ''}`;
  return view(job);
};

export const notion_job_get: Operation<'notion_job_get'> = async (input, ctx, services) =>
  view(await ownJob(input.job_id, ctx, services), {
    offset: Math.max(0, input.output_offset ?? 0),
    limit: input.output_limit ?? 50,
  });

export const notion_job_list: Operation<'notion_job_list'> = async (input, ctx, services) => {
  const rows = await services.jobs.list({
    principal: ctx.principal.id,
    status: input.status,
    limit: input.limit ?? 20,
  });
  return { jobs: rows.map((row) => view(row)) };
};

export const notion_job_cancel: Operation<'notion_job_cancel'> = async (input, ctx, services) => {
  const job = await ownJob(input.job_id, ctx, services);
  ctx.audit.summary = `cancelled job ${job.id}`;
  const cancelled = await services.jobs.updateIf(job.id, ['queued', 'running'], { status: 'cancelled' });
  return view(cancelled ?? job);
};
