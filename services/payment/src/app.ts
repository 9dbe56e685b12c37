import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createOutbox, type Outbox } from '@glassbox/kit/bus';
import type { JWTVerifyGetKey } from 'jose';
import { createPaymentRepo } from './adapters/payment-repo.js';
import { createPayments } from './app/payments.js';
import { adminRoutes } from './http/admin.js';
import { callbackRoutes } from './http/callbacks.js';
import { internalRoutes } from './http/internal.js';
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
  if (outbox) {
    app.addHook('onReady', async () => outbox.start());
    app.addHook('onClose', async () => outbox.stop());
  }
  return app;
}
