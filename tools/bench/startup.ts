/**
 * Time from `node src/main.ts` to the first 200 from /health: what an operator waits at boot, store opening and
 * migrations included. Each scenario runs in a fresh process, `runs` times (default 3).
 *   npm run bench:startup [-- runs]
 * Scenarios: embedded PGlite on an empty data directory (first start: initdb + migrations), PGlite restarting on that
 * directory, PostgreSQL on a fresh database (migrations) and restarting on it. PostgreSQL comes from
 * BENCH_DATABASE_URL or TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; the role needs CREATEDB).
 */
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { openStore } from '../../src/store/store.ts';
import { makeTempDir, removeTempDir, startGateway, stopChild } from './lib.ts';

const runs = Number(process.argv[2] ?? 3);
const serverUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEYS = `bench:${Buffer.alloc(32, 1).toString('base64')}`;

async function timeToHealthy(env: Record<string, string>): Promise<number> {
  const { proc, ms } = await startGateway({ ...env, ACTION_API_TOKEN: 'bench-token-0123456789' });
  await stopChild(proc);
  return ms;
}

async function adminExec(sql: string) {
  const admin = await openStore({ databaseUrl: serverUrl, migrate: false, poolMax: 1 });
  try {
    await admin.query(sql);
  } finally {
    await admin.close();
  }
}

const summary = (label: string, values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `${label.padEnd(44)} median ${median.toFixed(0).padStart(6)} ms   (${sorted.map((v) => v.toFixed(0)).join(', ')})`,
  );
};

const results: Record<string, number[]> = {};
const record = (label: string, ms: number) => {
  results[label] ??= [];
  results[label].push(ms);
};
for (let i = 0; i < runs; i++) {
  const dir = makeTempDir();
  try {
    const env = { DATA_DIR: dir, DATABASE_URL: '', TOKEN_ENCRYPTION_KEYS: KEYS };
    record('PGlite, first start (initdb + migrations)', await timeToHealthy(env));
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
console.log(`Time from \`node src/main.ts\` to the first 200 from /health (${runs} runs each):`);
for (const [label, values] of Object.entries(results)) summary(label, values);
