/**
 * Step 3, authorize: asks the payment service to authorize the priced total on the card token. Undone by voiding
 * the authorization — and when its answer was lost (a timeout, a crash), by voiding whatever exists for the
 * order.
 */
import { definitiveError, type SagaStep } from '@glassbox/kit/saga/runner';
import type { CheckoutInput, CheckoutPorts, CheckoutResults } from '../../../domain/checkout.js';

export function authorizeStep(ports: CheckoutPorts): SagaStep<CheckoutInput, CheckoutResults, 'authorize'> {
  return {
    name: 'authorize',
    async invoke(input, results) {
      const priced = results.price;
      if (!priced) throw definitiveError('SAGA_CORRUPT', 'authorize ran before price');
      if (!input.paymentToken) throw definitiveError('PAYMENT_TOKEN_MISSING', 'no card token to authorize');
      return ports.payment.authorize(input.tenantId, {
        orderId: input.orderId,
        amountCents: priced.totalCents,
        currency: priced.currency,
        token: input.paymentToken,
      });
    },
    async compensate(input, result) {
      if (result) {
        await ports.payment.void(input.tenantId, result.paymentId);
        return;
      }
      for (const payment of await ports.payment.paymentsOf(input.tenantId, input.orderId)) {
        if (payment.status === 'AUTHORIZED' || payment.status === 'PROCESSING') {
          await ports.payment.void(input.tenantId, payment.paymentId);
        }
      }
    },
  };
}
