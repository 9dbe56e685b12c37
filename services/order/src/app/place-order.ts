/**
 * Placing an order: the order, its items and its checkout saga are created in one transaction (the saga leased
 * to this process), the saga runs at once, and the caller waits for it up to a short budget. A repeated request
 * (same user, same Idempotency-Key, same body) answers the order it created; the same key with another body is
 * refused.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { appError } from '@glassbox/kit';
import type { SagaStore, SagaWorker } from '@glassbox/kit/saga';
import type { OrderRecord, OrderRepo } from '../adapters/order-repo.js';
import type { CheckoutInput, CheckoutResults } from '../domain/checkout.js';
import { checkoutOutcome } from '../domain/checkout-outcome.js';
import type { RequestedItem } from '../domain/pricing.js';
import type { OrderMetrics } from '../metrics.js';
import { settle } from './settle.js';

export interface PlaceOrderCommand {
  tenantId: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
  items: RequestedItem[];
  paymentToken: string;
  /** Where the request came from: kept with the saga, so a resumed run links back to it. */
  traceparent: string | null;
  requestId: string | null;
}

export interface PlaceOrderResult {
  order: OrderRecord;
  /** The Idempotency-Key had been used before for this very order. */
  repeated: boolean;
}

export interface PlaceOrderDeps {
  orders: OrderRepo;
  sagas: SagaStore<CheckoutInput, CheckoutResults>;
  worker: SagaWorker<CheckoutInput, CheckoutResults>;
  metrics: OrderMetrics;
  /** How long the request waits for the saga before it answers PENDING. */
  syncBudgetMs: number;
  leaseMs: number;
}

export function placeOrderUseCase(deps: PlaceOrderDeps) {
  const { orders, sagas, worker, metrics } = deps;
  return async function placeOrder(cmd: PlaceOrderCommand): Promise<PlaceOrderResult> {
    const id = randomUUID();
    const input: CheckoutInput = {
      orderId: id,
      tenantId: cmd.tenantId,
      items: cmd.items,
      paymentToken: cmd.paymentToken,
    };
    const { created, order } = await orders.create(
      {
        id,
        tenantId: cmd.tenantId,
        userId: cmd.userId,
        idempotencyKey: cmd.idempotencyKey,
        requestHash: cmd.requestHash,
        items: cmd.items,
      },
      (q) =>
        sagas.create(q, {
          id,
          tenantId: cmd.tenantId,
          input,
          leaseOwner: worker.workerId,
          leaseMs: deps.leaseMs,
          traceparent: cmd.traceparent,
          requestId: cmd.requestId,
        }),
    );
    if (!created) {
      if (order.requestHash !== cmd.requestHash) {
        throw appError(
          'IDEMPOTENCY_KEY_REUSED',
          'this Idempotency-Key was already used for a different order',
          {
            orderId: order.id,
          },
        );
      }
      return { order: await settle(orders, order, deps.syncBudgetMs), repeated: true };
    }
    metrics.created();
    // The saga was just created with this worker's lease: run it from what is at hand, without reading it back.
    const run = worker.run(
      id,
      'request',
      worker.fresh({
        id,
        tenantId: cmd.tenantId,
        input,
        startedAt: order.createdAt,
        traceparent: cmd.traceparent,
        requestId: cmd.requestId,
      }),
    );
    const result = await Promise.race([run, sleep(deps.syncBudgetMs).then(() => undefined)]);
    const current = (await orders.get(cmd.tenantId, id)) ?? order;
    metrics.checkout(checkoutOutcome(current, result?.kind === 'deferred' || result?.kind === 'error'));
    return { order: current, repeated: false };
  };
}

export type PlaceOrder = ReturnType<typeof placeOrderUseCase>;
