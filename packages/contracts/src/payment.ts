/**
 * The payment service's API (owned by the order/payment engineer). Internal calls send `x-internal-token` and
 * `x-tenant-id`; errors are problem+json documents with a `code`.
 *
 * POST /internal/payments/authorize      AuthorizeRequest (+ `Idempotency-Key: <orderId>`) → 201 (new) or 200
 *                                         (the same orderId again) AuthorizationView; declined → 402
 *                                         PAYMENT_DECLINED {paymentId, paymentStatus:"DECLINED", reason} (`status`
 *                                         is the problem's HTTP status, RFC 9457); the same
 *                                         orderId with another amount/currency/card → 422 IDEMPOTENCY_KEY_REUSED
 * POST /internal/payments/{id}/void      → 200 AuthorizationView (idempotent; a no-op on void or declined payments;
 *                                         an unknown id → 200 {paymentId, status: null}; 409 ILLEGAL_TRANSITION
 *                                         once captured — refund instead)
 * POST /internal/payments/{id}/capture   → 200 AuthorizationView (idempotent); 404 unknown; 409 ILLEGAL_TRANSITION
 *                                         if void or declined
 * GET  /internal/payments?orderId=       → 200 {items: PaymentView[]}
 * GET  /api/v1/admin/payments?orderId=   (admin) → {items: PaymentView[]};  GET /api/v1/admin/payments/{id}
 * POST /api/v1/admin/payments/{id}/refunds {amountCents} (admin, optional Idempotency-Key) → 201 RefundView
 * POST /api/v1/payments/provider-callbacks ProviderEvent, signed `x-provider-signature: t=<unix>,v1=<hex>`
 *                                         (HMAC-SHA256 over `<t>.<raw body>`) → 200 ProviderCallbackResult
 * GET  /api/v1/admin/payments/reconciliation-flags?limit= (admin) → {items: ReconciliationFlag[]}
 * GET  /api/v1/admin/reconciliation/reports?limit=       (admin) → {items: ReconciliationReport[]}
 *
 * The public routes' schemas (and the views the internal ones share) are TypeBox schemas the routes validate
 * and serialize with; the types are derived from them. AuthorizeRequest, internal only, is a plain type.
 */
import { type Static, Type } from 'typebox';

/**
 * The largest amount one payment takes, in minor units (100 million in a currency of cents). The one limit of
 * the shop: a catalog price never exceeds it, an order whose total would is refused before it reaches payment.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000;

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });

export const PaymentStatus = Type.Union([
  Type.Literal('PROCESSING'),
  Type.Literal('AUTHORIZED'),
  Type.Literal('DECLINED'),
  Type.Literal('VOIDED'),
  Type.Literal('CAPTURED'),
  Type.Literal('PARTIALLY_REFUNDED'),
  Type.Literal('REFUNDED'),
]);
export type PaymentStatus = Static<typeof PaymentStatus>;

export interface AuthorizeRequest {
  orderId: string;
  amountCents: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** Test card tokens: tok_ok approves, tok_declined declines, tok_slow approves after PAYMENT_SLOW_MS. */
  token: string;
}

export const AuthorizationView = Type.Object({
  paymentId: Uuid,
  orderId: Uuid,
  status: PaymentStatus,
  amountCents: Type.Integer(),
  currency: Type.String(),
});
export type AuthorizationView = Static<typeof AuthorizationView>;

/** `card`: what is kept of the card, its kind and the last 4 characters of the token, never the token. */
export const PaymentView = Type.Object({
  ...AuthorizationView.properties,
  capturedCents: Type.Integer(),
  refundedCents: Type.Integer(),
  card: Type.Object({ kind: Type.String(), last4: Type.String() }),
  declineReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type PaymentView = Static<typeof PaymentView>;

export const PaymentList = Type.Object({ items: Type.Array(PaymentView) });
export type PaymentList = Static<typeof PaymentList>;

/** One payment with its refunds (`GET /api/v1/admin/payments/{id}`). */
export const PaymentDetail = Type.Object({
  ...PaymentView.properties,
  refunds: Type.Array(
    Type.Object({ refundId: Type.String(), amountCents: Type.Integer(), createdAt: Type.String() }),
  ),
});
export type PaymentDetail = Static<typeof PaymentDetail>;

export const PaymentIdParams = Type.Object({ id: Uuid });

export const PaymentListQuery = Type.Object(
  {
    orderId: Type.Optional(Uuid),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);
export type PaymentListQuery = Static<typeof PaymentListQuery>;

export const RefundHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});

export const RefundRequest = Type.Object(
  { amountCents: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_CENTS }) },
  { additionalProperties: false },
);
export type RefundRequest = Static<typeof RefundRequest>;

