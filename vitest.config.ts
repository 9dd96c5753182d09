import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Test tiers: `pglite` (always), `postgres` (when TEST_DATABASE_URL is set), `browser`
 * (e2e in Debian chromium). scripts/test.mjs decides which run and reports skipped tiers.
 */
const serverTests = ['apps/server/src/**/*.test.ts', 'apps/server/test/**/*.test.ts', 'packages/shared/src/**/*.test.ts'];

/**
 * The simulated days first (several minutes each, one per database), then Vitest's own order
 * (failed, longer or larger first), so that the two workers finish together: without it a
 * simulated day could start last and run alone at the end. (The browser files run in a group
 * of their own, below.)
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const long = (f: TestSpecification) => /simulated-day\.test\.ts$/.test(f.moduleId);
    return [...sorted.filter(long), ...sorted.filter((f) => !long(f))];
  }
}

export default defineConfig({
  test: {
    // Two server test files at a time on the two cores: one worker left a core idle while a file
    // waited on PostgreSQL. Full runs at two workers: 1,720 s in Vitest's order (a simulated day
    // started late and ran alone at the end); 1,240-1,261 s longest first with the browser files
    // beside the server tests, which failed once in three runs (a browser wait ran out).
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
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
          // One browser file at a time, after the server tests (Vitest runs a project without
          // file parallelism in a group of its own): two of them beside each other, or beside
          // the server tests, left a page's wait in the maintenance scenario 30 s short once.
          testTimeout: 180_000,
          hookTimeout: 300_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
