import { loadConfig, runService } from '@glassbox/kit';
import { buildApp } from './app.js';
import { UserConfig } from './config.js';
import { seedDemo } from './seed.js';

const config = loadConfig(UserConfig);

await runService({
  name: 'user',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  seed: ({ db, logger }) => seedDemo(db, logger),
  build: async ({ db, logger }) => {
    if (!db) throw new Error('user needs its database');
    return buildApp({ db, logger, config });
  },
});