/** `paymentStatus` and `refundedCents` are the payment's after the refund. */
export const RefundView = Type.Object({
  refundId: Uuid,
  paymentId: Uuid,
  amountCents: Type.Integer(),
  paymentStatus: PaymentStatus,
  refundedCents: Type.Integer(),
  createdAt: Timestamp,
});
export type RefundView = Static<typeof RefundView>;

export const ReconciliationFlag = Type.Object({
  flagId: Uuid,
  paymentId: Uuid,
  orderId: Uuid,
  reason: Type.Union([Type.Literal('PROVIDER_REFUND'), Type.Literal('PROVIDER_VOID')]),
  amountCents: Type.Union([Type.Integer(), Type.Null()]),
  paymentStatus: PaymentStatus,
  eventId: Type.String(),
  createdAt: Timestamp,
});
export type ReconciliationFlag = Static<typeof ReconciliationFlag>;

export const ReconciliationFlagsQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 50 }) },
  { additionalProperties: false },
);

export const ReconciliationFlagList = Type.Object({ items: Type.Array(ReconciliationFlag) });

export const MismatchKind = Type.Union([
  Type.Literal('CAPTURED_WITHOUT_CONFIRMED_ORDER'),
  Type.Literal('CONFIRMED_WITHOUT_CAPTURE'),
  Type.Literal('AMOUNT_MISMATCH'),
]);
export type MismatchKind = Static<typeof MismatchKind>;

export const ReconciliationReport = Type.Object({
  id: Uuid,
  ranAt: Timestamp,
  counts: Type.Object({
    CAPTURED_WITHOUT_CONFIRMED_ORDER: Type.Integer(),
    CONFIRMED_WITHOUT_CAPTURE: Type.Integer(),
    AMOUNT_MISMATCH: Type.Integer(),
  }),
  mismatches: Type.Array(
    Type.Object({
      kind: MismatchKind,
      orderId: Type.String(),
      paymentId: Type.Union([Type.String(), Type.Null()]),
      orderStatus: Type.Union([Type.String(), Type.Null()]),
      expectedCents: Type.Union([Type.Integer(), Type.Null()]),
      capturedCents: Type.Integer(),
    }),
  ),
});
export type ReconciliationReport = Static<typeof ReconciliationReport>;

export const ReconciliationReportsQuery = Type.Object(
  { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
  { additionalProperties: false },
);

export const ReconciliationReportList = Type.Object({ items: Type.Array(ReconciliationReport) });

export const ProviderEventType = Type.Union([
  Type.Literal('payment.captured'),
  Type.Literal('payment.voided'),
  Type.Literal('payment.refunded'),
]);
export type ProviderEventType = Static<typeof ProviderEventType>;

/** A provider callback. `id` is the provider's event id: the same event delivered twice is applied once. */
export const ProviderEvent = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: 200 }),
    type: ProviderEventType,
    created: Type.Optional(Type.Integer()),
    data: Type.Object(
      {
        paymentId: Uuid,
        tenantId: Uuid,
        amountCents: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type ProviderEvent = Static<typeof ProviderEvent>;

export const ProviderCallbackResult = Type.Object({
  eventId: Type.String(),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('ignored'), Type.Literal('duplicate')]),
  paymentId: Type.String(),
  paymentStatus: PaymentStatus,
});
export type ProviderCallbackResult = Static<typeof ProviderCallbackResult>;
