import {
  definitiveError,
  exponentialBackoff,
  initialState,
  type ProgressStore,
  runSaga,
  type SagaEvent,
  type SagaState,
  transientError,
} from '@glassbox/kit/saga/runner';
import { describe, expect, it } from 'vitest';
import {
  type CheckoutInput,
  type CheckoutPorts,
  type CheckoutResults,
  finalOrderStatus,
  reservationIdFor,
} from '../../domain/checkout.js';
import type { CatalogProduct } from '../../domain/pricing.js';
import { checkoutSteps, flashCheckoutSteps } from './checkout-saga.js';

const TENANT = 't0000000-0000-4000-8000-000000000001';
const mug: CatalogProduct = { id: 'p-mug', sku: 'MUG', name: 'Mug', priceCents: 1800, currency: 'EUR' };
const tea: CatalogProduct = { id: 'p-tea', sku: 'TEA', name: 'Tea', priceCents: 990, currency: 'EUR' };

/** In-memory stand-ins that keep the other services' rules (idempotent by id, all-or-nothing, no-op undo). */
function world(stock: Record<string, number> = { 'p-mug': 10, 'p-tea': 10 }) {
  const log: string[] = [];
  const reservations = new Map<
    string,
    { status: string; items: { productId: string; quantity: number }[] }
  >();
  const payments = new Map<string, { orderId: string; status: string; amountCents: number }>();
  const onHand = { ...stock };
  const reserved: Record<string, number> = {};
  let failNext: { op: string; error: Error } | undefined;
  const maybeFail = (op: string) => {
    log.push(op);
    if (failNext?.op === op) {
      const { error } = failNext;
      failNext = undefined;
      throw error;
    }
  };
  const ports: CheckoutPorts = {
    catalog: {
      async products(_tenant, ids) {
        maybeFail('catalog.products');
        return [mug, tea].filter((p) => ids.includes(p.id));
      },
    },
    inventory: {
      async reserve(_tenant, r) {
        maybeFail('inventory.reserve');
        if (reservations.has(r.reservationId)) return;
        for (const item of r.items) {
          if ((onHand[item.productId] ?? 0) - (reserved[item.productId] ?? 0) < item.quantity) {
            throw definitiveError('OUT_OF_STOCK', `not enough ${item.productId}`, {
              productId: item.productId,
            });
          }
        }
        for (const item of r.items)
          reserved[item.productId] = (reserved[item.productId] ?? 0) + item.quantity;
        reservations.set(r.reservationId, { status: 'RESERVED', items: r.items });
      },
      async commit(_tenant, id) {
        maybeFail('inventory.commit');
        const r = reservations.get(id);
        if (!r || r.status === 'RELEASED') throw definitiveError('RESERVATION_EXPIRED', 'gone');
        if (r.status === 'COMMITTED') return;
        for (const item of r.items) {
          reserved[item.productId] = (reserved[item.productId] ?? 0) - item.quantity;
          onHand[item.productId] = (onHand[item.productId] ?? 0) - item.quantity;
        }
        r.status = 'COMMITTED';
      },
      async release(_tenant, id) {
        maybeFail('inventory.release');
        const r = reservations.get(id);
        if (!r || r.status === 'RELEASED') return;
        for (const item of r.items) {
          if (r.status === 'RESERVED')
            reserved[item.productId] = (reserved[item.productId] ?? 0) - item.quantity;
          else onHand[item.productId] = (onHand[item.productId] ?? 0) + item.quantity;
        }
        r.status = 'RELEASED';
      },
    },
    payment: {
      async authorize(_tenant, p) {
        maybeFail('payment.authorize');
        const existing = [...payments.entries()].find(([, v]) => v.orderId === p.orderId);
        const id = existing?.[0] ?? `pay-${p.orderId}`;
        if (!existing) {
          payments.set(id, {
            orderId: p.orderId,
            amountCents: p.amountCents,
            status: p.token === 'tok_ok' ? 'AUTHORIZED' : 'DECLINED',
          });
        }
        if (payments.get(id)?.status === 'DECLINED') throw definitiveError('PAYMENT_DECLINED', 'declined');
        return { paymentId: id };
      },
      async capture(_tenant, id) {
        maybeFail('payment.capture');
        const p = payments.get(id);
        if (!p || p.status === 'VOIDED') throw definitiveError('PAYMENT_CAPTURE_FAILED', 'cannot capture');
        p.status = 'CAPTURED';
      },
      async void(_tenant, id) {
        maybeFail('payment.void');
        const p = payments.get(id);
        if (p?.status === 'AUTHORIZED') p.status = 'VOIDED';
      },
      async paymentsOf(_tenant, orderId) {
        maybeFail('payment.paymentsOf');
        return [...payments.entries()]
          .filter(([, v]) => v.orderId === orderId)
          .map(([paymentId, v]) => ({ paymentId, status: v.status }));
      },
    },
  };
  return {
    ports,
    log,
    payments,
    reservations,
    stock: () => ({ onHand: { ...onHand }, reserved: { ...reserved } }),
    failNext(op: string, error: Error) {
      failNext = { op, error };
    },
  };
}

