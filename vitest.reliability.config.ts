import { defineConfig } from 'vitest/config';

/**
 * `npm run test:reliability`: fuzzing, schema-violating bodies, hostile requests, stalled clients and a secrets scan
 * (test/reliability/), plus the fast hardening regressions that also run in `npm test`. Kept under ~3 minutes on
 * 2 cores; the heavy cases live here so the default suite stays fast.
 */
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts', 'test/e2e/hardening.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The stalled-client case measures the memory of a gateway it starts: not beside other heavy files.
    fileParallelism: false,
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? '.tmp/vitest-reliability.json' }]]
      : ['default'],
  },
});
