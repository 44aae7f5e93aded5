import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The reliability suite (fuzzing, stalled clients) runs on its own: npm run test:reliability; several processes
    // behind haproxy: npm run test:replicas.
    exclude: [...configDefaults.exclude, 'test/reliability/**', 'test/replicas/**'],
    // End-to-end suites start real servers (sandbox, gateway, Prism): give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Under CI a JSON report is written too, so .ci/run can print one plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? '.tmp/vitest.json' }]]
      : ['default'],
  },
});
