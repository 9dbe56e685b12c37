import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@glassbox/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import {
  type Harness,
  INTERNAL_TOKEN,
  internalHeaders,
  newProduct,
  newTenant,
  startInventory,
  stockRow,
} from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startInventory();
});
afterAll(async () => {
  await h?.close();
});

const token = (tenantId: string, role: 'admin' | 'customer' = 'admin') =>
  h.keys.sign({ userId: randomUUID(), tenantId, roles: [role] });

async function put(
  tenantId: string,
  productId: string,
  payload: unknown,
  role: 'admin' | 'customer' = 'admin',
) {
  return h.app.inject({
    method: 'PUT',
    url: `/api/v1/admin/stock/${productId}`,
    headers: { authorization: `Bearer ${await token(tenantId, role)}` },
    payload: payload as Record<string, unknown>,
  });
}

async function get(tenantId: string, productId: string, role: 'admin' | 'customer' = 'admin') {
  return h.app.inject({
    method: 'GET',
    url: `/api/v1/admin/stock/${productId}`,
    headers: { authorization: `Bearer ${await token(tenantId, role)}` },
  });
}

function expectProblem(response: { statusCode: number; headers: Record<string, unknown> }, status: number) {
  expect(response.statusCode).toBe(status);
  expect(response.headers['content-type']).toContain('application/problem+json');
}

