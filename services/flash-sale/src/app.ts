import {
  authPlugin,
  createServiceApp,
  type Db,
  type Logger,
  type ServiceApp,
  type verifyAccessToken,
} from '@glassbox/kit';
import { type Bus, createOutbox } from '@glassbox/kit/bus';
import { createEmbeddedAdmission } from './adapters/embedded-admission.js';
import { createInventoryClient } from './adapters/inventory-client.js';
import { createPurchasePersistence } from './adapters/purchase-persistence.js';
import { PurchaseStore } from './adapters/purchase-store.js';
import { createRedisAdmission } from './adapters/redis-admission.js';
import { SaleStore } from './adapters/sale-store.js';
import { createReleaseSweeper, type ReleaseSweeper } from './app/release-sweeper.js';
import { createFlashSales, type FlashSales } from './app/sales.js';
import { createSettlement, type Settlement } from './app/settlement.js';
import type { AdmissionEngine } from './domain/admission.js';
import { consumeOrderOutcomes } from './events/order-outcomes.js';
import { flashSaleRoutes } from './http/routes.js';
import { createFlashSaleMetrics } from './metrics.js';

export interface FlashSaleAppDeps {
  db: Db;
  logger: Logger;
  /** Accepted purchases are announced on it (`flash.purchase.accepted`, through the outbox). */
  bus: Bus;
  internalToken: string;
  auth: { jwksUrl: string } | { keys: Parameters<typeof verifyAccessToken>[1] };
  inventoryUrl: string;
  /** Connected mode when set; embedded mode when empty. */
  redisUrl: string;
  replica: string;
  queueMax: number;
  /** Connected mode: how long another replica's unacked purchases wait before this one takes them over. */
  claimIdleMs?: number;
  /** Connected mode: the accepted-purchases stream's key. */
  stream?: string;
  /** How long a buyer has to pay once accepted (the event's `payBy`). Default 15 min. */
  paymentDeadlineMs?: number;
  /** The outbox relay's backstop interval. Default 1 s. */
  outboxIntervalMs?: number;
  /**
   * How often unpaid and failed purchases are released and ended sales settled with inventory; 0 (default) only
   * when `releaser.sweep()` / `settlement.settle()` is called.
   */
  releaseIntervalMs?: number;
  /**
   * Subscribe to order outcomes (default true). Tests that build several apps on one bus in one process let only
   * one of them consume, as one process per service would.
   */
  consumeOrders?: boolean;
}

export interface FlashSaleApp {
  app: ServiceApp;
  flash: FlashSales;
  admission: AdmissionEngine;
  releaser: ReleaseSweeper;
  settlement: Settlement;
}

export async function buildApp(deps: FlashSaleAppDeps): Promise<FlashSaleApp> {
  const { db, logger } = deps;
  const purchases = new PurchaseStore(db);
  const sales = new SaleStore(db);
  const outbox = createOutbox({
    db,
    bus: deps.bus,
    source: 'flash-sale',
    logger,
    ...(deps.outboxIntervalMs !== undefined ? { intervalMs: deps.outboxIntervalMs } : {}),
  });
  const paymentDeadlineMs = deps.paymentDeadlineMs ?? 15 * 60_000;
  const persist = createPurchasePersistence({ db, purchases, sales, outbox, paymentDeadlineMs });
  const admission = deps.redisUrl
    ? createRedisAdmission({
        url: deps.redisUrl,
        store: purchases,
        persist,
        logger,
        consumer: deps.replica,
        ...(deps.claimIdleMs !== undefined ? { claimIdleMs: deps.claimIdleMs } : {}),
        ...(deps.stream ? { stream: deps.stream } : {}),
      })
    : createEmbeddedAdmission(purchases, { persist });
  const metrics = createFlashSaleMetrics(admission.mode);
  metrics.observeQueueDepth(() => admission.queueDepth());
  metrics.observeOversold(() => purchases.oversoldUnits());
  const inventory = createInventoryClient({ url: deps.inventoryUrl, internalToken: deps.internalToken });
  const flash = createFlashSales({
    sales,
    purchases,
    admission,
    inventory,
    metrics,
    queueMax: deps.queueMax,
    paymentDeadlineMs,
  });

  const app = await createServiceApp({
    name: 'flash-sale',
    logger,
    description: 'Flash sales: admission without oversell, purchases that become orders',
    readiness: { db: () => db.ping() },
    // Purchases are admitted while the bus is down: their events wait in the outbox.
    degradedWhenFailing: { bus: () => outbox.check() },
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });
  await app.register(flashSaleRoutes, { flash });
  if (deps.consumeOrders ?? true) await consumeOrderOutcomes({ bus: deps.bus, db, sales, admission, logger });
  const releaser = createReleaseSweeper({
    db,
    sales,
    admission,
    metrics,
    logger,
    paymentDeadlineMs,
    intervalMs: deps.releaseIntervalMs ?? 0,
  });
  const settlement = createSettlement({
    db,
    sales,
    purchases,
    admission,
    inventory,
    logger,
    paymentDeadlineMs,
    intervalMs: deps.releaseIntervalMs ?? 0,
  });
  app.addHook('onReady', async () => {
    outbox.start();
    releaser.start();
    settlement.start();
  });
  app.addHook('onClose', async () => {
    await settlement.stop();
    await releaser.stop();
    await admission.close();
    await outbox.stop();
  });
  logger.info({ mode: admission.mode }, 'flash-sale admission');
  return { app, flash, admission, releaser, settlement };
}
