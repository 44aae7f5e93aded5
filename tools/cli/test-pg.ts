/**
 * `npm run test:pg [-- vitest args]`: runs the test suites against a real PostgreSQL server.
 * TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) must be reachable: if it is not, this
 * fails loudly — it never skips. Each store-using test file creates and drops its own `ng_test_*` database there.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { maskDatabaseUrl, openStore } from '../../src/store/store.ts';

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';
const url = process.env.TEST_DATABASE_URL?.trim() || DEFAULT_URL;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

try {
  const probe = await openStore({ databaseUrl: url, migrate: false, poolMax: 1 });
  const [row] = await probe.query<{ version: string }>('select version() as version');
  const [can] = await probe.query<{ ok: boolean }>(
    `select rolcreatedb or rolsuper as ok from pg_roles where rolname = current_user`,
  );
  await probe.close();
  if (!can?.ok) {
    throw new Error('the role cannot CREATE DATABASE (the suites create one throw-away database per test file)');
  }
  console.log(`test:pg → ${maskDatabaseUrl(url)} (${row?.version.split(' on ')[0]})`);
} catch (e) {
  console.error(`test:pg FAILED: cannot use PostgreSQL at ${maskDatabaseUrl(url)}: ${(e as Error).message}`);
  console.error('Start PostgreSQL or set TEST_DATABASE_URL=postgres://user@host:port/db (the role needs CREATEDB).');
  process.exit(1);
}

const args = process.argv.slice(2);
const child = spawn(path.join(root, 'node_modules/.bin/vitest'), ['run', ...args], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, TEST_DATABASE_URL: url },
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
