/**
 * The flash-sale service's public API, at the gateway's paths (an access token; admin routes need role admin):
 *
 * POST /api/v1/admin/flash-sales          NewFlashSaleRequest → 201 {id} (+ Location): its quantity is reserved
 *                                         from inventory until the sale ends
 * GET  /api/v1/admin/flash-sales/{id}     → 200 AdminFlashSaleView (live counters, settlement)
 * GET  /api/v1/flash-sales/{id}           → 200 FlashSaleView (terms, units remaining, status)
 * POST /api/v1/flash-sales/{id}/purchases PurchaseRequest (Idempotency-Key required) → 202 PurchaseAccepted; 409
 *                                         SOLD_OUT / LIMIT_REACHED / NOT_ACTIVE
 * GET  /api/v1/flash-sales/{id}/purchases/{purchaseId} → 200 PurchaseView (the caller's own; an admin's any)
 *
 * The schemas are what the routes validate and serialize with; the types are derived from them.
 */
import { type Static, Type } from 'typebox';

export const FlashSaleIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const PurchaseParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  purchaseId: Type.String({ format: 'uuid' }),
});

export const NewFlashSaleRequest = Type.Object(
  {
    productId: Type.String({ format: 'uuid' }),
    quantity: Type.Integer({
      minimum: 1,
      maximum: 1_000_000,
      description: 'at most what one inventory reservation holds',
    }),
    priceCents: Type.Integer({ minimum: 0, maximum: 100_000_000_000 }),
    startsAt: Type.String({ format: 'date-time' }),
    endsAt: Type.String({ format: 'date-time' }),
    perUserLimit: Type.Integer({ minimum: 1, maximum: 1_000 }),
  },
  { additionalProperties: false },
);
export type NewFlashSaleRequest = Static<typeof NewFlashSaleRequest>;

export const FlashSaleCreated = Type.Object({ id: Type.String() });

/** `Idempotency-Key` is required; the route checks it (1–255 printable characters) before the body. */
export const PurchaseHeaders = Type.Object({ 'idempotency-key': Type.Optional(Type.String()) });

export const PurchaseRequest = Type.Object(
  {
    quantity: Type.Integer({ minimum: 1, maximum: 1_000 }),
    payment: Type.Object(
      { method: Type.Literal('card'), token: Type.String({ minLength: 1, maxLength: 200 }) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type PurchaseRequest = Static<typeof PurchaseRequest>;

export const FlashSaleStatus = Type.Union([
  Type.Literal('SCHEDULED'),
  Type.Literal('ACTIVE'),
  Type.Literal('SOLD_OUT'),
  Type.Literal('ENDED'),
]);
export type FlashSaleStatus = Static<typeof FlashSaleStatus>;

export const PurchaseStatus = Type.Union([
  Type.Literal('ACCEPTED'),
  Type.Literal('ORDERED'),
  Type.Literal('CONFIRMED'),
  Type.Literal('FAILED'),
  Type.Literal('RELEASED'),
]);
export type PurchaseStatus = Static<typeof PurchaseStatus>;

const StatusCount = Type.Object({ purchases: Type.Integer(), units: Type.Integer() });

export const FlashSaleView = Type.Object({
  id: Type.String(),
  productId: Type.String(),
  quantity: Type.Integer(),
  priceCents: Type.Integer(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  perUserLimit: Type.Integer(),
  remaining: Type.Integer(),
  status: FlashSaleStatus,
});
export type FlashSaleView = Static<typeof FlashSaleView>;

export const AdminFlashSaleView = Type.Object({
  ...FlashSaleView.properties,
  sold: Type.Integer({ description: 'units held by purchases not released: confirmed + in flight' }),
  oversold: Type.Integer({ description: 'units sold beyond the quantity: always 0' }),
  purchases: Type.Object({
    ACCEPTED: StatusCount,
    ORDERED: StatusCount,
    CONFIRMED: StatusCount,
    FAILED: StatusCount,
    RELEASED: StatusCount,
  }),
  persistedPurchases: Type.Integer(),
  admissionMode: Type.Union([Type.Literal('redis'), Type.Literal('embedded')]),
  queueDepth: Type.Integer(),
  settlement: Type.Union([
    Type.Null(),
    Type.Object(
      {
        settledAt: Type.String(),
        unitsSold: Type.Integer({ description: 'taken off hand from the sale’s reservation' }),
        unitsReturned: Type.Integer({ description: 'given back to inventory' }),
      },
      { description: 'the sale settled with inventory once it ended and every purchase was final' },
    ),
  ]),
});
export type AdminFlashSaleView = Static<typeof AdminFlashSaleView>;

export const PurchaseAccepted = Type.Object({ purchaseId: Type.String(), status: Type.Literal('ACCEPTED') });
export type PurchaseAccepted = Static<typeof PurchaseAccepted>;

export const PurchaseView = Type.Object({
  purchaseId: Type.String(),
  saleId: Type.String(),
  status: PurchaseStatus,
  orderId: Type.Union([Type.String(), Type.Null()]),
  quantity: Type.Integer(),
  acceptedAt: Type.String(),
});
export type PurchaseView = Static<typeof PurchaseView>;
