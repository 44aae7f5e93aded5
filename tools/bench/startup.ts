/**
 * Time from `node src/main.ts` (with the environment and Node flags of `npm start`) to the first 200 from /health, and the server's
 * resident memory (VmRSS) at that moment: what an operator waits and pays at boot, store opening and migrations
 * included. Each scenario runs in a fresh process, `runs` times (default 3).
 *   npm run bench:startup [-- runs]
 * Scenarios: embedded PGlite on an empty data directory (first start: seeded from the committed template), PGlite
 * restarting on that directory, PostgreSQL on a fresh database (migrations) and restarting on it. The PGlite
 * directories live under .tmp/bench in the checkout, where ./data lives by default. PostgreSQL comes from
 * BENCH_DATABASE_URL or TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the role needs CREATEDB).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/store.ts';
import { makeTempDir, removeTempDir, root, rssMiB, startGateway, startScript, stopChild } from './lib.ts';

const runs = Number(process.argv[2] ?? 3);
const serverUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEYS = `bench:${Buffer.alloc(32, 1).toString('base64')}`;

async function timeToHealthy(env: Record<string, string>): Promise<{ ms: number; rss: number }> {
  const { proc, ms } = await startGateway({ ...env, ACTION_API_TOKEN: 'bench-token-0123456789' });
  const rss = rssMiB(proc.pid);
  await stopChild(proc);
  return { ms, rss };
}

async function adminExec(sql: string) {
  const admin = await openStore({ databaseUrl: serverUrl, migrate: false, poolMax: 1 });
  try {
    await admin.query(sql);
  } finally {
    await admin.close();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const summary = (label: string, values: { ms: number; rss: number }[]) => {
  const ms = values.map((v) => v.ms);
  const rss = values.map((v) => v.rss);
  console.log(
    `${label.padEnd(44)} median ${median(ms).toFixed(0).padStart(6)} ms  ${median(rss).toFixed(0).padStart(4)} MiB RSS   (${ms.map((v) => v.toFixed(0)).join(', ')} ms; ${rss.map((v) => v.toFixed(0)).join(', ')} MiB)`,
  );
};

const results: Record<string, { ms: number; rss: number }[]> = {};
const record = (label: string, m: { ms: number; rss: number }) => {
  results[label] ??= [];
  results[label].push(m);
};
for (let i = 0; i < runs; i++) {
  const dir = makeTempDir('ng-bench-', join(root, '.tmp', 'bench'));
  try {
    const env = { DATA_DIR: dir, DATABASE_URL: '', TOKEN_ENCRYPTION_KEYS: KEYS };
    record('PGlite, first start (empty data directory)', await timeToHealthy(env));
    record('PGlite, restart on existing data', await timeToHealthy(env));
  } finally {
    removeTempDir(dir);
  }
  const db = `ng_bench_${randomBytes(5).toString('hex')}`;
  await adminExec(`create database "${db}"`);
  try {
    const url = new URL(serverUrl);
    url.pathname = `/${db}`;
    const env = { DATABASE_URL: url.toString(), TOKEN_ENCRYPTION_KEYS: KEYS, DATA_DIR: tmpdir() };
    record('PostgreSQL, first start (migrations)', await timeToHealthy(env));
    record('PostgreSQL, restart', await timeToHealthy(env));
  } finally {
    await adminExec(`drop database if exists "${db}" with (force)`);
  }
}
const script = startScript();
const command = [...Object.entries(script.env).map(([k, v]) => `${k}=${v}`), 'node', ...script.flags, 'src/main.ts'];
console.log(
  `Time from \`${command.join(' ')}\` (npm start) to the first 200 from /health, and VmRSS then (${runs} runs each):`,
);
for (const [label, values] of Object.entries(results)) summary(label, values);