describe('admin stock', () => {
  it('PUT creates and then replaces the units on hand; GET reads them', async () => {
    const tenant = newTenant();
    const p = await h.product(tenant);
    const created = await put(tenant, p, { onHand: 12 });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toEqual({ productId: p, onHand: 12, reserved: 0, available: 12 });
    const replaced = await put(tenant, p, { onHand: 30 });
    expect(replaced.json()).toEqual({ productId: p, onHand: 30, reserved: 0, available: 30 });
    const read = await get(tenant, p);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ productId: p, onHand: 30, reserved: 0, available: 30 });
  });

  it('the stock an admin sets is what reservations can take', async () => {
    const tenant = newTenant();
    const p = await h.product(tenant);
    await put(tenant, p, { onHand: 5 });
    const reserve = await h.app.inject({
      method: 'POST',
      url: '/internal/reservations',
      headers: internalHeaders(tenant),
      payload: { reservationId: randomUUID(), orderId: 'o', items: [{ productId: p, quantity: 4 }] },
    });
    expect(reserve.statusCode).toBe(201);
    expect((await get(tenant, p)).json()).toEqual({ productId: p, onHand: 5, reserved: 4, available: 1 });

    // Never below what is reserved: 409 naming what is held.
    const below = await put(tenant, p, { onHand: 3 });
    expectProblem(below, 409);
    expect(below.json()).toMatchObject({ code: 'CONFLICT', productId: p, reserved: 4 });
    expect((await get(tenant, p)).json().onHand).toBe(5);
    expect((await put(tenant, p, { onHand: 4 })).json()).toEqual({
      productId: p,
      onHand: 4,
      reserved: 4,
      available: 0,
    });
  });

  it('an unknown product has no stock (404); so does another tenant’s', async () => {
    const owner = newTenant();
    const p = await h.product(owner);
    await put(owner, p, { onHand: 9 });
    expectProblem(await get(newTenant(), p), 404);
    expectProblem(await get(owner, newProduct()), 404);
  });

  it('PUT refuses stock for a product the catalog does not have (404), or has in another tenant', async () => {
    const owner = newTenant();
    const unknown = newProduct();
    const res = await put(owner, unknown, { onHand: 5 });
    expectProblem(res, 404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', detail: `no product ${unknown} in the catalog` });
    const p = await h.product(owner);
    expectProblem(await put(newTenant(), p, { onHand: 1 }), 404);
    const rows = await h.db.query('SELECT 1 FROM stock WHERE product_id = ANY($1::uuid[])', [[unknown, p]]);
    expect(rows).toEqual([]);
  });

  it('PUT answers 503 when the catalog cannot say whether the product exists, and creates nothing', async () => {
    const tenant = newTenant();
    const p = await h.product(tenant);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const cut = await buildApp({
      db: h.db,
      logger: createLogger('inventory', 'silent'),
      internalToken: INTERNAL_TOKEN,
      auth: { keys: h.keys.keys },
      catalogUrl: `http://127.0.0.1:${port}`,
      reservationTtlSeconds: 900,
    });
    try {
      const res = await cut.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/stock/${p}`,
        headers: { authorization: `Bearer ${await token(tenant)}` },
        payload: { onHand: 5 },
      });
      expectProblem(res, 503);
      expect(res.json().code).toBe('UPSTREAM_UNAVAILABLE');
      expect(await stockRow(h.db, tenant, p)).toBeUndefined();
    } finally {
      await cut.app.close();
    }
  });

  it('401 without or with a bad token, 403 for a customer', async () => {
    const tenant = newTenant();
    const p = newProduct();
    const none = await h.app.inject({ method: 'GET', url: `/api/v1/admin/stock/${p}` });
    expectProblem(none, 401);
    const bad = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/stock/${p}`,
      headers: { authorization: 'Bearer not.a.jwt' },
      payload: { onHand: 1 },
    });
    expectProblem(bad, 401);
    const expired = await h.keys.sign({ userId: randomUUID(), tenantId: tenant, roles: ['admin'] }, -10);
    expectProblem(
      await h.app.inject({
        method: 'GET',
        url: `/api/v1/admin/stock/${p}`,
        headers: { authorization: `Bearer ${expired}` },
      }),
      401,
    );
    const internalOnly = await h.app.inject({
      method: 'GET',
      url: `/api/v1/admin/stock/${p}`,
      headers: internalHeaders(tenant),
    });
    expectProblem(internalOnly, 401);
    const customerRead = await get(tenant, p, 'customer');
    expectProblem(customerRead, 403);
    expect(customerRead.json().code).toBe('FORBIDDEN');
    expectProblem(await put(tenant, p, { onHand: 1 }, 'customer'), 403);
  });

  const badBodies: [string, unknown, string][] = [
    ['missing onHand', {}, 'onHand'],
    ['negative onHand', { onHand: -1 }, 'onHand'],
    ['fractional onHand', { onHand: 2.5 }, 'onHand'],
    ['wrong-typed onHand', { onHand: 'lots' }, 'onHand'],
    ['extra field', { onHand: 1, reserved: 0 }, 'reserved'],
  ];
  for (const [name, payload, field] of badBodies) {
    it(`PUT 400 naming the field: ${name}`, async () => {
      const response = await put(newTenant(), newProduct(), payload);
      expectProblem(response, 400);
      expect(response.json().code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(response.json().errors)).toContain(field);
    });
  }

  it('PUT 400 for malformed JSON and for a malformed product id', async () => {
    const tenant = newTenant();
    const malformed = await h.app.inject({
      method: 'PUT',
      url: `/api/v1/admin/stock/${newProduct()}`,
      headers: { authorization: `Bearer ${await token(tenant)}`, 'content-type': 'application/json' },
      payload: '{"onHand":',
    });
    expectProblem(malformed, 400);
    const badId = await put(tenant, 'not-a-uuid', { onHand: 1 });
    expectProblem(badId, 400);
    expect(badId.json().detail).toContain('productId');
  });
});

describe('probes and documents', () => {
  it('serves /healthz, /readyz (with the db check) and an OpenAPI document listing the routes', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ db: 'ok' });
    const openapi = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/internal/reservations',
        '/internal/reservations/{id}/commit',
        '/internal/reservations/{id}/release',
        '/internal/stock/{productId}',
        '/api/v1/admin/stock/{productId}',
      ]),
    );
  });

  it('answers unknown routes with a 404 problem', async () => {
    expectProblem(await h.app.inject({ method: 'GET', url: '/api/v1/products/x/availability' }), 404);
  });
});
