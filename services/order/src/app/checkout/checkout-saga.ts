/**
 * The checkout saga: price → reserve → authorize → confirm (steps/, one per file), and what its progress means for
 * the order service's own tables — the order's prices once it is priced, its final status when the saga ends —
 * written in the same transaction as the saga's state. The card token stays in the saga's input only until the
 * payment is authorized.
 */
import type { Queryable } from '@glassbox/kit';
import type { AnySagaStep, SagaDefinition } from '@glassbox/kit/saga';
import type { Dependencies } from '../../adapters/clients.js';
import type { OrderRepo } from '../../adapters/order-repo.js';
import {
  type CheckoutInput,
  type CheckoutPorts,
  type CheckoutResults,
  finalOrderStatus,
} from '../../domain/checkout.js';
import type { AnnounceFinished } from '../order-events.js';
import { authorizeStep } from './steps/authorize.js';
import { confirmStep } from './steps/confirm.js';
import { flashConfirmStep } from './steps/flash-confirm.js';
import { flashPriceStep } from './steps/flash-price.js';
import { priceStep } from './steps/price.js';
import { reserveStep } from './steps/reserve.js';

export const CHECKOUT_SAGA = 'checkout';

export function checkoutSteps(ports: CheckoutPorts): AnySagaStep<CheckoutInput, CheckoutResults>[] {
  return [priceStep(ports), reserveStep(ports), authorizeStep(ports), confirmStep(ports)];
}

/**
 * A flash-sale purchase's checkout: priced at the sale's price, no reserve step (the sale's reservation already
 * holds the units), the same authorization, a confirm that captures. Chosen by the saga's input, so one worker
 * runs and recovers both kinds.
 */
export function flashCheckoutSteps(ports: CheckoutPorts): AnySagaStep<CheckoutInput, CheckoutResults>[] {
  return [flashPriceStep(ports), authorizeStep(ports), flashConfirmStep(ports)];
}

export function checkoutSaga(deps: {
  dependencies: Dependencies;
  orders: Pick<OrderRepo, 'applyPricing' | 'finish'>;
  /** Writes the event announcing the final status, in the transaction of the change (the outbox). */
  announce?: AnnounceFinished;
}): SagaDefinition<CheckoutInput, CheckoutResults> {
  const { orders, announce } = deps;
  return {
    type: CHECKOUT_SAGA,
    steps: (run) => {
      const ports = deps.dependencies.ports(run.requestId);
      return run.input.flash ? flashCheckoutSteps(ports) : checkoutSteps(ports);
    },
    project(saga, state, event) {
      const priced = state.results.price;
      if (event.type === 'step-completed' && event.step === 'price' && priced) {
        return (q: Queryable) => orders.applyPricing(q, saga.tenantId, saga.id, priced);
      }
      if (event.type === 'completed' || event.type === 'failed') {
        const failure = event.type === 'failed' ? event.failure : null;
        const status = finalOrderStatus(failure);
        return async (q: Queryable) => {
          const { userId } = await orders.finish(q, saga.tenantId, saga.id, status, failure);
          await announce?.(q, {
            tenantId: saga.tenantId,
            orderId: saga.id,
            userId,
            status,
            priced: state.results.price,
            failure,
          });
        };
      }
      return undefined;
    },
    retainInput(input, state) {
      const needed = state.status === 'RUNNING' && state.results.authorize === undefined;
      return needed || input.paymentToken === null ? input : { ...input, paymentToken: null };
    },
  };
}
