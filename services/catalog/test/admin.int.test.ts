import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  expectProblemShape,
  type Harness,
  internalHeaders,
  newProductBody,
  newTenant,
  startCatalog,
} from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startCatalog();
});
afterAll(async () => {
  await h?.close();
});

async function create(tenant: string, payload: unknown, headers: Record<string, string> = {}) {
  return h.app.inject({
    method: 'POST',
    url: '/api/v1/admin/products',
    headers: { ...(await bearer(h, tenant, 'admin')), ...headers },
    payload: payload as Record<string, unknown>,
  });
}

async function patch(tenant: string, id: string, payload: unknown, role: 'admin' | 'customer' = 'admin') {
  return h.app.inject({
    method: 'PATCH',
    url: `/api/v1/admin/products/${id}`,
    headers: await bearer(h, tenant, role),
    payload: payload as Record<string, unknown>,
  });
}

async function remove(tenant: string, id: string, role: 'admin' | 'customer' = 'admin') {
  return h.app.inject({
    method: 'DELETE',
    url: `/api/v1/admin/products/${id}`,
    headers: await bearer(h, tenant, role),
  });
}

async function read(tenant: string, id: string) {
  return h.app.inject({ method: 'GET', url: `/api/v1/products/${id}`, headers: await bearer(h, tenant) });
}

