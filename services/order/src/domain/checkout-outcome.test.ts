import { describe, expect, it } from 'vitest';
import { checkoutOutcome, failureClass } from './checkout-outcome.js';

describe('failureClass', () => {
  it.each([
    [null, 'none'],
    ['PAYMENT_DECLINED', 'business'],
    ['OUT_OF_STOCK', 'business'],
    ['CANCELLED', 'business'],
    ['PRODUCT_NOT_FOUND', 'client'],
    ['MIXED_CURRENCIES', 'client'],
    ['DEPENDENCY_UNAVAILABLE', 'system'],
    ['RESERVATION_EXPIRED', 'system'],
    ['SOMETHING_NEW', 'system'],
  ])('%s is %s', (reason, cls) => {
    expect(failureClass(reason)).toBe(cls);
  });
});

describe('checkoutOutcome', () => {
  it('tells declines, client errors and system failures apart', () => {
    expect(checkoutOutcome({ status: 'CONFIRMED', failureReason: null }, false)).toBe('confirmed');
    expect(checkoutOutcome({ status: 'FAILED', failureReason: 'PAYMENT_DECLINED' }, false)).toBe(
      'business_failure',
    );
    expect(checkoutOutcome({ status: 'FAILED', failureReason: 'PRODUCT_NOT_FOUND' }, false)).toBe(
      'client_failure',
    );
    expect(checkoutOutcome({ status: 'FAILED', failureReason: 'DEPENDENCY_UNAVAILABLE' }, false)).toBe(
      'system_failure',
    );
    expect(checkoutOutcome({ status: 'CANCELLED', failureReason: 'CANCELLED' }, false)).toBe(
      'business_failure',
    );
  });

  it('counts a pending checkout as a system failure only when its saga waits after a failure', () => {
    expect(checkoutOutcome({ status: 'PENDING', failureReason: null }, false)).toBe('pending');
    expect(checkoutOutcome({ status: 'PENDING', failureReason: null }, true)).toBe('system_failure');
  });
});
