import { loadConfig, runService } from '@glassbox/kit';
import { createBus } from '@glassbox/kit/bus';
import { buildApp } from './app.js';
import { NotificationConfig } from './config.js';
import { seedDemo } from './seed.js';

const config = loadConfig(NotificationConfig);

await runService({
  name: 'notification',
  config,
  database: {
    url: config.DATABASE_URL,
    migrations: new URL('../migrations/', import.meta.url),
    kitTables: ['inbox'],
  },
  seed: ({ db, logger }) => seedDemo(db, logger),
  build: async ({ db, logger }) => {
    if (!db) throw new Error('notification needs its database');
    const bus = await createBus({ url: config.BUS_URL, logger, name: 'notification' });
    const app = await buildApp({ db, logger, config, bus });
    app.addHook('onClose', async () => bus.close());
    return app;
  },
});
