import {
  authPlugin,
  createServiceApp,
  type Db,
  type Logger,
  type ServiceApp,
  type verifyAccessToken,
} from '@glassbox/kit';
import { ProductStore } from './adapters/product-store.js';
import { createProducts } from './app/products.js';
import { adminRoutes } from './http/admin.js';
import { internalRoutes } from './http/internal.js';
import { productRoutes } from './http/products.js';
import { createCatalogMetrics } from './metrics.js';

export interface CatalogAppDeps {
  db: Db;
  logger: Logger;
  internalToken: string;
  /** Where access tokens are verified: the auth service's JWKS, or keys given directly (tests). */
  auth: { jwksUrl: string } | { keys: Parameters<typeof verifyAccessToken>[1] };
}

/** Builds the catalog app without listening (tests use app.inject). */
export async function buildApp(deps: CatalogAppDeps): Promise<ServiceApp> {
  const { db, logger } = deps;
  const products = createProducts({ store: new ProductStore(db), metrics: createCatalogMetrics() });
  const app = await createServiceApp({
    name: 'catalog',
    logger,
    description: 'Products, categories and prices of each tenant',
    readiness: { db: () => db.ping() },
  });
  await app.register(authPlugin, { ...deps.auth, internalToken: deps.internalToken });
  await app.register(productRoutes, { products });
  await app.register(adminRoutes, { products });
  await app.register(internalRoutes, { products });
  return app;
}
