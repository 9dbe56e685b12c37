/**
 * The shop end to end: every service as its own process (started by the supervisor's startStack), real
 * PostgreSQL, all calls through the gateway, telemetry exported over OTLP/HTTP JSON to a receiver here.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AddressIdParams,
  AddressInput,
  AddressList,
  AddressView,
  AdminFlashSaleView,
  CreateOrderRequest,
  DEMO_PASSWORD,
  DEMO_PRODUCTS,
  FlashSaleCreated,
  FlashSaleIdParams,
  FlashSaleView,
  LoginRequest,
  MePatch,
  MeView,
  NewFlashSaleRequest,
  NewProductRequest,
  NotificationListQuery,
  NotificationPage,
  OrderIdParams,
  OrderListQuery,
  OrderPage,
  OrderView,
  PaymentDetail,
  PaymentIdParams,
  PaymentList,
  PaymentListQuery,
  Problem,
  Product,
  ProductChangesRequest,
  ProductIdParams,
  ProductListQuery,
  ProductPage,
  ProviderCallbackResult,
  ProviderEvent,
  PurchaseAccepted,
  PurchaseParams,
  PurchaseRequest,
  PurchaseView,
  ReconciliationFlagList,
  ReconciliationFlagsQuery,
  ReconciliationReportList,
  ReconciliationReportsQuery,
  RefreshRequest,
  RefundRequest,
  RefundView,
  RegisterRequest,
  RegisterResponse,
  SetStockRequest,
  StockLevel,
  StockProductParams,
  TokenPair,
} from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import type { TSchema } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../../cli/src/stack.js';
import { contractErrors, expectContract } from '../support/contract.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';
import { api, eventually } from '../support/http.js';
import { OtlpJsonReceiver } from '../support/otlp-receiver.js';

type Stack = Awaited<ReturnType<typeof startStack>>;
interface Order {
  id: string;
  status: string;
  totalCents?: number;
  failureReason?: string;
  items?: unknown[];
}

let stack: Stack;
let gw: string;
let otlpUrl: string;
const receiver = new OtlpJsonReceiver();
let alice: string;
let admin: string;
let stateDir: string;
const dbPrefix = `gbe2e_${randomBytes(3).toString('hex')}_`;

async function login(email: string, tenant = 'demo', password = DEMO_PASSWORD): Promise<string> {
  const res = await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
    method: 'POST',
    body: { tenant, email, password },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.accessToken;
}

function order(
  token: string,
  items: { productId: string; quantity: number }[],
  cardToken: string,
  key = randomUUID(),
) {
  return api<Order>(gw, '/api/v1/orders', {
    method: 'POST',
    token,
    headers: { 'idempotency-key': key },
    body: { items, payment: { method: 'card', token: cardToken } },
  });
}

async function finalOrder(token: string, id: string, timeoutMs = 30_000): Promise<Order> {
  const res = await eventually(
    () => api<Order>(gw, `/api/v1/orders/${id}`, { token }),
    (r) => r.status === 200 && r.body.status !== 'PENDING',
    timeoutMs,
  );
  return res.body;
}

async function stockOf(productId: string) {
  const res = await api<{ onHand: number; reserved: number; available: number }>(
    gw,
    `/api/v1/admin/stock/${productId}`,
    { token: admin },
  );
  expect(res.status).toBe(200);
  return res.body;
}

async function setStock(productId: string, onHand: number) {
  const res = await api(gw, `/api/v1/admin/stock/${productId}`, {
    method: 'PUT',
    token: admin,
    body: { onHand },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

beforeAll(async () => {
  const otlp = await receiver.start();
  otlpUrl = otlp;
  stateDir = await mkdtemp(join(tmpdir(), 'glassbox-e2e-'));
  stack = await startStack({
    observatory: false,
    logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
    ports: 'auto',
    databaseUrl: testServerUrl(),
    dbPrefix,
    stateDir,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      PAYMENT_SLOW_MS: '4000',
    },
  });
  gw = stack.urls.gateway;
  alice = await login('alice@demo.test');
  admin = await login('admin@demo.test');
});

afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
});

describe('accounts', () => {
  it('registers a customer who can then log in and read their profile', async () => {
    const email = `bob-${randomUUID().slice(0, 8)}@demo.test`;
    const reg = await api(gw, '/api/v1/auth/register', {
      method: 'POST',
      body: { tenant: 'demo', email, password: 'correct horse battery', name: 'Bob' },
    });
    expect(reg.status, JSON.stringify(reg.body)).toBe(201);
    const token = await login(email, 'demo', 'correct horse battery');
    // The profile comes from auth's user.registered event over the bus: a /me that beats it shows the
    // token's placeholder name until the event lands (within moments).
    const deadline = Date.now() + 10_000;
    let me = await api<{ email: string; name: string }>(gw, '/api/v1/me', { token });
    while (me.body.name !== 'Bob' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      me = await api<{ email: string; name: string }>(gw, '/api/v1/me', { token });
    }
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, name: 'Bob' });
  });

  it('rejects a wrong password with 401 problem+json', async () => {
    const res = await api(gw, '/api/v1/auth/login', {
      method: 'POST',
      body: { tenant: 'demo', email: 'alice@demo.test', password: 'wrong-password' },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});

describe('browsing', () => {
  it('lists, pages, searches and shows products', async () => {
    const page1 = await api<{
      items: { id: string; sku: string; priceCents: number }[];
      nextCursor: string | null;
    }>(gw, '/api/v1/products?limit=5', { token: alice });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(5);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await api<{ items: { id: string }[] }>(
      gw,
      `/api/v1/products?limit=5&cursor=${encodeURIComponent(String(page1.body.nextCursor))}`,
      { token: alice },
    );
    expect(page2.body.items.map((p) => p.id)).not.toContain(page1.body.items[0]?.id);
    const search = await api<{ items: { name: string }[] }>(gw, '/api/v1/products?search=grinder', {
      token: alice,
    });
    expect(search.body.items.map((p) => p.name)).toEqual(['Burr Grinder']);
    const one = await api<{ id: string; name: string }>(gw, `/api/v1/products/${DEMO_PRODUCTS[0]?.id}`, {
      token: alice,
    });
    expect(one.body).toMatchObject({ id: DEMO_PRODUCTS[0]?.id, name: DEMO_PRODUCTS[0]?.name });
  });
});

describe('checkout', () => {
  const mug = DEMO_PRODUCTS[4]!;
  const kettle = DEMO_PRODUCTS[2]!;

  it('confirms an order paid with tok_ok and deducts the stock', async () => {
    const before = await stockOf(mug.id);
    const res = await order(alice, [{ productId: mug.id, quantity: 2 }], 'tok_ok');
    expect([201, 202]).toContain(res.status);
    const done = await finalOrder(alice, res.body.id);
    expect(done.status).toBe('CONFIRMED');
    expect(done.totalCents).toBe(2 * mug.priceCents);
    const after = await stockOf(mug.id);
    expect(after.onHand).toBe(before.onHand - 2);
    expect(after.reserved).toBe(before.reserved);
  });

  it('fails an order paid with tok_declined and releases its stock', async () => {
    const before = await stockOf(kettle.id);
    const res = await order(alice, [{ productId: kettle.id, quantity: 1 }], 'tok_declined');
    const done = await finalOrder(alice, res.body.id);
    expect(done.status).toBe('FAILED');
    expect(done.failureReason).toMatch(/DECLINED/);
    const after = await stockOf(kettle.id);
    expect(after).toEqual(before);
  });

  it('returns the same order for a retry with the same Idempotency-Key', async () => {
    const key = randomUUID();
    const first = await order(alice, [{ productId: mug.id, quantity: 1 }], 'tok_ok', key);
    const again = await order(alice, [{ productId: mug.id, quantity: 1 }], 'tok_ok', key);
    expect(again.body.id).toBe(first.body.id);
    const reused = await order(alice, [{ productId: mug.id, quantity: 3 }], 'tok_ok', key);
    expect(reused.status).toBe(422);
    const list = await api<{ items: { id: string }[] }>(gw, '/api/v1/orders', { token: alice });
    expect(list.body.items.filter((o) => o.id === first.body.id)).toHaveLength(1);
  });

  it('confirms exactly min(N, S) of N concurrent orders on stock S', async () => {
    const product = DEMO_PRODUCTS[9]!;
    const S = 4;
    const N = 10;
    await setStock(product.id, S);
    const placed = await Promise.all(
      Array.from({ length: N }, () => order(alice, [{ productId: product.id, quantity: 1 }], 'tok_ok')),
    );
    const finals = await Promise.all(
      placed.map((p) =>
        p.status >= 400 ? Promise.resolve({ status: 'REJECTED' } as Order) : finalOrder(alice, p.body.id),
      ),
    );
    const confirmed = finals.filter((o) => o.status === 'CONFIRMED').length;
    expect(confirmed).toBe(Math.min(N, S));
    expect(
      finals.filter((o) => o.status === 'FAILED').every((o) => /STOCK/.test(o.failureReason ?? '')),
    ).toBe(true);
    expect(await stockOf(product.id)).toMatchObject({ onHand: 0, reserved: 0 });
  });

  it('resumes a saga cut off by killing the order service', async () => {
    const before = await stockOf(mug.id);
    const res = await order(alice, [{ productId: mug.id, quantity: 1 }], 'tok_slow');
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('PENDING');
    // The payment provider is slow (4 s); kill the order process while the saga waits for it.
    const pid = stack.control.list().find((p) => p.name === 'order')?.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid as number, 'SIGKILL');
    const done = await finalOrder(alice, res.body.id, 60_000);
    expect(done.status).toBe('CONFIRMED');
    const after = await stockOf(mug.id);
    expect(after.onHand).toBe(before.onHand - 1);
    expect(after.reserved).toBe(before.reserved);
  });
});

describe('tenancy and access', () => {
  it("hides another tenant's order behind a 404", async () => {
    const mine = await order(alice, [{ productId: DEMO_PRODUCTS[0]!.id, quantity: 1 }], 'tok_ok');
    const tenant = `acme-${randomUUID().slice(0, 8)}`;
    const reg = await api(gw, '/api/v1/auth/register', {
      method: 'POST',
      body: { tenant, email: 'eve@acme.test', password: 'a long enough password', name: 'Eve' },
    });
    expect(reg.status).toBe(201);
    const eve = await login('eve@acme.test', tenant, 'a long enough password');
    const res = await api(gw, `/api/v1/orders/${mine.body.id}`, { token: eve });
    expect(res.status).toBe(404);
    const products = await api<{ items: unknown[] }>(gw, '/api/v1/products', { token: eve });
    expect(products.body.items).toEqual([]);
  });

  it('answers 401 without a token and 403 to a customer on an admin route', async () => {
    const anonymous = await api(gw, '/api/v1/orders');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    const forbidden = await api(gw, '/api/v1/admin/products', {
      method: 'POST',
      token: alice,
      body: { sku: 'X-1', name: 'X', priceCents: 100, currency: 'EUR' },
    });
    expect(forbidden.status).toBe(403);
  });

  it('rejects malformed bodies with 400 problem+json and a trace id', async () => {
    const cases = [
      { rawBody: '{"items": [', headers: { 'idempotency-key': randomUUID() } },
      {
        body: { items: [], payment: { method: 'card', token: 'tok_ok' } },
        headers: { 'idempotency-key': randomUUID() },
      },
      {
        body: { items: [{ productId: 'not-a-uuid', quantity: 'two' }] },
        headers: { 'idempotency-key': randomUUID() },
      },
      {
        body: {
          items: [{ productId: DEMO_PRODUCTS[0]!.id, quantity: 1 }],
          payment: { method: 'card', token: 'tok_ok' },
        },
      },
    ];
    for (const c of cases) {
      const res = await api<{ status: number; traceId: string }>(gw, '/api/v1/orders', {
        method: 'POST',
        token: alice,
        ...c,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});

describe('telemetry', () => {
  it('continues a client trace across gateway, order, inventory and payment, with its logs', async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const res = await order(
      alice,
      [{ productId: DEMO_PRODUCTS[1]!.id, quantity: 1 }],
      'tok_ok',
      randomUUID(),
    );
    expect([201, 202]).toContain(res.status);
    const traced = await api<Order>(gw, '/api/v1/orders', {
      method: 'POST',
      token: alice,
      headers: { 'idempotency-key': randomUUID(), traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: {
        items: [{ productId: DEMO_PRODUCTS[1]!.id, quantity: 1 }],
        payment: { method: 'card', token: 'tok_ok' },
      },
    });
    expect(traced.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    await finalOrder(alice, traced.body.id);
    const spans = await eventually(
      async () => receiver.spansOf(traceId),
      (s) =>
        ['gateway', 'order', 'inventory', 'payment', 'catalog'].every((svc) =>
          s.some((x) => x.service === svc),
        ),
      15_000,
    );
    const services = new Set(spans.map((s) => s.service));
    expect([...services].sort()).toEqual(
      expect.arrayContaining(['catalog', 'gateway', 'inventory', 'order', 'payment']),
    );
    // One trace: every span but the gateway's server span has its parent inside the trace or is the client's child.
    const ids = new Set(spans.map((s) => s.spanId));
    const roots = spans.filter((s) => !ids.has(s.parentSpanId));
    expect(
      roots
        .filter((s) => s.parentSpanId !== '00f067aa0ba902b7')
        .map((s) => `${s.service} ${s.name} ${s.parentSpanId}`),
    ).toEqual([]);
    expect(
      spans.some(
        (s) => s.attributes['db.system.name'] === 'postgresql' || s.attributes['db.system'] === 'postgresql',
      ),
    ).toBe(true);
    // HTTP calls are named by their route templates (OTLP kind 3 = client), as the callees name their server
    // spans (kind 2): order's through the kit's client, the gateway's through undici. Waited for: each process
    // exports its spans in its own batches.
    const clientNames = (all: typeof spans, service = 'order') =>
      all
        .filter((s) => s.service === service && s.kind === 3 && s.attributes['http.request.method'])
        .map((s) => s.name);
    const serverNames = (all: typeof spans) => new Set(all.filter((s) => s.kind === 2).map((s) => s.name));
    const named = await eventually(
      async () => receiver.spansOf(traceId),
      (all) =>
        clientNames(all).length >= 5 &&
        clientNames(all, 'gateway').length >= 1 &&
        clientNames(all).every((name) => serverNames(all).has(name)),
      15_000,
    );
    const calls = clientNames(named);
    expect(calls).toEqual(
      expect.arrayContaining([
        'GET /internal/products',
        'POST /internal/reservations',
        'POST /internal/payments/authorize',
        'POST /internal/reservations/:id/commit',
        'POST /internal/payments/:id/capture',
      ]),
    );
    expect(calls.filter((name) => !serverNames(named).has(name))).toEqual([]);
    // The gateway's proxied call (undici's client span) by the owning service's template too.
    expect(clientNames(named, 'gateway')).toEqual(['POST /api/v1/orders']);
    const logs = await eventually(
      async () => receiver.logsOf(traceId),
      (l) => new Set(l.map((x) => x.service)).size >= 3,
      15_000,
    );
    expect(new Set(logs.map((l) => l.service)).size).toBeGreaterThanOrEqual(3);
  });

  it('serves the HTTP server, HTTP client and DB duration histograms at /metrics', async () => {
    const text = await (await fetch(`${stack.urls.order}/metrics`)).text();
    expect(text).toMatch(
      /http_server_request_duration\w*_bucket\{[^}]*http_route="\/api\/v1\/orders"[^}]*http_response_status_code="20[12]"/,
    );
    expect(text).toMatch(/http_client_request_duration\w*_bucket\{[^}]*server_address="127\.0\.0\.1"/);
    expect(text).toMatch(/db_client_operation_duration\w*_bucket\{/);
    expect(text).toMatch(/glassbox_orders_\w+/);
  });

  // Debian's `prometheus` package ships promtool (CI installs it, see .ci/run).
  const promtool = [process.env.PROMTOOL_PATH, '/usr/bin/promtool', '/usr/local/bin/promtool'].find(
    (p): p is string => p !== undefined && existsSync(p),
  );
  it.skipIf(promtool === undefined)(
    promtool
      ? "every service's /metrics passes `promtool check metrics`, with the exporters' own calls left out"
      : 'SKIPPED: promtool is not installed (apt-get install prometheus) — /metrics is not linted',
    async () => {
      // The shop has served checkouts above and pushed telemetry over OTLP all along (metrics every second):
      // scrape every process, the gateway on its operational listener.
      const targets = {
        gateway: stack.urls.gatewayOps,
        auth: stack.urls.auth,
        user: stack.urls.user,
        catalog: stack.urls.catalog,
        inventory: stack.urls.inventory,
        order: stack.urls.order,
        payment: stack.urls.payment,
      };
      await eventually(
        async () => receiver.metricNames,
        (names) => names.has('http.server.request.duration'),
        15_000,
      );
      const receiverPort = new URL(otlpUrl).port;
      for (const [service, url] of Object.entries(targets)) {
        const text = await (await fetch(`${url}/metrics`)).text();
        expect(text, service).toMatch(/http_server_request_duration\w*_bucket/);
        const check = spawnSync(promtool as string, ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(`${check.stdout}${check.stderr}`.trim(), `${service}: promtool check metrics`).toBe('');
        expect(check.status, service).toBe(0);
        // The OTLP exports go to the receiver: they are neither counted nor traced as the service's own calls.
        expect(text, service).not.toContain(`server_port="${receiverPort}"`);
      }
    },
  );
});

describe('the public API keeps its contract', () => {
  /** A problem document: its status, its media type and its shape. */
  function expectProblem(name: string, res: Awaited<ReturnType<typeof api>>, status: number) {
    expect(res.headers.get('content-type'), name).toContain('application/problem+json');
    return expectContract(name, Problem, res, status);
  }

  it('answers every main public route through the gateway as its contract schema says', async () => {
    // Accounts: a new customer of the demo shop.
    const email = `carol-${randomUUID().slice(0, 8)}@demo.test`;
    const password = 'carol has a long password';
    const registered = expectContract(
      'POST /api/v1/auth/register',
      RegisterResponse,
      await api(gw, '/api/v1/auth/register', {
        method: 'POST',
        body: { tenant: 'demo', email, password, name: 'Carol' },
      }),
      201,
    );
    const login = (body: unknown) => api(gw, '/api/v1/auth/login', { method: 'POST', body });
    const pair = expectContract(
      'POST /api/v1/auth/login',
      TokenPair,
      await login({ tenant: 'demo', email, password }),
    );
    const refreshed = expectContract(
      'POST /api/v1/auth/refresh',
      TokenPair,
      await api(gw, '/api/v1/auth/refresh', { method: 'POST', body: { refreshToken: pair.refreshToken } }),
    );
    expectProblem(
      'POST /api/v1/auth/login (wrong password)',
      await login({ tenant: 'demo', email, password: 'not her password' }),
      401,
    );
    const carol = refreshed.accessToken;

    // Profile and addresses.
    const me = expectContract('GET /api/v1/me', MeView, await api(gw, '/api/v1/me', { token: carol }));
    expect(me).toMatchObject({ id: registered.userId, email, roles: ['customer'] });
    expectContract(
      'PATCH /api/v1/me',
      MeView,
      await api(gw, '/api/v1/me', { method: 'PATCH', token: carol, body: { name: 'Carol C.' } }),
    );
    const address = expectContract(
      'POST /api/v1/me/addresses',
      AddressView,
      await api(gw, '/api/v1/me/addresses', {
        method: 'POST',
        token: carol,
        body: { line1: '2 Elm Street', city: 'Hamburg', postalCode: '20095', country: 'de' },
      }),
      201,
    );
    const addresses = expectContract(
      'GET /api/v1/me/addresses',
      AddressList,
      await api(gw, '/api/v1/me/addresses', { token: carol }),
    );
    expect(addresses.items.map((a) => a.id)).toEqual([address.id]);

    // The catalog, and a new product with stock (admin).
    const page = expectContract(
      'GET /api/v1/products',
      ProductPage,
      await api(gw, '/api/v1/products?limit=3', { token: carol }),
    );
    expect(page.items).toHaveLength(3);
    expectContract(
      'GET /api/v1/products/{id}',
      Product,
      await api(gw, `/api/v1/products/${page.items[0]?.id}`, { token: carol }),
    );
    const product = expectContract(
      'POST /api/v1/admin/products',
      Product,
      await api(gw, '/api/v1/admin/products', {
        method: 'POST',
        token: admin,
        body: {
          sku: `CONTRACT-${randomUUID().slice(0, 8)}`,
          name: 'Contract Teapot',
          description: 'checked against its schema',
          category: 'tea',
          priceCents: 1_250,
          currency: 'EUR',
        },
      }),
      201,
    );
    expectContract(
      'PATCH /api/v1/admin/products/{id}',
      Product,
      await api(gw, `/api/v1/admin/products/${product.id}`, {
        method: 'PATCH',
        token: admin,
        body: { description: null },
      }),
    );
    expectContract(
      'PUT /api/v1/admin/stock/{productId}',
      StockLevel,
      await api(gw, `/api/v1/admin/stock/${product.id}`, {
        method: 'PUT',
        token: admin,
        body: { onHand: 5 },
      }),
    );
    expect(
      expectContract(
        'GET /api/v1/admin/stock/{productId}',
        StockLevel,
        await api(gw, `/api/v1/admin/stock/${product.id}`, { token: admin }),
      ),
    ).toEqual({ productId: product.id, onHand: 5, reserved: 0, available: 5 });
    expectProblem(
      'PUT /api/v1/admin/stock/{productId} (bad body)',
      await api(gw, `/api/v1/admin/stock/${product.id}`, {
        method: 'PUT',
        token: admin,
        body: { onHand: -1 },
      }),
      400,
    );

    // An order, its payment and its e-mail.
    const placed = expectContract(
      'POST /api/v1/orders',
      OrderView,
      await order(carol, [{ productId: product.id, quantity: 1 }], 'tok_ok'),
      [201, 202],
    );
    const confirmed = await eventually(
      async () =>
        expectContract(
          'GET /api/v1/orders/{id}',
          OrderView,
          await api(gw, `/api/v1/orders/${placed.id}`, { token: carol }),
        ),
      (o) => o.status !== 'PENDING',
    );
    expect(confirmed).toMatchObject({ status: 'CONFIRMED', totalCents: 1_250, currency: 'EUR' });
    const orders = expectContract(
      'GET /api/v1/orders',
      OrderPage,
      await api(gw, '/api/v1/orders?limit=5', { token: carol }),
    );
    expect(orders.items.map((o) => o.id)).toEqual([placed.id]);
    expectProblem(
      'POST /api/v1/orders/{id}/cancel (confirmed)',
      await api(gw, `/api/v1/orders/${placed.id}/cancel`, { method: 'POST', token: carol }),
      409,
    );
    expectProblem(
      'GET /api/v1/orders/{id} (unknown)',
      await api(gw, `/api/v1/orders/${randomUUID()}`, { token: carol }),
      404,
    );
    expectProblem('GET /api/v1/orders (no token)', await api(gw, '/api/v1/orders'), 401);

    const payments = expectContract(
      'GET /api/v1/admin/payments',
      PaymentList,
      await api(gw, `/api/v1/admin/payments?orderId=${placed.id}`, { token: admin }),
    );
    expect(payments.items).toHaveLength(1);
    const paymentId = payments.items[0]?.paymentId;
    const captured = await eventually(
      async () =>
        expectContract(
          'GET /api/v1/admin/payments/{id}',
          PaymentDetail,
          await api(gw, `/api/v1/admin/payments/${paymentId}`, { token: admin }),
        ),
      (p) => p.status === 'CAPTURED',
    );
    expect(captured).toMatchObject({ orderId: placed.id, status: 'CAPTURED', capturedCents: 1_250 });
    expectContract(
      'POST /api/v1/admin/payments/{id}/refunds',
      RefundView,
      await api(gw, `/api/v1/admin/payments/${paymentId}/refunds`, {
        method: 'POST',
        token: admin,
        body: { amountCents: 250 },
      }),
      201,
    );
    expectContract(
      'GET /api/v1/admin/payments/reconciliation-flags',
      ReconciliationFlagList,
      await api(gw, '/api/v1/admin/payments/reconciliation-flags', { token: admin }),
    );
    expectContract(
      'GET /api/v1/admin/reconciliation/reports',
      ReconciliationReportList,
      await api(gw, '/api/v1/admin/reconciliation/reports', { token: admin }),
    );
    const mail = await eventually(
      async () =>
        expectContract(
          'GET /api/v1/me/notifications',
          NotificationPage,
          await api(gw, '/api/v1/me/notifications', { token: carol }),
        ),
      (p) => p.items.length > 0,
    );
    expect(mail.items.length).toBeGreaterThan(0);

    // A flash sale of the new product, and a purchase.
    const sale = expectContract(
      'POST /api/v1/admin/flash-sales',
      FlashSaleCreated,
      await api(gw, '/api/v1/admin/flash-sales', {
        method: 'POST',
        token: admin,
        body: {
          productId: product.id,
          quantity: 2,
          priceCents: 500,
          startsAt: new Date(Date.now() - 1_000).toISOString(),
          endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          perUserLimit: 1,
        },
      }),
      201,
    );
    expectContract(
      'GET /api/v1/flash-sales/{id}',
      FlashSaleView,
      await api(gw, `/api/v1/flash-sales/${sale.id}`, { token: carol }),
    );
    const accepted = expectContract(
      'POST /api/v1/flash-sales/{id}/purchases',
      PurchaseAccepted,
      await api(gw, `/api/v1/flash-sales/${sale.id}/purchases`, {
        method: 'POST',
        token: carol,
        headers: { 'idempotency-key': randomUUID() },
        body: { quantity: 1, payment: { method: 'card', token: 'tok_ok' } },
      }),
      202,
    );
    expectContract(
      'GET /api/v1/flash-sales/{id}/purchases/{purchaseId}',
      PurchaseView,
      await api(gw, `/api/v1/flash-sales/${sale.id}/purchases/${accepted.purchaseId}`, { token: carol }),
    );
    expectContract(
      'GET /api/v1/admin/flash-sales/{id}',
      AdminFlashSaleView,
      await api(gw, `/api/v1/admin/flash-sales/${sale.id}`, { token: admin }),
    );

    // What answers without a body.
    const removed = await api(gw, `/api/v1/me/addresses/${address.id}`, { method: 'DELETE', token: carol });
    expect(removed.status).toBe(204);
    const logout = await api(gw, '/api/v1/auth/logout', {
      method: 'POST',
      body: { refreshToken: refreshed.refreshToken },
    });
    expect(logout.status).toBe(204);
  });

  it('fails a real answer that drifts from its contract, naming the member', async () => {
    const product = expectContract(
      'GET /api/v1/products/{id}',
      Product,
      await api(gw, `/api/v1/products/${DEMO_PRODUCTS[0]?.id}`, { token: alice }),
    );
    const latest = expectContract(
      'POST /api/v1/orders',
      OrderView,
      await order(alice, [{ productId: product.id, quantity: 1 }], 'tok_ok'),
      [201, 202],
    );
    const { currency: _currency, ...withoutCurrency } = latest;
    const drifts: [string, typeof Product | typeof OrderView, unknown, RegExp][] = [
      ['a price as a string', Product, { ...product, priceCents: '12.50' }, /^\/priceCents /],
      ['a member the contract does not name', Product, { ...product, costCents: 1 }, /^\/costCents /],
      ['a status the contract does not list', OrderView, { ...latest, status: 'SHIPPED' }, /^\/status /],
      [
        'a required member missing',
        OrderView,
        withoutCurrency,
        /^\/ must have required properties currency$/,
      ],
      ['a time that is not RFC 3339', OrderView, { ...latest, createdAt: 'yesterday' }, /^\/createdAt /],
    ];
    for (const [what, schema, body, error] of drifts) {
      const errors = contractErrors(schema, body);
      expect(
        errors.some((e) => error.test(e)),
        `${what}: ${errors.join('; ')}`,
      ).toBe(true);
      expect(() => expectContract(what, schema, { status: 200, headers: new Headers(), body })).toThrow(
        /breaks its contract/,
      );
    }
  });

  it("describes every public route in the gateway's /openapi.json by its contract schemas", async () => {
    type Operation = {
      params?: TSchema;
      query?: TSchema;
      body?: TSchema;
      answers?: Record<number, TSchema>;
    };
    // Every public operation and the contract of its request and successful answers; error answers are Problem.
    const contract: Record<string, Operation> = {
      'POST /api/v1/auth/register': {
        body: RegisterRequest,
        answers: { 200: RegisterResponse, 201: RegisterResponse },
      },
      'POST /api/v1/auth/login': { body: LoginRequest, answers: { 200: TokenPair } },
      'POST /api/v1/auth/refresh': { body: RefreshRequest, answers: { 200: TokenPair } },
      'POST /api/v1/auth/logout': { body: RefreshRequest },
      'GET /api/v1/me': { answers: { 200: MeView } },
      'PATCH /api/v1/me': { body: MePatch, answers: { 200: MeView } },
      'GET /api/v1/me/addresses': { answers: { 200: AddressList } },
      'POST /api/v1/me/addresses': { body: AddressInput, answers: { 201: AddressView } },
      'DELETE /api/v1/me/addresses/{id}': { params: AddressIdParams },
      'GET /api/v1/products': { query: ProductListQuery, answers: { 200: ProductPage } },
      'GET /api/v1/products/{id}': { params: ProductIdParams, answers: { 200: Product } },
      'POST /api/v1/admin/products': { body: NewProductRequest, answers: { 200: Product, 201: Product } },
      'PATCH /api/v1/admin/products/{id}': {
        params: ProductIdParams,
        body: ProductChangesRequest,
        answers: { 200: Product },
      },
      'DELETE /api/v1/admin/products/{id}': { params: ProductIdParams },
      'GET /api/v1/admin/stock/{productId}': { params: StockProductParams, answers: { 200: StockLevel } },
      'PUT /api/v1/admin/stock/{productId}': {
        params: StockProductParams,
        body: SetStockRequest,
        answers: { 200: StockLevel },
      },
      'POST /api/v1/orders': {
        body: CreateOrderRequest,
        answers: { 200: OrderView, 201: OrderView, 202: OrderView },
      },
      'GET /api/v1/orders': { query: OrderListQuery, answers: { 200: OrderPage } },
      'GET /api/v1/orders/{id}': { params: OrderIdParams, answers: { 200: OrderView } },
      'POST /api/v1/orders/{id}/cancel': {
        params: OrderIdParams,
        answers: { 200: OrderView, 202: OrderView },
      },
      'GET /api/v1/admin/payments': { query: PaymentListQuery, answers: { 200: PaymentList } },
      'GET /api/v1/admin/payments/reconciliation-flags': {
        query: ReconciliationFlagsQuery,
        answers: { 200: ReconciliationFlagList },
      },
      'GET /api/v1/admin/payments/{id}': { params: PaymentIdParams, answers: { 200: PaymentDetail } },
      'POST /api/v1/admin/payments/{id}/refunds': {
        params: PaymentIdParams,
        body: RefundRequest,
        answers: { 200: RefundView, 201: RefundView },
      },
      'GET /api/v1/admin/reconciliation/reports': {
        query: ReconciliationReportsQuery,
        answers: { 200: ReconciliationReportList },
      },
      'POST /api/v1/payments/provider-callbacks': {
        body: ProviderEvent,
        answers: { 200: ProviderCallbackResult },
      },
      'GET /api/v1/me/notifications': { query: NotificationListQuery, answers: { 200: NotificationPage } },
      'POST /api/v1/admin/flash-sales': { body: NewFlashSaleRequest, answers: { 201: FlashSaleCreated } },
      'GET /api/v1/admin/flash-sales/{id}': {
        params: FlashSaleIdParams,
        answers: { 200: AdminFlashSaleView },
      },
      'GET /api/v1/flash-sales/{id}': { params: FlashSaleIdParams, answers: { 200: FlashSaleView } },
      'POST /api/v1/flash-sales/{id}/purchases': {
        params: FlashSaleIdParams,
        body: PurchaseRequest,
        answers: { 202: PurchaseAccepted },
      },
      'GET /api/v1/flash-sales/{id}/purchases/{purchaseId}': {
        params: PurchaseParams,
        answers: { 200: PurchaseView },
      },
    };
    // A schema as the document shows it: JSON without TypeBox's own `~` markers, `const` written as a one-value
    // `enum` (@fastify/swagger's rendering).
    const json = (schema: unknown) =>
      JSON.parse(
        JSON.stringify(schema, (key, value) => {
          if (key.startsWith('~')) return undefined;
          if (typeof value !== 'object' || value === null || !('const' in value)) return value;
          const { const: only, ...rest } = value as Record<string, unknown>;
          return { ...rest, enum: [only] };
        }),
      );
    const propertiesOf = (schema: TSchema | undefined) =>
      Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).sort();

    const res = await api<{
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: { in: string; name: string }[];
            requestBody?: { content: Record<string, { schema: unknown }> };
            responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
          }
        >
      >;
      'x-glassbox-unavailable'?: unknown;
    }>(gw, '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body['x-glassbox-unavailable']).toBeUndefined();
    const documented = Object.entries(res.body.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(documented.map((d) => d.name).sort()).toEqual(Object.keys(contract).sort());
    for (const { name, op } of documented) {
      const expected = contract[name] as Operation;
      const body = op.requestBody?.content['application/json']?.schema;
      expect(body, `${name} request body`).toEqual(expected.body ? json(expected.body) : undefined);
      const inPath = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      const inQuery = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      expect(inPath.sort(), `${name} path parameters`).toEqual(propertiesOf(expected.params));
      expect(inQuery.sort(), `${name} query parameters`).toEqual(propertiesOf(expected.query));
      for (const [status, answer] of Object.entries(op.responses)) {
        const schema = answer.content?.['application/json']?.schema;
        const want = Number(status) >= 400 ? Problem : expected.answers?.[Number(status)];
        expect(schema, `${name} → ${status}`).toEqual(want ? json(want) : undefined);
      }
      for (const status of Object.keys(expected.answers ?? {})) {
        expect(Object.keys(op.responses), `${name} answers ${status}`).toContain(status);
      }
    }
  });
});
