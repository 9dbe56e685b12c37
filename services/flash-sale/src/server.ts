import { loadConfig, runService } from '@glassbox/kit';
import { createBus } from '@glassbox/kit/bus';
import { buildApp } from './app.js';
import { FlashSaleConfig } from './config.js';

const config = loadConfig(FlashSaleConfig);

await runService({
  name: 'flash-sale',
  config,
  database: {
    url: config.DATABASE_URL,
    migrations: new URL('../migrations/', import.meta.url),
    kitTables: ['outbox', 'inbox'],
  },
  build: async ({ logger, db }) => {
    if (!db) throw new Error('flash-sale needs its database');
    const bus = await createBus({ url: config.BUS_URL, logger, name: 'flash-sale' });
    const { app } = await buildApp({
      db,
      logger,
      bus,
      internalToken: config.INTERNAL_TOKEN,
      auth: { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
      inventoryUrl: config.INVENTORY_URL,
      redisUrl: config.REDIS_URL,
      replica: config.FLASH_SALE_REPLICA,
      stream: config.FLASH_SALE_STREAM,
      paymentDeadlineMs: config.PAYMENT_DEADLINE_MS,
      outboxIntervalMs: config.OUTBOX_INTERVAL_MS,
      releaseIntervalMs: config.RELEASE_SWEEP_INTERVAL_MS,
      queueMax: config.ADMISSION_QUEUE_MAX,
    });
    app.addHook('onClose', async () => bus.close());
    return app;
  },
});
