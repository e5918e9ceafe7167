import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` (pure modules, no servers) and `integration` (workflows on the time-skipping test
 * server, and the whole path through the API on a real Temporal dev server, FerretDB and local HTTP servers,
 * all started once per run by the global setup).
 */
export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/workflows/**/*.test.ts', 'test/integration/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/quiet-runtime.ts'],
          pool: 'forks',
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
