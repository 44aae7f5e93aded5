import { defineConfig } from 'vitest/config';

/**
 * `npm run test:replicas`: several gateway processes on a real PostgreSQL behind haproxy (test/replicas/). Needs
 * TEST_DATABASE_URL (set by tools/cli/test-pg.ts, default postgres://postgres@127.0.0.1:5432/test) and Debian's
 * haproxy; .ci/run installs it.
 */
export default defineConfig({
  test: {
    include: ['test/replicas/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? '.tmp/vitest-replicas.json' }]]
      : ['default'],
  },
});
