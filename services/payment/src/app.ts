import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createInboxPurge, createOutbox, type Outbox } from '@glassbox/kit/bus';
import type { JWTVerifyGetKey } from 'jose';
import { createPaymentRepo } from './adapters/payment-repo.js';
import { createReconciliationRepo } from './adapters/reconciliation-repo.js';
import { createPayments } from './app/payments.js';
import { createReconciliation, createReconciliationReports } from './app/reconciliation.js';
import { consumeOrderOutcomes } from './events/order-outcomes.js';
import { adminRoutes } from './http/admin.js';
import { callbackRoutes } from './http/callbacks.js';
import { internalRoutes } from './http/internal.js';
import { reconciliationRoutes } from './http/reconciliation.js';
import { createPaymentMetrics } from './metrics.js';
import { paymentEvents } from './payment-events.js';

export interface PaymentAppDeps {
  db: Db;
  logger: Logger;
  /** Where access tokens are verified: the auth service's JWKS, or keys directly (tests). */
  auth: { jwksUrl: string } | { keys: JWTVerifyGetKey };
  internalToken: string;
  slowMs: number;
  webhookSecret: string;
  webhookToleranceSeconds: number;
  /** Unix seconds, for the callback signature window (tests move it). */
  now?: () => number;
  /**
   * The bus on which captures and refunds are announced (payment.captured, payment.refunded) through the
   * outbox (the `outbox` kit table must exist). Without it, nothing is announced.
   */
  bus?: Bus;
  /** The outbox relay's backstop interval (tests shorten it). */
  outboxIntervalMs?: number;
  /**
   * Reconciliation of payments with orders (their outcomes heard on the bus, through the `inbox` kit table):
   * rounds every `intervalMs` (0: none), captured payments younger than `graceMs` waiting for their order.
   * Default: every minute, 5 minutes' grace, when there is a bus.
   */
  reconciliation?: { intervalMs: number; graceMs: number };
}

/** The payment service's Fastify app, not listening (tests use inject()). */
export async function buildApp(deps: PaymentAppDeps): Promise<ServiceApp> {
  const outbox: Outbox | undefined = deps.bus
    ? createOutbox({
        db: deps.db,
        bus: deps.bus,
        source: 'payment',
        logger: deps.logger,
        ...(deps.outboxIntervalMs ? { intervalMs: deps.outboxIntervalMs } : {}),
      })
    : undefined;
  const app = await createServiceApp({
    name: 'payment',
    logger: deps.logger,
    description:
      'Payments against a simulated card provider: authorize, capture, void, refund, signed callbacks.',
    readiness: { db: () => deps.db.ping() },
    // The bus down: payments go on, their events wait in the outbox (degraded, not unavailable).
    ...(outbox ? { degradedWhenFailing: { bus: () => outbox.check() } } : {}),
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });

  const repo = createPaymentRepo(deps.db);
  const metrics = createPaymentMetrics();
  const payments = createPayments({
    repo,
    metrics,
    slowMs: deps.slowMs,
    ...(outbox ? { events: paymentEvents(outbox) } : {}),
  });

  await app.register(internalRoutes, { payments });
  await app.register(adminRoutes, { payments });
  await app.register(callbackRoutes, {
    payments,
    metrics,
    secret: deps.webhookSecret,
    toleranceSeconds: deps.webhookToleranceSeconds,
    now: deps.now,
  });
  const reconciliationRepo = createReconciliationRepo(deps.db);
  await app.register(reconciliationRoutes, { reports: createReconciliationReports(reconciliationRepo) });
  if (deps.bus) {
    await consumeOrderOutcomes({ bus: deps.bus, db: deps.db });
    const purge = createInboxPurge({ db: deps.db, logger: deps.logger });
    app.addHook('onReady', async () => purge.start({ immediately: true }));
    app.addHook('onClose', async () => purge.stop());
    const settings = deps.reconciliation ?? { intervalMs: 60_000, graceMs: 300_000 };
    if (settings.intervalMs > 0) {
      const reconciliation = createReconciliation({
        repo: reconciliationRepo,
        logger: deps.logger,
        ...settings,
      });
      metrics.observeReconciliation(reconciliation.lastCounts);
      app.addHook('onReady', async () => reconciliation.worker.start());
      app.addHook('onClose', async () => reconciliation.worker.stop());
    }
  }
  if (outbox) {
    app.addHook('onReady', async () => outbox.start());
    app.addHook('onClose', async () => outbox.stop());
  }
  return app;
}
