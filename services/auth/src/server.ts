import { loadConfig, runService } from '@glassbox/kit';
import { buildApp, scryptParams } from './app.js';
import { AuthConfig } from './config.js';
import { seedDemo } from './seed.js';

const config = loadConfig(AuthConfig);

await runService({
  name: 'auth',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  seed: ({ db, logger }) => seedDemo(db, scryptParams(config), logger),
  build: async ({ db, logger }) => {
    if (!db) throw new Error('auth needs its database');
    return buildApp({ db, logger, config });
  },
});
