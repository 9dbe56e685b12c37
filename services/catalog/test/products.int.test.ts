import { randomUUID } from 'node:crypto';
import { DEMO_PRODUCTS, DEMO_TENANT } from '@glassbox/contracts';
import { createLogger } from '@glassbox/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../src/domain/cursor.js';
import { seed } from '../src/seed.js';
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
let demoAuth: Record<string, string>;
beforeAll(async () => {
  h = await startCatalog();
  await seed({ db: h.db, logger: createLogger('catalog', 'silent') });
  demoAuth = await bearer(h, DEMO_TENANT.id);
});
afterAll(async () => {
  await h?.close();
});

interface Summary {
  id: string;
  sku: string;
  name: string;
  priceCents: number;
  currency: string;
}
interface Page {
  items: Summary[];
  nextCursor: string | null;
}

async function list(query: string, headers = demoAuth) {
  return h.app.inject({ method: 'GET', url: `/api/v1/products${query}`, headers });
}

async function listAll(
  query: string,
  limit: number,
  headers = demoAuth,
): Promise<{ items: Summary[]; pages: number }> {
  const items: Summary[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = query ? '&' : '?';
    const response = await list(
      `${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      headers,
    );
    expect(response.statusCode).toBe(200);
    const page = response.json() as Page;
    expect(page.items.length).toBeLessThanOrEqual(limit);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor && pages < 100);
  return { items, pages };
}

const byName = [...DEMO_PRODUCTS].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

describe('GET /api/v1/products', () => {
  it('lists the seeded catalog by name with the summary fields (default limit 20)', async () => {
    const response = await list('');
    expect(response.statusCode).toBe(200);
    const page = response.json() as Page;
    expect(page.nextCursor).toBeNull();
    expect(page.items).toHaveLength(DEMO_PRODUCTS.length);
    expect(page.items.map((p) => p.name)).toEqual(byName.map((p) => p.name));
    const first = byName[0]!;
    expect(page.items[0]).toEqual({
      id: first.id,
      sku: first.sku,
      name: first.name,
      priceCents: first.priceCents,
      currency: 'EUR',
    });
  });

  it('pages with an opaque cursor: every product exactly once, in order, and no cursor after the last page', async () => {
    const { items, pages } = await listAll('', 5);
    expect(pages).toBe(3);
    expect(items.map((p) => p.id)).toEqual(byName.map((p) => p.id));
  });

  it('breaks ties between equal names by id, so paging never skips or repeats', async () => {
    const tenant = newTenant();
    const admin = await bearer(h, tenant, 'admin');
    for (let i = 0; i < 7; i++) {
      const created = await h.app.inject({
        method: 'POST',
        url: '/api/v1/admin/products',
        headers: admin,
        payload: newProductBody({ name: 'Same Name' }),
      });
      expect(created.statusCode).toBe(201);
    }
    const auth = await bearer(h, tenant);
    const { items } = await listAll('', 2, auth);
    expect(items).toHaveLength(7);
    expect(new Set(items.map((p) => p.id)).size).toBe(7);
    expect(items.map((p) => p.id)).toEqual([...items.map((p) => p.id)].sort());
  });

  it('keeps its place when products are added before the cursor while paging', async () => {
    const tenant = newTenant();
    const admin = await bearer(h, tenant, 'admin');
    const auth = await bearer(h, tenant);
    for (const name of ['B', 'C', 'D', 'E']) {
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/admin/products',
        headers: admin,
        payload: newProductBody({ name }),
      });
    }
    const first = (await list('?limit=2', auth)).json() as Page;
    expect(first.items.map((p) => p.name)).toEqual(['B', 'C']);
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: admin,
      payload: newProductBody({ name: 'A' }),
    });
    const second = (await list(`?limit=2&cursor=${first.nextCursor}`, auth)).json() as Page;
    expect(second.items.map((p) => p.name)).toEqual(['D', 'E']);
    expect(second.nextCursor).toBeNull();
  });

  it('searches name, SKU and description case-insensitively', async () => {
    const names = async (search: string) =>
      ((await list(`?search=${encodeURIComponent(search)}`)).json() as Page).items.map((p) => p.name);
    expect(await names('GRINDER')).toEqual(['Burr Grinder']);
    expect(await names('gb-tea')).toEqual(
      byName.filter((p) => p.sku.startsWith('GB-TEA')).map((p) => p.name),
    );
    expect(await names('bergamot')).toEqual(['Earl Grey 250g']);
    expect(await names('  earl   grey ')).toEqual(['Earl Grey 250g']);
    expect(await names('no such thing')).toEqual([]);
    expect(await names('')).toHaveLength(DEMO_PRODUCTS.length);
  });

  it('matches search text literally (LIKE wildcards are not wildcards)', async () => {
    const tenant = newTenant();
    const admin = await bearer(h, tenant, 'admin');
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: admin,
      payload: newProductBody({ name: '100% Arabica' }),
    });
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: admin,
      payload: newProductBody({ name: '1000 Filters' }),
    });
    const auth = await bearer(h, tenant);
    const found = (await list(`?search=${encodeURIComponent('100%')}`, auth)).json() as Page;
    expect(found.items.map((p) => p.name)).toEqual(['100% Arabica']);
    const underscore = (await list('?search=_', auth)).json() as Page;
    expect(underscore.items).toEqual([]);
  });

  it('pages through search results', async () => {
    const { items } = await listAll('?search=tea', 1);
    const expected = byName
      .filter((p) => /tea/i.test(`${p.name} ${p.sku} ${p.description}`))
      .map((p) => p.id);
    expect(expected.length).toBeGreaterThan(1);
    expect(items.map((p) => p.id)).toEqual(expected);
  });

  it('filters by category', async () => {
    const page = (await list('?category=equipment')).json() as Page;
    expect(page.items.map((p) => p.id)).toEqual(
      byName.filter((p) => p.category === 'equipment').map((p) => p.id),
    );
  });

  it("shows only the caller's tenant", async () => {
    const page = (await list('', await bearer(h, newTenant()))).json() as Page;
    expect(page).toEqual({ items: [], nextCursor: null });
  });

  const badQueries: [string, string][] = [
    ['?limit=0', 'limit'],
    ['?limit=101', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=2.5', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${Buffer.from('{"v":1,"n":"x","i":"nope"}').toString('base64url')}`, 'cursor'],
    ['?sort=price', 'sort'],
    [`?search=${'x'.repeat(201)}`, 'search'],
  ];
  for (const [query, field] of badQueries) {
    it(`400 problem naming the parameter: ${query.slice(0, 40)}`, async () => {
      const response = await list(query);
      expectProblemShape(response, 400, 'VALIDATION_FAILED');
      expect(`${response.json().detail} ${JSON.stringify(response.json().errors)}`).toContain(field);
    });
  }

  it('refuses a NUL character in the search text with a 400 naming it (PostgreSQL cannot store it)', async () => {
    const response = await list('?search=%00');
    expectProblemShape(response, 400, 'VALIDATION_FAILED');
    expect(response.json().errors).toEqual([
      { path: 'querystring/search', message: 'must not contain the NUL character (U+0000)' },
    ]);
  });

  it('accepts a cursor made for another tenant harmlessly (it is only a position)', async () => {
    const cursor = encodeCursor({ name: 'M', id: randomUUID() });
    const page = (await list(`?cursor=${cursor}`)).json() as Page;
    expect(page.items.map((p) => p.name)).toEqual(byName.filter((p) => p.name > 'M').map((p) => p.name));
  });

  it('401 without a token, with a bad token, or with only the internal token', async () => {
    expectProblemShape(
      await h.app.inject({ method: 'GET', url: '/api/v1/products' }),
      401,
      'UNAUTHENTICATED',
    );
    expectProblemShape(
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/products',
        headers: { authorization: 'Bearer x.y.z' },
      }),
      401,
    );
    expectProblemShape(
      await h.app.inject({
        method: 'GET',
        url: '/api/v1/products',
        headers: internalHeaders(DEMO_TENANT.id),
      }),
      401,
    );
  });
});

