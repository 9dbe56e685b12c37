import type { Db } from '@glassbox/kit';
import { type Bus, dataOf, idempotent } from '@glassbox/kit/bus';

/** The consumer group through which the payment service learns each order's outcome (for reconciliation). */
export const ORDER_OUTCOMES_GROUP = 'payment.order-outcomes';

/**
 * Records what the order service decided about each order (`order.confirmed` with its total, `order.failed`,
 * `order.cancelled`) in `order_outcomes`, in the inbox transaction (a redelivery changes nothing). A final status
 * never changes, so the first outcome recorded stays.
 */
export async function consumeOrderOutcomes(options: { bus: Bus; db: Db }): Promise<void> {
  const { bus, db } = options;
  await bus.subscribe({
    group: ORDER_OUTCOMES_GROUP,
    types: ['order.confirmed', 'order.failed', 'order.cancelled'],
    handle: idempotent(db, async (event, tx) => {
      let row: [string, string, string, number | null, string | null, string];
      if (event.type === 'order.confirmed') {
        const d = dataOf(event, 'order.confirmed');
        row = [d.tenantId, d.orderId, 'CONFIRMED', d.totalCents, d.currency, d.confirmedAt];
      } else if (event.type === 'order.failed') {
        const d = dataOf(event, 'order.failed');
        row = [d.tenantId, d.orderId, 'FAILED', null, null, d.failedAt];
      } else {
        const d = dataOf(event, 'order.cancelled');
        row = [d.tenantId, d.orderId, 'CANCELLED', null, null, d.cancelledAt];
      }
      await tx.query(
        `INSERT INTO order_outcomes (tenant_id, order_id, status, total_cents, currency, decided_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id, order_id) DO NOTHING`,
        row,
      );
    }),
  });
}
