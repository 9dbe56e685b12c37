/**
 * Step 2, reserve: holds the items' stock in inventory under a reservation whose id is derived from the order's,
 * so a repeated step reserves nothing twice and even a reservation whose answer was lost is released.
 */
import type { SagaStep } from '@glassbox/kit/saga/runner';
import {
  type CheckoutInput,
  type CheckoutPorts,
  type CheckoutResults,
  reservationIdFor,
} from '../../../domain/checkout.js';

export function reserveStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'reserve'> {
  return {
    name: 'reserve',
    async invoke(input) {
      const reservationId = reservationIdFor(input.orderId);
      await ports.inventory.reserve(input.tenantId, {
        reservationId,
        orderId: input.orderId,
        items: input.items,
      });
      return { reservationId };
    },
    async compensate(input) {
      await ports.inventory.release(input.tenantId, reservationIdFor(input.orderId));
    },
  };
}
