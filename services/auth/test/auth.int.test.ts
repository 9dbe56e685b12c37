import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type CloudEvent, DEMO_PASSWORD, DEMO_TENANT, DEMO_USERS } from '@glassbox/contracts';
import {
  createDb,
  createLogger,
  type Db,
  JWT_AUDIENCE,
  JWT_ISSUER,
  migrate,
  type ServiceApp,
  verifyAccessToken,
} from '@glassbox/kit';
import { type Bus, createBus, createEventCatalog, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningKeys } from '../src/adapters/signing-keys.js';
import { type AppConfig, buildApp } from '../src/app.js';
import { seedDemo } from '../src/seed.js';

const INTERNAL_TOKEN = 'test-internal-token-0123456789';
const FAST_SCRYPT = { SCRYPT_LOG_N: 10, SCRYPT_R: 8, SCRYPT_P: 1 };
const ALICE = DEMO_USERS[0];
const ADMIN = DEMO_USERS[1];

let database: TestDatabase;
let db: Db;
let app: ServiceApp;
let bus: Bus;
/** user.registered events as a consumer of the bus receives them. */
const announced: CloudEvent[] = [];
let config: AppConfig;
const logger = createLogger('auth-test', 'silent');

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function post(url: string, payload: unknown, a: ServiceApp = app) {
  return a.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
}

async function login(email: string, password = DEMO_PASSWORD, tenant = 'demo', a: ServiceApp = app) {
  return post('/api/v1/auth/login', { tenant, email, password }, a);
}

async function jwksOf(a: ServiceApp) {
  return (await a.inject({ url: '/.well-known/jwks.json' })).json() as { keys: { kid: string }[] };
}

beforeAll(async () => {
  database = await createTestDatabase('gbauth');
  db = createDb(database.url);
  await migrateKitTables(db, ['outbox']);
  await migrate(db, new URL('../migrations/', import.meta.url));
  await seedDemo(db, { logN: 10, r: 8, p: 1 });
  // The PostgreSQL bus, in the test database (its own schema), as in embedded mode.
  bus = await createBus({ url: database.url, logger });
  await bus.subscribe({
    group: 'test.registrations',
    types: ['user.registered'],
    handle: async (event) => void announced.push(event),
  });
  config = {
    INTERNAL_TOKEN,
    ACCESS_TOKEN_TTL_SECONDS: 900,
    REFRESH_TOKEN_TTL_SECONDS: 3600,
    OUTBOX_INTERVAL_MS: 200,
    ...FAST_SCRYPT,
  };
  app = await buildApp({ db, logger, config, bus });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await bus?.close();
  await db?.close();
  await database?.drop();
});

