/**
 * `npx node tools/bench/store-open.ts [runs=3]`: time from the `openStore()` call to a ready, migrated store.
 * Every measurement runs in a fresh Node process (so WASM compilation and driver imports are counted, as at boot).
 * Scenarios: PGlite on an empty directory seeded from the committed template, the same with initdb + every migration
 * (`template: false`), PGlite reopening a directory, PGlite in memory (from the template), PostgreSQL on a fresh
 * database (runs the migrations) and PostgreSQL reopening it. Run it with npm start's flags to match the server:
 * `node --liftoff-only --max-semi-space-size=2 tools/bench/store-open.ts`.
 * PostgreSQL: BENCH_DATABASE_URL or TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const target = JSON.parse(process.argv[3]!) as { databaseUrl?: string; dataDir?: string; template?: boolean };
  const { openStore } = await import('../../src/store/store.ts');
  const t0 = performance.now();
  const store = await openStore(target);
  const ready = performance.now() - t0;
  await store.close();
  process.stdout.write(JSON.stringify({ ms: ready }));
  process.exit(0);
}

const runs = Number(process.argv[2] ?? 3);
const serverUrl =
  process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const measure = (target: object): number =>
  JSON.parse(
    execFileSync(process.execPath, [...process.execArgv, self, '--child', JSON.stringify(target)], {
      encoding: 'utf8',
    }),
  ).ms;
const fmt = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(0)} ms (min ${s[0]!.toFixed(0)}, max ${s.at(-1)!.toFixed(0)}, n=${s.length})`;
};

const results: Record<string, number[]> = {
  'pglite empty dir, from the template': [],
  'pglite empty dir, initdb + migrations': [],
  'pglite reopen existing dir': [],
  'pglite in memory, from the template': [],
  'postgresql fresh database (+ migrations)': [],
  'postgresql reopen migrated database': [],
};
const { openStore } = await import('../../src/store/store.ts');
let pgError: string | null = null;
for (let i = 0; i < runs; i++) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ng-bench-'));
  try {
    results['pglite empty dir, from the template']!.push(measure({ dataDir: path.join(dir, 'a') }));
    results['pglite empty dir, initdb + migrations']!.push(measure({ dataDir: path.join(dir, 'b'), template: false }));
    results['pglite reopen existing dir']!.push(measure({ dataDir: path.join(dir, 'a') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  results['pglite in memory, from the template']!.push(measure({ dataDir: 'memory://' }));
  if (pgError) continue;
  const db = `ng_bench_${randomBytes(4).toString('hex')}`;
  try {
    const admin = await openStore({ databaseUrl: serverUrl, migrate: false, poolMax: 1 });
    await admin.query(`create database "${db}"`);
    const u = new URL(serverUrl);
    u.pathname = `/${db}`;
    try {
      results['postgresql fresh database (+ migrations)']!.push(measure({ databaseUrl: u.toString() }));
      results['postgresql reopen migrated database']!.push(measure({ databaseUrl: u.toString() }));
    } finally {
      await admin.query(`drop database if exists "${db}" with (force)`);
      await admin.close();
    }
  } catch (e) {
    pgError = (e as Error).message;
  }
}
console.log(`openStore() → ready, ${runs} run(s) each, fresh process per measurement (node ${process.version})`);
for (const [name, xs] of Object.entries(results)) {
  console.log(`  ${name.padEnd(44)} ${xs.length ? fmt(xs) : `not measured${pgError ? `: ${pgError}` : ''}`}`);
}
