/**
 * The pivot of a flash-sale order, confirm: the money captured. The units were taken from the sale's inventory
 * reservation at admission (the flash-sale service owns that reservation and its releases), so there is no
 * reservation of the order's own to commit. Capture is idempotent, so a repeat after a crash completes it; nothing
 * of its own to undo (voiding the authorization is authorize's compensation).
 */
import { definitiveError, type SagaStep } from '@glassbox/kit/saga/runner';
import type { CheckoutInput, CheckoutPorts, CheckoutResults } from '../../../domain/checkout.js';

export function flashConfirmStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'confirm'> {
  return {
    name: 'confirm',
    pivot: true,
    async invoke(input, results) {
      const paymentId = results.authorize?.paymentId;
      if (!paymentId) throw definitiveError('SAGA_CORRUPT', 'confirm ran before authorize');
      if (!input.flash) throw definitiveError('SAGA_CORRUPT', 'a flash confirm step without flash terms');
      await ports.payment.capture(input.tenantId, paymentId);
      return { reservationId: input.flash.reservationId, paymentId };
    },
    async compensate() {},
  };
}