describe('POST /api/v1/admin/products', () => {
  it('creates a product: 201, Location, the full product; it is then listed and readable', async () => {
    const tenant = newTenant();
    const body = newProductBody({
      name: 'Moka Pot',
      description: 'Stovetop, 6 cups',
      category: 'equipment',
      priceCents: 3490,
    });
    const response = await create(tenant, body);
    expect(response.statusCode).toBe(201);
    const product = response.json();
    expect(product).toMatchObject({ ...body });
    expect(product.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.headers.location).toBe(`/api/v1/products/${product.id}`);
    expect((await read(tenant, product.id)).json()).toEqual(product);
    const listed = await h.app.inject({
      method: 'GET',
      url: '/api/v1/products',
      headers: await bearer(h, tenant),
    });
    expect(listed.json().items).toEqual([
      { id: product.id, sku: body.sku, name: 'Moka Pot', priceCents: 3490, currency: 'EUR' },
    ]);
  });

  it('description and category are optional (null when absent)', async () => {
    const response = await create(newTenant(), {
      sku: 'MIN-1',
      name: 'Minimal',
      priceCents: 0,
      currency: 'USD',
    });
    expect(response.statusCode).toBe(201);
    expect(response.json()).toMatchObject({
      description: null,
      category: null,
      priceCents: 0,
      currency: 'USD',
    });
  });

  it('a SKU names one product per tenant, whatever its case (409); other tenants may use it', async () => {
    const tenant = newTenant();
    expect((await create(tenant, newProductBody({ sku: 'DUP-1' }))).statusCode).toBe(201);
    const dup = await create(tenant, newProductBody({ sku: 'dup-1' }));
    expectProblemShape(dup, 409, 'ALREADY_EXISTS');
    expect(dup.json().sku).toBe('dup-1');
    expect((await create(newTenant(), newProductBody({ sku: 'DUP-1' }))).statusCode).toBe(201);
  });

  it('with an Idempotency-Key: the same body answers the same product (200), another body is 422', async () => {
    const tenant = newTenant();
    const key = randomUUID();
    const body = newProductBody();
    const first = await create(tenant, body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(201);
    const again = await create(tenant, { ...body }, { 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const other = await create(
      tenant,
      { ...body, priceCents: body.priceCents + 1 },
      { 'idempotency-key': key },
    );
    expectProblemShape(other, 422, 'IDEMPOTENCY_KEY_REUSED');
    // The key belongs to the tenant: another tenant's identical key creates its own product.
    const elsewhere = await create(newTenant(), body, { 'idempotency-key': key });
    expect(elsewhere.statusCode).toBe(201);
    expect(elsewhere.json().id).not.toBe(first.json().id);
  });

  it('concurrent creates with one Idempotency-Key make one product', async () => {
    const tenant = newTenant();
    const key = randomUUID();
    const body = newProductBody();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => create(tenant, body, { 'idempotency-key': key })),
    );
    const codes = responses.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(1);
    expect(codes.filter((c) => c === 200)).toHaveLength(7);
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
  });

  it('a failed create does not use up its Idempotency-Key', async () => {
    const tenant = newTenant();
    await create(tenant, newProductBody({ sku: 'TAKEN' }));
    const key = randomUUID();
    expectProblemShape(
      await create(tenant, newProductBody({ sku: 'TAKEN' }), { 'idempotency-key': key }),
      409,
    );
    expect(
      (await create(tenant, newProductBody({ sku: 'FREE' }), { 'idempotency-key': key })).statusCode,
    ).toBe(201);
  });

  const badBodies: [string, Record<string, unknown> | unknown[], string][] = [
    ['missing sku', { name: 'x', priceCents: 1, currency: 'EUR' }, 'sku'],
    ['missing name', { sku: 'S', priceCents: 1, currency: 'EUR' }, 'name'],
    ['missing priceCents', { sku: 'S', name: 'x', currency: 'EUR' }, 'priceCents'],
    ['missing currency', { sku: 'S', name: 'x', priceCents: 1 }, 'currency'],
    ['lower-case currency', newProductBody({ currency: 'eur' }), 'currency'],
    ['negative price', newProductBody({ priceCents: -1 }), 'priceCents'],
    ['a price no payment can take', newProductBody({ priceCents: 10_000_000_001 }), 'priceCents'],
    ['fractional price', newProductBody({ priceCents: 9.99 }), 'priceCents'],
    ['wrong-typed price', newProductBody({ priceCents: 'cheap' }), 'priceCents'],
    ['blank name', newProductBody({ name: '   ' }), 'name'],
    ['SKU with spaces', newProductBody({ sku: 'A B' }), 'sku'],
    ['wrong-typed category', newProductBody({ category: { name: 'x' } }), 'category'],
    ['extra field', newProductBody({ stock: 10 }), 'stock'],
    ['an array', [newProductBody()], 'body'],
  ];
  for (const [name, payload, field] of badBodies) {
    it(`400 problem naming the field: ${name}`, async () => {
      const response = await create(newTenant(), payload);
      expectProblemShape(response, 400, 'VALIDATION_FAILED');
      expect(`${response.json().detail} ${JSON.stringify(response.json().errors)}`).toContain(field);
    });
  }

  it('400 naming the field for a NUL character in any text, on create and on change', async () => {
    const tenant = newTenant();
    for (const [field, value] of [
      ['name', 'Mug\u0000'],
      ['description', 'a\u0000b'],
      ['category', '\u0000'],
    ] as const) {
      const response = await create(tenant, newProductBody({ [field]: value }));
      expectProblemShape(response, 400, 'VALIDATION_FAILED');
      expect(response.json().errors).toEqual([
        { path: `body/${field}`, message: 'must not contain the NUL character (U+0000)' },
      ]);
    }
    const made = await create(tenant, newProductBody());
    expect(made.statusCode).toBe(201);
    const changed = await patch(tenant, made.json().id, { description: 'x\u0000' });
    expectProblemShape(changed, 400, 'VALIDATION_FAILED');
    expect(changed.json().errors).toEqual([
      { path: 'body/description', message: 'must not contain the NUL character (U+0000)' },
    ]);
  });

  it('400 for malformed JSON and for an empty Idempotency-Key', async () => {
    const tenant = newTenant();
    const malformed = await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: { ...(await bearer(h, tenant, 'admin')), 'content-type': 'application/json' },
      payload: '{"sku": "A",',
    });
    expectProblemShape(malformed, 400);
    const emptyKey = await create(tenant, newProductBody(), { 'idempotency-key': '' });
    expectProblemShape(emptyKey, 400);
    expect(emptyKey.json().detail).toContain('idempotency-key');
  });

  it('401 without a token, 403 for a customer', async () => {
    const tenant = newTenant();
    expectProblemShape(
      await h.app.inject({ method: 'POST', url: '/api/v1/admin/products', payload: newProductBody() }),
      401,
      'UNAUTHENTICATED',
    );
    const customer = await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: await bearer(h, tenant, 'customer'),
      payload: newProductBody(),
    });
    expectProblemShape(customer, 403, 'FORBIDDEN');
    const internal = await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: internalHeaders(tenant),
      payload: newProductBody(),
    });
    expectProblemShape(internal, 401);
  });
});

