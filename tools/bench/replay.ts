/**
 * `npm run bench:replay`: what an idempotent replay costs. Against the Notion sandbox (no rate limit) and the gateway
 * on embedded PGlite, both in this process: N page creates each with a new idempotency_key, then the same N requests
 * again. Prints the latency p50/p99 of first writes and of replays, and the Notion calls the replays made (must be 0).
 * Flags: --calls N (default 200), --json (machine-readable line at the end).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGateway } from '../../src/app.ts';
import { loadConfig } from '../../src/config/env.ts';
import { createLogger } from '../../src/shared/logging.ts';
import { startSandbox } from '../notion-sandbox/index.ts';
import { percentile } from './lib.ts';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '200' }, json: { type: 'boolean' } } });
const calls = Number(values.calls);

const sandbox = await startSandbox({ workspaces: [{ token: 'secret_bench_replay', name: 'Replay bench' }] });
const dataDir = mkdtempSync(join(tmpdir(), 'ng-bench-replay-'));
const token = 'bench-replay-token-0123456789';
const config = loadConfig({
  ACTION_API_TOKEN: token,
  DATA_DIR: dataDir,
  PGLITE_DATA_DIR: 'memory://',
  TOKEN_ENCRYPTION_KEYS: `bench:${Buffer.alloc(32, 3).toString('base64')}`,
  NOTION_TOKEN: 'secret_bench_replay',
  NOTION_BASE_URL: sandbox.url,
  NOTION_RATE_LIMIT_PER_MINUTE: '1000000',
  NOTION_RATE_BURST: '1000',
  LOG_LEVEL: 'warn',
});
const gateway = await createGateway(config, createLogger(config.logLevel));
const { url } = await gateway.listen(0, '127.0.0.1');

async function createPage(key: string, title: string): Promise<{ ms: number; replayed: boolean }> {
  const started = performance.now();
  const res = await fetch(`${url}/v1/notion/request`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      method: 'POST',
      path: '/v1/pages',
      idempotency_key: key,
      body: {
        parent: { type: 'workspace', workspace: true },
        properties: { title: { title: [{ text: { content: title } }] } },
      },
    }),
  });
  const body = (await res.json()) as { ok: boolean; meta: { idempotent_replay?: boolean } };
  const ms = performance.now() - started;
  if (!body.ok) throw new Error(`write failed: ${JSON.stringify(body)}`);
  return { ms, replayed: body.meta.idempotent_replay === true };
}

try {
  // Warm up (clients, prepared paths), then measure.
  for (let i = 0; i < 10; i++) await createPage(`warm-${i}`, `Warm ${i}`);
  const first: number[] = [];
  for (let i = 0; i < calls; i++) first.push((await createPage(`key-${i}`, `Page ${i}`)).ms);
  sandbox.clearRequestLog();
  const replays: number[] = [];
  let notReplayed = 0;
  for (let i = 0; i < calls; i++) {
    const r = await createPage(`key-${i}`, `Page ${i}`);
    replays.push(r.ms);
    if (!r.replayed) notReplayed++;
  }
  const notionCalls = sandbox.requestLog().length;
  const result = {
    calls,
    first_write_p50_ms: percentile(first, 50),
    first_write_p99_ms: percentile(first, 99),
    replay_p50_ms: percentile(replays, 50),
    replay_p99_ms: percentile(replays, 99),
    replays_not_flagged: notReplayed,
    notion_calls_by_replays: notionCalls,
  };
  const f = (n: number) => n.toFixed(2).padStart(8);
  console.log(`idempotent replay, ${calls} page creates then the same ${calls} again (REST, PGlite, sandbox)`);
  console.log(`  first write   p50 ${f(result.first_write_p50_ms)} ms   p99 ${f(result.first_write_p99_ms)} ms`);
  console.log(`  replay        p50 ${f(result.replay_p50_ms)} ms   p99 ${f(result.replay_p99_ms)} ms`);
  console.log(`  Notion calls made by the ${calls} replays: ${notionCalls}; replays not flagged: ${notReplayed}`);
  if (values.json) console.log(JSON.stringify(result));
  if (notionCalls !== 0 || notReplayed !== 0) process.exitCode = 1;
} finally {
  await gateway.close();
  await sandbox.close();
  rmSync(dataDir, { recursive: true, force: true });
}