describe('JWKS and access tokens', () => {
  it('publishes an ES256 key whose kid signs the tokens, and the tokens carry the contract claims', async () => {
    const jwks = await app.inject({ url: '/.well-known/jwks.json' });
    expect(jwks.statusCode).toBe(200);
    expect(jwks.headers['cache-control']).toContain('max-age');
    const set = jwks.json();
    expect(set.keys).toHaveLength(1);
    expect(set.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(set.keys[0].d).toBeUndefined();

    const res = await login(ALICE.email);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ expiresIn: 900, tokenType: 'Bearer' });
    expect(decodeProtectedHeader(body.accessToken)).toMatchObject({ alg: 'ES256', kid: set.keys[0].kid });
    const { payload } = await jwtVerify(body.accessToken, createLocalJWKSet(set), {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
    });
    expect(payload).toMatchObject({
      sub: ALICE.id,
      tid: DEMO_TENANT.id,
      email: ALICE.email,
      roles: ['customer'],
      typ: 'access',
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(900);
    // The kit's verifier (used by every service) accepts it.
    expect(await verifyAccessToken(body.accessToken, createLocalJWKSet(set))).toMatchObject({
      sub: ALICE.id,
      tid: DEMO_TENANT.id,
    });
  });

  it('gives the seeded admin the admin role', async () => {
    const res = await login(ADMIN.email);
    expect(decodeJwt(res.json().accessToken).roles).toEqual(['admin']);
  });

  it('keeps its signing key across restarts: a token from before verifies after', async () => {
    const token = (await login(ALICE.email)).json().accessToken;
    const again = await buildApp({ db, logger, config, bus });
    try {
      const before = await jwksOf(app);
      const after = await jwksOf(again);
      expect(after.keys.map((k) => k.kid)).toEqual(before.keys.map((k) => k.kid));
      await expect(verifyAccessToken(token, createLocalJWKSet(after as never))).resolves.toBeDefined();
    } finally {
      await again.close();
    }
  });

  it('publishes old and new keys after a rotation and signs with the new one', async () => {
    const oldToken = (await login(ALICE.email)).json().accessToken;
    const newKid = await createSigningKeys(db).rotate();
    const rotated = await buildApp({ db, logger, config, bus });
    try {
      const set = await jwksOf(rotated);
      expect(set.keys).toHaveLength(2);
      expect(set.keys[0]?.kid).toBe(newKid);
      const newToken = (await login(ALICE.email, DEMO_PASSWORD, 'demo', rotated)).json().accessToken;
      expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
      for (const t of [oldToken, newToken]) {
        await expect(verifyAccessToken(t, createLocalJWKSet(set as never))).resolves.toBeDefined();
      }
    } finally {
      await rotated.close();
    }
  });
});

describe('login', () => {
  it('answers the same 401 for a wrong password, an unknown user and an unknown tenant', async () => {
    const answers = await Promise.all([
      login(ALICE.email, 'wrong-password'),
      login('nobody@demo.test'),
      login(ALICE.email, DEMO_PASSWORD, 'no-such-tenant'),
    ]);
    for (const res of answers) {
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    }
    expect(new Set(answers.map((r) => r.json().detail)).size).toBe(1);
  });

  it('accepts the email and tenant in any case', async () => {
    const res = await login('ALICE@Demo.Test', DEMO_PASSWORD, 'DEMO');
    expect(res.statusCode).toBe(200);
  });

  it('stores only salted scrypt hashes and upgrades a hash when the cost changes', async () => {
    const rows = await db.query<{ password_hash: string }>('SELECT password_hash FROM users');
    for (const r of rows) {
      expect(r.password_hash).toMatch(/^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/);
      expect(r.password_hash).not.toContain(DEMO_PASSWORD);
    }
    const stronger = await buildApp({ db, logger, config: { ...config, SCRYPT_LOG_N: 11 }, bus });
    try {
      expect((await login(ADMIN.email, DEMO_PASSWORD, 'demo', stronger)).statusCode).toBe(200);
      const [row] = await db.query<{ password_hash: string }>(
        'SELECT password_hash FROM users WHERE id = $1',
        [ADMIN.id],
      );
      expect(row?.password_hash).toMatch(/^\$scrypt\$ln=11,/);
      expect((await login(ADMIN.email)).statusCode).toBe(200);
    } finally {
      await stronger.close();
    }
  });
});

describe('register', () => {
  it('creates an unknown tenant with its first user as admin, later users as customers', async () => {
    const tenant = `acme-${randomUUID().slice(0, 8)}`;
    const first = await post('/api/v1/auth/register', {
      tenant,
      email: 'Eve@Acme.test',
      password: 'a long enough password',
      name: 'Eve',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({
      userId: expect.any(String),
      tenantId: expect.any(String),
      email: 'eve@acme.test',
    });
    const second = await post('/api/v1/auth/register', {
      tenant,
      email: 'mallory@acme.test',
      password: 'another long password',
      name: 'Mallory',
    });
    expect(second.statusCode).toBe(201);
    expect(second.json().tenantId).toBe(first.json().tenantId);

    const eve = decodeJwt(
      (await login('eve@acme.test', 'a long enough password', tenant)).json().accessToken,
    );
    const mallory = decodeJwt(
      (await login('mallory@acme.test', 'another long password', tenant)).json().accessToken,
    );
    expect(eve).toMatchObject({ sub: first.json().userId, tid: first.json().tenantId, roles: ['admin'] });
    expect(mallory).toMatchObject({ tid: first.json().tenantId, roles: ['customer'] });
  });

  it('makes an existing tenant customer of a demo registration; a duplicate email (any case) is answered like a login', async () => {
    const email = `bob-${randomUUID().slice(0, 8)}@demo.test`;
    const ok = await post('/api/v1/auth/register', {
      tenant: 'demo',
      email,
      password: 'bob password',
      name: 'Bob',
    });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().tenantId).toBe(DEMO_TENANT.id);
    const dup = await post('/api/v1/auth/register', {
      tenant: 'demo',
      email: email.toUpperCase(),
      password: 'other password',
      name: 'Bob 2',
    });
    // Answered as a login with a wrong password is: nothing says that the email is registered.
    const wrongLogin = await login(email, 'other password');
    expect(dup.statusCode).toBe(wrongLogin.statusCode);
    expect(dup.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', detail: wrongLogin.json().detail });
    expect(dup.body).not.toMatch(/exist/i);
    // The owner repeating their registration (a lost answer, a retry) gets their account back, unchanged.
    const again = await post('/api/v1/auth/register', {
      tenant: 'demo',
      email,
      password: 'bob password',
      name: 'B',
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(ok.json());
    expect(decodeJwt((await login(email, 'bob password')).json().accessToken).roles).toEqual(['customer']);
  });

  it('keeps tenants apart: one email in two tenants is two users with their own passwords', async () => {
    const tenant = `other-${randomUUID().slice(0, 8)}`;
    const res = await post('/api/v1/auth/register', {
      tenant,
      email: ALICE.email,
      password: 'alice elsewhere',
      name: 'Other Alice',
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().userId).not.toBe(ALICE.id);
    expect((await login(ALICE.email, 'alice elsewhere', tenant)).statusCode).toBe(200);
    expect((await login(ALICE.email, 'alice elsewhere', 'demo')).statusCode).toBe(401);
    expect((await login(ALICE.email, DEMO_PASSWORD, tenant)).statusCode).toBe(401);
  });

  it('lets exactly one of several concurrent first registrations of a tenant become its admin', async () => {
    const tenant = `race-${randomUUID().slice(0, 8)}`;
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        post('/api/v1/auth/register', {
          tenant,
          email: `u${i}@race.test`,
          password: 'race password',
          name: `U${i}`,
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(6).fill(201));
    expect(new Set(results.map((r) => r.json().tenantId)).size).toBe(1);
    const roles = await db.query<{ roles: string[] }>(
      'SELECT u.roles FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.slug = $1',
      [tenant],
    );
    expect(roles.filter((r) => r.roles.includes('admin'))).toHaveLength(1);
    expect(roles.filter((r) => r.roles.includes('customer'))).toHaveLength(5);
  });

  it('announces the new user on the bus (user.registered) from the registration’s transaction', async () => {
    const email = `carol-${randomUUID().slice(0, 8)}@demo.test`;
    const res = await post('/api/v1/auth/register', {
      tenant: 'demo',
      email,
      password: 'carol password',
      name: ' Carol ',
    });
    expect(res.statusCode).toBe(201);
    const userId = res.json().userId;
    await waitFor(() => announced.some((e) => e.subject === userId), 'the user.registered event');
    const event = announced.find((e) => e.subject === userId);
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'user.registered',
      source: '/glassbox/auth',
      datacontenttype: 'application/json',
      data: { tenantId: DEMO_TENANT.id, userId, email, name: 'Carol' },
    });
    const [row] = await db.query<{ sent: boolean }>(
      'SELECT sent_at IS NOT NULL AS sent FROM outbox WHERE id = $1',
      [event?.id],
    );
    expect(row).toBeDefined();
    // A refused registration announces nothing.
    const before = announced.length;
    const again = await post('/api/v1/auth/register', {
      tenant: 'demo',
      email,
      password: 'other pw!',
      name: 'X',
    });
    // Re-registering answers as a login would (no account enumeration): a wrong password is refused.
    expect(again.statusCode).toBe(401);
    expect(again.json()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(
      await db.query('SELECT id FROM outbox WHERE event @> $1', [{ data: { email, name: 'X' } }]),
    ).toEqual([]);
    expect(announced.length).toBe(before);
  });

  it('migrates profiles its old outbox had not delivered into user.registered events, losing none', async () => {
    const old = await createTestDatabase('gbauthold');
    const oldDb = createDb(old.url);
    try {
      const first = await mkdtemp(path.join(tmpdir(), 'auth-migrations-'));
      await copyFile(
        new URL('../migrations/001_init.sql', import.meta.url),
        path.join(first, '001_init.sql'),
      );
      await migrate(oldDb, first);
      await rm(first, { recursive: true });
      const tenant = randomUUID();
      const [delivered, pending] = [randomUUID(), randomUUID()];
      await oldDb.query(`INSERT INTO tenants (id, slug, name) VALUES ($1, 'old', 'old')`, [tenant]);
      for (const [id, email] of [
        [delivered, 'done@old.test'],
        [pending, 'late@old.test'],
      ]) {
        await oldDb.query(
          `INSERT INTO users (tenant_id, id, email, name, password_hash, roles)
           VALUES ($1, $2, $3, 'Old User', '$scrypt$ln=10,r=8,p=1$x$y', ARRAY['customer'])`,
          [tenant, id, email],
        );
      }
      await oldDb.query(
        `INSERT INTO profile_outbox (tenant_id, user_id, email, name, delivered_at)
         VALUES ($1, $2, 'done@old.test', 'Old User', now()), ($1, $3, 'late@old.test', 'Old User', NULL)`,
        [tenant, delivered, pending],
      );
      await migrateKitTables(oldDb, ['outbox']);
      await migrate(oldDb, new URL('../migrations/', import.meta.url));
      const events = await oldDb.query<{ event: CloudEvent }>('SELECT event FROM outbox');
      expect(events).toHaveLength(1);
      const catalog = createEventCatalog();
      expect(catalog.check(events[0]?.event)).toMatchObject({ ok: true });
      expect(events[0]?.event).toMatchObject({
        type: 'user.registered',
        subject: pending,
        data: { tenantId: tenant, userId: pending, email: 'late@old.test', name: 'Old User' },
      });
      expect(await oldDb.query(`SELECT to_regclass('profile_outbox') AS t`)).toEqual([{ t: null }]);
    } finally {
      await oldDb.close();
      await old.drop();
    }
  });

  it.each([
    ['malformed JSON', '{"tenant": ', 'body'],
    ['a missing field', { tenant: 'demo', email: 'x@demo.test', password: 'long enough' }, 'name'],
    [
      'an extra field',
      { tenant: 'demo', email: 'x@demo.test', password: 'long enough', name: 'X', roles: ['admin'] },
      'body/roles',
    ],
    [
      'a wrong type',
      { tenant: 'demo', email: 'x@demo.test', password: { value: 'x' }, name: 'X' },
      'body/password',
    ],
    [
      'a short password',
      { tenant: 'demo', email: 'x@demo.test', password: 'short', name: 'X' },
      'body/password',
    ],
    [
      'a bad email',
      { tenant: 'demo', email: 'not-an-email', password: 'long enough', name: 'X' },
      'body/email',
    ],
    [
      'a bad tenant slug',
      { tenant: 'bad slug!', email: 'x@demo.test', password: 'long enough', name: 'X' },
      'body/tenant',
    ],
    [
      'a blank name',
      { tenant: 'demo', email: 'x@demo.test', password: 'long enough', name: '   ' },
      'body/name',
    ],
  ])('rejects %s with 400 problem+json naming the field', async (_case, payload, field) => {
    const res =
      typeof payload === 'string'
        ? await app.inject({
            method: 'POST',
            url: '/api/v1/auth/register',
            headers: { 'content-type': 'application/json' },
            payload,
          })
        : await post('/api/v1/auth/register', payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe('VALIDATION_FAILED');
    expect(problem.detail.toLowerCase()).toContain(field);
  });

  it('rejects a NUL character in any credential or name with 400 naming the field', async () => {
    const register = { tenant: 'demo', email: 'nul@demo.test', password: 'long enough', name: 'N' };
    for (const [url, payload, field] of [
      ['/api/v1/auth/register', { ...register, name: 'N\u0000' }, 'name'],
      ['/api/v1/auth/register', { ...register, password: 'long\u0000enough' }, 'password'],
      [
        '/api/v1/auth/login',
        { tenant: 'demo', email: 'alice@demo.test', password: 'glassbox\u0000' },
        'password',
      ],
      ['/api/v1/auth/refresh', { refreshToken: 'x\u0000y' }, 'refreshToken'],
    ] as const) {
      const res = await post(url, payload);
      expect(res.statusCode, `${url} ${field}`).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json().errors).toEqual([
        { path: `body/${field}`, message: 'must not contain the NUL character (U+0000)' },
      ]);
    }
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'tenant=demo',
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('validates login bodies too', async () => {
    const res = await post('/api/v1/auth/login', { tenant: 'demo', email: ALICE.email });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toContain('password');
  });
});

describe('refresh and logout', () => {
  it('rotates: the new pair works, the old refresh token does not', async () => {
    const first = (await login(ALICE.email)).json();
    const second = await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(second.statusCode).toBe(200);
    const pair = second.json();
    expect(pair.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwt(pair.accessToken)).toMatchObject({
      sub: ALICE.id,
      tid: DEMO_TENANT.id,
      roles: ['customer'],
    });
    const third = await post('/api/v1/auth/refresh', { refreshToken: pair.refreshToken });
    expect(third.statusCode).toBe(200);
  });

  it('revokes the whole session when a used refresh token comes back (theft detection)', async () => {
    const first = (await login(ALICE.email)).json();
    const second = (await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken })).json();
    const replay = await post('/api/v1/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.statusCode).toBe(401);
    expect(replay.json()).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'refresh_token_reused' });
    // The legitimate holder's newer token is revoked too.
    expect((await post('/api/v1/auth/refresh', { refreshToken: second.refreshToken })).statusCode).toBe(401);
  });

  it('lets only one of two concurrent refreshes with the same token succeed', async () => {
    const first = (await login(ALICE.email)).json();
    const results = await Promise.all([
      post('/api/v1/auth/refresh', { refreshToken: first.refreshToken }),
      post('/api/v1/auth/refresh', { refreshToken: first.refreshToken }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401]);
  });

  it('rejects garbage, unknown and expired refresh tokens with 401', async () => {
    for (const refreshToken of ['garbage', `${randomUUID()}.${'A'.repeat(43)}`]) {
      const res = await post('/api/v1/auth/refresh', { refreshToken });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const pair = (await login(ALICE.email)).json();
    await db.query("UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [
      pair.refreshToken.split('.')[0],
    ]);
    expect((await post('/api/v1/auth/refresh', { refreshToken: pair.refreshToken })).statusCode).toBe(401);
    expect((await post('/api/v1/auth/refresh', {})).statusCode).toBe(400);
  });

  it('logs out: the refresh token and its successors stop working; unknown tokens are a silent no-op', async () => {
    const pair = (await login(ALICE.email)).json();
    const next = (await post('/api/v1/auth/refresh', { refreshToken: pair.refreshToken })).json();
    const out = await post('/api/v1/auth/logout', { refreshToken: next.refreshToken });
    expect(out.statusCode).toBe(204);
    expect((await post('/api/v1/auth/refresh', { refreshToken: next.refreshToken })).statusCode).toBe(401);
    expect((await post('/api/v1/auth/logout', { refreshToken: 'whatever' })).statusCode).toBe(204);
    // Knowing a token id without its secret cannot end someone else's session.
    const other = (await login(ALICE.email)).json();
    const forged = `${other.refreshToken.split('.')[0]}.${'B'.repeat(43)}`;
    expect((await post('/api/v1/auth/logout', { refreshToken: forged })).statusCode).toBe(204);
    expect((await post('/api/v1/auth/refresh', { refreshToken: other.refreshToken })).statusCode).toBe(200);
  });
});

describe('seed and probes', () => {
  it('seeds the demo tenant idempotently', async () => {
    await seedDemo(db, { logN: 10, r: 8, p: 1 });
    await seedDemo(db, { logN: 10, r: 8, p: 1 });
    const [row] = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
      [DEMO_TENANT.id, DEMO_USERS.map((u) => u.id)],
    );
    expect(row?.n).toBe(2);
    expect(await db.query('SELECT slug FROM tenants WHERE id = $1', [DEMO_TENANT.id])).toEqual([
      { slug: 'demo' },
    ]);
  });

  it('is ready with its database and key, and documents its routes', async () => {
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.json()).toMatchObject({
      status: 'ready',
      checks: { db: 'ok', signingKey: 'ok', bus: 'ok' },
    });
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/auth/register',
        '/api/v1/auth/login',
        '/api/v1/auth/refresh',
        '/api/v1/auth/logout',
        '/.well-known/jwks.json',
      ]),
    );
  });
});