class MemoryStore implements ProgressStore<CheckoutResults> {
  saved: SagaState<CheckoutResults> = initialState();
  events: SagaEvent[] = [];
  async save(state: SagaState<CheckoutResults>, event: SagaEvent) {
    this.saved = JSON.parse(JSON.stringify(state));
    this.events.push(event);
    return true;
  }
}

const opts = {
  maxAttempts: 3,
  maxCompensationAttempts: 3,
  backoffMs: exponentialBackoff(1, 10),
  log: { info() {}, warn() {}, error() {} },
};

function input(
  token = 'tok_ok',
  items = [
    { productId: 'p-mug', quantity: 2 },
    { productId: 'p-tea', quantity: 1 },
  ],
): CheckoutInput {
  return { orderId: 'o-1', tenantId: TENANT, items, paymentToken: token };
}

async function runToEnd(w: ReturnType<typeof world>, inp: CheckoutInput, store = new MemoryStore()) {
  let outcome = await runSaga(checkoutSteps(w.ports), inp, store.saved, store, opts);
  while (outcome.kind === 'deferred')
    outcome = await runSaga(checkoutSteps(w.ports), inp, store.saved, store, opts);
  return { outcome, store };
}

describe('checkout saga', () => {
  it('prices, reserves, authorizes the total, then commits and captures', async () => {
    const w = world();
    const { outcome, store } = await runToEnd(w, input());
    expect(outcome.kind).toBe('completed');
    expect(w.log).toEqual([
      'catalog.products',
      'inventory.reserve',
      'payment.authorize',
      'inventory.commit',
      'payment.capture',
    ]);
    expect(store.saved.results.price?.totalCents).toBe(2 * 1800 + 990);
    expect(store.saved.results.reserve).toEqual({ reservationId: reservationIdFor('o-1') });
    expect(w.payments.get('pay-o-1')).toMatchObject({ status: 'CAPTURED', amountCents: 4590 });
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 8, 'p-tea': 9 }, reserved: { 'p-mug': 0, 'p-tea': 0 } });
  });

  it('maps how the saga ended to the order status', () => {
    expect(finalOrderStatus(null)).toBe('CONFIRMED');
    expect(finalOrderStatus({ step: 'authorize', reason: 'PAYMENT_DECLINED', detail: '' })).toBe('FAILED');
    expect(finalOrderStatus({ step: 'confirm', reason: 'CANCELLED', detail: '' })).toBe('CANCELLED');
  });

  it('can be cancelled until confirm begins, never after', () => {
    const steps = checkoutSteps(world().ports);
    expect(steps.map((s) => [s.name, s.pivot === true])).toEqual([
      ['price', false],
      ['reserve', false],
      ['authorize', false],
      ['confirm', true],
    ]);
  });

  it('derives the reservation id from the order id', () => {
    expect(reservationIdFor('1234')).toBe('order-1234');
    expect(reservationIdFor('1234')).toMatch(/^[A-Za-z0-9._:-]{1,128}$/);
  });

  it('on a declined card releases the stock and voids nothing that was not authorized', async () => {
    const w = world();
    const { outcome, store } = await runToEnd(w, input('tok_declined'));
    expect(outcome.kind).toBe('failed');
    expect(store.saved.failure).toMatchObject({ step: 'authorize', reason: 'PAYMENT_DECLINED' });
    expect(w.log.slice(2)).toEqual(['payment.authorize', 'payment.paymentsOf', 'inventory.release']);
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 10, 'p-tea': 10 }, reserved: { 'p-mug': 0, 'p-tea': 0 } });
  });

  it('on too little stock fails OUT_OF_STOCK before any payment', async () => {
    const w = world({ 'p-mug': 1, 'p-tea': 10 });
    const { outcome, store } = await runToEnd(w, input());
    expect(outcome.kind).toBe('failed');
    expect(store.saved.failure).toMatchObject({
      step: 'reserve',
      reason: 'OUT_OF_STOCK',
      data: { productId: 'p-mug' },
    });
    expect(w.log).not.toContain('payment.authorize');
    expect(w.stock().reserved).toEqual({});
  });

  it('fails an unknown product at pricing, naming it', async () => {
    const w = world();
    const { store } = await runToEnd(w, input('tok_ok', [{ productId: 'p-ghost', quantity: 1 }]));
    expect(store.saved.failure).toMatchObject({
      reason: 'PRODUCT_NOT_FOUND',
      data: { productIds: ['p-ghost'] },
    });
  });

  it('voids an authorization whose answer was lost when it gives up on the payment service', async () => {
    const w = world();
    // The payment is authorized, but the answer never arrives; then the service stays unreachable.
    const lost = transientError('UPSTREAM_TIMEOUT', 'payment did not answer in time');
    const real = w.ports.payment.authorize;
    w.ports.payment.authorize = async (tenant, p) => {
      await real(tenant, p);
      throw lost;
    };
    const { outcome, store } = await runToEnd(w, input());
    expect(outcome.kind).toBe('failed');
    expect(store.saved.failure).toMatchObject({ step: 'authorize', reason: 'DEPENDENCY_UNAVAILABLE' });
    expect(w.payments.get('pay-o-1')?.status).toBe('VOIDED');
    expect(w.stock().reserved).toEqual({ 'p-mug': 0, 'p-tea': 0 });
  });

  it('when the reservation expired before confirming, voids the payment and fails', async () => {
    const w = world();
    const real = w.ports.inventory.commit;
    w.ports.inventory.commit = async (tenant, id) => {
      await w.ports.inventory.release(tenant, id); // the sweeper got there first
      return real(tenant, id);
    };
    const { outcome, store } = await runToEnd(w, input());
    expect(outcome.kind).toBe('failed');
    expect(store.saved.failure).toMatchObject({ step: 'confirm', reason: 'RESERVATION_EXPIRED' });
    expect(w.payments.get('pay-o-1')?.status).toBe('VOIDED');
  });

  it('when capture is refused after the commit, puts the goods back on hand', async () => {
    const w = world();
    w.failNext('payment.capture', definitiveError('PAYMENT_CAPTURE_FAILED', 'authorization expired'));
    const { outcome } = await runToEnd(w, input());
    expect(outcome.kind).toBe('failed');
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 10, 'p-tea': 10 }, reserved: { 'p-mug': 0, 'p-tea': 0 } });
    expect(w.payments.get('pay-o-1')?.status).toBe('VOIDED');
  });

  it('repeats every step safely: running each one twice changes nothing more', async () => {
    const w = world();
    const steps = checkoutSteps(w.ports);
    const inp = input();
    const results: Partial<CheckoutResults> = {};
    for (const step of steps) {
      const first = await step.invoke(inp, results as never);
      const second = await step.invoke(inp, results as never);
      expect(second).toEqual(first);
      Object.assign(results, { [step.name]: first });
    }
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 8, 'p-tea': 9 }, reserved: { 'p-mug': 0, 'p-tea': 0 } });
    expect(w.payments.size).toBe(1);
  });

  it('compensates twice safely', async () => {
    const w = world();
    const steps = checkoutSteps(w.ports);
    const inp = input();
    const results: Partial<CheckoutResults> = {};
    for (const step of steps.slice(0, 3))
      Object.assign(results, { [step.name]: await step.invoke(inp, results as never) });
    for (const step of [...steps.slice(0, 3)].reverse()) {
      await step.compensate(inp, results[step.name] as never, results);
      await step.compensate(inp, results[step.name] as never, results);
    }
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 10, 'p-tea': 10 }, reserved: { 'p-mug': 0, 'p-tea': 0 } });
    expect(w.payments.get('pay-o-1')?.status).toBe('VOIDED');
  });
});

