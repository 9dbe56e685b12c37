/**
 * The gateway in front of the real auth and user apps (each on its own PostgreSQL database, listening on free
 * ports, auth publishing the JWKS the gateway and user verify with) and small real HTTP servers standing in for
 * catalog, inventory, order and payment that record what reaches them.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEMO_PASSWORD } from '@glassbox/contracts';
import {
  createDb,
  createLogger,
  createOperationalApp,
  type Db,
  migrate,
  type ServiceApp,
} from '@glassbox/kit';
import { type Bus, createBus, migrateKitTables } from '@glassbox/kit/bus';
import { createTestDatabase, type TestDatabase } from '@glassbox/kit/testing';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp as buildAuth } from '../../auth/src/app.js';
import { seedDemo as seedAuth } from '../../auth/src/seed.js';
import { buildApp as buildUser } from '../../user/src/app.js';
import { seedDemo as seedUser } from '../../user/src/seed.js';
import { type AppConfig, buildApp, buildGateway } from '../src/app.js';
import { adminRoutes } from '../src/http/admin-routes.js';

const INTERNAL_TOKEN = 'test-internal-token-0123456789';
const logger = createLogger('gateway-test', 'silent');

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in service: records requests and answers by path. */
class StubService {
  readonly seen: Seen[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        this.seen.push(seen);
        const path = (req.url ?? '').split('?')[0] ?? '';
        if (path.endsWith('/slow')) {
          setTimeout(
            () => res.writeHead(200, { 'content-type': 'application/json' }).end('{"late":true}'),
            5_000,
          );
          return;
        }
        if (path.endsWith('/drop')) {
          // The first request of each method is cut off before any answer; the next one succeeds.
          if (this.seen.filter((s) => s.url === req.url && s.method === req.method).length === 1) {
            req.socket.destroy();
            return;
          }
        }
        if (path.endsWith('/created')) {
          res
            .writeHead(201, {
              'content-type': 'application/json',
              location: '/api/v1/orders/o-1',
              'retry-after': '2',
              traceresponse: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
              'x-request-id': 'upstream-id',
              'set-cookie': 'session=1',
              'x-internal-secret': 'leak',
            })
            .end('{"id":"o-1","status":"PENDING"}');
          return;
        }
        if (path.endsWith('/empty')) {
          res.writeHead(204).end();
          return;
        }
        if (path.endsWith('/boom')) {
          res
            .writeHead(500, { 'content-type': 'application/problem+json' })
            .end('{"status":500,"code":"INTERNAL","traceId":"abc"}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ echo: seen }));
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.url;
  }

  last(): Seen | undefined {
    return this.seen.at(-1);
  }

  stop() {
    return new Promise<void>((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}

/** A loopback URL where nothing listens. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

let authDb: TestDatabase;
let userDb: TestDatabase;
const pools: Db[] = [];
let bus: Bus;
let auth: ServiceApp;
let user: ServiceApp;
let authUrl: string;
let userUrl: string;
const stub = new StubService();
let config: AppConfig;
let gw: ServiceApp;
let alice: string;
const extraApps: ServiceApp[] = [];

async function gateway(overrides: Partial<AppConfig> = {}): Promise<ServiceApp> {
  const merged: AppConfig = Object.assign({ ...config }, overrides);
  const app = await buildApp({ config: merged, logger });
  await app.ready();
  extraApps.push(app);
  return app;
}

async function login(
  app: ServiceApp,
  email: string,
  password = DEMO_PASSWORD,
  tenant = 'demo',
): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { tenant, email, password },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json().accessToken;
}

beforeAll(async () => {
  [authDb, userDb] = await Promise.all([createTestDatabase('gbgwauth'), createTestDatabase('gbgwuser')]);
  const adb = createDb(authDb.url);
  const udb = createDb(userDb.url);
  pools.push(adb, udb);
  await migrateKitTables(adb, ['outbox']);
  await migrateKitTables(udb, ['inbox']);
  await migrate(adb, new URL('../../auth/migrations/', import.meta.url));
  await migrate(udb, new URL('../../user/migrations/', import.meta.url));
  // New users' profiles travel from auth to user over the PostgreSQL bus (in auth's test database).
  bus = await createBus({ url: authDb.url, logger });
  await seedAuth(adb, { logN: 10, r: 8, p: 1 });
  await seedUser(udb);

  const stubUrl = await stub.start();
  // Each app needs the other's URL at build time: reserve the user service's port, start auth, then user.
  userUrl = await deadUrl();
  auth = await buildAuth({
    db: adb,
    logger,
    bus,
    config: {
      INTERNAL_TOKEN,
      ACCESS_TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 3600,
      SCRYPT_LOG_N: 10,
      SCRYPT_R: 8,
      SCRYPT_P: 1,
      OUTBOX_INTERVAL_MS: 200,
    },
  });
  authUrl = await auth.listen({ port: 0, host: '127.0.0.1' });
  user = await buildUser({
    db: udb,
    logger,
    config: { AUTH_URL: authUrl, INTERNAL_TOKEN, MAX_ADDRESSES_PER_USER: 20 },
    bus,
  });
  await user.listen({ port: Number(new URL(userUrl).port), host: '127.0.0.1' });

  config = {
    AUTH_URL: authUrl,
    USER_URL: userUrl,
    CATALOG_URL: stubUrl,
    INVENTORY_URL: stubUrl,
    ORDER_URL: stubUrl,
    PAYMENT_URL: stubUrl,
    NOTIFICATION_URL: stubUrl,
    FLASH_SALE_URL: stubUrl,
    INTERNAL_TOKEN,
    SHUTDOWN_TIMEOUT_MS: 1_000,
    RATE_LIMIT_MAX: 10_000,
    RATE_LIMIT_WINDOW_MS: 60_000,
    AUTH_RATE_LIMIT_MAX: 1_000,
    FLASH_SALE_USER_LIMIT_MAX: 1_000,
    FLASH_SALE_ADDRESS_LIMIT_MAX: 1_000,
    FLASH_SALE_LIMIT_WINDOW_MS: 60_000,
    CORS_ORIGINS: 'https://shop.test',
    UPSTREAM_TIMEOUT_MS: 500,
    CIRCUIT_FAILURE_THRESHOLD: 3,
    CIRCUIT_OPEN_MS: 60_000,
    BODY_LIMIT_BYTES: 4096,
    TOKEN_CACHE_MAX_AGE_MS: 60_000,
  };
  gw = await gateway();
  alice = await login(gw, 'alice@demo.test');
});

afterAll(async () => {
  for (const app of extraApps) await app.close();
  await user?.close();
  await auth?.close();
  await bus?.close();
  await stub.stop();
  for (const p of pools) await p.close();
  await authDb?.drop();
  await userDb?.drop();
});

describe('accounts through the gateway (real auth and user services)', () => {
  it('registers, logs in and reads the new profile', async () => {
    const email = `bob-${randomUUID().slice(0, 8)}@demo.test`;
    const reg = await gw.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { tenant: 'demo', email, password: 'correct horse battery', name: 'Bob' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const token = await login(gw, email, 'correct horse battery');
    // The profile comes from auth's user.registered event over the bus: a /me that beats it shows the
    // token's placeholder name until the event lands (within moments).
    const deadline = Date.now() + 10_000;
    let me = await gw.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    while (me.json().name !== 'Bob' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      me = await gw.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });
    }
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ email, name: 'Bob', roles: ['customer'], addresses: [] });
  });

  it('relays problems from the services unchanged (401 login, 400 validation, 404 address)', async () => {
    const wrong = await gw.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { tenant: 'demo', email: 'alice@demo.test', password: 'wrong' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toContain('application/problem+json');
    expect(wrong.json().code).toBe('INVALID_CREDENTIALS');
    const malformed = await gw.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'content-type': 'application/json' },
      payload: '{"tenant": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().code).toBe('VALIDATION_FAILED');
    const gone = await gw.inject({
      method: 'DELETE',
      url: `/api/v1/me/addresses/${randomUUID()}`,
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(gone.statusCode).toBe(404);
    expect(gone.headers['content-type']).toContain('application/problem+json');
  });

  it('creates and lists an address through the gateway', async () => {
    const created = await gw.inject({
      method: 'POST',
      url: '/api/v1/me/addresses',
      headers: { authorization: `Bearer ${alice}` },
      payload: { line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe(`/api/v1/me/addresses/${created.json().id}`);
    const list = await gw.inject({
      url: '/api/v1/me/addresses',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(list.json().items.map((a: { id: string }) => a.id)).toContain(created.json().id);
  });
});

describe('authentication at the edge', () => {
  it('answers 401 problem+json without a token or with a bad one, before reaching the service', async () => {
    const before = stub.seen.length;
    for (const headers of [
      {},
      { authorization: 'Bearer not.a.jwt' },
      { authorization: `Bearer ${alice}x` },
    ]) {
      const res = await gw.inject({ url: '/api/v1/orders', headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    }
    expect(stub.seen.length).toBe(before);
  });

  it('refuses a well-formed token signed by a key auth never published (401, never forwarded)', async () => {
    // A real ES256 token with the right issuer, audience and claims, even the kid auth uses: another key signed it.
    const { kid } = decodeProtectedHeader(alice);
    const foreign = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...decodeJwt(alice), roles: ['admin'] })
      .setProtectedHeader({ alg: 'ES256', ...(kid ? { kid } : {}) })
      .sign(foreign.privateKey);
    const before = stub.seen.length;
    for (const url of ['/api/v1/orders', '/api/v1/admin/payments']) {
      const res = await gw.inject({ url, headers: { authorization: `Bearer ${forged}` } });
      expect(res.statusCode, url).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED', detail: 'the access token is not valid' });
    }
    expect(stub.seen.length).toBe(before);
    // The genuine token goes through.
    expect(
      (await gw.inject({ url: '/api/v1/orders', headers: { authorization: `Bearer ${alice}` } })).statusCode,
    ).toBe(200);
  });

  it('lets the auth routes and the payment provider callback through without a token', async () => {
    const cb = await gw.inject({
      method: 'POST',
      url: '/api/v1/payments/provider-callbacks',
      headers: { 'content-type': 'application/json', 'x-provider-signature': 't=1,v1=abc' },
      payload: '{"id":"evt_1"}',
    });
    expect(cb.statusCode).toBe(200);
    expect(stub.last()).toMatchObject({ url: '/api/v1/payments/provider-callbacks', body: '{"id":"evt_1"}' });
    expect(stub.last()?.headers['x-provider-signature']).toBe('t=1,v1=abc');
    expect((await gw.inject({ url: '/api/v1/payments/p-1' })).statusCode).toBe(401);
  });

  it('verifies tokens with the keys auth publishes (admin and customer alike)', async () => {
    const admin = await login(gw, 'admin@demo.test');
    const res = await gw.inject({
      url: '/api/v1/admin/stock/p-1',
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(res.statusCode).toBe(200);
    expect(stub.last()?.headers.authorization).toBe(`Bearer ${admin}`);
  });
});

describe('forwarding', () => {
  it('routes by prefix and forwards method, path and query unchanged', async () => {
    const cases: [string, string][] = [
      ['GET', '/api/v1/products?search=grinder&limit=5&cursor=a%2Bb'],
      ['GET', '/api/v1/products/00000000-0000-4000-8000-000000001001'],
      ['PATCH', '/api/v1/admin/products/x'],
      ['PUT', '/api/v1/admin/stock/y'],
      ['DELETE', '/api/v1/orders/z'],
      ['POST', '/api/v1/admin/payments/p-1/refunds'],
    ];
    for (const [method, url] of cases) {
      const res = await gw.inject({
        method: method as 'GET',
        url,
        headers: { authorization: `Bearer ${alice}` },
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: { a: 1 } }),
      });
      expect(res.statusCode, `${method} ${url}`).toBe(200);
      expect(stub.last()).toMatchObject({ method, url });
    }
  });

  it('forwards the body bytes as sent, even when they are not valid JSON, and the allowed headers', async () => {
    const raw = '{"items": [ {"productId": "p", "quantity": 2}, ';
    const res = await gw.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: {
        authorization: `Bearer ${alice}`,
        'content-type': 'application/json',
        'idempotency-key': 'key-123',
        'x-request-id': 'client-req-42',
        'x-internal-token': INTERNAL_TOKEN,
        'x-tenant-id': randomUUID(),
        cookie: 'sid=1',
      },
      payload: raw,
    });
    expect(res.statusCode).toBe(200);
    const seen = stub.last();
    expect(seen?.body).toBe(raw);
    expect(seen?.headers).toMatchObject({
      'content-type': 'application/json',
      'idempotency-key': 'key-123',
      'x-request-id': 'client-req-42',
      'x-forwarded-for': '127.0.0.1',
    });
    expect(seen?.headers['x-internal-token']).toBeUndefined();
    expect(seen?.headers['x-tenant-id']).toBeUndefined();
    expect(seen?.headers.cookie).toBeUndefined();
    expect(res.headers['x-request-id']).toBe('client-req-42');
  });

  it('generates a request id when the client sends none or an unusable one, and forwards it', async () => {
    const res = await gw.inject({
      url: '/api/v1/products',
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': 'bad id with spaces' },
    });
    const id = res.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(stub.last()?.headers['x-request-id']).toBe(id);
  });

  it("relays status, body and content headers, but not the upstream's trace, request id or cookies", async () => {
    const res = await gw.inject({
      method: 'POST',
      url: '/api/v1/orders/created',
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': 'mine-1' },
      payload: {},
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id: 'o-1', status: 'PENDING' });
    expect(res.headers).toMatchObject({
      location: '/api/v1/orders/o-1',
      'retry-after': '2',
      'x-request-id': 'mine-1',
    });
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.headers.traceresponse).not.toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.headers['x-internal-secret']).toBeUndefined();

    const empty = await gw.inject({
      method: 'DELETE',
      url: '/api/v1/orders/empty',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(empty.statusCode).toBe(204);
    expect(empty.body).toBe('');
    const boom = await gw.inject({
      url: '/api/v1/orders/boom',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(boom.statusCode).toBe(500);
    expect(boom.json()).toEqual({ status: 500, code: 'INTERNAL', traceId: 'abc' });
  });

  it('answers 404 problem+json for unknown paths, internal routes and traversal attempts', async () => {
    const before = stub.seen.length;
    for (const url of [
      '/api/v1/unknown',
      '/internal/profiles',
      '/api/v1/me/../../internal/profiles',
      '/api/v1/me/%2e%2e/%2e%2e/internal/profiles',
      '/api/v2/orders',
    ]) {
      const res = await gw.inject({ url, headers: { authorization: `Bearer ${alice}` } });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const internal = await gw.inject({
      method: 'POST',
      url: '/internal/profiles',
      headers: { 'x-internal-token': INTERNAL_TOKEN, 'x-tenant-id': randomUUID() },
      payload: { userId: randomUUID(), email: 'x@y.test', name: 'X' },
    });
    expect(internal.statusCode).toBe(404);
    expect(stub.seen.length).toBe(before);
  });

  it('refuses bodies over the limit with 413', async () => {
    const res = await gw.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(5_000) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('failing upstreams', () => {
  it('answers 503 with Retry-After when the service is down', async () => {
    const app = await gateway({ ORDER_URL: await deadUrl() });
    const res = await app.inject({ url: '/api/v1/orders', headers: { authorization: `Bearer ${alice}` } });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', upstream: 'order' });
  });

  it('answers 504 when the service does not answer in time', async () => {
    const started = Date.now();
    const res = await gw.inject({
      url: '/api/v1/orders/slow',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_TIMEOUT', upstream: 'order' });
    // The gateway's timeout is 500 ms, the upstream answers after 5 s: well under that is a timeout.
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('retries a GET once when the connection failed, but never a POST', async () => {
    const get = await gw.inject({
      url: '/api/v1/orders/drop',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(get.statusCode).toBe(200);
    expect(stub.seen.filter((s) => s.url === '/api/v1/orders/drop' && s.method === 'GET')).toHaveLength(2);
    const post = await gw.inject({
      method: 'POST',
      url: '/api/v1/orders/drop',
      headers: { authorization: `Bearer ${alice}`, 'idempotency-key': 'k' },
      payload: { a: 1 },
    });
    expect(post.statusCode).toBe(503);
    expect(stub.seen.filter((s) => s.url === '/api/v1/orders/drop' && s.method === 'POST')).toHaveLength(1);
  });

  it('tells the client when a POST may have been applied: OUTCOME_UNKNOWN, retry with the same key', async () => {
    const headers = { authorization: `Bearer ${alice}`, 'idempotency-key': `key-${randomUUID()}` };
    const url = `/api/v1/orders/drop?try=${randomUUID()}`;
    // The connection dies after the order service received the request: it may have placed the order.
    const lost = await gw.inject({ method: 'POST', url, headers, payload: { a: 1 } });
    expect(lost.statusCode).toBe(503);
    expect(lost.headers['content-type']).toContain('application/problem+json');
    expect(lost.headers['retry-after']).toBe('1');
    expect(lost.json()).toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      upstream: 'order',
      retryable: true,
      idempotencyKey: headers['idempotency-key'],
    });
    expect(lost.json().detail).toMatch(/may have been applied.*same Idempotency-Key/);
    // The retry the answer asks for reaches the service again, with the same key.
    const retried = await gw.inject({ method: 'POST', url, headers, payload: { a: 1 } });
    expect(retried.statusCode).toBe(200);
    const seen = stub.seen.filter((s) => s.url === url);
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual([
      headers['idempotency-key'],
      headers['idempotency-key'],
    ]);

    // A POST that timed out may have been applied as well.
    const slow = await gw.inject({ method: 'POST', url: '/api/v1/orders/slow', headers, payload: {} });
    expect(slow.statusCode).toBe(503);
    expect(slow.json()).toMatchObject({ code: 'OUTCOME_UNKNOWN', upstream: 'order' });

    // Without an Idempotency-Key a blind retry could apply it twice: the answer says to look first.
    const unkeyed = await gw.inject({
      method: 'POST',
      url: `/api/v1/orders/drop?try=${randomUUID()}`,
      headers: { authorization: `Bearer ${alice}` },
      payload: { a: 1 },
    });
    expect(unkeyed.json()).toMatchObject({ code: 'OUTCOME_UNKNOWN', retryable: false });
    expect(unkeyed.json().detail).toMatch(/check/);

    // A POST that never left the gateway (nothing listens) is plainly unavailable: nothing happened.
    const app = await gateway({ ORDER_URL: await deadUrl() });
    const refused = await app.inject({ method: 'POST', url: '/api/v1/orders', headers, payload: { a: 1 } });
    expect(refused.statusCode).toBe(503);
    expect(refused.json().code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('opens the circuit after repeated failures and then fails fast', async () => {
    const app = await gateway({ PAYMENT_URL: await deadUrl(), CIRCUIT_FAILURE_THRESHOLD: 2 });
    const headers = { authorization: `Bearer ${alice}` };
    for (let i = 0; i < 2; i++) {
      expect((await app.inject({ url: '/api/v1/payments/p', headers })).json().detail).toBe(
        'payment is unavailable',
      );
    }
    const fast = await app.inject({ url: '/api/v1/payments/p', headers });
    expect(fast.statusCode).toBe(503);
    expect(fast.json().detail).toContain('circuit open');
    expect(Number(fast.headers['retry-after'])).toBeGreaterThan(0);
    // Other upstreams are unaffected.
    expect((await app.inject({ url: '/api/v1/orders', headers })).statusCode).toBe(200);
  });
});

describe('rate limiting', () => {
  it('limits each user separately and answers 429 problem+json with Retry-After', async () => {
    const app = await gateway({ RATE_LIMIT_MAX: 3, RATE_LIMIT_WINDOW_MS: 60_000 });
    const admin = await login(app, 'admin@demo.test'); // the login counts against this client's IP, not alice
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await app.inject({ url: '/api/v1/products', headers: { authorization: `Bearer ${alice}` } }))
          .statusCode,
      );
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const limited = await app.inject({
      url: '/api/v1/products',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(limited.headers['content-type']).toContain('application/problem+json');
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (await app.inject({ url: '/api/v1/products', headers: { authorization: `Bearer ${admin}` } }))
        .statusCode,
    ).toBe(200);
  });

  it('caps sign-in requests per address well below the general limit', async () => {
    const app = await gateway({ AUTH_RATE_LIMIT_MAX: 2 });
    const attempt = (remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        remoteAddress,
        payload: { tenant: 'demo', email: 'alice@demo.test', password: 'guess' },
      });
    expect((await attempt('10.0.1.1')).statusCode).toBe(401);
    expect((await attempt('10.0.1.1')).statusCode).toBe(401);
    const limited = await attempt('10.0.1.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt('10.0.1.2')).statusCode).toBe(401);
    // Authenticated traffic from the limited address is not affected.
    const ok = await app.inject({
      url: '/api/v1/products',
      remoteAddress: '10.0.1.1',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(ok.statusCode).toBe(200);
  });

  it('limits flash-sale purchase attempts per user and per address, with Retry-After', async () => {
    const app = await gateway({ FLASH_SALE_USER_LIMIT_MAX: 2, FLASH_SALE_ADDRESS_LIMIT_MAX: 3 });
    const admin = await login(app, 'admin@demo.test');
    const sale = randomUUID();
    const attempt = (token: string, remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: `/api/v1/flash-sales/${sale}/purchases`,
        remoteAddress,
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
        payload: { quantity: 1, payment: { method: 'card', token: 't' } },
      });
    const forwarded = stub.seen.length;
    expect((await attempt(alice, '10.0.2.1')).statusCode).not.toBe(429);
    expect((await attempt(alice, '10.0.2.2')).statusCode).not.toBe(429);
    // Alice's third attempt, from any address: per user.
    const perUser = await attempt(alice, '10.0.2.3');
    expect(perUser.statusCode).toBe(429);
    expect(perUser.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 'sale_user' });
    expect(Number(perUser.headers['retry-after'])).toBeGreaterThan(0);
    // Two users from one address: three attempts pass, the fourth is refused (per address).
    expect((await attempt(admin, '10.0.2.2')).statusCode).not.toBe(429);
    expect((await attempt(admin, '10.0.2.2')).statusCode).not.toBe(429);
    const email = `carol-${randomUUID().slice(0, 8)}@demo.test`;
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { tenant: 'demo', email, password: 'correct horse battery', name: 'Carol' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const carol = await login(app, email, 'correct horse battery');
    const perAddress = await attempt(carol, '10.0.2.2');
    expect(perAddress.statusCode).toBe(429);
    expect(perAddress.json()).toMatchObject({ code: 'RATE_LIMITED', limit: 'sale_address' });
    expect(Number(perAddress.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(carol, '10.0.2.4')).statusCode).not.toBe(429);
    // Refused attempts never reach the sale; reading the sale is not limited by these.
    expect(stub.seen.length - forwarded).toBe(5);
    const read = await app.inject({
      url: `/api/v1/flash-sales/${sale}`,
      remoteAddress: '10.0.2.1',
      headers: { authorization: `Bearer ${alice}` },
    });
    expect(read.statusCode).not.toBe(429);
  });

  it('limits anonymous clients and bad tokens by address', async () => {
    const app = await gateway({ RATE_LIMIT_MAX: 2 });
    const from = (remoteAddress: string, authorization?: string) =>
      app.inject({ url: '/api/v1/orders', remoteAddress, headers: authorization ? { authorization } : {} });
    expect((await from('10.0.0.1')).statusCode).toBe(401);
    expect((await from('10.0.0.1', 'Bearer forged')).statusCode).toBe(401);
    expect((await from('10.0.0.1')).statusCode).toBe(429);
    expect((await from('10.0.0.2')).statusCode).toBe(401);
  });
});

describe('CORS, readiness and docs', () => {
  it('answers preflights for allowed origins only', async () => {
    const ok = await gw.inject({
      method: 'OPTIONS',
      url: '/api/v1/orders',
      headers: {
        origin: 'https://shop.test',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, idempotency-key',
      },
    });
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.test');
    expect(String(ok.headers['access-control-allow-headers'])).toContain('idempotency-key');
    const evil = await gw.inject({
      method: 'OPTIONS',
      url: '/api/v1/orders',
      headers: { origin: 'https://evil.test', 'access-control-request-method': 'POST' },
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const simple = await gw.inject({
      url: '/api/v1/products',
      headers: { origin: 'https://shop.test', authorization: `Bearer ${alice}` },
    });
    expect(simple.headers['access-control-allow-origin']).toBe('https://shop.test');
    expect(String(simple.headers['access-control-expose-headers'])).toContain('traceresponse');
  });

  it('answers its base URL, /api/v1, with the public paths and where they are described', async () => {
    const res = await gw.inject({ url: '/api/v1' });
    expect(res.statusCode).toBe(200);
    const index = res.json() as { openapi: string; paths: string[] };
    expect(index.openapi).toBe('/openapi.json');
    expect(index.paths).toContain('/api/v1/orders');
    expect(index.paths).toContain('/api/v1/products/:id');
    expect(index.paths.every((p) => p.startsWith('/api/v1/'))).toBe(true);
    expect(res.body).not.toMatch(/127\.0\.0\.1|localhost|:80\d\d/);
  });

  it('serves the whole public API at /openapi.json from the services that answer, and names those that do not', async () => {
    const res = await gw.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as {
      paths: Record<string, Record<string, { security: unknown[]; tags: string[] }>>;
      'x-glassbox-unavailable'?: string[];
    };
    // The real auth and user apps describe their routes; only what the gateway routes to them is kept.
    expect(doc.paths['/api/v1/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/v1/me']?.get?.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/api/v1/me']?.get?.tags).toEqual(['user']);
    expect(Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
    // The stand-ins for the other services answer no OpenAPI document: named, not fatal.
    expect(doc['x-glassbox-unavailable']).toEqual([
      'catalog',
      'flash-sale',
      'inventory',
      'notification',
      'order',
      'payment',
    ]);
    // Nothing of the internal network: no address, no port, no error message naming one.
    expect(res.body).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED/);
  });

  it('is ready while the JWKS can be fetched, and not when auth is unreachable', async () => {
    const ready = await gw.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks).toEqual({ jwks: 'ok' });
    const app = await gateway({ AUTH_URL: await deadUrl() });
    const down = await app.inject({ url: '/readyz' });
    expect(down.statusCode).toBe(503);
    expect(down.json().checks.jwks).toMatch(/unreachable/);
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('the healer’s levers: admin endpoints on the operational listener only', () => {
  it('holds a circuit open (GETs get a last good answer, others fail fast), sheds load, and validates', async () => {
    const { app, controls } = await buildGateway({ config, logger });
    await app.ready();
    extraApps.push(app);
    const ops = await createOperationalApp({ name: 'gateway', logger, openapi: () => ({}) });
    await ops.register(adminRoutes, { controls: () => controls });
    await ops.ready();
    // Not on the public port.
    expect((await app.inject({ method: 'POST', url: '/admin/shed', payload: {} })).statusCode).toBe(404);

    const bad = await ops.inject({
      method: 'POST',
      url: '/admin/circuits/catalog/open',
      payload: { forSeconds: 0 },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body).toContain('forSeconds');
    const unknown = await ops.inject({
      method: 'POST',
      url: '/admin/circuits/nope/open',
      payload: { forSeconds: 5 },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().detail).toContain('no upstream nope');

    const aliceHeaders = { authorization: `Bearer ${alice}` };
    const admin = await login(app, 'admin@demo.test');
    const adminHeaders = { authorization: `Bearer ${admin}` };
    // A user of another tenant (registering an unknown tenant creates it).
    const otherEmail = `eve-${randomUUID().slice(0, 8)}@other.test`;
    const otherTenant = `other-${randomUUID().slice(0, 8)}`;
    const reg = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { tenant: otherTenant, email: otherEmail, password: 'correct horse battery', name: 'Eve' },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    const eveHeaders = {
      authorization: `Bearer ${await login(app, otherEmail, 'correct horse battery', otherTenant)}`,
    };

    // Public catalog reads (shared reads: the same for every user of a tenant) and a personal route (orders).
    const products = `/api/v1/products?held=${randomUUID()}`;
    const orders = `/api/v1/orders?held=${randomUUID()}`;
    const fresh = await app.inject({ url: products, headers: aliceHeaders });
    expect(fresh.statusCode).toBe(200);
    const freshOrders = await app.inject({ url: orders, headers: aliceHeaders });
    expect(freshOrders.statusCode).toBe(200);
    const reached = stub.seen.length;

    const open = await ops.inject({
      method: 'POST',
      url: '/admin/circuits/catalog/open',
      payload: { forSeconds: 60 },
    });
    expect(open.json().circuit).toMatchObject({ upstream: 'catalog', state: 'open' });
    expect(
      (await ops.inject({ method: 'POST', url: '/admin/circuits/order/open', payload: { forSeconds: 60 } }))
        .statusCode,
    ).toBe(200);

    const degraded = await app.inject({ url: products, headers: aliceHeaders });
    expect(degraded.statusCode).toBe(200);
    expect(degraded.body).toBe(fresh.body);
    expect(degraded.headers['x-glassbox-degraded']).toMatch(/^circuit-open; stored=\S+; scope=tenant$/);
    // Any signed-in caller of the same tenant gets the tenant's last good catalog answer (new callers too).
    const shared = await app.inject({ url: products, headers: adminHeaders });
    expect(shared.statusCode).toBe(200);
    expect(shared.body).toBe(fresh.body);
    expect(shared.headers['x-glassbox-degraded']).toMatch(/scope=tenant$/);
    // Never another tenant's, and never to a caller without a valid token.
    const otherTenantRead = await app.inject({ url: products, headers: eveHeaders });
    expect(otherTenantRead.statusCode).toBe(503);
    expect(otherTenantRead.json().detail).toContain('circuit open');
    expect((await app.inject({ url: products })).statusCode).toBe(401);

    // A personal route keeps its answers per caller: alice gets hers, nobody else ever does.
    const own = await app.inject({ url: orders, headers: aliceHeaders });
    expect(own.statusCode).toBe(200);
    expect(own.body).toBe(freshOrders.body);
    expect(own.headers['x-glassbox-degraded']).toMatch(/scope=caller$/);
    const notHers = await app.inject({ url: orders, headers: adminHeaders });
    expect(notHers.statusCode).toBe(503);
    expect(notHers.body).not.toContain(alice);
    expect(stub.seen.length).toBe(reached);
    // Other upstreams are unaffected.
    expect((await app.inject({ url: '/api/v1/me', headers: aliceHeaders })).statusCode).toBe(200);

    await ops.inject({ method: 'DELETE', url: '/admin/circuits/catalog' });
    await ops.inject({ method: 'DELETE', url: '/admin/circuits/order' });
    const again = await app.inject({ url: products, headers: aliceHeaders });
    expect(again.headers['x-glassbox-degraded']).toBeUndefined();
    expect(stub.seen.length).toBeGreaterThan(reached);

    const badShed = await ops.inject({
      method: 'POST',
      url: '/admin/shed',
      payload: { fraction: 2, forSeconds: 5 },
    });
    expect(badShed.statusCode).toBe(400);
    expect(badShed.body).toContain('fraction');
    const shed = await ops.inject({
      method: 'POST',
      url: '/admin/shed',
      payload: { fraction: 1, forSeconds: 60 },
    });
    expect(shed.json().shed).toMatchObject({ fraction: 1 });
    const refused = await app.inject({ url: '/api/v1/orders', headers: aliceHeaders });
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.json().detail).toContain('shedding load');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    await ops.inject({ method: 'DELETE', url: '/admin/shed' });
    expect((await app.inject({ url: '/api/v1/orders', headers: aliceHeaders })).statusCode).toBe(200);
    await ops.close();
  });
});
