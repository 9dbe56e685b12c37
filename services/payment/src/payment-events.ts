/**
 * What the payment service announces on the bus: `payment.captured` and `payment.refunded`, written to its outbox
 * in the transaction that changes the payment (the payment's lock), so the event exists exactly when the change
 * does. The relay publishes it.
 */
import type { Queryable } from '@glassbox/kit';
import type { Outbox } from '@glassbox/kit/bus';
import type { Payment, Refund } from './adapters/payment-repo.js';

export interface PaymentEvents {
  captured(q: Queryable, payment: Payment): Promise<void>;
  refunded(q: Queryable, payment: Payment, refund: Pick<Refund, 'id' | 'amountCents'>): Promise<void>;
}

export function paymentEvents(outbox: Pick<Outbox, 'add'>): PaymentEvents {
  return {
    async captured(q, payment) {
      await outbox.add(
        q,
        'payment.captured',
        {
          tenantId: payment.tenantId,
          paymentId: payment.id,
          orderId: payment.orderId,
          amountCents: payment.capturedCents,
          currency: payment.currency,
          capturedAt: new Date().toISOString(),
        },
        { subject: payment.id },
      );
    },
    async refunded(q, payment, refund) {
      await outbox.add(
        q,
        'payment.refunded',
        {
          tenantId: payment.tenantId,
          paymentId: payment.id,
          orderId: payment.orderId,
          refundId: refund.id,
          amountCents: refund.amountCents,
          currency: payment.currency,
          refundedAt: new Date().toISOString(),
        },
        { subject: payment.id },
      );
    },
  };
}
