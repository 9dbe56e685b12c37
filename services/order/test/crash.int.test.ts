/**
 * The order service as a real process (its compiled bundle, dist/services/order/main.js), killed in the middle of a
 * checkout and started again. The catalog, inventory and payment apps run in this test process, so they live on
 * while the order process dies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDb, type Db } from '@glassbox/kit';
import { createTestDatabase, serviceCommand, type TestDatabase } from '@glassbox/kit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually, INTERNAL_TOKEN, type Shop, startShop } from './support/shop.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SLOW_MS = 3_000;

let shop: Shop;
let database: TestDatabase;
let db: Db;
const tenant = randomUUID();
let alice: string;
const children = new Set<ChildProcess>();

interface OrderProcess {
  child: ChildProcess;
  url: string;
  output: string[];
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function startOrderProcess(env: Record<string, string> = {}): Promise<OrderProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, serviceCommand(ROOT, 'order'), {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: database.url,
      // The PostgreSQL bus in the order's own test database: the final statuses are announced there.
      BUS_URL: database.url,
      AUTH_URL: shop.signer.jwksUrl.replace('/.well-known/jwks.json', ''),
      CATALOG_URL: shop.urls.catalog,
      INVENTORY_URL: shop.urls.inventory,
      PAYMENT_URL: shop.urls.payment,
      INTERNAL_TOKEN,
      LOG_LEVEL: 'info',
      SAGA_LEASE_MS: '3000',
      SAGA_RECOVERY_INTERVAL_MS: '300',
      ...env,
    },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const output: string[] = [];
  child.stdout?.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => output.push(d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`order exited early:\n${output.join('')}`);
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`order not ready:\n${output.join('')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, url, output };
}

async function api<T>(url: string, init: { method?: string; body?: unknown; key?: string } = {}) {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${alice}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.key ? { 'idempotency-key': init.key } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function sagaRow(orderId: string) {
  const [row] = await db.query<{ status: string; position: number; lease_owner: string | null }>(
    "SELECT status, position, lease_owner FROM sagas WHERE type = 'checkout' AND id = $1",
    [orderId],
  );
  return row;
}

/** Places a tok_slow order and waits until the saga is inside the payment provider's delay. */
async function placeSlowOrder(proc: OrderProcess, productId: string): Promise<string> {
  const res = await api<{ id: string; status: string }>(`${proc.url}/api/v1/orders`, {
    method: 'POST',
    key: randomUUID(),
    body: { items: [{ productId, quantity: 1 }], payment: { method: 'card', token: 'tok_slow' } },
  });
  expect(res.status).toBe(202);
  expect(res.body.status).toBe('PENDING');
  const payments = await eventually(
    () => shop.payments(tenant, res.body.id),
    (p) => p.length === 1,
    10_000,
  );
  expect(payments[0]?.status).toBe('PROCESSING');
  return res.body.id;
}

beforeAll(async () => {
  shop = await startShop({ paymentSlowMs: SLOW_MS });
  database = await createTestDatabase('order_proc');
  db = createDb(database.url);
  alice = await shop.signer.sign({ userId: randomUUID(), tenantId: tenant });
});

afterEach(() => {
  for (const child of children) child.kill('SIGKILL');
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await db?.close();
  await database?.drop();
  await shop?.close();
});

describe('a checkout cut off by the death of the order process', () => {
  it('is resumed after SIGKILL by the restarted service and ends CONFIRMED, with every effect exactly once', async () => {
    const product = await shop.product(tenant, { priceCents: 2490, stock: 10 });
    const first = await startOrderProcess();
    const id = await placeSlowOrder(first, product);

    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    const killedAt = Date.now();
    // The dead process left the saga mid-authorize, leased to itself.
    const cutOff = await sagaRow(id);
    expect(cutOff).toMatchObject({ status: 'RUNNING', position: 2 });
    expect(cutOff?.lease_owner).toBeTruthy();

    const second = await startOrderProcess();
    const done = await eventually(
      () => api<{ status: string; totalCents: number }>(`${second.url}/api/v1/orders/${id}`),
      (r) => r.body.status !== 'PENDING',
      30_000,
    );
    const recoveredMs = Date.now() - killedAt;
    expect(done.body, second.output.join('')).toMatchObject({ status: 'CONFIRMED', totalCents: 2490 });
    console.info(
      `saga resumed and confirmed ${recoveredMs} ms after SIGKILL (lease 3000 ms, restart included)`,
    );

    expect(await shop.payments(tenant, id)).toEqual([
      expect.objectContaining({ status: 'CAPTURED', capturedCents: 2490 }),
    ]);
    expect(await shop.reservation(tenant, id)).toMatchObject({ status: 'COMMITTED' });
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 9, reserved: 0 });
    expect(await sagaRow(id)).toMatchObject({ status: 'COMPLETED', lease_owner: null });
    expect(second.output.join('')).toContain('resuming saga');

    const metrics = await (await fetch(`${second.url}/metrics`)).text();
    expect(metrics).toMatch(/glassbox_checkout_saga_resumed_total\{[^}]*\} [1-9]/);
    expect(metrics).toMatch(
      /glassbox_orders_completed_total\{[^}]*glassbox_order_status="CONFIRMED"[^}]*\} 1/,
    );
    expect(metrics).toMatch(/glassbox_checkout_saga_duration_bucket/);
    expect(metrics).toMatch(/glassbox_orders_completed_total\{[^}]*glassbox_failure_class="none"[^}]*\} 1/);
    // The saga finished: the recovery loop's next backlog measurement finds no unfinished saga.
    const settled = await eventually(
      async () => (await fetch(`${second.url}/metrics`)).text(),
      (text) => /^glassbox_saga_backlog_size\{[^}]*glassbox_saga_type="checkout"[^}]*\} 0$/m.test(text),
      10_000,
    );
    expect(settled).toMatch(/^glassbox_saga_backlog_age\{[^}]*glassbox_saga_type="checkout"[^}]*\} 0$/m);
    expect(metrics).toMatch(/^nodejs_eventloop_delay_p99\{[^}]*\} [0-9.e-]+$/m);

    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');
    expect(code).toBe(0);
  }, 120_000);

  it('on SIGTERM finishes the running step, hands the saga back, and the next process resumes it at once', async () => {
    const product = await shop.product(tenant, { stock: 10 });
    // A long lease: if the lease were not handed back, the next process would have to wait 60 s.
    const env = { SAGA_LEASE_MS: '60000' };
    const first = await startOrderProcess(env);
    const id = await placeSlowOrder(first, product);

    first.child.kill('SIGTERM');
    const [code] = await once(first.child, 'exit');
    expect(code, first.output.join('')).toBe(0);
    // authorize finished and was saved; the lease was released.
    expect(await sagaRow(id)).toMatchObject({ status: 'RUNNING', position: 3, lease_owner: null });
    expect(await shop.payments(tenant, id)).toEqual([expect.objectContaining({ status: 'AUTHORIZED' })]);

    const started = Date.now();
    const second = await startOrderProcess(env);
    const done = await eventually(
      () => api<{ status: string }>(`${second.url}/api/v1/orders/${id}`),
      (r) => r.body.status !== 'PENDING',
      30_000,
    );
    expect(done.body.status).toBe('CONFIRMED');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await shop.stock(tenant, product)).toMatchObject({ onHand: 9, reserved: 0 });
    second.child.kill('SIGTERM');
    await once(second.child, 'exit');
  }, 120_000);
});
