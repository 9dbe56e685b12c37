/**
 * The payment service's routes against real PostgreSQL (a fresh database for this file), through inject().
 */
import { randomUUID } from 'node:crypto';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { signatureHeader } from '../src/domain/signature.js';

const INTERNAL = 'test-internal-token-0123456789';
const SECRET = 'whsec_test_secret_0123456789';
const SLOW_MS = 400;
const TENANT = randomUUID();
const OTHER_TENANT = randomUUID();

let database: TestDatabase;
let db: Db;
let app: ServiceApp;
let keys: TestKeys;
let admin: string;
let customer: string;
let otherAdmin: string;
const clock = Math.floor(Date.now() / 1000);
const logLines: string[] = [];

beforeAll(async () => {
  database = await createTestDatabase('payment');
  db = createDb(database.url);
  await migrate(db, new URL('../migrations/', import.meta.url));
  keys = await createTestKeys();
  const logger = createLogger('payment', 'debug', {
    hooks: {
      streamWrite: (line: string) => {
        logLines.push(line);
        return '';
      },
    },
  });
  app = await buildApp({
    db,
    logger,
    auth: { keys: keys.keys },
    internalToken: INTERNAL,
    slowMs: SLOW_MS,
    webhookSecret: SECRET,
    webhookToleranceSeconds: 300,
    now: () => clock,
  });
  await app.ready();
  admin = await keys.sign({ userId: randomUUID(), tenantId: TENANT, roles: ['admin'] });
  customer = await keys.sign({ userId: randomUUID(), tenantId: TENANT, roles: ['customer'] });
  otherAdmin = await keys.sign({ userId: randomUUID(), tenantId: OTHER_TENANT, roles: ['admin'] });
});

afterAll(async () => {
  await app?.close();
  await db?.close();
  await database?.drop();
});

function internal(method: 'GET' | 'POST', url: string, body?: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method,
    url,
    headers: { 'x-internal-token': INTERNAL, 'x-tenant-id': TENANT, ...headers },
    ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
  });
}

function authorize(
  orderId: string,
  token = 'tok_ok',
  amountCents = 2490,
  extra: Record<string, string> = {},
) {
  return internal(
    'POST',
    '/internal/payments/authorize',
    { orderId, amountCents, currency: 'EUR', token },
    { 'idempotency-key': orderId, ...extra },
  );
}

function bearer(token: string) {
  return { authorization: `Bearer ${token}` };
}

