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
 *
 * The schemas are what the routes validate and serialize with; the types are derived from them.
 */
import { type Static, Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()]);

export const OrderStatus = Type.Union([
  Type.Literal('PENDING'),
  Type.Literal('CONFIRMED'),
  Type.Literal('CANCELLED'),
  Type.Literal('FAILED'),
]);
export type OrderStatus = Static<typeof OrderStatus>;

/** 1–50 items, each product at most once (checked by the route), quantity 1–100. */
export const CreateOrderRequest = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          productId: Uuid,
          quantity: Type.Integer({ minimum: 1, maximum: 100 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    payment: Type.Object(
      {
        method: Type.Literal('card'),
        token: Type.String({ minLength: 1, maxLength: 200 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CreateOrderRequest = Static<typeof CreateOrderRequest>;

/** `Idempotency-Key` is required; the route checks it (1–255 printable characters) before the body. */
export const CreateOrderHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String()) });

export const OrderIdParams = Type.Object({ id: Uuid });

export const OrderListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    status: Type.Optional(OrderStatus),
  },
  { additionalProperties: false },
);
export type OrderListQuery = Static<typeof OrderListQuery>;

/** sku, name and prices are null until the order is priced (the first step of its checkout). */
export const OrderLineView = Type.Object({
  productId: Uuid,
  quantity: Type.Integer(),
  sku: Nullable(Type.String()),
  name: Nullable(Type.String()),
  unitPriceCents: Nullable(Type.Integer()),
  lineTotalCents: Nullable(Type.Integer()),
});
export type OrderLineView = Static<typeof OrderLineView>;

/**
 * `failureReason` when FAILED: OUT_OF_STOCK, PAYMENT_DECLINED, RESERVATION_EXPIRED, DEPENDENCY_UNAVAILABLE, …;
 * CANCELLED when cancelled.
 */
export const OrderView = Type.Object({
  id: Uuid,
  status: OrderStatus,
  items: Type.Array(OrderLineView),
  totalCents: Nullable(Type.Integer()),
  currency: Nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  failureReason: Type.Optional(Type.String()),
  failureDetail: Type.Optional(Type.String()),
});
export type OrderView = Static<typeof OrderView>;

export const OrderPage = Type.Object({
  items: Type.Array(OrderView),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});
export type OrderPage = Static<typeof OrderPage>;
