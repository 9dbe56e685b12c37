import { defineConfig } from 'vitest/config';

// Unit tests are fast and pure; integration and e2e tests start real processes against
// real PostgreSQL and talk to them over loopback. Both run in `npm test`.
/** The long end-to-end files whose time is mostly waiting (drills, fault detection, crash recovery). */
const WAITING_E2E = [
  'test/e2e/drills.e2e.test.ts',
  'test/e2e/fault-detection.e2e.test.ts',
  'test/e2e/flash-sale-crash.e2e.test.ts',
];

export default defineConfig({
  test: {
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 180_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['**/src/**/*.test.ts', 'observatory/server/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/*.int.test.ts', '**/*.e2e.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['**/*.int.test.ts', '**/*.e2e.test.ts'],
          exclude: ['**/node_modules/**', ...WAITING_E2E],
          fileParallelism: false,
        },
      },
      {
        // One at a time too, but beside the integration files: these spend most of their minutes waiting for
        // alert windows and recoveries at a demo time scale, not computing.
        extends: true,
        test: {
          name: 'e2e-waiting',
          include: WAITING_E2E,
          fileParallelism: false,
        },
      },
    ],
  },
});
