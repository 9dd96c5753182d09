import { defineConfig } from 'vitest/config';

/**
 * Test tiers: `pglite` (always), `postgres` (when TEST_DATABASE_URL is set), `browser`
 * (e2e in Debian chromium). scripts/test.mjs decides which run and reports skipped tiers.
 */
const serverTests = ['apps/server/src/**/*.test.ts', 'apps/server/test/**/*.test.ts', 'packages/shared/src/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'pglite',
          include: serverTests,
          env: { CITYLOOP_TEST_DB: 'pglite' },
          globalSetup: ['apps/server/test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // Files share a worker's loaded modules (each still opens its own database): the
          // server's import graph is loaded once per worker instead of once per file.
          isolate: false,
        },
      },
      {
        test: {
          name: 'postgres',
          include: serverTests,
          env: { CITYLOOP_TEST_DB: 'postgres' },
          globalSetup: ['apps/server/test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
          // Files share a worker's loaded modules (each still opens its own database): the
          // server's import graph is loaded once per worker instead of once per file.
          isolate: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['e2e/**/*.test.ts'],
          globalSetup: ['e2e/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
