import { loadConfig, runService } from '@glassbox/kit';
import { buildApp } from './app.js';
import { FlashSaleConfig } from './config.js';

const config = loadConfig(FlashSaleConfig);

await runService({
  name: 'flash-sale',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  build: async ({ logger, db }) => {
    if (!db) throw new Error('flash-sale needs its database');
    const { app } = await buildApp({
      db,
      logger,
      internalToken: config.INTERNAL_TOKEN,
      auth: { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
      inventoryUrl: config.INVENTORY_URL,
      redisUrl: config.REDIS_URL,
      replica: config.FLASH_SALE_REPLICA,
      stream: config.FLASH_SALE_STREAM,
      queueMax: config.ADMISSION_QUEUE_MAX,
    });
    return app;
  },
});
