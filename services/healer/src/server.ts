import path from 'node:path';
import { createLogger, loadConfig, runService } from '@glassbox/kit';
import { loadRunbooks, runbookSummary } from './adapters/runbook-files.js';
import { supervisorPlatform } from './adapters/supervisor-platform.js';
import { buildApp } from './app.js';
import { HealerConfig } from './config.js';
import { RunbookError } from './domain/runbook.js';

const config = loadConfig(HealerConfig);
// A bad runbook stops the start with its file, field and reason: a healer must not run half its runbooks.
const runbooks = await loadRunbooks(path.resolve(config.HEALER_RUNBOOKS_DIR)).catch((err: unknown) => {
  if (!(err instanceof RunbookError)) throw err;
  createLogger('healer', 'fatal').fatal({ file: err.file, field: err.field }, `bad runbook: ${err.message}`);
  process.exit(2);
});

await runService({
  name: 'healer',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  build: async ({ db, logger }) => {
    if (!db) throw new Error('the healer needs its database');
    logger.info(
      { runbooks: runbookSummary(runbooks), dryRun: config.HEALER_DRY_RUN, approval: config.HEALER_APPROVAL },
      'runbooks loaded',
    );
    const { app } = await buildApp({
      db,
      logger,
      config,
      runbooks,
      platform: supervisorPlatform(config.CONTROL_URL),
    });
    return app;
  },
});
