import { setTimeout as sleep } from 'node:timers/promises';
import type { OrderRecord, OrderRepo } from '../adapters/order-repo.js';
import { isFinal } from '../domain/order-status.js';

/** Polls a pending order until it is final or the time is up (a repeated or cancelling request waits a little). */
export async function settle(
  orders: Pick<OrderRepo, 'get'>,
  order: OrderRecord,
  budgetMs: number,
): Promise<OrderRecord> {
  const deadline = Date.now() + budgetMs;
  let current = order;
  while (!isFinal(current.status) && Date.now() < deadline) {
    await sleep(100);
    current = (await orders.get(current.tenantId, current.id)) ?? current;
  }
  return current;
}
