/**
 * The observatory with the real shop: `startStack` runs the observatory and every service (their default OTLP
 * endpoint is the observatory, protobuf over HTTP), one checkout is made through the gateway with curl-like
 * calls, and headless Chromium finds in the console the services, that checkout's trace with every service in
 * it, and its logs. Screenshots are kept in test-results/shop-console/.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_PASSWORD, DEMO_PRODUCTS } from '@glassbox/contracts';
import { testServerUrl } from '@glassbox/kit/testing';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack } from '../../cli/src/stack.js';
import { dropDatabasesWithPrefix } from '../support/databases.js';
import { api, eventually } from '../support/http.js';

const CHECKOUT_SERVICES = ['gateway', 'order', 'catalog', 'inventory', 'payment'];
const shots = join(import.meta.dirname, '..', '..', 'test-results', 'shop-console');
const dbPrefix = `gbcon_${randomBytes(3).toString('hex')}_`;

let stack: Awaited<ReturnType<typeof startStack>>;
let browser: Browser;
let stateDir: string;
let traceId: string;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  stateDir = await mkdtemp(join(tmpdir(), 'glassbox-console-'));
  stack = await startStack({
    observatory: true,
    logs: process.env.E2E_LOGS ? 'inherit' : 'silent',
    ports: 'auto',
    databaseUrl: testServerUrl(),
    dbPrefix,
    stateDir,
    env: {
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BLRP_SCHEDULE_DELAY: '200',
      OTEL_METRIC_EXPORT_INTERVAL: '2000',
    },
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });

  const gw = stack.urls.gateway;
  const login = await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
    method: 'POST',
    body: { tenant: 'demo', email: 'alice@demo.test', password: DEMO_PASSWORD },
  });
  const token = login.body.accessToken;
  const placed = await api<{ id: string; status: string }>(gw, '/api/v1/orders', {
    method: 'POST',
    token,
    headers: { 'idempotency-key': randomUUID() },
    body: {
      items: [{ productId: DEMO_PRODUCTS[3]!.id, quantity: 1 }],
      payment: { method: 'card', token: 'tok_ok' },
    },
  });
  expect([201, 202]).toContain(placed.status);
  traceId = (placed.headers.get('traceresponse') ?? '').split('-')[1] ?? '';
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  const final = await eventually(
    () => api<{ status: string }>(gw, `/api/v1/orders/${placed.body.id}`, { token }),
    (r) => r.body.status !== 'PENDING',
  );
  expect(final.body.status).toBe('CONFIRMED');
  // The trace has arrived when every service of the checkout has spans in it.
  await eventually(
    () => api<{ spans: { service: string }[] }>(stack.urls.observatory, `/api/traces/${traceId}`),
    (r) => r.status === 200 && CHECKOUT_SERVICES.every((s) => r.body.spans.some((x) => x.service === s)),
    30_000,
  );
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
  await dropDatabasesWithPrefix(testServerUrl(), dbPrefix);
});

describe('the console with the shop running', () => {
  it('lists the shop services on the overview', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(stack.urls.observatory);
    for (const service of CHECKOUT_SERVICES) {
      await page.locator(`[data-testid=services-table] tr[data-service="${service}"]`).waitFor();
    }
    await page.screenshot({ path: join(shots, 'overview.png') });
    await page.close();
  });

  it("shows the checkout's trace with every service in it, and its logs", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.urls.observatory}/traces/${traceId}`);
    await page.locator('[data-testid=waterfall]').waitFor();
    // The header names every service of the trace with its span count …
    const chips = await page.locator('.trace-toolbar .chips').innerText();
    for (const service of CHECKOUT_SERVICES) expect(chips).toContain(service);
    await page.screenshot({ path: join(shots, 'trace.png') });
    // … and scrolling the (virtualized) waterfall shows rows of each of them.
    const seen = new Set<string>();
    for (let step = 0; step < 40 && !CHECKOUT_SERVICES.every((s) => seen.has(s)); step++) {
      for (const s of await page
        .locator('.wf-row')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service'))))
        if (s) seen.add(s);
      await page.locator('.wf-scroll').evaluate((el) => el.scrollBy(0, el.clientHeight * 0.8));
      await page.waitForTimeout(50);
    }
    expect([...seen].sort()).toEqual(expect.arrayContaining(CHECKOUT_SERVICES));

    await page.locator('[data-testid=trace-logs-link]').click();
    const rows = page.locator(`[data-testid=log-results] tr[data-trace-id="${traceId}"]`);
    await rows.first().waitFor();
    const text = await page.locator('[data-testid=log-results]').innerText();
    for (const service of ['gateway', 'order', 'inventory', 'payment']) expect(text).toContain(service);
    await page.screenshot({ path: join(shots, 'trace-logs.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows a flash sale on the Flash sale page: accepted, sold out, the oversell check at 0', async () => {
    const gw = stack.urls.gateway;
    const admin = (
      await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
        method: 'POST',
        body: { tenant: 'demo', email: 'admin@demo.test', password: DEMO_PASSWORD },
      })
    ).body.accessToken;
    const sale = await api<{ id: string }>(gw, '/api/v1/admin/flash-sales', {
      method: 'POST',
      token: admin,
      body: {
        productId: DEMO_PRODUCTS[2]!.id,
        quantity: 2,
        priceCents: 100,
        startsAt: new Date(Date.now() - 1000).toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        perUserLimit: 1,
      },
    });
    expect(sale.status).toBe(201);
    const answers: number[] = [];
    for (let i = 0; i < 3; i++) {
      const email = `flash-${i}-${randomUUID().slice(0, 8)}@console.test`;
      const password = 'console-password-1';
      await api(gw, '/api/v1/auth/register', {
        method: 'POST',
        body: { tenant: 'demo', email, password, name: 'Buyer' },
      });
      const token = (
        await api<{ accessToken: string }>(gw, '/api/v1/auth/login', {
          method: 'POST',
          body: { tenant: 'demo', email, password },
        })
      ).body.accessToken;
      const bought = await api(gw, `/api/v1/flash-sales/${sale.body.id}/purchases`, {
        method: 'POST',
        token,
        headers: { 'idempotency-key': randomUUID() },
        body: { quantity: 1, payment: { method: 'card', token: 'tok_ok' } },
      });
      answers.push(bought.status);
    }
    expect(answers).toEqual([202, 202, 409]);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${stack.urls.observatory}/flash-sale?range=15m&refresh=10s`);
    const summary = page.locator('[data-testid=flash-sale-summary]');
    // The metrics arrive every 2 s; the page refreshes until the sale is in them.
    await expect
      .poll(async () => summary.innerText(), { timeout: 45_000, interval: 1_000 })
      .toMatch(/Oversold \(check\)\s*0 units\s*never oversold/);
    await expect
      .poll(async () => summary.innerText(), { timeout: 30_000, interval: 1_000 })
      .not.toMatch(/not in this window/);
    const text = await summary.innerText();
    expect(text).toMatch(/Accepted \(peak\)\s*[0-9.]+/);
    await page.screenshot({ path: join(shots, 'flash-sale.png') });
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});
