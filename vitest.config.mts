import { defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (pure modules, no servers), `integration` (workflows on the time-skipping test server,
 * and the whole path through the API on a real Temporal dev server, FerretDB and local HTTP servers, all started
 * once per run by the global setup) and `faults` (a Parley of its own whose processes are SIGKILLed; it runs after
 * the other two, so its recovery times are measured on a machine they are not loading).
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
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          setupFiles: ['test/support/quiet-runtime.ts'],
          pool: 'forks',
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
