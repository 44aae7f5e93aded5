/**
 * `npm run migrate [-- --status]`: applies pending migrations to the configured store
 * (DATABASE_URL → PostgreSQL, else PGlite in PGLITE_DATA_DIR / <DATA_DIR>/pglite). The server also migrates on
 * start; this is for deploy pipelines that migrate first. `--status` lists executed and pending migrations only.
 */
import { loadConfig } from '../../src/config/env.ts';
import { openStore } from '../../src/store/store.ts';

const statusOnly = process.argv.includes('--status');
try {
  const cfg = loadConfig();
  const store = await openStore({ databaseUrl: cfg.databaseUrl, dataDir: cfg.pgliteDir, migrate: false, poolMax: 1 });
  try {
    console.log(`store: ${store.driver} at ${store.location}`);
    const executed = await store.executedMigrations();
    const pending = await store.pendingMigrations();
    console.log(`executed: ${executed.length}${executed.length ? ` (${executed.join(', ')})` : ''}`);
    console.log(`pending: ${pending.length}${pending.length ? ` (${pending.join(', ')})` : ''}`);
    if (!statusOnly) {
      const applied = await store.migrate();
      console.log(applied.length ? `applied ${applied.length}: ${applied.join(', ')}` : 'up to date, nothing applied');
    }
  } finally {
    await store.close();
  }
} catch (e) {
  console.error(`migrate failed: ${(e as Error).message}`);
  process.exit(1);
}
