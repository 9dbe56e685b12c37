import { globSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';

// Unit tests are fast and pure; integration and e2e tests start real processes against
// real PostgreSQL and talk to them over loopback. Both run in `npm test`.
/** The long end-to-end files whose time is mostly waiting (drills, fault detection, crash recovery). */
const WAITING_E2E = [
  'test/e2e/drills.e2e.test.ts',
  'test/e2e/fault-detection.e2e.test.ts',
  'test/e2e/flash-sale-crash.e2e.test.ts',
];

/**
 * Integration files of one service, the observatory or the kit: each on its own databases, vhost and ports, none
 * restarting a shared server or timing a crash, so two run at a time. The rest (the CLI and the supervisor,
 * broker restarts, kill -9 crash tests, replicas racing, alert timing, the whole shop) runs one at a time.
 */
const SERIAL_ONLY = [
  '**/rabbitmq-restart.int.test.ts',
  '**/crash.int.test.ts',
  'services/inventory/test/replicas.int.test.ts',
  'observatory/server/src/alerting/alerting.int.test.ts',
];
const PARALLEL_INTEGRATION = globSync(
  ['services/*/test/*.int.test.ts', 'observatory/**/*.int.test.ts', 'packages/**/*.int.test.ts'],
  { exclude: (file) => file.includes('node_modules') },
)
  .filter((file) => !SERIAL_ONLY.some((glob) => path.matchesGlob(file, glob)))
  .sort();

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
          exclude: ['**/node_modules/**', ...WAITING_E2E, ...PARALLEL_INTEGRATION],
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-parallel',
          include: PARALLEL_INTEGRATION,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
      {
        // Two at a time (each its own stack on its own ports and databases): these spend most of their minutes
        // waiting for alert windows and recoveries at a demo time scale, not computing.
        extends: true,
        test: {
          name: 'e2e-waiting',
          include: WAITING_E2E,
          fileParallelism: true,
          maxWorkers: 2,
        },
      },
    ],
  },
});
