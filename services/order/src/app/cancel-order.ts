/**
 * Cancelling an order: a pending order's saga is asked to stop before its pivot (confirm) and to undo what it
 * did; the caller waits a little for the outcome. A confirmed or failed order cannot be cancelled.
 */

import type { SagaWorker } from '@glassbox/kit/saga';
import type { OrderRecord, OrderRepo } from '../adapters/order-repo.js';
import type { CheckoutInput, CheckoutResults } from '../domain/checkout.js';
import { appError } from '../errors.js';
import { settle } from './settle.js';

export function cancelOrderUseCase(deps: {
  orders: OrderRepo;
  worker: SagaWorker<CheckoutInput, CheckoutResults>;
  syncBudgetMs: number;
}) {
  return async function cancelOrder(
    caller: { tenantId: string; userId: string; admin: boolean },
    id: string,
  ): Promise<OrderRecord> {
    const order = await deps.orders.get(caller.tenantId, id, caller.admin ? undefined : caller.userId);
    if (!order) throw appError('NOT_FOUND', `order ${id} was not found`);
    let current = order;
    if (order.status === 'PENDING') {
      await deps.worker.cancel(id);
      current = await settle(deps.orders, order, deps.syncBudgetMs);
    }
    if (current.status === 'CANCELLED' || current.status === 'PENDING') return current;
    throw appError('ILLEGAL_TRANSITION', `a ${current.status.toLowerCase()} order cannot be cancelled`, {
      orderId: id,
      orderStatus: current.status,
    });
  };
}

export type CancelOrder = ReturnType<typeof cancelOrderUseCase>;
