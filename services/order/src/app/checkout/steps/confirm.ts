/**
 * Step 4, confirm — the pivot: stock taken off the shelf and money captured; from here on the order is no longer
 * cancelled. Commit comes first, as it is the part that can still be refused (the reservation expired); capture
 * after. Both are idempotent, so a repeat after a crash completes whatever was left. Nothing of its own to undo:
 * releasing the (possibly committed) reservation and voiding the payment are the compensations of reserve and
 * authorize, which run next.
 */
import { definitiveError, type SagaStep } from '@glassbox/kit/saga/runner';
import {
  type CheckoutInput,
  type CheckoutPorts,
  type CheckoutResults,
  reservationIdFor,
} from '../../../domain/checkout.js';

export function confirmStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'confirm'> {
  return {
    name: 'confirm',
    pivot: true,
    async invoke(input, results) {
      const reservationId = results.reserve?.reservationId ?? reservationIdFor(input.orderId);
      const paymentId = results.authorize?.paymentId;
      if (!paymentId) throw definitiveError('SAGA_CORRUPT', 'confirm ran before authorize');
      await ports.inventory.commit(input.tenantId, reservationId);
      await ports.payment.capture(input.tenantId, paymentId);
      return { reservationId, paymentId };
    },
    async compensate() {},
  };
}
