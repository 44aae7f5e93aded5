/**
 * `npm run store:template [-- --check]`: rebuilds src/store/pglite-template.tar.br (initdb + every migration in a
 * fresh PGlite directory, clean shutdown, tar, brotli) and its metadata. Run it after adding a migration or upgrading
 * PGlite; test/store/template.test.ts fails until you do. `--check` only says whether the committed one is fresh.
 */
import { migrations } from '../../src/store/migrations/index.ts';
import { pgliteVersion, templateKey, templateState, writeTemplate } from '../../src/store/pglite.ts';
import { buildPgliteTemplate } from '../../src/store/store.ts';

const state = templateState();
if (process.argv.includes('--check')) {
  console.log(state.fresh ? 'PGlite template is up to date' : `PGlite template is stale: ${state.reason}`);
  process.exit(state.fresh ? 0 : 1);
}
const started = performance.now();
// The key is taken before the build and checked after it: a migration edited meanwhile must not end up described by a
// key it was not built from.
const version = pgliteVersion();
const key = templateKey(version);
const tar = await buildPgliteTemplate();
if (templateKey(version) !== key) {
  console.error('src/store/migrations changed while the template was being built: run it again');
  process.exit(1);
}
const { bytes } = writeTemplate(tar, { key, pglite: version, migrations: migrations.map((m) => m.name) });
console.log(
  `wrote src/store/pglite-template.tar.br: ${(bytes / 1024).toFixed(0)} KiB (tar ${(tar.length / 2 ** 20).toFixed(1)} MiB, ${migrations.length} migrations) in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);
