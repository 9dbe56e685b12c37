import { authPlugin, createServiceApp, type Db, type Logger, type ServiceApp } from '@glassbox/kit';
import { type Bus, createInboxPurge, createOutbox, type Outbox } from '@glassbox/kit/bus';
import { createSagaStore, createSagaWorker, type SagaWorker } from '@glassbox/kit/saga';
import type { JWTVerifyGetKey } from 'jose';
import { createDependencies, type DependencyConfig } from './adapters/clients.js';
import { createOrderRepo } from './adapters/order-repo.js';
import { cancelOrderUseCase } from './app/cancel-order.js';
import { CHECKOUT_SAGA, checkoutSaga } from './app/checkout/checkout-saga.js';
import { announceOrdered, flashOrderUseCase } from './app/flash-order.js';
import { announceFinished } from './app/order-events.js';
import { placeOrderUseCase } from './app/place-order.js';
import { readOrdersUseCases } from './app/read-orders.js';
import { type CheckoutInput, type CheckoutResults, finalOrderStatus } from './domain/checkout.js';
import { consumeFlashPurchases } from './events/flash-purchases.js';
import { orderRoutes } from './http/orders.js';
import { createOrderMetrics } from './metrics.js';

export interface SagaSettings {
  leaseMs: number;
  recoveryIntervalMs: number;
  maxAttempts: number;
  maxCompensationAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** false: no recovery loop (tests drive `worker.recoverOnce()` themselves). Default true. */
  recovery?: boolean;
  workerId?: string;
}

export interface OrderAppDeps {
  db: Db;
  logger: Logger;
  /** Where access tokens are verified: the auth service's JWKS, or keys directly (tests). */
  auth: { jwksUrl: string } | { keys: JWTVerifyGetKey };
  internalToken: string;
  dependencies: Omit<DependencyConfig, 'internalToken'>;
  syncBudgetMs: number;
  saga: SagaSettings;
  /**
   * The bus on which final statuses are announced (order.confirmed, order.failed, order.cancelled) through the
   * outbox (the `outbox` kit table must exist), and from which accepted flash-sale purchases become orders
   * (`flash.purchase.accepted`, through the `inbox` kit table). Without it, nothing is announced or consumed
   * (tests of the checkout alone).
   */
  bus?: Bus;
  /** The outbox relay's backstop interval (tests shorten it). */
  outboxIntervalMs?: number;
}

export interface OrderApp {
  app: ServiceApp;
  worker: SagaWorker<CheckoutInput, CheckoutResults>;
  /** The outbox, when the app has a bus. */
  outbox: Outbox | undefined;
}

/**
 * The order service's Fastify app, not listening (tests use inject()). The saga worker's recovery loop runs
 * while the app is ready; on close it stops first (preClose), while the database is still open.
 */
export async function buildApp(deps: OrderAppDeps): Promise<OrderApp> {
  const { db, logger } = deps;
  const outbox = deps.bus
    ? createOutbox({
        db,
        bus: deps.bus,
        source: 'order',
        logger,
        ...(deps.outboxIntervalMs ? { intervalMs: deps.outboxIntervalMs } : {}),
      })
    : undefined;
  const app = await createServiceApp({
    name: 'order',
    logger,
    description:
      'Orders and the checkout saga (price → reserve → authorize → confirm, compensated in reverse)',
    readiness: { db: () => db.ping() },
    // The bus down: checkouts go on, their events wait in the outbox (degraded, not unavailable).
    ...(outbox ? { degradedWhenFailing: { bus: () => outbox.check() } } : {}),
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });

  const metrics = createOrderMetrics();
  const orders = createOrderRepo(db);
  const sagas = createSagaStore<CheckoutInput, CheckoutResults>(db, CHECKOUT_SAGA);
  const dependencies = createDependencies({ ...deps.dependencies, internalToken: deps.internalToken });
  const worker = createSagaWorker({
    definition: checkoutSaga({
      dependencies,
      orders,
      ...(outbox ? { announce: announceFinished(outbox) } : {}),
    }),
    store: sagas,
    logger,
    leaseMs: deps.saga.leaseMs,
    recoveryIntervalMs: deps.saga.recoveryIntervalMs,
    maxAttempts: deps.saga.maxAttempts,
    maxCompensationAttempts: deps.saga.maxCompensationAttempts,
    retryBaseMs: deps.saga.retryBaseMs,
    retryMaxMs: deps.saga.retryMaxMs,
    ...(deps.saga.workerId ? { workerId: deps.saga.workerId } : {}),
    onFinished(saga, state, seconds) {
      const failure = state.status === 'COMPLETED' ? null : state.failure;
      const status = finalOrderStatus(failure);
      metrics.completed(status, failure?.reason ?? null, seconds);
      logger.info(
        { order_id: saga.id, tenant_id: saga.tenantId, status, reason: failure?.reason ?? null, seconds },
        `order ${status.toLowerCase()}`,
      );
    },
    onRetry: (step, compensating) => metrics.retried(step, compensating),
    onResumed: () => metrics.resumed(),
  });
  await app.register(orderRoutes, {
    placeOrder: placeOrderUseCase({
      orders,
      sagas,
      worker,
      metrics,
      syncBudgetMs: deps.syncBudgetMs,
      leaseMs: deps.saga.leaseMs,
    }),
    cancelOrder: cancelOrderUseCase({ orders, worker, syncBudgetMs: deps.syncBudgetMs }),
    readOrders: readOrdersUseCases(orders),
  });

  if (deps.bus) {
    await consumeFlashPurchases({
      bus: deps.bus,
      db,
      orderFlashPurchase: flashOrderUseCase({
        orders,
        sagas,
        worker,
        metrics,
        leaseMs: deps.saga.leaseMs,
        logger,
        ...(outbox ? { announceOrdered: announceOrdered(outbox) } : {}),
      }),
    });
    const purge = createInboxPurge({ db, logger });
    app.addHook('onReady', async () => purge.start({ immediately: true }));
    app.addHook('onClose', async () => purge.stop());
  }

  if (deps.saga.recovery !== false) app.addHook('onReady', async () => worker.start());
  app.addHook('preClose', async () => worker.stop());
  if (outbox) {
    app.addHook('onReady', async () => outbox.start());
    // After the saga worker (preClose): the last final statuses are still relayed before the database closes.
    app.addHook('onClose', async () => outbox.stop());
  }
  return { app, worker, outbox };
}
