import { loadConfig, runService } from '@glassbox/kit';
import { createBus } from '@glassbox/kit/bus';
import { buildApp } from './app.js';
import { PaymentConfig } from './config.js';

const config = loadConfig(PaymentConfig);

await runService({
  name: 'payment',
  config,
  database: {
    url: config.DATABASE_URL,
    migrations: new URL('../migrations/', import.meta.url),
    kitTables: ['outbox', 'inbox'],
  },
  build: async ({ logger, db }) => {
    if (!db) throw new Error('the payment service needs its database');
    const bus = await createBus({ url: config.BUS_URL, logger, name: 'payment' });
    const app = await buildApp({
      db,
      logger,
      bus,
      auth: { jwksUrl: `${config.AUTH_URL}/.well-known/jwks.json` },
      internalToken: config.INTERNAL_TOKEN,
      slowMs: config.PAYMENT_SLOW_MS,
      webhookSecret: config.PAYMENT_WEBHOOK_SECRET,
      webhookToleranceSeconds: config.PAYMENT_WEBHOOK_TOLERANCE_SECONDS,
      reconciliation: {
        intervalMs: config.RECONCILIATION_INTERVAL_MS,
        graceMs: config.RECONCILIATION_GRACE_MS,
      },
    });
    app.addHook('onClose', async () => bus.close());
    return app;
  },
});
