/**
 * `npm run bench:jobs`: a bulk job of N upserts (default 150) against the Notion sandbox with Notion's own rate limit
 * on (3 requests a second, bursts of 9), the gateway at its default pace (180 a minute). Prints the job's wall time
 * against the bound (Notion calls ÷ 3 per second; goal ≤ 1.10), the share of calls Notion answered 429 (goal ≤ 1 %),
 * and the job's progress over time. Flags: --upserts N, --json.
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

const { values } = parseArgs({ options: { upserts: { type: 'string', default: '150' }, json: { type: 'boolean' } } });
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
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as { ok: boolean; result: Record<string, unknown> & { counts: { done: number } } };
};

try {
  await new Promise((r) => setTimeout(r, 3_000)); // let the sandbox's bucket refill after seeding
  sandbox.clearRequestLog();
  const ops = Array.from({ length: count }, (_, i) => ({
    op: 'upsert',
    args: {
      data_source_id: demo.tasks.dataSourceId,
      unique: { property: 'Name', value: `Paced ${i}` },
      properties: { Hours: i % 8 },
    },
  }));
  const started = performance.now();
  const job = await request('POST', '/v1/jobs', { kind: 'bulk', args: { ops } });
  const jobId = job.result.job_id as string;
  const timeline: Array<{ seconds: number; done: number }> = [];
  let status = 'queued';
  while (status === 'queued' || status === 'running') {
    await new Promise((r) => setTimeout(r, 1_000));
    const now = await request('GET', `/v1/jobs/${jobId}`);
    status = now.result.status as string;
    timeline.push({ seconds: Math.round((performance.now() - started) / 1000), done: now.result.counts.done });
  }
  const seconds = (performance.now() - started) / 1000;
  const log = sandbox.requestLog();
  const calls = log.length;
  const limited = log.filter((e) => e.status === 429).length;
  const bound = calls / NOTION_PER_SECOND;
  const result = {
    upserts: count,
    status,
    wall_seconds: Math.round(seconds * 10) / 10,
    notion_calls: calls,
    bound_seconds: Math.round(bound * 10) / 10,
    wall_over_bound: Math.round((seconds / bound) * 1000) / 1000,
    answered_429: limited,
    share_429: Math.round((limited / calls) * 10000) / 10000,
  };
  console.log(
    `bulk job of ${count} upserts, sandbox rate limit ${NOTION_PER_SECOND}/s (burst 9), gateway pace 180/min`,
  );
  console.log(
    `  status ${status}; wall ${result.wall_seconds} s; ${calls} Notion calls; bound ${result.bound_seconds} s`,
  );
  console.log(
    `  wall ÷ bound ${result.wall_over_bound} (goal ≤ 1.10); answered 429: ${limited} (${(result.share_429 * 100).toFixed(2)} %, goal ≤ 1 %)`,
  );
  console.log(
    `  progress: ${timeline
      .filter((_, i) => i % 10 === 0 || i === timeline.length - 1)
      .map((t) => `${t.seconds}s:${t.done}`)
      .join('  ')}`,
  );
  if (values.json) console.log(JSON.stringify({ ...result, timeline }));
} finally {
  await gateway.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
