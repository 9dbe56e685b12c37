/**
 * The services the checkout saga talks to — the real catalog, inventory and payment apps — each on its own fresh
 * PostgreSQL database, listening on a free loopback port. Tokens are signed with one ES256 key whose JWKS is also
 * served over HTTP (for order processes started as children). A fault proxy can stand between order and payment.
 */
import { randomUUID } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createDb,
  createLogger,
  type Db,
  type Logger,
  migrate,
  migrateKitTables,
  type ServiceApp,
} from '@glassbox/kit';
import type { Bus } from '@glassbox/kit/bus';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey, SignJWT } from 'jose';
import { buildApp as buildCatalog } from '../../../catalog/src/app.js';
import { buildApp as buildInventory } from '../../../inventory/src/app.js';
import { buildApp as buildPayment } from '../../../payment/src/app.js';
import { buildApp as buildOrder, type OrderApp, type SagaSettings } from '../../src/app.js';

export const INTERNAL_TOKEN = 'order-test-internal-token-0123456789';

export interface Signer {
  keys: JWTVerifyGetKey;
  jwksUrl: string;
  sign(claims: { userId: string; tenantId: string; roles?: ('customer' | 'admin')[] }): Promise<string>;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function createSigner(): Promise<Signer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'order-test', alg: 'ES256', use: 'sig' };
  const jwks = { keys: [jwk] };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
  });
  const base = await listen(server);
  return {
    keys: createLocalJWKSet(jwks),
    jwksUrl: `${base}/.well-known/jwks.json`,
    sign: (c) =>
      new SignJWT({
        tid: c.tenantId,
        email: `${c.userId}@test.invalid`,
        roles: c.roles ?? ['customer'],
        typ: 'access',
      })
        .setProtectedHeader({ alg: 'ES256', kid: 'order-test' })
        .setSubject(c.userId)
        .setIssuer('glassbox-auth')
        .setAudience('glassbox')
        .setIssuedAt()
        .setExpirationTime('15m')
        .sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type Fault = 'pass' | 'unavailable' | 'blackhole' | 'drop-answer';

/**
 * A forwarding proxy whose behaviour the test switches per request: pass through, answer 503, swallow the
 * request, or forward it and lose the answer (the call took effect, the caller never hears of it).
 */
export interface FaultProxy {
  url: string;
  mode: (req: IncomingMessage) => Fault;
  hits: number;
  close(): Promise<void>;
}

export async function createFaultProxy(target: string): Promise<FaultProxy> {
  const to = new URL(target);
  const held: import('node:http').ServerResponse[] = [];
  const proxy: FaultProxy = { url: '', mode: () => 'pass', hits: 0, close: async () => {} };
  const server = createServer((req, res) => {
    proxy.hits += 1;
    const fault = proxy.mode(req);
    if (fault === 'unavailable') {
      res.writeHead(503, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({ type: 'about:blank', title: 'down', status: 503, code: 'UPSTREAM_UNAVAILABLE' }),
      );
      return;
    }
    if (fault === 'blackhole') {
      held.push(res);
      return;
    }
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (fault === 'drop-answer') {
          answer.resume();
          answer.on('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  proxy.url = await listen(server);
  proxy.close = async () => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

export interface Shop {
  signer: Signer;
  urls: { catalog: string; inventory: string; payment: string };
  databases: { catalog: TestDatabase; inventory: TestDatabase; payment: TestDatabase };
  paymentDb: Db;
  /** A product in the tenant's catalog (through its admin API), with stock (through inventory's admin API). */
  product(
    tenantId: string,
    options?: { priceCents?: number; currency?: string; stock?: number },
  ): Promise<string>;
  setStock(tenantId: string, productId: string, onHand: number): Promise<void>;
  stock(
    tenantId: string,
    productId: string,
  ): Promise<{ onHand: number; reserved: number; available: number }>;
  payments(
    tenantId: string,
    orderId: string,
  ): Promise<{ paymentId: string; status: string; capturedCents: number }[]>;
  reservation(tenantId: string, orderId: string): Promise<{ status: string } | undefined>;
  close(): Promise<void>;
}

interface Running {
  app: ServiceApp;
  db: Db;
  database: TestDatabase;
  url: string;
}

async function start(name: string, build: (db: Db) => Promise<ServiceApp>): Promise<Running> {
  const database = await createTestDatabase(`order_${name}`);
  const db = createDb(database.url, { max: 20 });
  await migrate(db, new URL(`../../../${name}/migrations/`, import.meta.url));
  const app = await build(db);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, db, database, url };
}

export async function startShop(options: { paymentSlowMs?: number } = {}): Promise<Shop> {
  const signer = await createSigner();
  const auth = { keys: signer.keys };
  const quiet = (service: string) => createLogger(service, 'silent');
  // Inventory asks the catalog whether a product exists before it takes stock for it: catalog first.
  const catalog = await start('catalog', (db) =>
    buildCatalog({ db, logger: quiet('catalog'), internalToken: INTERNAL_TOKEN, auth }),
  );
  const [inventory, payment] = await Promise.all([
    start(
      'inventory',
      async (db) =>
        (
          await buildInventory({
            db,
            logger: quiet('inventory'),
            internalToken: INTERNAL_TOKEN,
            auth,
            catalogUrl: catalog.url,
            reservationTtlSeconds: 900,
          })
        ).app,
    ),
    start('payment', (db) =>
      buildPayment({
        db,
        logger: quiet('payment'),
        auth,
        internalToken: INTERNAL_TOKEN,
        slowMs: options.paymentSlowMs ?? 1_500,
        webhookSecret: 'order-test-webhook-secret',
        webhookToleranceSeconds: 300,
      }),
    ),
  ]);
  const internal = (tenantId: string) => ({ 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': tenantId });
  const admin = async (tenantId: string) => ({
    authorization: `Bearer ${await signer.sign({ userId: randomUUID(), tenantId, roles: ['admin'] })}`,
  });

  const shop: Shop = {
    signer,
    urls: { catalog: catalog.url, inventory: inventory.url, payment: payment.url },
    databases: { catalog: catalog.database, inventory: inventory.database, payment: payment.database },
    paymentDb: payment.db,
    async product(tenantId, o = {}) {
      const sku = `T-${randomUUID().slice(0, 8)}`;
      const res = await catalog.app.inject({
        method: 'POST',
        url: '/api/v1/admin/products',
        headers: await admin(tenantId),
        payload: {
          sku,
          name: `Test product ${sku}`,
          priceCents: o.priceCents ?? 1000,
          currency: o.currency ?? 'EUR',
        },
      });
      if (res.statusCode !== 201) throw new Error(`catalog answered ${res.statusCode}: ${res.body}`);
      const { id } = res.json() as { id: string };
      await shop.setStock(tenantId, id, o.stock ?? 100);
      return id;
    },
    async setStock(tenantId, productId, onHand) {
      const res = await inventory.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/stock/${productId}`,
        headers: await admin(tenantId),
        payload: { onHand },
      });
      if (res.statusCode !== 200) throw new Error(`inventory answered ${res.statusCode}: ${res.body}`);
    },
    async stock(tenantId, productId) {
      const res = await inventory.app.inject({
        url: `/internal/stock/${productId}`,
        headers: internal(tenantId),
      });
      return res.json();
    },
    async payments(tenantId, orderId) {
      const res = await payment.app.inject({
        url: `/internal/payments?orderId=${orderId}`,
        headers: internal(tenantId),
      });
      return (res.json() as { items: { paymentId: string; status: string; capturedCents: number }[] }).items;
    },
    async reservation(tenantId, orderId) {
      const res = await inventory.app.inject({
        url: `/internal/reservations/order-${orderId}`,
        headers: internal(tenantId),
      });
      return res.statusCode === 200 ? res.json() : undefined;
    },
    async close() {
      await Promise.all(
        [catalog, inventory, payment].map(async (s) => {
          await s.app.close();
          await s.db.close();
          await s.database.drop();
        }),
      );
      await signer.close();
    },
  };
  return shop;
}

export interface OrderService extends OrderApp {
  db: Db;
  database: TestDatabase;
  close(): Promise<void>;
}

export const FAST_SAGA: SagaSettings = {
  leaseMs: 2_000,
  recoveryIntervalMs: 200,
  maxAttempts: 4,
  maxCompensationAttempts: 4,
  retryBaseMs: 100,
  retryMaxMs: 400,
};

/** The order app (not listening) on a fresh database — or on `database` when given (a second worker). */
export async function startOrder(
  shop: Shop,
  options: {
    saga?: Partial<SagaSettings>;
    syncBudgetMs?: number;
    paymentUrl?: string;
    database?: TestDatabase;
    paymentTimeoutMs?: number;
    logger?: Logger;
    /** Announce final statuses on this bus (through the outbox). */
    bus?: Bus;
  } = {},
): Promise<OrderService> {
  const database = options.database ?? (await createTestDatabase('order'));
  const db = createDb(database.url, { max: 20 });
  if (!options.database) {
    await migrateKitTables(db, ['sagas', 'outbox', 'inbox']);
    await migrate(db, new URL('../../migrations/', import.meta.url));
  }
  const built = await buildOrder({
    db,
    logger: options.logger ?? createLogger('order', process.env.ORDER_TEST_LOG ?? 'silent'),
    auth: { keys: shop.signer.keys },
    internalToken: INTERNAL_TOKEN,
    dependencies: {
      catalogUrl: shop.urls.catalog,
      inventoryUrl: shop.urls.inventory,
      paymentUrl: options.paymentUrl ?? shop.urls.payment,
      timeoutMs: 2_000,
      paymentTimeoutMs: options.paymentTimeoutMs ?? 5_000,
      retries: 1,
      reservationTtlSeconds: 900,
    },
    syncBudgetMs: options.syncBudgetMs ?? 1_500,
    saga: { ...FAST_SAGA, recovery: false, ...options.saga },
    ...(options.bus ? { bus: options.bus, outboxIntervalMs: 200 } : {}),
  });
  await built.app.ready();
  return {
    ...built,
    db,
    database,
    async close() {
      await built.app.close();
      await db.close();
      if (!options.database) await database.drop();
    },
  };
}

/** Polls until `done` holds (or the time is up), answering the last value. */
export async function eventually<T>(
  fn: () => Promise<T>,
  done: (v: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await fn();
  while (!done(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    last = await fn();
  }
  return last;
}
