import { randomUUID } from 'node:crypto';
import { DEMO_TENANT, DEMO_USERS } from '@glassbox/contracts';
import { createDb, createLogger, type Db, migrate, type ServiceApp } from '@glassbox/kit';
import { type Bus, createBus, createEvent, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, createTestKeys, type TestDatabase, type TestKeys } from '@glassbox/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { seedDemo } from '../src/seed.js';

const INTERNAL_TOKEN = 'test-internal-token-0123456789';
let database: TestDatabase;
let db: Db;
let app: ServiceApp;
let keys: TestKeys;
let bus: Bus;

const TENANT_A = randomUUID();
const TENANT_B = randomUUID();

interface Caller {
  userId: string;
  tenantId: string;
  email: string;
  token: string;
}

async function caller(
  tenantId = TENANT_A,
  email = `u-${randomUUID().slice(0, 8)}@shop.test`,
): Promise<Caller> {
  const userId = randomUUID();
  return {
    userId,
    tenantId,
    email,
    token: await keys.sign({ userId, tenantId, email, roles: ['customer'] }),
  };
}

function as(c: Caller, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: unknown) {
  return app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${c.token}` },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

function internal(payload: unknown, headers: Record<string, string> = {}) {
  return app.inject({
    method: 'POST',
    url: '/internal/profiles',
    headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': TENANT_A, ...headers },
    payload: payload as Record<string, unknown>,
  });
}

const ADDRESS = { line1: '1 Main Street', city: 'Berlin', postalCode: '10115', country: 'de' };

beforeAll(async () => {
  keys = await createTestKeys();
  database = await createTestDatabase('gbuser');
  db = createDb(database.url);
  await migrateKitTables(db, ['inbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  await seedDemo(db);
  const logger = createLogger('user-test', 'silent');
  // The PostgreSQL bus in the test database, as in embedded mode: the app consumes user.registered from it.
  bus = await createBus({ url: database.url, logger });
  app = await buildApp({
    db,
    logger,
    config: { AUTH_URL: 'http://127.0.0.1:1', INTERNAL_TOKEN, MAX_ADDRESSES_PER_USER: 3 },
    keys: keys.keys,
    bus,
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  await database?.drop();
});

describe('GET /api/v1/me', () => {
  it('answers 401 problem+json without a token or with a bad one', async () => {
    for (const headers of [{}, { authorization: 'Bearer nope' }, { authorization: 'Basic YTpi' }]) {
      const res = await app.inject({ url: '/api/v1/me', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().code).toBe('UNAUTHENTICATED');
    }
    const c = await caller();
    const expired = await keys.sign({ userId: c.userId, tenantId: c.tenantId }, -10);
    const res = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${expired}` } });
    expect(res.statusCode).toBe(401);
    expect(res.json().detail).toMatch(/expired/);
  });

  it('returns the seeded demo profile with the roles of the token', async () => {
    const alice = DEMO_USERS[0];
    const token = await keys.sign({
      userId: alice.id,
      tenantId: DEMO_TENANT.id,
      email: alice.email,
      roles: ['customer'],
    });
    const res = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: alice.id,
      tenantId: DEMO_TENANT.id,
      email: alice.email,
      name: alice.name,
      roles: ['customer'],
      addresses: [],
    });
  });

  it('creates a missing profile from the token', async () => {
    const c = await caller(TENANT_A, 'zoe.quinn@shop.test');
    const res = await as(c, 'GET', '/api/v1/me');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: c.userId, tenantId: TENANT_A, email: c.email, name: 'zoe.quinn' });
    expect((await as(c, 'GET', '/api/v1/me')).json().name).toBe('zoe.quinn');
  });

  it('refuses a token whose subject or tenant is not a UUID', async () => {
    const token = await keys.sign({ userId: 'not-a-uuid', tenantId: TENANT_A });
    const res = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST /internal/profiles', () => {
  it('creates the profile once (201) and answers the same again (200)', async () => {
    const userId = randomUUID();
    const body = { userId, email: 'Bob@Shop.test', name: ' Bob ' };
    const first = await internal(body);
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ id: userId, tenantId: TENANT_A, email: 'bob@shop.test', name: 'Bob' });
    const again = await internal(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(first.json());
    const token = await keys.sign({ userId, tenantId: TENANT_A, email: 'bob@shop.test' });
    const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json()).toMatchObject({ id: userId, name: 'Bob' });
  });

  it('replaces a placeholder name made from the token, but never a name the user chose', async () => {
    const early = await caller(TENANT_A, 'early.bird@shop.test');
    expect((await as(early, 'GET', '/api/v1/me')).json().name).toBe('early.bird');
    expect(
      (await internal({ userId: early.userId, email: early.email, name: 'Early Bird' })).statusCode,
    ).toBe(200);
    expect((await as(early, 'GET', '/api/v1/me')).json().name).toBe('Early Bird');

    const chooser = await caller();
    await as(chooser, 'PATCH', '/api/v1/me', { name: 'My Own Name' });
    await internal({ userId: chooser.userId, email: chooser.email, name: 'Registered Name' });
    expect((await as(chooser, 'GET', '/api/v1/me')).json().name).toBe('My Own Name');
  });

  it('scopes the profile to the tenant of the call', async () => {
    const userId = randomUUID();
    await internal({ userId, email: 'x@shop.test', name: 'In B' }, { 'x-tenant-id': TENANT_B });
    const inA = await keys.sign({ userId, tenantId: TENANT_A, email: 'x@shop.test' });
    const me = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${inA}` } });
    // Tenant A knows no such profile: it creates its own placeholder rather than reading B's.
    expect(me.json()).toMatchObject({ tenantId: TENANT_A, name: 'x' });
  });

  it('requires the internal token (401) and a tenant UUID (400)', async () => {
    const body = { userId: randomUUID(), email: 'y@shop.test', name: 'Y' };
    expect((await internal(body, { 'x-internal-token': 'wrong-token-wrong-token' })).statusCode).toBe(401);
    const noToken = await app.inject({
      method: 'POST',
      url: '/internal/profiles',
      headers: { 'x-tenant-id': TENANT_A },
      payload: body,
    });
    expect(noToken.statusCode).toBe(401);
    // A user's access token does not open internal routes.
    const c = await caller();
    const withJwt = await app.inject({
      method: 'POST',
      url: '/internal/profiles',
      headers: { authorization: `Bearer ${c.token}`, 'x-tenant-id': TENANT_A },
      payload: body,
    });
    expect(withJwt.statusCode).toBe(401);
    const badTenant = await internal(body, { 'x-tenant-id': 'not-a-uuid' });
    expect(badTenant.statusCode).toBe(400);
    expect(badTenant.json().detail).toContain('x-tenant-id');
  });

  it.each([
    [{ email: 'a@shop.test', name: 'A' }, 'userId'],
    [{ userId: 'nope', email: 'a@shop.test', name: 'A' }, 'body/userId'],
    [{ userId: randomUUID(), email: 'not-an-email', name: 'A' }, 'body/email'],
    [{ userId: randomUUID(), email: 'a@shop.test', name: 'A', admin: true }, 'body/admin'],
  ])('rejects a bad profile body with 400 naming the field (%#)', async (payload, field) => {
    const res = await internal(payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain(field);
  });
});

describe('PATCH /api/v1/me', () => {
  it('changes the name and returns the profile', async () => {
    const c = await caller();
    const res = await as(c, 'PATCH', '/api/v1/me', { name: '  New Name ' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: c.userId, name: 'New Name', roles: ['customer'], addresses: [] });
    expect((await as(c, 'GET', '/api/v1/me')).json().name).toBe('New Name');
  });

  it.each([
    ['an empty body', {}, 'name'],
    ['a blank name', { name: '   ' }, 'body/name'],
    ['a wrong type', { name: { first: 'A' } }, 'body/name'],
    ['an extra field', { name: 'A', email: 'evil@shop.test' }, 'body/email'],
    ['a too long name', { name: 'x'.repeat(201) }, 'body/name'],
  ])('rejects %s with 400 naming the field', async (_case, payload, field) => {
    const c = await caller();
    const res = await as(c, 'PATCH', '/api/v1/me', payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().detail).toContain(field);
  });

  it('rejects a NUL character in the name or an address with 400 naming the field', async () => {
    const c = await caller();
    const name = await as(c, 'PATCH', '/api/v1/me', { name: 'Eve\u0000' });
    expect(name.statusCode).toBe(400);
    expect(name.headers['content-type']).toContain('application/problem+json');
    expect(name.json().errors).toEqual([
      { path: 'body/name', message: 'must not contain the NUL character (U+0000)' },
    ]);
    const address = await as(c, 'POST', '/api/v1/me/addresses', { ...ADDRESS, city: 'Ber\u0000lin' });
    expect(address.statusCode).toBe(400);
    expect(address.json().errors).toEqual([
      { path: 'body/city', message: 'must not contain the NUL character (U+0000)' },
    ]);
    expect((await as(c, 'GET', '/api/v1/me')).json().addresses).toEqual([]);
  });

  it('rejects malformed JSON with 400 and answers 401 before looking at the body', async () => {
    const c = await caller();
    const bad = await app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { authorization: `Bearer ${c.token}`, 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(bad.statusCode).toBe(400);
    const anonymous = await app.inject({
      method: 'PATCH',
      url: '/api/v1/me',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(anonymous.statusCode).toBe(401);
  });
});

describe('addresses', () => {
  it('adds, lists and deletes addresses; the first is the default and a deleted default passes on', async () => {
    const c = await caller();
    const first = await as(c, 'POST', '/api/v1/me/addresses', { ...ADDRESS, label: 'Home', line2: '' });
    expect(first.statusCode).toBe(201);
    const home = first.json();
    expect(home).toMatchObject({
      label: 'Home',
      line1: '1 Main Street',
      line2: null,
      region: null,
      country: 'DE',
      isDefault: true,
    });
    expect(first.headers.location).toBe(`/api/v1/me/addresses/${home.id}`);
    const work = (
      await as(c, 'POST', '/api/v1/me/addresses', { ...ADDRESS, label: 'Work', line1: '2 Side St' })
    ).json();
    expect(work.isDefault).toBe(false);

    const list = await as(c, 'GET', '/api/v1/me/addresses');
    expect(list.json().items.map((a: { label: string }) => a.label)).toEqual(['Home', 'Work']);
    expect((await as(c, 'GET', '/api/v1/me')).json().addresses).toHaveLength(2);

    const del = await as(c, 'DELETE', `/api/v1/me/addresses/${home.id}`);
    expect(del.statusCode).toBe(204);
    const after = (await as(c, 'GET', '/api/v1/me/addresses')).json().items;
    expect(after).toEqual([{ ...work, isDefault: true }]);
    expect((await as(c, 'DELETE', `/api/v1/me/addresses/${home.id}`)).statusCode).toBe(404);
  });

  it('moves the default when a new address asks for it', async () => {
    const c = await caller();
    await as(c, 'POST', '/api/v1/me/addresses', ADDRESS);
    const second = (await as(c, 'POST', '/api/v1/me/addresses', { ...ADDRESS, isDefault: true })).json();
    const items = (await as(c, 'GET', '/api/v1/me/addresses')).json().items as {
      id: string;
      isDefault: boolean;
    }[];
    expect(items.filter((a) => a.isDefault).map((a) => a.id)).toEqual([second.id]);
  });

  it('limits the number of addresses per user with 409', async () => {
    const c = await caller();
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        as(c, 'POST', '/api/v1/me/addresses', { ...ADDRESS, label: `A${i}` }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    const refused = results.filter((r) => r.statusCode === 409);
    expect(refused).toHaveLength(2);
    expect(refused[0]?.json().code).toBe('CONFLICT');
    const items = (await as(c, 'GET', '/api/v1/me/addresses')).json().items as { isDefault: boolean }[];
    expect(items.filter((a) => a.isDefault)).toHaveLength(1);
  });

  it("hides another user's and another tenant's address behind 404", async () => {
    const owner = await caller(TENANT_A);
    const address = (await as(owner, 'POST', '/api/v1/me/addresses', ADDRESS)).json();
    const sameTenant = await caller(TENANT_A);
    const otherTenant = await caller(TENANT_B);
    for (const intruder of [sameTenant, otherTenant]) {
      const res = await as(intruder, 'DELETE', `/api/v1/me/addresses/${address.id}`);
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect((await as(intruder, 'GET', '/api/v1/me/addresses')).json().items).toEqual([]);
    }
    // The same user id under another tenant is another profile with no addresses.
    const twin = { ...otherTenant, userId: owner.userId };
    twin.token = await keys.sign({ userId: owner.userId, tenantId: TENANT_B, email: owner.email });
    expect((await as(twin, 'GET', '/api/v1/me/addresses')).json().items).toEqual([]);
    expect((await as(twin, 'DELETE', `/api/v1/me/addresses/${address.id}`)).statusCode).toBe(404);
    expect((await as(owner, 'GET', '/api/v1/me/addresses')).json().items).toHaveLength(1);
  });

  it.each([
    ['a missing field', { line1: 'x', city: 'y', country: 'DE' }, 'postalCode'],
    ['a bad country', { ...ADDRESS, country: 'Germany' }, 'body/country'],
    ['an extra field', { ...ADDRESS, userId: randomUUID() }, 'body/userId'],
    ['a wrong type', { ...ADDRESS, isDefault: 'maybe' }, 'body/isDefault'],
    ['a blank line', { ...ADDRESS, line1: '  ' }, 'body/line1'],
  ])('rejects an address with %s (400 naming the field)', async (_case, payload, field) => {
    const c = await caller();
    const res = await as(c, 'POST', '/api/v1/me/addresses', payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain(field);
  });

  it('rejects an address id that is not a UUID with 400 and needs a token for every route', async () => {
    const c = await caller();
    const res = await as(c, 'DELETE', '/api/v1/me/addresses/42');
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('params/id');
    for (const [method, url] of [
      ['GET', '/api/v1/me/addresses'],
      ['POST', '/api/v1/me/addresses'],
      ['DELETE', `/api/v1/me/addresses/${randomUUID()}`],
      ['PATCH', '/api/v1/me'],
    ] as const) {
      expect((await app.inject({ method, url })).statusCode).toBe(401);
    }
  });
});

describe('seed and probes', () => {
  it('seeds demo profiles idempotently and is ready with its database', async () => {
    await seedDemo(db);
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM profiles WHERE tenant_id = $1',
      [DEMO_TENANT.id],
    );
    expect(row?.n).toBe(2);
    expect((await app.inject({ url: '/readyz' })).json()).toMatchObject({
      status: 'ready',
      checks: { db: 'ok', bus: 'ok' },
    });
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/me',
        '/api/v1/me/addresses',
        '/api/v1/me/addresses/{id}',
        '/internal/profiles',
      ]),
    );
  });
});

describe('profiles from registrations (user.registered over the bus)', () => {
  async function until(condition: () => Promise<boolean>, what: string) {
    const deadline = Date.now() + 10_000;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const nameOf = async (c: Caller) => (await as(c, 'GET', '/api/v1/me')).json().name as string;
  const registered = (c: Caller, name: string) =>
    createEvent(
      'user.registered',
      { tenantId: c.tenantId, userId: c.userId, email: c.email, name },
      { source: 'auth' },
    );

  it('creates the profile of a newly registered user, once, recording the event in the inbox', async () => {
    const c = await caller(TENANT_B);
    const event = registered(c, 'Rosa');
    await bus.publish([event]);
    await until(
      async () => (await db.query('SELECT 1 FROM inbox WHERE event_id = $1', [event.id])).length === 1,
      'the inbox',
    );
    const rows = await db.query<{ name: string; name_source: string }>(
      'SELECT name, name_source FROM profiles WHERE tenant_id = $1 AND user_id = $2',
      [c.tenantId, c.userId],
    );
    expect(rows).toEqual([{ name: 'Rosa', name_source: 'registration' }]);
    expect((await as(c, 'GET', '/api/v1/me')).json()).toMatchObject({
      id: c.userId,
      email: c.email,
      name: 'Rosa',
    });
    // Scoped by the event's tenant: the same user id in another tenant has no profile.
    const other = {
      ...c,
      tenantId: TENANT_A,
      token: await keys.sign({ userId: c.userId, tenantId: TENANT_A }),
    };
    expect(
      await db.query('SELECT 1 FROM profiles WHERE tenant_id = $1 AND user_id = $2', [
        TENANT_A,
        other.userId,
      ]),
    ).toEqual([]);
  });

  it('a registration that arrives after a first /me replaces the placeholder name, but never a name the user chose', async () => {
    const early = await caller();
    expect(await nameOf(early)).not.toBe('Late Name');
    await bus.publish([registered(early, 'Late Name')]);
    await until(async () => (await nameOf(early)) === 'Late Name', 'the registration’s name');

    const chosen = await caller();
    expect((await as(chosen, 'PATCH', '/api/v1/me', { name: 'My Own Name' })).statusCode).toBe(200);
    const event = registered(chosen, 'Registration Name');
    await bus.publish([event]);
    await until(
      async () => (await db.query('SELECT 1 FROM inbox WHERE event_id = $1', [event.id])).length === 1,
      'the inbox',
    );
    expect(await nameOf(chosen)).toBe('My Own Name');
  });
});
