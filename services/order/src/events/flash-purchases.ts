import type { Db } from '@glassbox/kit';
import { type Bus, dataOf, idempotent } from '@glassbox/kit/bus';
import type { OrderFlashPurchase } from '../app/flash-order.js';

/** The consumer group of the order service's flash-sale orders. */
export const FLASH_PURCHASES_GROUP = 'order.flash-purchases';

/**
 * Every accepted flash-sale purchase (`flash.purchase.accepted`) becomes an order, created in the transaction that
 * records the event in the inbox (a redelivery creates nothing). The order's saga runs in the purchase's trace.
 */
export async function consumeFlashPurchases(options: {
  bus: Bus;
  db: Db;
  orderFlashPurchase: OrderFlashPurchase;
}): Promise<void> {
  const { bus, db, orderFlashPurchase } = options;
  await bus.subscribe({
    group: FLASH_PURCHASES_GROUP,
    types: ['flash.purchase.accepted'],
    handle: idempotent(db, async (event, tx) => {
      await orderFlashPurchase(tx, dataOf(event, 'flash.purchase.accepted'), event.traceparent ?? null);
    }),
  });
}
