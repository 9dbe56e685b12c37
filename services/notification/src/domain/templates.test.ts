import { describe, expect, it } from 'vitest';
import { formatAmount, render } from './templates.js';

const tenantId = '00000000-0000-4000-8000-000000000001';
const orderId = '11111111-2222-4333-8444-555555555555';

describe('e-mail templates', () => {
  it('formats cents exactly, with the currency', () => {
    expect(formatAmount(0, 'EUR')).toBe('0.00 EUR');
    expect(formatAmount(5, 'EUR')).toBe('0.05 EUR');
    expect(formatAmount(123456, 'USD')).toBe('1234.56 USD');
    expect(formatAmount(10_000_000_000, 'EUR')).toBe('100000000.00 EUR');
  });

  it('renders a confirmed order with its lines, total and the recipient’s name', () => {
    const email = render(
      'order.confirmed',
      {
        tenantId,
        orderId,
        userId: 'u1',
        totalCents: 2500,
        currency: 'EUR',
        items: [{ productId: 'p1', quantity: 2, name: 'Mug', unitPriceCents: 1250 }],
        confirmedAt: '2026-01-01T00:00:00Z',
      },
      'Alice',
    );
    expect(email.subject).toBe('Order 11111111 confirmed');
    expect(email.body).toContain('Hello Alice,');
    expect(email.body).toContain('2 × Mug at 12.50 EUR');
    expect(email.body).toContain('Total: 25.00 EUR');
  });

  it('explains a failure in words when the reason is known, and names it otherwise', () => {
    const failed = (reason: string) =>
      render('order.failed', { tenantId, orderId, userId: 'u1', reason, failedAt: '2026-01-01T00:00:00Z' });
    expect(failed('PAYMENT_DECLINED').body).toContain('the payment was declined');
    expect(failed('SOMETHING_NEW').body).toContain('SOMETHING_NEW');
    expect(failed('OUT_OF_STOCK').body).toMatch(/^Hello,\n/);
  });

  it('renders cancellations, captures and refunds', () => {
    expect(
      render('order.cancelled', { tenantId, orderId, userId: 'u1', cancelledAt: '2026-01-01T00:00:00Z' })
        .subject,
    ).toBe('Order 11111111 cancelled');
    const payment = { tenantId, orderId, paymentId: orderId, currency: 'EUR' };
    expect(
      render('payment.captured', { ...payment, amountCents: 990, capturedAt: '2026-01-01T00:00:00Z' }).body,
    ).toContain('payment of 9.90 EUR');
    expect(
      render('payment.refunded', {
        ...payment,
        refundId: orderId,
        amountCents: 100,
        refundedAt: '2026-01-01T00:00:00Z',
      }).body,
    ).toContain('1.00 EUR of your payment');
  });
});
