import type { Db, Logger } from '@glassbox/kit';
import { type Bus, dataOf, idempotent } from '@glassbox/kit/bus';
import type { SaleStore } from '../adapters/sale-store.js';
import type { AdmissionEngine } from '../domain/admission.js';

/** The consumer group of the flash-sale service's order outcomes. */
export const ORDER_OUTCOMES_GROUP = 'flash-sale.orders';

/**
 * A purchase's order is the order whose id is the purchase id (the order service makes it from
 * `flash.purchase.accepted` and announces it with `flash.purchase.ordered`, which marks the purchase ORDERED). `order.confirmed` marks the purchase CONFIRMED; `order.failed` marks it FAILED in
 * the inbox transaction and, once that commits, releases its units back to the sale (RELEASED). A crash between
 * the two leaves it FAILED, which the release sweeper finishes. Orders that are no purchase are ignored.
 */
export async function consumeOrderOutcomes(options: {
  bus: Bus;
  db: Db;
  sales: SaleStore;
  admission: AdmissionEngine;
  logger: Logger;
}): Promise<void> {
  const { bus, db, sales, admission, logger } = options;
  await bus.subscribe({
    group: ORDER_OUTCOMES_GROUP,
    types: ['order.confirmed', 'order.failed', 'flash.purchase.ordered'],
    handle: idempotent(db, async (event, tx) => {
      if (event.type === 'flash.purchase.ordered') {
        // Only from ACCEPTED: arriving after the order's outcome, it changes nothing.
        const { tenantId, purchaseId, orderId } = dataOf(event, 'flash.purchase.ordered');
        await tx.query(
          `UPDATE flash_purchases SET status = 'ORDERED', order_id = $3, updated_at = now()
            WHERE tenant_id = $1 AND id = $2 AND status = 'ACCEPTED'`,
          [tenantId, purchaseId, orderId],
        );
        return;
      }
      const { tenantId, orderId } =
        event.type === 'order.confirmed' ? dataOf(event, 'order.confirmed') : dataOf(event, 'order.failed');
      const status = event.type === 'order.confirmed' ? 'CONFIRMED' : 'FAILED';
      const [purchase] = await tx.query<{ sale_id: string }>(
        `UPDATE flash_purchases SET status = $3, order_id = $2, updated_at = now()
          WHERE tenant_id = $1 AND id = $2 AND status IN ('ACCEPTED', 'ORDERED')
          RETURNING sale_id`,
        [tenantId, orderId, status],
      );
      if (!purchase) return;
      logger.info({ purchase_id: orderId, status }, 'flash purchase settled by its order');
      if (status === 'FAILED') {
        tx.afterCommit(() => {
          void (async () => {
            const sale = await sales.get(tenantId, purchase.sale_id);
            if (sale) await admission.release(sale, orderId);
          })().catch((error: unknown) =>
            logger.warn(
              { err: error, purchase_id: orderId },
              'release after a failed order deferred to the sweeper',
            ),
          );
        });
      }
    }),
  });
}
