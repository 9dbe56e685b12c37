import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { buildApp as buildCatalog } from '../../catalog/src/app.js';
import { buildApp, type InventoryApp } from '../src/app.js';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

export interface Harness extends InventoryApp {
  db: Db;
  keys: TestKeys;
  /** The real catalog app (own database, listening), which inventory asks whether a product exists. */
  catalog: ServiceApp;
  catalogUrl: string;
  /** A new product in `tenantId`'s catalog; its id. */
  product(tenantId: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Fresh databases, migrated: the catalog app listening on a free port, and the inventory app built on its
 * database and that catalog (not listening: use app.inject).
 */
export async function startInventory(): Promise<Harness> {
  const [database, catalogDatabase]: TestDatabase[] = await Promise.all([
    createTestDatabase('inventory'),
    createTestDatabase('inventory_catalog'),
  ]);
  const db = createDb(database.url, { max: 20 });
  const catalogDb = createDb(catalogDatabase.url);
  await migrate(db, new URL('../migrations/', import.meta.url));
  await migrate(catalogDb, new URL('../../catalog/migrations/', import.meta.url));
  const keys = await createTestKeys();
  const catalog = await buildCatalog({
    db: catalogDb,
    logger: createLogger('catalog', 'silent'),
    internalToken: INTERNAL_TOKEN,
    auth: { keys: keys.keys },
  });
  const catalogUrl = await catalog.listen({ port: 0, host: '127.0.0.1' });
  const built = await buildApp({
    db,
    logger: createLogger('inventory', 'silent'),
    internalToken: INTERNAL_TOKEN,
    auth: { keys: keys.keys },
    catalogUrl,
    reservationTtlSeconds: 900,
  });
  await built.app.ready();
  return {
    ...built,
    db,
    keys,
    catalog,
    catalogUrl,
    async product(tenantId) {
      const admin = await keys.sign({ userId: randomUUID(), tenantId, roles: ['admin'] });
      const sku = `INV-${randomUUID().slice(0, 8)}`;
      const res = await catalog.inject({
        method: 'POST',
        url: '/api/v1/admin/products',
        headers: { authorization: `Bearer ${admin}` },
        payload: { sku, name: `Product ${sku}`, priceCents: 100, currency: 'EUR' },
      });
      if (res.statusCode !== 201) throw new Error(`catalog answered ${res.statusCode}: ${res.body}`);
      return res.json().id;
    },
    async close() {
      await built.app.close();
      await catalog.close();
      await db.close();
      await catalogDb.close();
      await Promise.all([database.drop(), catalogDatabase.drop()]);
    },
  };
}

export function internalHeaders(tenantId: string): Record<string, string> {
  return { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenantId };
}

export const newTenant = () => randomUUID();
export const newProduct = () => randomUUID();

/** Puts a stock row in place directly (the admin route is tested on its own). */
export async function putStock(db: Db, tenantId: string, productId: string, onHand: number): Promise<void> {
  await db.query(
    `INSERT INTO stock (tenant_id, product_id, on_hand) VALUES ($1, $2, $3)
     ON CONFLICT (tenant_id, product_id) DO UPDATE SET on_hand = EXCLUDED.on_hand`,
    [tenantId, productId, onHand],
  );
}

export async function stockRow(
  db: Db,
  tenantId: string,
  productId: string,
): Promise<{ on_hand: number; reserved: number } | undefined> {
  const [row] = await db.query<{ on_hand: number; reserved: number }>(
    'SELECT on_hand, reserved FROM stock WHERE tenant_id = $1 AND product_id = $2',
    [tenantId, productId],
  );
  return row;
}
