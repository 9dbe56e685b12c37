import type { AuthorizationView, PaymentView, RefundView } from '@glassbox/contracts';
import type { Payment, ReconciliationFlag, Refund } from '../adapters/payment-repo.js';

export const authorizationView = (p: Payment): AuthorizationView => ({
  paymentId: p.id,
  orderId: p.orderId,
  status: p.status,
  amountCents: p.amountCents,
  currency: p.currency,
});

export const paymentView = (p: Payment): PaymentView => ({
  ...authorizationView(p),
  capturedCents: p.capturedCents,
  refundedCents: p.refundedCents,
  card: { kind: p.cardKind, last4: p.cardLast4 },
  declineReason: p.declineReason,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

export const refundView = (r: Refund, p: Payment): RefundView => ({
  refundId: r.id,
  paymentId: r.paymentId,
  amountCents: r.amountCents,
  paymentStatus: p.status,
  refundedCents: p.refundedCents,
  createdAt: r.createdAt.toISOString(),
});

export const reconciliationFlagView = (f: ReconciliationFlag) => ({
  flagId: f.id,
  paymentId: f.paymentId,
  orderId: f.orderId,
  reason: f.reason,
  amountCents: f.amountCents,
  paymentStatus: f.paymentStatus,
  eventId: f.eventId,
  createdAt: f.createdAt.toISOString(),
});
