import { loadConfig, runService } from '@glassbox/kit';
import { buildApp } from './app.js';
import { InventoryConfig } from './config.js';
import { seed } from './seed.js';

const config = loadConfig(InventoryConfig);

await runService({
  name: 'inventory',
  config,
  database: { url: config.DATABASE_URL, migrations: new URL('../migrations/', import.meta.url) },
  seed,
  build: async ({ logger, db }) => {
    if (!db) throw new Error('inventory needs its database');
    const { app } = await buildApp({
      db,
      logger,
      internalToken: config.INTERNAL_TOKEN,
      auth: { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
      catalogUrl: config.CATALOG_URL,
      reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
      sweepIntervalMs: config.RESERVATION_SWEEP_INTERVAL_MS,
    });
    return app;
  },
});
