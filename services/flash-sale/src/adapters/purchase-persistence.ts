import type { Db } from '@glassbox/kit';
import type { Outbox } from '@glassbox/kit/bus';
import { context, propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import type { NewPurchase, PurchaseStore } from './purchase-store.js';
import type { SaleStore } from './sale-store.js';

/** Writes accepted purchases durably; both admission engines persist through it. */
export type PersistPurchases = (rows: NewPurchase[]) => Promise<void>;

/** The W3C trace context of the active span, to carry with a purchase until it is persisted. */
export function currentTrace(): NewPurchase['trace'] {
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? carrier : undefined;
}

/**
 * Purchases and their `flash.purchase.accepted` events in one transaction (the outbox): an accepted purchase is
 * announced exactly when it is durable, once (a purchase written before — a persister repeating a batch after a
 * crash — is not announced again). Each event is created in its purchase request's trace.
 */
export function createPurchasePersistence(deps: {
  db: Db;
  purchases: PurchaseStore;
  sales: SaleStore;
  outbox: Outbox;
  /** How long a buyer has to pay (the event's `payBy`). */
  paymentDeadlineMs: number;
}): PersistPurchases {
  const { db, purchases, sales, outbox } = deps;
  return (rows) =>
    db.tx(async (tx) => {
      const written = await purchases.insertMany(rows, tx);
      for (const p of rows) {
        if (!written.has(p.id)) continue;
        const sale = await sales.get(p.tenantId, p.saleId);
        if (!sale) continue; // cannot happen: the purchase's foreign key names the sale
        const origin = p.trace ? propagation.extract(ROOT_CONTEXT, p.trace) : context.active();
        await context.with(origin, () =>
          outbox.add(
            tx,
            'flash.purchase.accepted',
            {
              tenantId: p.tenantId,
              purchaseId: p.id,
              saleId: p.saleId,
              userId: p.userId,
              productId: sale.productId,
              quantity: p.quantity,
              unitPriceCents: sale.priceCents,
              reservationId: sale.reservationId,
              payment: p.payment,
              acceptedAt: p.acceptedAt.toISOString(),
              payBy: new Date(p.acceptedAt.getTime() + deps.paymentDeadlineMs).toISOString(),
            },
            { subject: p.id },
          ),
        );
      }
    });
}
