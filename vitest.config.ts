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
    // Two files at a time. Vitest's default is one worker per core but one (cores − 1 = 1 here), which ran the files
    // one after another although the end-to-end files mostly wait on the sandbox, the network and timers: 276 s → 180 s
    // for `npm test` on this 2-core machine. Files share nothing: each opens its own store (PGlite in memory, or its own
    // `ng_test_*` database under `npm run test:pg`), sandbox and gateway on free ports.
    maxWorkers: 2,
    // Under CI a JSON report is written too, so .ci/run can print one plain "N passed, N failed" line.
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: process.env.VITEST_JSON_REPORT ?? '.tmp/vitest.json' }]]
      : ['default'],
  },
});
