import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { buildApp } from '../src/app.js';

export const INTERNAL_TOKEN = 'test-internal-token-0123456789';

export interface Harness {
  app: ServiceApp;
  db: Db;
  keys: TestKeys;
  close(): Promise<void>;
}

/** A fresh database, migrated, and the catalog app built on it (not listening: use app.inject). */
export async function startCatalog(): Promise<Harness> {
  const database: TestDatabase = await createTestDatabase('catalog');
  const db = createDb(database.url, { max: 20 });
  await migrate(db, new URL('../migrations/', import.meta.url));
  const keys = await createTestKeys();
  const logger = createLogger('catalog', 'silent');
  const app = await buildApp({ db, logger, internalToken: INTERNAL_TOKEN, auth: { keys: keys.keys } });
  await app.ready();
  return {
    app,
    db,
    keys,
    async close() {
      await app.close();
      await db.close();
      await database.drop();
    },
  };
}

export const newTenant = () => randomUUID();

export function internalHeaders(tenantId: string): Record<string, string> {
  return { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenantId };
}

export async function bearer(h: Harness, tenantId: string, role: 'admin' | 'customer' = 'customer') {
  return { authorization: `Bearer ${await h.keys.sign({ userId: randomUUID(), tenantId, roles: [role] })}` };
}

export function expectProblemShape(
  response: { statusCode: number; headers: Record<string, unknown>; json(): { code?: string } },
  status: number,
  code?: string,
): void {
  if (response.statusCode !== status) {
    throw new Error(`expected ${status}, got ${response.statusCode}: ${JSON.stringify(response.json())}`);
  }
  const type = String(response.headers['content-type']);
  if (!type.includes('application/problem+json')) throw new Error(`not a problem document: ${type}`);
  if (code && response.json().code !== code)
    throw new Error(`expected code ${code}, got ${response.json().code}`);
}

let sequence = 0;
/** A valid create body with a unique SKU. */
export function newProductBody(overrides: Record<string, unknown> = {}) {
  sequence += 1;
  return {
    sku: `T-${Date.now().toString(36)}-${sequence}`,
    name: `Test product ${sequence}`,
    description: 'A product made by a test',
    category: 'test',
    priceCents: 1000 + sequence,
    currency: 'EUR',
    ...overrides,
  };
}
