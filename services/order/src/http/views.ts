import type { OrderView } from '@glassbox/contracts';
import { CANCELLED } from '@glassbox/kit/saga/runner';
import type { OrderRecord } from '../adapters/order-repo.js';
import { CLIENT_FAILURES } from '../domain/checkout.js';

/**
 * Failure reasons about the order itself, whose detail the customer may read. Any other (a dependency down or
 * refusing, a broken saga) is the shop's problem: its detail quotes internal answers ("payment answered 400:
 * body/amountCents …"), kept in the saga's log line and the database, and the customer reads `INTERNAL_FAILURE`.
 */
const CUSTOMER_REASONS = new Set([
  ...CLIENT_FAILURES,
  'OUT_OF_STOCK',
  'PAYMENT_DECLINED',
  'RESERVATION_EXPIRED',
  CANCELLED,
]);
const INTERNAL_FAILURE = 'the order could not be completed because of a problem on our side';

export function orderView(o: OrderRecord): OrderView {
  return {
    id: o.id,
    status: o.status,
    items: o.items.map((i) => ({
      productId: i.productId,
      quantity: i.quantity,
      sku: i.sku,
      name: i.name,
      unitPriceCents: i.unitPriceCents,
      lineTotalCents: i.lineTotalCents,
    })),
    totalCents: o.totalCents,
    currency: o.currency,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
    ...(o.failureReason ? { failureReason: o.failureReason } : {}),
    ...(o.failureDetail
      ? {
          failureDetail:
            o.failureReason && CUSTOMER_REASONS.has(o.failureReason) ? o.failureDetail : INTERNAL_FAILURE,
        }
      : {}),
  };
}
