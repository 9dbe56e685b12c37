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
 *                                         (HMAC-SHA256 over `<t>.<raw body>`) → 200 {eventId, outcome}
 */
/**
 * The largest amount one payment takes, in minor units (100 million in a currency of cents). The one limit of
 * the shop: a catalog price never exceeds it, an order whose total would is refused before it reaches payment.
 */
export const MAX_AMOUNT_CENTS = 10_000_000_000;

export type PaymentStatus =
  | 'PROCESSING'
  | 'AUTHORIZED'
  | 'DECLINED'
  | 'VOIDED'
  | 'CAPTURED'
  | 'PARTIALLY_REFUNDED'
  | 'REFUNDED';

export interface AuthorizeRequest {
  orderId: string;
  amountCents: number;
  /** ISO 4217, upper case. */
  currency: string;
  /** Test card tokens: tok_ok approves, tok_declined declines, tok_slow approves after PAYMENT_SLOW_MS. */
  token: string;
}

export interface AuthorizationView {
  paymentId: string;
  orderId: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
}

export interface PaymentView extends AuthorizationView {
  capturedCents: number;
  refundedCents: number;
  /** What is kept of the card: its kind and the last 4 characters of the token, never the token. */
  card: { kind: string; last4: string };
  declineReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RefundView {
  refundId: string;
  paymentId: string;
  amountCents: number;
  /** The payment's status after the refund. */
  paymentStatus: PaymentStatus;
  refundedCents: number;
  createdAt: string;
}

export type ProviderEventType = 'payment.captured' | 'payment.voided' | 'payment.refunded';

/** A provider callback. `id` is the provider's event id: the same event delivered twice is applied once. */
export interface ProviderEvent {
  id: string;
  type: ProviderEventType;
  data: { paymentId: string; tenantId: string; amountCents?: number };
}
