/**
 * The durable job queue: pg-boss, on the same database as everything else. On embedded PGlite it shares the one
 * in-process instance MikroORM uses (pg-boss's own PGlite adapter); on PostgreSQL it has its own small pool, so
 * several gateway processes claim work with SKIP LOCKED and never run one job twice at once. pg-boss owns its
 * `pgboss` schema (created and migrated at start). A job whose process died is taken up again once its heartbeat
 * stops (`heartbeatSeconds`), by whichever process is alive.
 *
 * PGlite has one connection: never send a job from inside a MikroORM transaction (it would wait on itself).
 *
 * pg-boss is imported when a queue opens, not with this module: see `openOnFirstJob`.
 */
import type { Logger } from 'pino';
import type { Store } from './store.ts';

export const JOB_QUEUE = 'notion-jobs';

export interface JobQueue {
  /** Queues a job id for a worker. */
  send(jobId: string): Promise<void>;
  /** Runs `handler` for each queued job id, `concurrency` at a time in this process. */
  work(handler: (jobId: string) => Promise<void>, options?: { concurrency?: number }): Promise<void>;
  stop(): Promise<void>;
}

export interface QueueOptions {
  /** PostgreSQL URL (its own pool); unset on embedded PGlite. */
  databaseUrl: string | null;
  /** A running job's heartbeat; a job whose heartbeat is this many seconds late × 2 is retried elsewhere. */
  heartbeatSeconds?: number;
  /**
   * Embedded PGlite only: this process alone works the queue (it holds the data directory's lock), so a job still
   * in hand at start was in the hands of a process that died. Given the ids of the gateway's unfinished jobs, their
   * pg-boss jobs still active are failed into a retry at once instead of when their heartbeat runs out.
   */
  exclusive?: { unfinishedJobIds: () => Promise<string[]> };
  logger?: Logger;
}

export async function openJobQueue(store: Store, options: QueueOptions): Promise<JobQueue> {
  const { fromPglite, PgBoss } = await import('pg-boss');
  const common = {
    schema: 'pgboss',
    migrate: true,
    createSchema: true,
    supervise: true,
    schedule: false,
    useListenNotify: true,
    monitorIntervalSeconds: 10,
    superviseIntervalSeconds: 10,
  };
  const boss =
    store.driver === 'pglite'
      ? new PgBoss({
          ...common,
          backend: 'pglite',
          db: fromPglite((await store.orm.em.getConnection().getNativeClient()) as never),
        } as never)
      : new PgBoss({ ...common, connectionString: options.databaseUrl ?? '', max: 3 });
  boss.on('error', (error) => options.logger?.error({ err: error }, 'job queue error'));
  await boss.start();
  const heartbeatSeconds = options.heartbeatSeconds ?? 10;
  const queueOptions = {
    notify: true,
    retryLimit: 5,
    retryDelay: 1,
    heartbeatSeconds,
    // A job may run for a long time at Notion's pace; the heartbeat, not the expiry, detects a dead worker.
    expireInSeconds: 6 * 60 * 60,
  };
  if (await boss.getQueue(JOB_QUEUE)) await boss.updateQueue(JOB_QUEUE, queueOptions as never);
  else await boss.createQueue(JOB_QUEUE, queueOptions as never);
  if (options.exclusive) {
    const stranded: string[] = [];
    for (const jobId of await options.exclusive.unfinishedJobIds()) {
      for (const job of await boss.findJobs(JOB_QUEUE, { data: { jobId } })) {
        if (job.state === 'active') stranded.push(job.id);
      }
    }
    if (stranded.length) {
      await boss.fail(JOB_QUEUE, stranded, { error: 'the process working on it stopped' });
      options.logger?.warn({ component: 'jobs', stranded: stranded.length }, 'retrying jobs a stopped process held');
    }
  }
  return {
    async send(jobId) {
      await boss.send(JOB_QUEUE, { jobId });
    },
    async work(handler, { concurrency = 2 } = {}) {
      await boss.work<{ jobId: string }>(
        JOB_QUEUE,
        {
          localConcurrency: concurrency,
          pollingIntervalSeconds: 2,
          heartbeatRefreshSeconds: heartbeatSeconds / 2,
        } as never,
        async ([job]) => {
          if (job) await handler(job.data.jobId);
        },
      );
    },
    async stop() {
      await boss.stop({ graceful: true, timeout: 10_000 });
    },
  };
}

/**
 * A queue that opens (imports and starts pg-boss, then the workers registered so far) when the first job is sent.
 * For embedded PGlite with no unfinished job at start: one process owns the directory, so no work can arrive except
 * through this process's own `send`, and a gateway that never runs a job never pays for pg-boss (≈ 10 MiB resident
 * at start, a poll every 2 s). The first job waits for the opening (≈ 0.2 s). A failed opening is retried next send.
 */
export function openOnFirstJob(open: () => Promise<JobQueue>): JobQueue {
  let opened: Promise<JobQueue> | null = null;
  const workers: Array<Parameters<JobQueue['work']>> = [];
  const ensure = (): Promise<JobQueue> => {
    opened ??= open().then(
      async (queue) => {
        for (const [handler, options] of workers) await queue.work(handler, options);
        return queue;
      },
      (error: unknown) => {
        opened = null;
        throw error;
      },
    );
    return opened;
  };
  return {
    async send(jobId) {
      await (await ensure()).send(jobId);
    },
    async work(handler, options) {
      // Registered before the opening: started by it. During or after: started on the open queue.
      if (opened) await (await opened).work(handler, options);
      else workers.push([handler, options]);
    },
    async stop() {
      if (opened) await (await opened.catch(() => null))?.stop();
    },
  };
}
