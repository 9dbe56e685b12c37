import { describe, expect, it } from 'vitest';
import {
  canTransition,
  PAYMENT_TRANSITIONS,
  type PaymentStatus,
  planCapture,
  planRefund,
  planVoid,
  sameAuthorization,
} from './payment.js';

const ALL = Object.keys(PAYMENT_TRANSITIONS) as PaymentStatus[];

describe('payment lifecycle', () => {
  it('allows only the listed transitions', () => {
    expect(canTransition('PROCESSING', 'AUTHORIZED')).toBe(true);
    expect(canTransition('AUTHORIZED', 'CAPTURED')).toBe(true);
    expect(canTransition('CAPTURED', 'VOIDED')).toBe(false);
    expect(canTransition('DECLINED', 'AUTHORIZED')).toBe(false);
    for (const terminal of ['DECLINED', 'VOIDED', 'REFUNDED'] as const) {
      expect(ALL.filter((to) => canTransition(terminal, to))).toEqual([]);
    }
  });

  it('plans only transitions the table allows', () => {
    for (const from of ALL) {
      for (const plan of [planVoid(from), planCapture(from)]) {
        if (plan.action === 'apply') expect(canTransition(from, plan.to)).toBe(true);
      }
    }
  });
});

describe('void', () => {
  it('voids an open authorization, also one still in progress', () => {
    expect(planVoid('AUTHORIZED')).toEqual({ action: 'apply', to: 'VOIDED' });
    expect(planVoid('PROCESSING')).toEqual({ action: 'apply', to: 'VOIDED' });
  });
  it('is a no-op on void and declined payments (compensations repeat)', () => {
    expect(planVoid('VOIDED')).toEqual({ action: 'noop' });
    expect(planVoid('DECLINED')).toEqual({ action: 'noop' });
  });
  it('refuses once money moved', () => {
    expect(planVoid('CAPTURED').action).toBe('illegal');
    expect(planVoid('REFUNDED').action).toBe('illegal');
  });
});

describe('capture', () => {
  it('captures an authorization once; again is a no-op', () => {
    expect(planCapture('AUTHORIZED')).toEqual({ action: 'apply', to: 'CAPTURED' });
    expect(planCapture('CAPTURED')).toEqual({ action: 'noop' });
    expect(planCapture('PARTIALLY_REFUNDED')).toEqual({ action: 'noop' });
  });
  it('refuses void or declined payments and waits for one in progress', () => {
    expect(planCapture('VOIDED').action).toBe('illegal');
    expect(planCapture('DECLINED').action).toBe('illegal');
    expect(planCapture('PROCESSING').action).toBe('pending');
  });
});

describe('refund', () => {
  const captured = { status: 'CAPTURED' as const, capturedCents: 1000, refundedCents: 0 };
  it('refunds part, then the rest', () => {
    expect(planRefund(captured, 400)).toEqual({ action: 'apply', to: 'PARTIALLY_REFUNDED' });
    expect(planRefund({ ...captured, status: 'PARTIALLY_REFUNDED', refundedCents: 400 }, 600)).toEqual({
      action: 'apply',
      to: 'REFUNDED',
    });
  });
  it('never refunds more than what is left, nor a non-positive amount', () => {
    expect(planRefund({ ...captured, refundedCents: 400 }, 601).action).toBe('illegal');
    expect(planRefund(captured, 0).action).toBe('illegal');
    expect(planRefund(captured, -5).action).toBe('illegal');
    expect(planRefund(captured, 1.5).action).toBe('illegal');
  });
  it('refuses payments that were never captured', () => {
    expect(planRefund({ ...captured, status: 'AUTHORIZED' }, 100).action).toBe('illegal');
    expect(planRefund({ ...captured, status: 'REFUNDED', refundedCents: 1000 }, 1).action).toBe('illegal');
  });
});

describe('idempotent authorization', () => {
  const a = { amountCents: 500, currency: 'EUR', cardKind: 'test-approve', cardLast4: 'k_ok' };
  it('matches the same request and nothing else', () => {
    expect(sameAuthorization(a, { ...a })).toBe(true);
    expect(sameAuthorization(a, { ...a, amountCents: 501 })).toBe(false);
    expect(sameAuthorization(a, { ...a, currency: 'USD' })).toBe(false);
    expect(sameAuthorization(a, { ...a, cardKind: 'test-slow', cardLast4: 'slow' })).toBe(false);
  });
});
