/**
 * What the order service announces on the bus when an order reaches its final status: `order.confirmed`,
 * `order.failed` or `order.cancelled`, written to its outbox in the transaction that moves the order there (the
 * saga's final save), so the event exists exactly when the status change does. The relay publishes it.
 */
import type { Queryable } from '@glassbox/kit';
import type { Outbox } from '@glassbox/kit/bus';
import type { SagaFailure } from '@glassbox/kit/saga/runner';
import type { OrderStatus } from '../domain/order-status.js';
import type { PricedOrder } from '../domain/pricing.js';

export interface FinishedOrder {
  tenantId: string;
  orderId: string;
  userId: string;
  status: OrderStatus;
  /** The checkout's prices (absent when it failed before pricing). */
  priced: PricedOrder | undefined;
  failure: SagaFailure | null;
}

export type AnnounceFinished = (q: Queryable, order: FinishedOrder) => Promise<void>;

export function announceFinished(outbox: Pick<Outbox, 'add'>): AnnounceFinished {
  return async (q, order) => {
    const at = new Date().toISOString();
    const common = { tenantId: order.tenantId, orderId: order.orderId, userId: order.userId };
    const subject = { subject: order.orderId };
    if (order.status === 'CONFIRMED') {
      if (!order.priced) throw new Error(`order ${order.orderId} confirmed without prices`);
      await outbox.add(
        q,
        'order.confirmed',
        {
          ...common,
          totalCents: order.priced.totalCents,
          currency: order.priced.currency,
          items: order.priced.lines.map((l) => ({
            productId: l.productId,
            quantity: l.quantity,
            name: l.name,
            unitPriceCents: l.unitPriceCents,
          })),
          confirmedAt: at,
        },
        subject,
      );
    } else if (order.status === 'CANCELLED') {
      await outbox.add(q, 'order.cancelled', { ...common, cancelledAt: at }, subject);
    } else if (order.status === 'FAILED') {
      await outbox.add(
        q,
        'order.failed',
        {
          ...common,
          reason: order.failure?.reason ?? 'UNKNOWN',
          ...(order.failure?.detail ? { detail: order.failure.detail } : {}),
          failedAt: at,
        },
        subject,
      );
    }
  };
}
