import type { AuthorizationView, PaymentView, RefundView } from '@glassbox/contracts';
import { Type } from 'typebox';
import type { Payment, ReconciliationFlag, Refund } from '../adapters/payment-repo.js';

export const PaymentStatusSchema = Type.Union([
  Type.Literal('PROCESSING'),
  Type.Literal('AUTHORIZED'),
  Type.Literal('DECLINED'),
  Type.Literal('VOIDED'),
  Type.Literal('CAPTURED'),
  Type.Literal('PARTIALLY_REFUNDED'),
  Type.Literal('REFUNDED'),
]);

export const AuthorizationSchema = Type.Object({
  paymentId: Type.String({ format: 'uuid' }),
  orderId: Type.String({ format: 'uuid' }),
  status: PaymentStatusSchema,
  amountCents: Type.Integer(),
  currency: Type.String(),
});

export const PaymentSchema = Type.Object({
  ...AuthorizationSchema.properties,
  capturedCents: Type.Integer(),
  refundedCents: Type.Integer(),
  card: Type.Object({ kind: Type.String(), last4: Type.String() }),
  declineReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const RefundSchema = Type.Object({
  refundId: Type.String({ format: 'uuid' }),
  paymentId: Type.String({ format: 'uuid' }),
  amountCents: Type.Integer(),
  paymentStatus: PaymentStatusSchema,
  refundedCents: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ReconciliationFlagSchema = Type.Object({
  flagId: Type.String({ format: 'uuid' }),
  paymentId: Type.String({ format: 'uuid' }),
  orderId: Type.String({ format: 'uuid' }),
  reason: Type.Union([Type.Literal('PROVIDER_REFUND'), Type.Literal('PROVIDER_VOID')]),
  amountCents: Type.Union([Type.Integer(), Type.Null()]),
  paymentStatus: PaymentStatusSchema,
  eventId: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
});

export const ProblemSchema = Type.Object(
  { type: Type.String(), title: Type.String(), status: Type.Integer(), code: Type.String() },
  { additionalProperties: true },
);

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