describe('POST /internal/payments/authorize', () => {
  it('approves tok_ok with 201, and answers a repeat with 200 and the same payment', async () => {
    const orderId = randomUUID();
    const first = await authorize(orderId);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({ orderId, status: 'AUTHORIZED', amountCents: 2490, currency: 'EUR' });
    const again = await authorize(orderId);
    expect(again.statusCode).toBe(200);
    expect(again.json().paymentId).toBe(first.json().paymentId);
    const list = await internal('GET', `/internal/payments?orderId=${orderId}`);
    expect(list.json().items).toHaveLength(1);
    expect(list.json().items[0]).toMatchObject({
      card: { kind: 'test-approve', last4: 'k_ok' },
      capturedCents: 0,
    });
  });

  it('declines tok_declined with 402 PAYMENT_DECLINED, the same way every time', async () => {
    const orderId = randomUUID();
    const first = await authorize(orderId, 'tok_declined');
    expect(first.statusCode).toBe(402);
    expect(first.headers['content-type']).toContain('application/problem+json');
    expect(first.json()).toMatchObject({
      code: 'PAYMENT_DECLINED',
      status: 402,
      paymentStatus: 'DECLINED',
      orderId,
    });
    expect(first.json().paymentId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await authorize(orderId, 'tok_declined');
    expect(again.statusCode).toBe(402);
    expect(again.json().paymentId).toBe(first.json().paymentId);
  });

  it('declines an unknown token as "unknown card token"', async () => {
    const res = await authorize(randomUUID(), 'tok_4000000000000002');
    expect(res.statusCode).toBe(402);
    expect(res.json()).toMatchObject({ code: 'PAYMENT_DECLINED', reason: 'unknown card token' });
  });

  it('approves tok_slow after the delay; a concurrent repeat waits and gets the same payment', async () => {
    const orderId = randomUUID();
    const started = Date.now();
    const [a, b] = await Promise.all([
      authorize(orderId, 'tok_slow'),
      new Promise((r) => setTimeout(r, 50)).then(() => authorize(orderId, 'tok_slow')),
    ]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(SLOW_MS - 10);
    expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
    expect(a.json().paymentId).toBe(b.json().paymentId);
    expect(a.json().status).toBe('AUTHORIZED');
    expect(b.json().status).toBe('AUTHORIZED');
  });

  it('creates exactly one payment under many concurrent identical calls', async () => {
    const orderId = randomUUID();
    const results = await Promise.all(Array.from({ length: 8 }, () => authorize(orderId)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(7);
    expect(new Set(results.map((r) => r.json().paymentId)).size).toBe(1);
    const rows = await db.query('SELECT id FROM payments WHERE tenant_id = $1 AND order_id = $2', [
      TENANT,
      orderId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('refuses the same order with another amount or card as 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const orderId = randomUUID();
    expect((await authorize(orderId, 'tok_ok', 1000)).statusCode).toBe(201);
    const amount = await authorize(orderId, 'tok_ok', 1001);
    expect(amount.statusCode).toBe(422);
    expect(amount.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await authorize(orderId, 'tok_slow', 1000)).statusCode).toBe(422);
  });

  it('takes over an authorization abandoned by a crashed process and decides it', async () => {
    const orderId = randomUUID();
    const id = randomUUID();
    await db.query(
      `INSERT INTO payments (id, tenant_id, order_id, status, amount_cents, currency, card_kind, card_last4, processing_since)
       VALUES ($1, $2, $3, 'PROCESSING', 2490, 'EUR', 'test-approve', 'k_ok', now() - interval '1 hour')`,
      [id, TENANT, orderId],
    );
    const res = await authorize(orderId);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ paymentId: id, status: 'AUTHORIZED' });
    const [row] = await db.query<{ attempt: number }>('SELECT attempt FROM payments WHERE id = $1', [id]);
    expect(row?.attempt).toBe(2);
  });

  it('requires the Idempotency-Key, when sent, to be the order id', async () => {
    const res = await authorize(randomUUID(), 'tok_ok', 100, { 'idempotency-key': 'something-else' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it.each([
    ['a missing field', { orderId: randomUUID(), currency: 'EUR', token: 'tok_ok' }, 'body/amountCents'],
    [
      'an extra field',
      { orderId: randomUUID(), amountCents: 1, currency: 'EUR', token: 'tok_ok', cvc: '123' },
      'body',
    ],
    [
      'a wrong type',
      { orderId: randomUUID(), amountCents: 'ten', currency: 'EUR', token: 'tok_ok' },
      'body/amountCents',
    ],
    [
      'a zero amount',
      { orderId: randomUUID(), amountCents: 0, currency: 'EUR', token: 'tok_ok' },
      'body/amountCents',
    ],
    [
      'a bad currency',
      { orderId: randomUUID(), amountCents: 1, currency: 'eur', token: 'tok_ok' },
      'body/currency',
    ],
    [
      'a bad order id',
      { orderId: 'order-1', amountCents: 1, currency: 'EUR', token: 'tok_ok' },
      'body/orderId',
    ],
  ])('rejects %s with 400 naming the field', async (_name, body, path) => {
    const res = await internal('POST', '/internal/payments/authorize', body);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContainEqual(
      expect.stringContaining(path),
    );
  });

  it('rejects malformed JSON with 400', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/internal/payments/authorize',
      headers: { 'x-internal-token': INTERNAL, 'x-tenant-id': TENANT, 'content-type': 'application/json' },
      payload: '{"orderId": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
  });

  it('answers 401 without or with a wrong internal token, and 400 without a uuid tenant', async () => {
    const body = { orderId: randomUUID(), amountCents: 1, currency: 'EUR', token: 'tok_ok' };
    expect(
      (await app.inject({ method: 'POST', url: '/internal/payments/authorize', payload: body })).statusCode,
    ).toBe(401);
    expect(
      (await internal('POST', '/internal/payments/authorize', body, { 'x-internal-token': 'x'.repeat(30) }))
        .statusCode,
    ).toBe(401);
    const tenant = await internal('POST', '/internal/payments/authorize', body, { 'x-tenant-id': 'demo' });
    expect(tenant.statusCode).toBe(400);
    expect(tenant.json().detail).toContain('x-tenant-id');
  });
});

describe('void and capture', () => {
  it('captures once, idempotently; a captured payment cannot be voided', async () => {
    const orderId = randomUUID();
    const { paymentId } = (await authorize(orderId)).json();
    const cap = await internal('POST', `/internal/payments/${paymentId}/capture`);
    expect(cap.statusCode).toBe(200);
    expect(cap.json().status).toBe('CAPTURED');
    expect((await internal('POST', `/internal/payments/${paymentId}/capture`)).json().status).toBe(
      'CAPTURED',
    );
    const voided = await internal('POST', `/internal/payments/${paymentId}/void`);
    expect(voided.statusCode).toBe(409);
    expect(voided.json().code).toBe('ILLEGAL_TRANSITION');
    const [row] = await db.query<{ captured_cents: number }>(
      'SELECT captured_cents FROM payments WHERE id = $1',
      [paymentId],
    );
    expect(row?.captured_cents).toBe(2490);
  });

  it('voids idempotently; a void payment cannot be captured', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    expect((await internal('POST', `/internal/payments/${paymentId}/void`)).json().status).toBe('VOIDED');
    const again = await internal('POST', `/internal/payments/${paymentId}/void`);
    expect(again.statusCode).toBe(200);
    expect(again.json().status).toBe('VOIDED');
    expect((await internal('POST', `/internal/payments/${paymentId}/capture`)).statusCode).toBe(409);
  });

  it('voids a declined payment as a no-op and an unknown id as a no-op', async () => {
    const declined = (await authorize(randomUUID(), 'tok_declined')).json();
    const res = await internal('POST', `/internal/payments/${declined.paymentId}/void`);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('DECLINED');
    const unknown = await internal('POST', `/internal/payments/${randomUUID()}/void`);
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json().status).toBeNull();
  });

  it('voids an authorization still in progress, and the late approval is discarded', async () => {
    const orderId = randomUUID();
    const pending = authorize(orderId, 'tok_slow');
    let paymentId: string | undefined;
    for (let i = 0; i < 50 && !paymentId; i++) {
      await new Promise((r) => setTimeout(r, 20));
      paymentId = (await internal('GET', `/internal/payments?orderId=${orderId}`)).json().items[0]?.paymentId;
    }
    expect(paymentId).toBeDefined();
    expect((await internal('POST', `/internal/payments/${paymentId}/void`)).json().status).toBe('VOIDED');
    const answered = await pending;
    expect(answered.json().status).toBe('VOIDED');
    const list = await internal('GET', `/internal/payments?orderId=${orderId}`);
    expect(list.json().items[0].status).toBe('VOIDED');
  });

  it('captures 404 an unknown payment; a bad id is 400', async () => {
    expect((await internal('POST', `/internal/payments/${randomUUID()}/capture`)).statusCode).toBe(404);
    const bad = await internal('POST', '/internal/payments/not-a-uuid/capture');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('params/id');
  });

  it("hides another tenant's payment", async () => {
    const orderId = randomUUID();
    const { paymentId } = (await authorize(orderId)).json();
    const other = { 'x-tenant-id': OTHER_TENANT };
    expect(
      (await internal('POST', `/internal/payments/${paymentId}/capture`, undefined, other)).statusCode,
    ).toBe(404);
    const voided = await internal('POST', `/internal/payments/${paymentId}/void`, undefined, other);
    expect(voided.json().status).toBeNull();
    expect(
      (await internal('GET', `/internal/payments?orderId=${orderId}`, undefined, other)).json().items,
    ).toEqual([]);
    expect((await internal('GET', `/internal/payments?orderId=${orderId}`)).json().items[0].status).toBe(
      'AUTHORIZED',
    );
  });

  it('lists by order only with a valid order id', async () => {
    expect((await internal('GET', '/internal/payments')).statusCode).toBe(400);
    expect((await internal('GET', '/internal/payments?orderId=x')).statusCode).toBe(400);
  });
});

describe('admin payments and refunds', () => {
  async function captured(amountCents = 5000): Promise<{ paymentId: string; orderId: string }> {
    const orderId = randomUUID();
    const { paymentId } = (await authorize(orderId, 'tok_ok', amountCents)).json();
    await internal('POST', `/internal/payments/${paymentId}/capture`);
    return { paymentId, orderId };
  }

  function refund(
    paymentId: string,
    amountCents: unknown,
    token = admin,
    headers: Record<string, string> = {},
  ) {
    return app.inject({
      method: 'POST',
      url: `/api/v1/admin/payments/${paymentId}/refunds`,
      headers: { ...bearer(token), ...headers },
      payload: { amountCents },
    });
  }

  it('refunds part, then the rest, never more', async () => {
    const { paymentId } = await captured(5000);
    const part = await refund(paymentId, 2000);
    expect(part.statusCode).toBe(201);
    expect(part.json()).toMatchObject({
      paymentId,
      amountCents: 2000,
      paymentStatus: 'PARTIALLY_REFUNDED',
      refundedCents: 2000,
    });
    const tooMuch = await refund(paymentId, 3001);
    expect(tooMuch.statusCode).toBe(409);
    expect(tooMuch.json().code).toBe('ILLEGAL_TRANSITION');
    const rest = await refund(paymentId, 3000);
    expect(rest.json()).toMatchObject({ paymentStatus: 'REFUNDED', refundedCents: 5000 });
    expect((await refund(paymentId, 1)).statusCode).toBe(409);
    const one = await app.inject({ url: `/api/v1/admin/payments/${paymentId}`, headers: bearer(admin) });
    expect(one.statusCode).toBe(200);
    expect(one.json().refunds.map((r: { amountCents: number }) => r.amountCents)).toEqual([2000, 3000]);
  });

  it('answers a repeated refund with the same Idempotency-Key once (200, same refund)', async () => {
    const { paymentId } = await captured(5000);
    const key = randomUUID();
    const first = await refund(paymentId, 1000, admin, { 'idempotency-key': key });
    const again = await refund(paymentId, 1000, admin, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().refundId).toBe(first.json().refundId);
    expect(again.json().refundedCents).toBe(1000);
    expect((await refund(paymentId, 999, admin, { 'idempotency-key': key })).statusCode).toBe(422);
  });

  it('serializes concurrent refunds: their sum never exceeds the capture', async () => {
    const { paymentId } = await captured(1000);
    const results = await Promise.all(Array.from({ length: 6 }, () => refund(paymentId, 300)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(3);
  });

  it('refuses to refund a payment that was not captured', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    expect((await refund(paymentId, 100)).statusCode).toBe(409);
  });

  it('validates the refund body and the id', async () => {
    const { paymentId } = await captured();
    for (const amount of [0, -1, 'ten', 1.5, null]) {
      const res = await refund(paymentId, amount);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].path).toContain('body/amountCents');
    }
    const extra = await app.inject({
      method: 'POST',
      url: `/api/v1/admin/payments/${paymentId}/refunds`,
      headers: bearer(admin),
      payload: { amountCents: 1, reason: 'x' },
    });
    expect(extra.statusCode).toBe(400);
    expect((await refund('nope', 1)).statusCode).toBe(400);
    expect((await refund(randomUUID(), 1)).statusCode).toBe(404);
  });

  it('needs a token (401) and the admin role (403); another tenant gets 404', async () => {
    const { paymentId, orderId } = await captured();
    const anonymous = await app.inject({
      method: 'POST',
      url: `/api/v1/admin/payments/${paymentId}/refunds`,
      payload: { amountCents: 1 },
    });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['content-type']).toContain('application/problem+json');
    expect((await refund(paymentId, 1, customer)).statusCode).toBe(403);
    expect(
      (await app.inject({ url: `/api/v1/admin/payments/${paymentId}`, headers: bearer(customer) }))
        .statusCode,
    ).toBe(403);
    expect((await refund(paymentId, 1, otherAdmin)).statusCode).toBe(404);
    expect(
      (await app.inject({ url: `/api/v1/admin/payments/${paymentId}`, headers: bearer(otherAdmin) }))
        .statusCode,
    ).toBe(404);
    const list = await app.inject({
      url: `/api/v1/admin/payments?orderId=${orderId}`,
      headers: bearer(otherAdmin),
    });
    expect(list.json().items).toEqual([]);
  });

  it('lists payments by order or the most recent', async () => {
    const { orderId, paymentId } = await captured();
    const byOrder = await app.inject({
      url: `/api/v1/admin/payments?orderId=${orderId}`,
      headers: bearer(admin),
    });
    expect(byOrder.json().items.map((p: { paymentId: string }) => p.paymentId)).toEqual([paymentId]);
    const recent = await app.inject({ url: '/api/v1/admin/payments?limit=2', headers: bearer(admin) });
    expect(recent.json().items).toHaveLength(2);
    expect(
      (await app.inject({ url: '/api/v1/admin/payments?limit=0', headers: bearer(admin) })).statusCode,
    ).toBe(400);
  });
});

describe('POST /api/v1/payments/provider-callbacks', () => {
  function callback(
    body: unknown,
    sign: { secret?: string; t?: number; raw?: string; header?: string | null } = {},
  ) {
    const raw = sign.raw ?? JSON.stringify(body);
    const header =
      sign.header === null
        ? undefined
        : (sign.header ?? signatureHeader(sign.secret ?? SECRET, sign.t ?? clock, raw));
    return app.inject({
      method: 'POST',
      url: '/api/v1/payments/provider-callbacks',
      headers: { 'content-type': 'application/json', ...(header ? { 'x-provider-signature': header } : {}) },
      payload: raw,
    });
  }

  it('applies a signed event once; a redelivery is recognised', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    const event = {
      id: `evt_${randomUUID()}`,
      type: 'payment.captured',
      data: { paymentId, tenantId: TENANT },
    };
    const first = await callback(event);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ eventId: event.id, outcome: 'applied', paymentStatus: 'CAPTURED' });
    const again = await callback(event);
    expect(again.json()).toMatchObject({ outcome: 'duplicate', paymentStatus: 'CAPTURED' });
    const refundEvent = {
      id: `evt_${randomUUID()}`,
      type: 'payment.refunded',
      data: { paymentId, tenantId: TENANT, amountCents: 490 },
    };
    expect((await callback(refundEvent)).json()).toMatchObject({
      outcome: 'applied',
      paymentStatus: 'PARTIALLY_REFUNDED',
    });
    expect((await callback(refundEvent)).json().outcome).toBe('duplicate');
    const [row] = await db.query<{ refunded_cents: number }>(
      'SELECT refunded_cents FROM payments WHERE id = $1',
      [paymentId],
    );
    expect(row?.refunded_cents).toBe(490);
  });

  it('flags a provider refund or void of a payment for reconciliation with its order', async () => {
    const orderId = randomUUID();
    const { paymentId } = (await authorize(orderId)).json();
    await internal('POST', `/internal/payments/${paymentId}/capture`);
    const refund = {
      id: `evt_${randomUUID()}`,
      type: 'payment.refunded',
      data: { paymentId, tenantId: TENANT },
    };
    expect((await callback(refund)).json()).toMatchObject({ outcome: 'applied', paymentStatus: 'REFUNDED' });
    expect((await callback(refund)).json().outcome).toBe('duplicate');
    const voidedOrder = randomUUID();
    const voided = (await authorize(voidedOrder)).json().paymentId;
    const voidEvent = {
      id: `evt_${randomUUID()}`,
      type: 'payment.voided',
      data: { paymentId: voided, tenantId: TENANT },
    };
    expect((await callback(voidEvent)).json().outcome).toBe('applied');

    const res = await app.inject({
      url: '/api/v1/admin/payments/reconciliation-flags',
      headers: bearer(admin),
    });
    expect(res.statusCode).toBe(200);
    const mine = res
      .json()
      .items.filter((f: { paymentId: string }) => f.paymentId === paymentId || f.paymentId === voided);
    expect(mine).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          paymentId,
          orderId,
          reason: 'PROVIDER_REFUND',
          amountCents: 2490,
          paymentStatus: 'REFUNDED',
          eventId: refund.id,
        }),
        expect.objectContaining({
          paymentId: voided,
          orderId: voidedOrder,
          reason: 'PROVIDER_VOID',
          paymentStatus: 'VOIDED',
          eventId: voidEvent.id,
        }),
      ]),
    );
    // One flag per event, whatever the redeliveries; another tenant sees none of them; customers none at all.
    expect(mine).toHaveLength(2);
    const other = await app.inject({
      url: '/api/v1/admin/payments/reconciliation-flags',
      headers: bearer(otherAdmin),
    });
    expect(other.json().items).toEqual([]);
    const forbidden = await app.inject({
      url: '/api/v1/admin/payments/reconciliation-flags',
      headers: bearer(customer),
    });
    expect(forbidden.statusCode).toBe(403);
  });

  it('records an event that no longer fits the payment as ignored', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    await internal('POST', `/internal/payments/${paymentId}/void`);
    const res = await callback({
      id: `evt_${randomUUID()}`,
      type: 'payment.captured',
      data: { paymentId, tenantId: TENANT },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ outcome: 'ignored', paymentStatus: 'VOIDED' });
  });

  it('rejects a missing, wrong or expired signature with 401 before looking at the body', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    const event = {
      id: `evt_${randomUUID()}`,
      type: 'payment.voided',
      data: { paymentId, tenantId: TENANT },
    };
    const cases = [
      callback(event, { header: null }),
      callback(event, { secret: 'another-secret-0123456789' }),
      callback(event, { t: clock - 301 }),
      callback(event, { header: 't=1,v1=zz' }),
      callback({ not: 'an event' }, { header: null }),
      callback(event, {
        header: signatureHeader(SECRET, clock, JSON.stringify({ ...event, type: 'payment.captured' })),
      }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('UNAUTHENTICATED');
    }
    const empty = await app.inject({ method: 'POST', url: '/api/v1/payments/provider-callbacks' });
    expect(empty.statusCode).toBe(401);
    const list = await internal(
      'GET',
      `/internal/payments?orderId=${(await db.query<{ order_id: string }>('SELECT order_id FROM payments WHERE id = $1', [paymentId]))[0]?.order_id}`,
    );
    expect(list.json().items[0].status).toBe('AUTHORIZED');
  });

  it('accepts a signature from within the tolerance window', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    const res = await callback(
      { id: `evt_${randomUUID()}`, type: 'payment.voided', data: { paymentId, tenantId: TENANT } },
      { t: clock - 299 },
    );
    expect(res.json()).toMatchObject({ outcome: 'applied', paymentStatus: 'VOIDED' });
  });

  it('answers a NUL character in a signed event or an authorization with 400 naming it', async () => {
    const { paymentId } = (await authorize(randomUUID())).json();
    const res = await callback({
      id: 'evt_\u0000',
      type: 'payment.voided',
      data: { paymentId, tenantId: TENANT },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { path: 'body/id', message: 'must not contain the NUL character (U+0000)' },
    ]);
    const auth = await authorize(randomUUID(), 'tok_\u0000');
    expect(auth.statusCode).toBe(400);
    expect(auth.json().errors).toEqual([
      { path: 'body/token', message: 'must not contain the NUL character (U+0000)' },
    ]);
  });

  it('answers a signed but malformed or invalid body with 400, and an unknown payment with 404', async () => {
    expect((await callback(undefined, { raw: '{"id": ' })).statusCode).toBe(400);
    const invalid = await callback({
      id: 'evt_x',
      type: 'payment.exploded',
      data: { paymentId: randomUUID(), tenantId: TENANT },
    });
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().errors.map((e: { path: string }) => e.path)).toContainEqual('body/type');
    const unknown = await callback({
      id: `evt_${randomUUID()}`,
      type: 'payment.voided',
      data: { paymentId: randomUUID(), tenantId: TENANT },
    });
    expect(unknown.statusCode).toBe(404);
    const { paymentId } = (await authorize(randomUUID())).json();
    const foreign = await callback({
      id: `evt_${randomUUID()}`,
      type: 'payment.voided',
      data: { paymentId, tenantId: OTHER_TENANT },
    });
    expect(foreign.statusCode).toBe(404);
  });
});

describe('card data', () => {
  it('never stores or logs a card token', async () => {
    const rows = await db.query<{ doc: string }>('SELECT row_to_json(p)::text AS doc FROM payments p');
    expect(rows.length).toBeGreaterThan(0);
    for (const token of ['tok_ok', 'tok_declined', 'tok_slow', 'tok_4000000000000002']) {
      expect(rows.some((r) => r.doc.includes(token))).toBe(false);
      expect(logLines.join('\n')).not.toContain(token);
    }
    // Not even a piece of it: the last characters of a token are part of the secret, not a card's last 4.
    const logged = logLines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.some((l) => 'last4' in l || 'cardLast4' in l)).toBe(false);
    expect(logLines.some((l) => l.includes('authorization decided'))).toBe(true);
  });
});

describe('probes', () => {
  it('is ready when its database is', async () => {
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toEqual({ db: 'ok' });
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/internal/payments/authorize',
        '/api/v1/admin/payments/{id}/refunds',
        '/api/v1/payments/provider-callbacks',
      ]),
    );
  });
});
