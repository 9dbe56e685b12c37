import { loadConfig, runService } from '@glassbox/kit';
import { createBus } from '@glassbox/kit/bus';
import { buildApp, scryptParams } from './app.js';
import { AuthConfig } from './config.js';
import { seedDemo } from './seed.js';

const config = loadConfig(AuthConfig);

await runService({
  name: 'auth',
  config,
  database: {
    url: config.DATABASE_URL,
    migrations: new URL('../migrations/', import.meta.url),
    kitTables: ['outbox'],
  },
  seed: ({ db, logger }) => seedDemo(db, scryptParams(config), logger),
  build: async ({ db, logger }) => {
    if (!db) throw new Error('auth needs its database');
    const bus = await createBus({ url: config.BUS_URL, logger, name: 'auth' });
    const app = await buildApp({ db, logger, config, bus });
    app.addHook('onClose', async () => bus.close());
    return app;
  },
});