describe("flash checkout saga (a flash-sale purchase's order)", () => {
  const flashInput = (token = 'tok_ok'): CheckoutInput => ({
    orderId: 'o-flash',
    tenantId: TENANT,
    items: [{ productId: 'p-mug', quantity: 2 }],
    paymentToken: token,
    flash: { saleId: 's-1', unitPriceCents: 500, reservationId: 'flash-sale:s-1' },
  });

  async function runFlash(w: ReturnType<typeof world>, inp: CheckoutInput, store = new MemoryStore()) {
    let outcome = await runSaga(flashCheckoutSteps(w.ports), inp, store.saved, store, opts);
    while (outcome.kind === 'deferred')
      outcome = await runSaga(flashCheckoutSteps(w.ports), inp, store.saved, store, opts);
    return { outcome, store };
  }

  it('prices at the flash price, reserves nothing, commits nothing: authorizes and captures the flash total', async () => {
    const w = world();
    const { outcome, store } = await runFlash(w, flashInput());
    expect(outcome.kind).toBe('completed');
    expect(w.log).toEqual(['catalog.products', 'payment.authorize', 'payment.capture']);
    expect(store.saved.results.price).toMatchObject({
      totalCents: 1000,
      currency: 'EUR',
      lines: [expect.objectContaining({ productId: 'p-mug', sku: 'MUG', name: 'Mug', unitPriceCents: 500 })],
    });
    expect(store.saved.results.confirm).toEqual({
      reservationId: 'flash-sale:s-1',
      paymentId: 'pay-o-flash',
    });
    expect(w.payments.get('pay-o-flash')).toMatchObject({ status: 'CAPTURED', amountCents: 1000 });
    expect(w.stock()).toEqual({ onHand: { 'p-mug': 10, 'p-tea': 10 }, reserved: {} });
  });

  it('a declined card fails at authorize, with nothing reserved to release', async () => {
    const w = world();
    const { outcome, store } = await runFlash(w, flashInput('tok_declined'));
    expect(outcome.kind).toBe('failed');
    expect(store.saved.failure).toMatchObject({ step: 'authorize', reason: 'PAYMENT_DECLINED' });
    expect(w.log).not.toContain('inventory.reserve');
    expect(w.log).not.toContain('inventory.release');
  });

  it('cannot be cancelled once capture begins (confirm is the pivot)', () => {
    expect(flashCheckoutSteps(world().ports).map((s) => [s.name, s.pivot === true])).toEqual([
      ['price', false],
      ['authorize', false],
      ['confirm', true],
    ]);
  });
});
