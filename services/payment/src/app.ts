import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import type { JWTVerifyGetKey } from 'jose';
import { createPaymentRepo } from './adapters/payment-repo.js';
import { adminRoutes } from './http/admin.js';
import { callbackRoutes } from './http/callbacks.js';
import { internalRoutes } from './http/internal.js';
import { createPaymentMetrics } from './metrics.js';
import { createPayments } from './payments.js';

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
}

/** The payment service's Fastify app, not listening (tests use inject()). */
export async function buildApp(deps: PaymentAppDeps): Promise<ServiceApp> {
  const app = await createServiceApp({
    name: 'payment',
    logger: deps.logger,
    description:
      'Payments against a simulated card provider: authorize, capture, void, refund, signed callbacks.',
    readiness: { db: () => deps.db.ping() },
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });

  const repo = createPaymentRepo(deps.db);
  const metrics = createPaymentMetrics();
  const payments = createPayments({ repo, metrics, slowMs: deps.slowMs });

  await app.register(internalRoutes, { payments, repo });
  await app.register(adminRoutes, { payments, repo });
  await app.register(callbackRoutes, {
    payments,
    metrics,
    secret: deps.webhookSecret,
    toleranceSeconds: deps.webhookToleranceSeconds,
    now: deps.now,
  });
  return app;
}
