import {
  authPlugin,
  createServiceApp,
  type Db,
  type Logger,
  type ServiceApp,
  type verifyAccessToken,
} from '@glassbox/kit';
import { createCatalogClient } from './adapters/catalog-client.js';
import { InventoryStore } from './adapters/inventory-store.js';
import { createStock } from './app/stock.js';
import { adminRoutes } from './http/admin.js';
import { internalRoutes } from './http/internal.js';
import { createInventoryMetrics } from './metrics.js';
import { createExpirySweeper, type ExpirySweeper } from './sweeper.js';

export interface InventoryAppDeps {
  db: Db;
  logger: Logger;
  internalToken: string;
  /** Where access tokens are verified: the auth service's JWKS, or keys given directly (tests). */
  auth: { jwksUrl: string } | { keys: Parameters<typeof verifyAccessToken>[1] };
  /** The catalog, asked whether a product exists before stock is created for it. */
  catalogUrl: string;
  reservationTtlSeconds: number;
  /** 0 (the default) leaves the expiry sweeper off; tests call `sweeper.sweep()` themselves. */
  sweepIntervalMs?: number;
}

export interface InventoryApp {
  app: ServiceApp;
  store: InventoryStore;
  sweeper: ExpirySweeper;
}

/** Builds the inventory app without listening; the sweeper runs while the app is ready. */
export async function buildApp(deps: InventoryAppDeps): Promise<InventoryApp> {
  const { db, logger } = deps;
  const store = new InventoryStore(db, createInventoryMetrics());
  const sweeper = createExpirySweeper(store, logger, deps.sweepIntervalMs ?? 0);

  const app = await createServiceApp({
    name: 'inventory',
    logger,
    description: 'Stock per product and reservations with expiry',
    readiness: { db: () => db.ping() },
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });
  const stock = createStock({
    store,
    catalog: createCatalogClient({ url: deps.catalogUrl, internalToken: deps.internalToken }),
    defaultTtlSeconds: deps.reservationTtlSeconds,
  });
  await app.register(internalRoutes, { stock });
  await app.register(adminRoutes, { stock });

  app.addHook('onReady', async () => sweeper.start());
  app.addHook('onClose', async () => sweeper.stop());
  return { app, store, sweeper };
}
