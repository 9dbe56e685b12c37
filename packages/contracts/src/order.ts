/**
 * The order service's public API (owned by the order/payment engineer), served at the gateway's paths.
 *
 * POST /api/v1/orders   (Idempotency-Key required) CreateOrderRequest → 201 OrderView when the checkout saga
 *                       finished within the budget (~1.5 s), else 202 OrderView {status: PENDING} with Location;
 *                       the same key and body again → 200 (202 while pending) with the same order; the same key
 *                       with another body → 422 IDEMPOTENCY_KEY_REUSED; unknown product → 400 VALIDATION_FAILED
 *                       (members orderId, productIds)
 * GET  /api/v1/orders/{id}              → OrderView (the caller's own; an admin sees the tenant's)
 * GET  /api/v1/orders?limit=&cursor=&status= → {items: OrderView[], nextCursor: string | null}, newest first
 * POST /api/v1/orders/{id}/cancel       → 200 OrderView {status: CANCELLED}; 202 while the saga winds down;
 *                                         409 ILLEGAL_TRANSITION once CONFIRMED or FAILED (member orderStatus)
 */
export type OrderStatus = 'PENDING' | 'CONFIRMED' | 'CANCELLED' | 'FAILED';

export interface CreateOrderRequest {
  /** 1–50 items, each product at most once, quantity 1–100. */
  items: { productId: string; quantity: number }[];
  payment: { method: 'card'; token: string };
}

export interface OrderLineView {
  productId: string;
  quantity: number;
  /** Null until the order is priced (the first step of its checkout). */
  sku: string | null;
  name: string | null;
  unitPriceCents: number | null;
  lineTotalCents: number | null;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  items: OrderLineView[];
  totalCents: number | null;
  currency: string | null;
  createdAt: string;
  updatedAt: string;
  /** When FAILED: OUT_OF_STOCK, PAYMENT_DECLINED, RESERVATION_EXPIRED, DEPENDENCY_UNAVAILABLE, …; CANCELLED when cancelled. */
  failureReason?: string;
  failureDetail?: string;
}

export interface OrderPage {
  items: OrderView[];
  nextCursor: string | null;
}
