/**
 * The e-mail templates: one per event type, rendered from the event's data into a subject and a plain-text body.
 * Pure: the consumer renders at receipt and stores the result, so what a user sees never changes afterwards.
 */
import type { EventData } from '@glassbox/contracts';

export const NOTIFIED_TYPES = [
  'order.confirmed',
  'order.failed',
  'order.cancelled',
  'payment.captured',
  'payment.refunded',
] as const;
export type NotifiedType = (typeof NOTIFIED_TYPES)[number];

export interface RenderedEmail {
  subject: string;
  body: string;
}

/** 123456 EUR cents → "1234.56 EUR" (integer arithmetic: no rounding). */
export function formatAmount(cents: number, currency: string): string {
  const whole = Math.floor(cents / 100);
  const rest = String(cents % 100).padStart(2, '0');
  return `${whole}.${rest} ${currency}`;
}

const shortId = (id: string) => id.slice(0, 8);

const REASONS: Record<string, string> = {
  OUT_OF_STOCK: 'an item is out of stock',
  PAYMENT_DECLINED: 'the payment was declined',
  RESERVATION_EXPIRED: 'the reserved stock expired',
  DEPENDENCY_UNAVAILABLE: 'a service was unavailable',
};

function greeting(name: string | undefined): string {
  return name ? `Hello ${name},` : 'Hello,';
}

export function render<T extends NotifiedType>(
  type: T,
  data: EventData<T>,
  recipientName?: string,
): RenderedEmail {
  const hello = greeting(recipientName);
  switch (type) {
    case 'order.confirmed': {
      const d = data as EventData<'order.confirmed'>;
      const lines = d.items.map((i) => {
        const price =
          i.unitPriceCents === undefined ? '' : ` at ${formatAmount(i.unitPriceCents, d.currency)}`;
        return `  ${i.quantity} × ${i.name ?? i.productId}${price}`;
      });
      return {
        subject: `Order ${shortId(d.orderId)} confirmed`,
        body: [
          hello,
          '',
          `your order ${d.orderId} is confirmed.`,
          ...lines,
          `Total: ${formatAmount(d.totalCents, d.currency)}`,
        ].join('\n'),
      };
    }
    case 'order.failed': {
      const d = data as EventData<'order.failed'>;
      const why = REASONS[d.reason] ?? d.reason;
      return {
        subject: `Order ${shortId(d.orderId)} could not be completed`,
        body: [
          hello,
          '',
          `your order ${d.orderId} could not be completed: ${why}.`,
          'Nothing was charged.',
        ].join('\n'),
      };
    }
    case 'order.cancelled': {
      const d = data as EventData<'order.cancelled'>;
      return {
        subject: `Order ${shortId(d.orderId)} cancelled`,
        body: [hello, '', `your order ${d.orderId} is cancelled, as you asked.`].join('\n'),
      };
    }
    case 'payment.captured': {
      const d = data as EventData<'payment.captured'>;
      return {
        subject: `Payment received for order ${shortId(d.orderId)}`,
        body: [
          hello,
          '',
          `we received your payment of ${formatAmount(d.amountCents, d.currency)} for order ${d.orderId}.`,
        ].join('\n'),
      };
    }
    case 'payment.refunded': {
      const d = data as EventData<'payment.refunded'>;
      return {
        subject: `Refund for order ${shortId(d.orderId)}`,
        body: [
          hello,
          '',
          `${formatAmount(d.amountCents, d.currency)} of your payment for order ${d.orderId} was refunded.`,
        ].join('\n'),
      };
    }
  }
  throw new Error(`no template for ${type}`);
}
