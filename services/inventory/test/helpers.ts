import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate } from '@glassbox/kit';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { buildApp, type InventoryApp } from '../src/app.js';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

export interface Harness extends InventoryApp {
  db: Db;
  keys: TestKeys;
  close(): Promise<void>;
}

/** A fresh database, migrated, and the inventory app built on it (not listening: use app.inject). */
export async function startInventory(): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase('inventory');
  const db = createDb(database.url, { max: 20 });
  await migrate(db, new URL('../migrations/', import.meta.url));
  const keys = await createTestKeys();
  const built = await buildApp({
    db,
    logger: createLogger('inventory', 'silent'),
    internalToken: INTERNAL_TOKEN,
    auth: { keys: keys.keys },
    reservationTtlSeconds: 900,
  });
  await built.app.ready();
  return {
    ...built,
    db,
    keys,
    async close() {
      await built.app.close();
      await db.close();
      await database.drop();
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
