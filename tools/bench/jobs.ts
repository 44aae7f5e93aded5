/**
 * `npm run bench:jobs`: a bulk job of N upserts (default 1,000) into the Notion sandbox with Notion's own rate limit on
 * (3 requests a second, bursts of 9), the gateway at its default pace (180 a minute), run twice: the first run makes
 * every row, the second finds them all unchanged. Upserts into one data source find their rows with one query per 100
 * keys (src/engine/upsert-batch.ts). Prints Notion calls per new row (goal ≤ 1.02) and per unchanged row (≤ 0.02), the
 * first run's use of the rate (the bound, Notion calls ÷ 3 a second, ÷ its wall time; goal ≥ 0.95, i.e. wall ≤ bound
 * ÷ 0.95), the 429s Notion answered (goal 0) and the job's progress over time. A one-row job runs first (the queue
 * opens with the first job). Flags: --upserts N, --json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { startSandbox } from '../notion-sandbox/index.ts';
import { seedDemoWorkspace } from '../notion-sandbox/seed.ts';

const { values } = parseArgs({ options: { upserts: { type: 'string', default: '1000' }, json: { type: 'boolean' } } });
const count = Number(values.upserts);
const NOTION_PER_SECOND = 3;

const sandbox = await startSandbox();
const demo = await seedDemoWorkspace(sandbox, sandbox.token);
sandbox.setRateLimit({ perSecond: NOTION_PER_SECOND, burst: 9 });
const dataDir = mkdtempSync(join(tmpdir(), 'ng-bench-jobs-'));
const token = 'bench-jobs-token-0123456789';
const config = loadConfig({
  ACTION_API_TOKEN: token,
  DATA_DIR: dataDir,
  PGLITE_DATA_DIR: 'memory://',
  TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 9).toString('base64')}`,
  NOTION_TOKEN: sandbox.token,
  NOTION_BASE_URL: sandbox.url,
  LOG_LEVEL: 'warn',
});
const gateway = await createGateway(config, createLogger(config.logLevel));
const { url } = await gateway.listen(0, '127.0.0.1');
const request = async (method: string, path: string, body?: unknown) => {
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return JSON.parse(text) as { ok: boolean; result: Record<string, unknown> };
    } catch (error) {
      // A status read cut short (a kept-alive socket closed under it, the machine busy) is read again.
      if (method !== 'GET' || attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
};

interface JobView {
  job_id: string;
  status: string;
  counts: { done: number; total: number | null; succeeded: number; failed: number };
  created_at: string;
  updated_at: string;
}

/** Runs one bulk job of the upserts to its end: its Notion calls, 429s, wall time and progress over time. */
async function runJob(ops: unknown[]) {
  sandbox.clearRequestLog();
  const started = Date.now();
  const job = (await request('POST', '/v1/jobs', { kind: 'bulk', args: { ops } })).result as unknown as JobView;
  const timeline: Array<{ seconds: number; done: number }> = [];
  let now = job;
  while (now.status === 'queued' || now.status === 'running') {
    await new Promise((r) => setTimeout(r, 1_000));
    now = (await request('GET', `/v1/jobs/${job.job_id}`)).result as unknown as JobView;
    timeline.push({ seconds: Math.round((Date.now() - started) / 1000), done: now.counts.done });
    if (timeline.length % 30 === 0) console.error(`  … ${timeline.at(-1)!.seconds} s: ${now.counts.done} done`);
  }
  // The job's own clock: from the start request to its last saved step.
  const seconds = (Date.parse(now.updated_at) - started) / 1000;
  const log = sandbox.requestLog();
  const limited = log.filter((e) => e.status === 429).length;
  return { status: now.status, counts: now.counts, seconds, calls: log.length, limited, timeline };
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

try {
  await new Promise((r) => setTimeout(r, 3_000)); // let the sandbox's bucket refill after seeding
  const ops = Array.from({ length: count }, (_, i) => ({
    op: 'upsert',
    args: {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `Paced ${i}` },
      properties: { Hours: i % 8 },
    },
  }));
  // The queue opens with the first job (embedded PGlite): a one-row job first, so the runs time jobs, not start-up.
  await runJob([{ op: 'upsert', args: { ...ops[0]!.args, unique: { property: 'Name', value: 'Warm-up' } } }]);
  await new Promise((r) => setTimeout(r, 3_000));
  const fresh = await runJob(ops);
  await new Promise((r) => setTimeout(r, 3_000));
  const again = await runJob(ops);
  const bound = fresh.calls / NOTION_PER_SECOND;
  const result = {
    upserts: count,
    first: { ...fresh, timeline: undefined },
    second: { ...again, timeline: undefined },
    calls_per_new_row: round(fresh.calls / count, 4),
    calls_per_unchanged_row: round(again.calls / count, 4),
    bound_seconds: round(bound, 1),
    rate_use: round(bound / fresh.seconds),
    wall_over_bound: round(fresh.seconds / bound),
    answered_429: fresh.limited + again.limited,
  };
  console.log(
    `bulk job of ${count} upserts run twice, sandbox rate limit ${NOTION_PER_SECOND}/s (burst 9), gateway pace 180/min`,
  );
  for (const [name, run] of [
    ['first (new rows)', fresh],
    ['second (unchanged)', again],
  ] as const) {
    console.log(
      `  ${name}: ${run.status}, ${run.counts.succeeded}/${count} ok; ${run.calls} Notion calls (${round(run.calls / count, 4)} a row); wall ${round(run.seconds, 1)} s; 429s ${run.limited}`,
    );
  }
  console.log(
    `  Notion calls per new row ${result.calls_per_new_row} (goal ≤ 1.02); per unchanged row ${result.calls_per_unchanged_row} (goal ≤ 0.02)`,
  );
  console.log(
    `  first run: bound ${result.bound_seconds} s (calls ÷ ${NOTION_PER_SECOND}/s); bound ÷ wall ${result.rate_use} (goal ≥ 0.95; wall ÷ bound ${result.wall_over_bound}); 429s seen ${result.answered_429} (goal 0)`,
  );
  console.log(
    `  progress (first run): ${fresh.timeline
      .filter((_, i) => i % 10 === 0 || i === fresh.timeline.length - 1)
      .map((t) => `${t.seconds}s:${t.done}`)
      .join('  ')}`,
  );
  if (values.json) console.log(JSON.stringify({ ...result, timeline: fresh.timeline }));
} finally {
  await gateway.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
