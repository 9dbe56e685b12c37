/**
 * A flash-sale purchase becomes an order: the order (id = the purchase id, as the flash-sale service expects),
 * its item and its checkout saga with the sale's terms (flash price, the sale's reservation) are created in the
 * caller's transaction — the inbox transaction of `flash.purchase.accepted` — together with
 * `flash.purchase.ordered` in the outbox (the flash-sale service marks the purchase ORDERED). The saga starts once
 * that commits, in the purchase's trace; a crash before it starts leaves the saga leased to this worker, and the
 * recovery loop resumes it when the lease runs out. A purchase seen again creates nothing.
 */
import type { EventData } from '@glassbox/contracts';
import type { Logger, Transaction } from '@glassbox/kit';
import type { Outbox } from '@glassbox/kit/bus';
import type { SagaStore, SagaWorker } from '@glassbox/kit/saga';
import { context, propagation } from '@opentelemetry/api';
import type { OrderRepo } from '../adapters/order-repo.js';
import type { CheckoutInput, CheckoutResults } from '../domain/checkout.js';
import type { OrderMetrics } from '../metrics.js';

export type FlashPurchase = EventData<'flash.purchase.accepted'>;

export interface FlashOrderDeps {
  orders: Pick<OrderRepo, 'createIn'>;
  sagas: SagaStore<CheckoutInput, CheckoutResults>;
  worker: SagaWorker<CheckoutInput, CheckoutResults>;
  metrics: Pick<OrderMetrics, 'created'>;
  leaseMs: number;
  logger: Logger;
  /** Announces, in the same transaction, that the purchase has its order (`flash.purchase.ordered`). */
  announceOrdered?: (q: Transaction, ordered: { tenantId: string; purchaseId: string }) => Promise<void>;
}

/** Writes `flash.purchase.ordered` to the outbox, in the caller's transaction. */
export function announceOrdered(outbox: Pick<Outbox, 'add'>): NonNullable<FlashOrderDeps['announceOrdered']> {
  return async (q, { tenantId, purchaseId }) => {
    await outbox.add(
      q,
      'flash.purchase.ordered',
      { tenantId, purchaseId, orderId: purchaseId, orderedAt: new Date().toISOString() },
      { subject: purchaseId },
    );
  };
}

/** The Idempotency-Key recorded on a flash purchase's order (one order per purchase). */
export function flashIdempotencyKey(purchaseId: string): string {
  return `flash-purchase:${purchaseId}`;
}

export function flashOrderUseCase(deps: FlashOrderDeps) {
  const { orders, sagas, worker, metrics, logger } = deps;
  return async function orderFlashPurchase(
    tx: Transaction,
    purchase: FlashPurchase,
    traceparent: string | null,
  ): Promise<{ created: boolean }> {
    const id = purchase.purchaseId.toLowerCase();
    const tenantId = purchase.tenantId.toLowerCase();
    const items = [{ productId: purchase.productId, quantity: purchase.quantity }];
    const input: CheckoutInput = {
      orderId: id,
      tenantId,
      items,
      paymentToken: purchase.payment.token,
      flash: {
        saleId: purchase.saleId,
        unitPriceCents: purchase.unitPriceCents,
        reservationId: purchase.reservationId,
      },
    };
    const requestId = `flash-purchase-${id}`;
    const { created, order } = await orders.createIn(
      tx,
      {
        id,
        tenantId,
        userId: purchase.userId,
        idempotencyKey: flashIdempotencyKey(id),
        requestHash: `flash-sale:${purchase.saleId}`,
        items,
      },
      (q) =>
        sagas.create(q, {
          id,
          tenantId,
          input,
          leaseOwner: worker.workerId,
          leaseMs: deps.leaseMs,
          traceparent,
          requestId,
        }),
    );
    if (!created) return { created: false };
    await deps.announceOrdered?.(tx, { tenantId, purchaseId: id });
    tx.afterCommit(() => {
      metrics.created();
      const fresh = worker.fresh({
        id,
        tenantId,
        input,
        startedAt: order.createdAt,
        traceparent,
        requestId,
      });
      // The saga's spans join the purchase's trace.
      const parent = traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
      context.with(parent, () => {
        worker.run(id, 'request', fresh).catch((error: unknown) => {
          logger.warn({ err: error, order_id: id }, 'flash order saga deferred to the recovery loop');
        });
      });
    });
    logger.info(
      { order_id: id, sale_id: purchase.saleId, tenant_id: tenantId },
      'order from a flash purchase',
    );
    return { created: true };
  };
}

export type OrderFlashPurchase = ReturnType<typeof flashOrderUseCase>;
