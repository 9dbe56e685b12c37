/**
 * The payment service announces captures and refunds through its outbox: payment.captured and payment.refunded
 * reach a consumer of the bus (the PostgreSQL bus, as in embedded mode), once each however often the capture is
 * repeated; the event is written in the transaction of the change, so a rollback leaves none.
 */
import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@glassbox/contracts';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { type Bus, createBus, createOutbox, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaymentRepo } from '../src/adapters/payment-repo.js';
import { buildApp } from '../src/app.js';
import { paymentEvents } from '../src/payment-events.js';

const INTERNAL = 'test-internal-token-0123456789';
const TENANT = randomUUID();
let database: TestDatabase;
let busDb: TestDatabase;
let db: Db;
let bus: Bus;
let app: ServiceApp;
let keys: TestKeys;
const received: CloudEvent[] = [];

beforeAll(async () => {
  [database, busDb] = await Promise.all([
    createTestDatabase('payment_ev'),
    createTestDatabase('payment_bus'),
  ]);
  db = createDb(database.url);
  await migrateKitTables(db, ['outbox', 'inbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  keys = await createTestKeys();
  const logger = createLogger('payment', 'silent');
  bus = await createBus({ url: busDb.url, logger });
  await bus.subscribe({
    group: 'test.payment-events',
    types: ['payment.captured', 'payment.refunded'],
    handle: async (event) => {
      received.push(event);
    },
  });
  app = await buildApp({
    db,
    logger,
    auth: { keys: keys.keys },
    internalToken: INTERNAL,
    slowMs: 100,
    webhookSecret: 'whsec_test_secret_0123456789',
    webhookToleranceSeconds: 300,
    bus,
    outboxIntervalMs: 200,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  await Promise.all([database?.drop(), busDb?.drop()]);
});

function internal(method: 'GET' | 'POST', url: string, body?: unknown, key = randomUUID()) {
  return app.inject({
    method,
    url,
    headers: { 'x-internal-token': INTERNAL, 'x-tenant-id': TENANT, 'idempotency-key': key },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

async function authorized(): Promise<{ orderId: string; paymentId: string }> {
  const orderId = randomUUID();
  const res = await internal(
    'POST',
    '/internal/payments/authorize',
    {
      orderId,
      amountCents: 2490,
      currency: 'EUR',
      token: 'tok_ok',
    },
    orderId,
  );
  expect(res.statusCode).toBe(201);
  return { orderId, paymentId: res.json().paymentId };
}

async function until(done: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

const eventsOf = (paymentId: string, type: string) =>
  received.filter((e) => e.subject === paymentId && e.type === type);

describe('payment events', () => {
  it('announces a capture once, however often it is repeated', async () => {
    const { orderId, paymentId } = await authorized();
    for (let i = 0; i < 3; i++) {
      expect((await internal('POST', `/internal/payments/${paymentId}/capture`)).statusCode).toBe(200);
    }
    await until(() => eventsOf(paymentId, 'payment.captured').length > 0);
    // One capture, one event written.
    const rows = await db.query('SELECT type FROM outbox WHERE event->>$1 = $2', ['subject', paymentId]);
    expect(rows).toEqual([{ type: 'payment.captured' }]);
    expect(eventsOf(paymentId, 'payment.captured')).toHaveLength(1);
    expect(eventsOf(paymentId, 'payment.captured')[0]).toMatchObject({
      source: '/glassbox/payment',
      data: { tenantId: TENANT, paymentId, orderId, amountCents: 2490, currency: 'EUR' },
    });
  });

  it('announces a refund with its id and amount', async () => {
    const { orderId, paymentId } = await authorized();
    await internal('POST', `/internal/payments/${paymentId}/capture`);
    const admin = await keys.sign({ userId: randomUUID(), tenantId: TENANT, roles: ['admin'] });
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/admin/payments/${paymentId}/refunds`,
      headers: { authorization: `Bearer ${admin}`, 'idempotency-key': randomUUID() },
      payload: { amountCents: 490 },
    });
    expect(res.statusCode).toBe(201);
    await until(() => eventsOf(paymentId, 'payment.refunded').length > 0);
    expect(eventsOf(paymentId, 'payment.refunded')[0]).toMatchObject({
      data: { paymentId, orderId, refundId: res.json().refundId, amountCents: 490 },
    });
  });

  it('writes no event when the change rolls back', async () => {
    const { paymentId } = await authorized();
    const repo = createPaymentRepo(db);
    const events = paymentEvents(
      createOutbox({ db, bus, source: 'payment', logger: createLogger('t', 'silent') }),
    );
    await expect(
      repo.withLocked(TENANT, paymentId, async (payment, tx) => {
        const next = await tx.update({ status: 'CAPTURED', capturedCents: payment.amountCents });
        await events.captured(tx.q, next);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    const rows = await db.query('SELECT 1 FROM outbox WHERE event->>$1 = $2', ['subject', paymentId]);
    expect(rows).toHaveLength(0);
  });
});