describe('PATCH /api/v1/admin/products/{id}', () => {
  it('changes only the given fields; null clears description and category', async () => {
    const tenant = newTenant();
    const product = (await create(tenant, newProductBody())).json();
    const changed = await patch(tenant, product.id, { priceCents: 4200, name: 'Renamed', category: null });
    expect(changed.statusCode).toBe(200);
    const after = changed.json();
    expect(after).toMatchObject({
      id: product.id,
      sku: product.sku,
      name: 'Renamed',
      priceCents: 4200,
      category: null,
      description: product.description,
    });
    expect(Date.parse(after.updatedAt)).toBeGreaterThanOrEqual(Date.parse(product.updatedAt));
    expect((await read(tenant, product.id)).json()).toEqual(after);
    // The internal pricing view sees the new price at once.
    const priced = await h.app.inject({
      method: 'GET',
      url: `/internal/products?ids=${product.id}`,
      headers: internalHeaders(tenant),
    });
    expect(priced.json().items[0].priceCents).toBe(4200);
  });

  it('409 when the new SKU is taken; 404 for unknown or foreign products', async () => {
    const tenant = newTenant();
    const a = (await create(tenant, newProductBody({ sku: 'SKU-A' }))).json();
    await create(tenant, newProductBody({ sku: 'SKU-B' }));
    expectProblemShape(await patch(tenant, a.id, { sku: 'sku-b' }), 409, 'ALREADY_EXISTS');
    expect((await patch(tenant, a.id, { sku: 'SKU-A2' })).json().sku).toBe('SKU-A2');
    expectProblemShape(await patch(tenant, randomUUID(), { name: 'x' }), 404, 'NOT_FOUND');
    expectProblemShape(await patch(newTenant(), a.id, { name: 'stolen' }), 404, 'NOT_FOUND');
    expect((await read(tenant, a.id)).json().name).toBe(a.name);
  });

  const badPatches: [string, Record<string, unknown>, string][] = [
    ['empty body', {}, 'body'],
    ['extra field', { name: 'x', id: randomUUID() }, 'id'],
    ['null name', { name: null }, 'name'],
    ['wrong-typed price', { priceCents: '12' + 'x' }, 'priceCents'],
    ['bad currency', { currency: 'EURO' }, 'currency'],
  ];
  for (const [name, payload, field] of badPatches) {
    it(`400 problem naming the field: ${name}`, async () => {
      const tenant = newTenant();
      const product = (await create(tenant, newProductBody())).json();
      const response = await patch(tenant, product.id, payload);
      expectProblemShape(response, 400, 'VALIDATION_FAILED');
      expect(`${response.json().detail} ${JSON.stringify(response.json().errors)}`).toContain(field);
    });
  }

  it('400 for a malformed id; 401 without a token; 403 for a customer', async () => {
    const tenant = newTenant();
    const product = (await create(tenant, newProductBody())).json();
    expectProblemShape(await patch(tenant, 'nope', { name: 'x' }), 400);
    expectProblemShape(
      await h.app.inject({
        method: 'PATCH',
        url: `/api/v1/admin/products/${product.id}`,
        payload: { name: 'x' },
      }),
      401,
    );
    expectProblemShape(await patch(tenant, product.id, { name: 'x' }, 'customer'), 403);
  });
});

describe('DELETE /api/v1/admin/products/{id}', () => {
  it('removes the product from reads, listings and pricing; its SKU becomes free', async () => {
    const tenant = newTenant();
    const product = (await create(tenant, newProductBody({ sku: 'GONE-1' }))).json();
    const response = await remove(tenant, product.id);
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expectProblemShape(await read(tenant, product.id), 404);
    const listed = await h.app.inject({
      method: 'GET',
      url: '/api/v1/products',
      headers: await bearer(h, tenant),
    });
    expect(listed.json().items).toEqual([]);
    const priced = await h.app.inject({
      method: 'GET',
      url: `/internal/products?ids=${product.id}`,
      headers: internalHeaders(tenant),
    });
    expect(priced.json().items).toEqual([]);
    expectProblemShape(await remove(tenant, product.id), 404);
    expectProblemShape(await patch(tenant, product.id, { name: 'x' }), 404);
    expect((await create(tenant, newProductBody({ sku: 'GONE-1' }))).statusCode).toBe(201);
  });

  it("404 for another tenant's product (which stays); 403 for a customer; 401 without a token", async () => {
    const tenant = newTenant();
    const product = (await create(tenant, newProductBody())).json();
    expectProblemShape(await remove(newTenant(), product.id), 404);
    expectProblemShape(await remove(tenant, product.id, 'customer'), 403);
    expectProblemShape(
      await h.app.inject({ method: 'DELETE', url: `/api/v1/admin/products/${product.id}` }),
      401,
    );
    expect((await read(tenant, product.id)).statusCode).toBe(200);
  });

  it('replaying a create whose product was deleted is 404', async () => {
    const tenant = newTenant();
    const key = randomUUID();
    const body = newProductBody();
    const product = (await create(tenant, body, { 'idempotency-key': key })).json();
    await remove(tenant, product.id);
    expectProblemShape(await create(tenant, body, { 'idempotency-key': key }), 404);
  });
});
