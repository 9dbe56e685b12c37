import { describe, expect, it } from 'vitest';
import type { OrderRecord } from '../adapters/order-repo.js';
import { orderView } from './views.js';

const failed = (failureReason: string, failureDetail: string): OrderRecord => ({
  id: '00000000-0000-4000-8000-00000000000a',
  tenantId: '00000000-0000-4000-8000-00000000000b',
  userId: 'u',
  status: 'FAILED',
  currency: 'EUR',
  totalCents: 100,
  failureReason,
  failureDetail,
  failureData: null,
  requestHash: 'h',
  createdAt: new Date(0),
  updatedAt: new Date(0),
  createdKey: '',
  items: [],
});

describe('orderView', () => {
  it("shows the customer the shop's words, never what a dependency answered", () => {
    for (const [reason, detail] of [
      ['PAYMENT_REJECTED', 'payment answered 400: body/amountCents must be <= 10000000000'],
      ['DEPENDENCY_UNAVAILABLE', 'gave up after 8 attempts: inventory answered 503: pool exhausted'],
      ['SAGA_CORRUPT', 'authorize ran before price'],
    ] as const) {
      const view = orderView(failed(reason, detail));
      expect(view.failureReason).toBe(reason);
      expect(view.failureDetail).toBe('the order could not be completed because of a problem on our side');
    }
  });

  it('keeps the detail of failures that are about the order itself', () => {
    for (const [reason, detail] of [
      ['OUT_OF_STOCK', 'not enough stock of 00000000-0000-4000-8000-000000001001'],
      ['PAYMENT_DECLINED', 'the card was declined'],
      ['ORDER_TOTAL_TOO_LARGE', 'an order can total at most 10000000000 cents; this one totals 20000000000'],
    ] as const) {
      expect(orderView(failed(reason, detail)).failureDetail).toBe(detail);
    }
  });
});
