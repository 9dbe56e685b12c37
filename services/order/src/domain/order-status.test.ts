import { describe, expect, it } from 'vitest';
import { allowedFrom, assertTransition, canTransition, isFinal, ORDER_STATUSES } from './order-status.js';

describe('order lifecycle', () => {
  it('lets a pending order end confirmed, failed or cancelled', () => {
    expect(canTransition('PENDING', 'CONFIRMED')).toBe(true);
    expect(canTransition('PENDING', 'FAILED')).toBe(true);
    expect(canTransition('PENDING', 'CANCELLED')).toBe(true);
  });

  it('never changes a final status, and never goes back to pending', () => {
    for (const from of ['CONFIRMED', 'FAILED', 'CANCELLED'] as const) {
      expect(isFinal(from)).toBe(true);
      for (const to of ORDER_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
    expect(canTransition('PENDING', 'PENDING')).toBe(false);
  });

  it('throws ILLEGAL_TRANSITION for a move the table does not list', () => {
    expect(() => assertTransition('CONFIRMED', 'FAILED')).toThrow(/CONFIRMED to FAILED/);
    expect(() => assertTransition('PENDING', 'CONFIRMED')).not.toThrow();
  });

  it('names the statuses a target can be reached from', () => {
    expect(allowedFrom('CONFIRMED')).toEqual(['PENDING']);
    expect(allowedFrom('PENDING')).toEqual([]);
  });
});
