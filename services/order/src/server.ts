import { loadConfig, runService } from '@glassbox/kit';
import { createBus } from '@glassbox/kit/bus';
import { buildApp } from './app.js';
import { OrderConfig } from './config.js';

const config = loadConfig(OrderConfig);

await runService({
  name: 'order',
  config,
  database: {
    url: config.DATABASE_URL,
    migrations: new URL('../migrations/', import.meta.url),
    kitTables: ['sagas', 'outbox', 'inbox'],
  },
  build: async ({ logger, db }) => {
    if (!db) throw new Error('the order service needs its database');
    const bus = await createBus({ url: config.BUS_URL, logger, name: 'order' });
    const { app } = await buildApp({
      db,
      logger,
      bus,
      auth: { jwksUrl: `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json` },
      internalToken: config.INTERNAL_TOKEN,
      dependencies: {
        catalogUrl: config.CATALOG_URL,
        inventoryUrl: config.INVENTORY_URL,
        paymentUrl: config.PAYMENT_URL,
        timeoutMs: config.DEPENDENCY_TIMEOUT_MS,
        paymentTimeoutMs: config.PAYMENT_TIMEOUT_MS,
        retries: config.DEPENDENCY_RETRIES,
        reservationTtlSeconds: config.RESERVATION_TTL_SECONDS,
      },
      syncBudgetMs: config.ORDER_SYNC_BUDGET_MS,
      saga: {
        leaseMs: config.SAGA_LEASE_MS,
        recoveryIntervalMs: config.SAGA_RECOVERY_INTERVAL_MS,
        maxAttempts: config.SAGA_MAX_ATTEMPTS,
        maxCompensationAttempts: config.SAGA_MAX_COMPENSATION_ATTEMPTS,
        retryBaseMs: config.SAGA_RETRY_BASE_MS,
        retryMaxMs: config.SAGA_RETRY_MAX_MS,
      },
    });
    app.addHook('onClose', async () => bus.close());
    return app;
  },
});