describe('GET /api/v1/products/{id}', () => {
  it('answers the product with description and category', async () => {
    const product = DEMO_PRODUCTS[3]!;
    const response = await h.app.inject({
      method: 'GET',
      url: `/api/v1/products/${product.id}`,
      headers: demoAuth,
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body).toMatchObject({
      id: product.id,
      sku: product.sku,
      name: product.name,
      description: product.description,
      category: product.category,
      priceCents: product.priceCents,
      currency: 'EUR',
    });
    expect(Date.parse(body.createdAt)).not.toBeNaN();
  });

  it("404 for an unknown id and, identically, for another tenant's product", async () => {
    const product = DEMO_PRODUCTS[0]!;
    const foreign = await h.app.inject({
      method: 'GET',
      url: `/api/v1/products/${product.id}`,
      headers: await bearer(h, newTenant()),
    });
    const unknown = await h.app.inject({
      method: 'GET',
      url: `/api/v1/products/${randomUUID()}`,
      headers: demoAuth,
    });
    expectProblemShape(foreign, 404, 'NOT_FOUND');
    expectProblemShape(unknown, 404, 'NOT_FOUND');
    expect(foreign.json().title).toBe(unknown.json().title);
  });

  it('400 naming the id when it is not a UUID; 401 without a token', async () => {
    const response = await h.app.inject({ method: 'GET', url: '/api/v1/products/abc', headers: demoAuth });
    expectProblemShape(response, 400, 'VALIDATION_FAILED');
    expect(response.json().detail).toContain('params/id');
    expectProblemShape(
      await h.app.inject({ method: 'GET', url: `/api/v1/products/${DEMO_PRODUCTS[0]!.id}` }),
      401,
    );
  });
});

describe('GET /internal/products', () => {
  const ids = DEMO_PRODUCTS.slice(0, 3).map((p) => p.id);

  it('answers the known products among the ids; unknown, malformed and foreign ids are absent', async () => {
    const foreignTenant = newTenant();
    const foreign = await h.app.inject({
      method: 'POST',
      url: '/api/v1/admin/products',
      headers: await bearer(h, foreignTenant, 'admin'),
      payload: newProductBody(),
    });
    const query = [...ids, randomUUID(), 'garbage', foreign.json().id].join(',');
    const response = await h.app.inject({
      method: 'GET',
      url: `/internal/products?ids=${query}`,
      headers: internalHeaders(DEMO_TENANT.id),
    });
    expect(response.statusCode).toBe(200);
    const items = response.json().items as Summary[];
    expect(items.map((p) => p.id).sort()).toEqual([...ids].sort());
    const first = DEMO_PRODUCTS[0]!;
    expect(items.find((p) => p.id === first.id)).toEqual({
      id: first.id,
      sku: first.sku,
      name: first.name,
      priceCents: first.priceCents,
      currency: 'EUR',
    });
  });

  it('accepts repeated ids parameters and duplicates', async () => {
    const response = await h.app.inject({
      method: 'GET',
      url: `/internal/products?ids=${ids[0]}&ids=${ids[1]},${ids[0]}`,
      headers: internalHeaders(DEMO_TENANT.id),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toHaveLength(2);
  });

  it('400 without ids or with too many; 401 without the internal token or with a user token', async () => {
    const headers = internalHeaders(DEMO_TENANT.id);
    const missing = await h.app.inject({ method: 'GET', url: '/internal/products', headers });
    expectProblemShape(missing, 400, 'VALIDATION_FAILED');
    expect(missing.json().detail).toContain('ids');
    expectProblemShape(await h.app.inject({ method: 'GET', url: '/internal/products?ids=,,', headers }), 400);
    const tooMany = Array.from({ length: 101 }, () => randomUUID()).join(',');
    expectProblemShape(
      await h.app.inject({ method: 'GET', url: `/internal/products?ids=${tooMany}`, headers }),
      400,
    );
    expectProblemShape(
      await h.app.inject({
        method: 'GET',
        url: `/internal/products?ids=${ids[0]}`,
        headers: { 'x-tenant-id': DEMO_TENANT.id },
      }),
      401,
    );
    expectProblemShape(
      await h.app.inject({ method: 'GET', url: `/internal/products?ids=${ids[0]}`, headers: demoAuth }),
      401,
    );
    const badTenant = await h.app.inject({
      method: 'GET',
      url: `/internal/products?ids=${ids[0]}`,
      headers: internalHeaders('demo'),
    });
    expectProblemShape(badTenant, 400);
    expect(badTenant.json().detail).toContain('x-tenant-id');
  });
});

describe('probes', () => {
  it('serves /healthz, /readyz and the OpenAPI document', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).json().checks).toEqual({ db: 'ok' });
    const paths = Object.keys((await h.app.inject({ method: 'GET', url: '/openapi.json' })).json().paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/api/v1/products',
        '/api/v1/products/{id}',
        '/api/v1/admin/products',
        '/api/v1/admin/products/{id}',
        '/internal/products',
      ]),
    );
  });
});
