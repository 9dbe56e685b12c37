import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate } from '@glassbox/kit';
import { type Bus, createBus, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { Redis } from 'ioredis';
import { type Harness as InventoryHarness, putStock, startInventory } from '../../inventory/test/helpers.js';
import { buildApp, type FlashSaleApp } from '../src/app.js';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type Mode = 'embedded' | 'redis';

export interface Harness {
  inventory: InventoryHarness;
  inventoryUrl: string;
  db: Db;
  bus: Bus;
  databaseUrl: string;
  tenantId: string;
  /** Connected mode: this harness's accepted-purchases stream. */
  stream: string;
  /** Builds a flash-sale app on the shared database (a second call after closing the first is a restart). */
  start(options?: {
    queueMax?: number;
    replica?: string;
    paymentDeadlineMs?: number;
    /** This app consumes order outcomes from the bus (one app per harness should). */
    consumeOrders?: boolean;
  }): Promise<FlashSaleApp>;
  adminToken(): Promise<string>;
  customerToken(userId?: string): Promise<string>;
  /** A catalog product with `onHand` units of stock. */
  product(onHand: number): Promise<string>;
  close(): Promise<void>;
}

/** Real inventory (listening, with its catalog) and a fresh flash-sale database, for one admission mode. */
export async function startHarness(mode: Mode): Promise<Harness> {
  const inventory = await startInventory();
  const inventoryUrl = await inventory.app.listen({ port: 0, host: '127.0.0.1' });
  const database: TestDatabase = await createTestDatabase('flash_sale');
  const db = createDb(database.url, { max: 20 });
  await migrateKitTables(db, ['outbox', 'inbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  // The PostgreSQL bus in the test database: accepted purchases are announced on it.
  const bus: Bus = await createBus({ url: database.url, logger: createLogger('bus', 'silent') });
  const tenantId = randomUUID();
  const apps: FlashSaleApp[] = [];
  // Its own stream: other test files (and their databases) share the machine's Redis.
  const stream = `glassbox:flash-sale:test:${randomUUID()}`;
  return {
    inventory,
    inventoryUrl,
    db,
    bus,
    databaseUrl: database.url,
    tenantId,
    stream,
    async start(options = {}) {
      const built = await buildApp({
        db,
        bus,
        logger: createLogger('flash-sale', 'silent'),
        internalToken: INTERNAL_TOKEN,
        auth: { keys: inventory.keys.keys },
        inventoryUrl,
        redisUrl: mode === 'redis' ? REDIS_URL : '',
        replica: options.replica ?? `test-${randomUUID()}`,
        queueMax: options.queueMax ?? 10_000,
        claimIdleMs: 200,
        ...(options.paymentDeadlineMs !== undefined ? { paymentDeadlineMs: options.paymentDeadlineMs } : {}),
        consumeOrders: options.consumeOrders ?? false,
        stream,
      });
      await built.app.ready();
      apps.push(built);
      return built;
    },
    adminToken: () => inventory.keys.sign({ userId: randomUUID(), tenantId, roles: ['admin'] }),
    customerToken: (userId = randomUUID()) => inventory.keys.sign({ userId, tenantId, roles: ['customer'] }),
    async product(onHand) {
      const id = await inventory.product(tenantId);
      await putStock(inventory.db, tenantId, id, onHand);
      return id;
    },
    async close() {
      for (const a of apps) await a.app.close().catch(() => {});
      if (mode === 'redis') {
        // Leave the shared Redis as found: this harness's stream and its sales' counters.
        const sales = await db.query<{ id: string }>('SELECT id FROM flash_sales');
        const redis = new Redis(REDIS_URL);
        const suffixes = ['stock', 'users', 'keys', 'purchases'];
        await redis.del(
          stream,
          ...sales.flatMap((s) => suffixes.map((k) => `glassbox:flash-sale:{${s.id}}:${k}`)),
        );
        await redis.quit();
      }
      await bus.close();
      await db.close();
      await database.drop();
      await inventory.close();
    },
  };
}
