/**
 * The inventory service's API (owned by the catalog/inventory engineer); errors are problem+json documents with
 * a `code`.
 *
 * Public (role admin), at the gateway's paths:
 * GET /api/v1/admin/stock/{productId}   → 200 StockLevel; 404 if the product has no stock record
 * PUT /api/v1/admin/stock/{productId}   SetStockRequest → 200 StockLevel (creates the record of a product the
 *                                       catalog has; 409 below what is reserved)
 *
 * Internal: every call sends `x-internal-token` and `x-tenant-id`.
 *
 * POST /internal/reservations                 ReserveRequest → 201 (new) or 200 (same reservationId again)
 *                                              ReservationView; 409 OUT_OF_STOCK {productId, requested,
 *                                              available} (all-or-nothing: nothing is held);
 *                                              422 IDEMPOTENCY_KEY_REUSED when the id is reused with other items
 *                                              or another orderId. A repeat answers the reservation as it is
 *                                              now: check `status` (it may be COMMITTED, RELEASED or EXPIRED).
 * POST /internal/reservations/{id}/commit     [{items:[{productId, quantity}]}] → 200 {reservationId,
 *                                              status:"COMMITTED", items} (idempotent): every unit held, or only
 *                                              the listed quantities with the rest given back (a settlement;
 *                                              400 naming an item not held or above its hold; 409 CONFLICT when
 *                                              repeated with other quantities); 409 ILLEGAL_TRANSITION
 *                                              {reservationStatus} if released or expired; 404 if unknown
 * POST /internal/reservations/{id}/release    → 200 {reservationId, status:"RELEASED"} always (idempotent, a
 *                                              no-op on unknown/released/expired ids; releasing a COMMITTED
 *                                              reservation puts its goods back on hand)
 * GET  /internal/reservations/{id}            → 200 ReservationView; 404 if unknown
 * GET  /internal/stock/{productId}            → 200 StockLevel; 404 if the product has no stock record
 *
 * The public routes' schemas (and StockLevel, which the internal ones share) are TypeBox schemas the routes
 * validate and serialize with; the internal-only shapes are plain types.
 */
import { type Static, Type } from 'typebox';
export type ReservationStatus = 'RESERVED' | 'COMMITTED' | 'RELEASED' | 'EXPIRED';

export interface ReservationItemInput {
  productId: string;
  quantity: number;
}

export interface ReserveRequest {
  /** Chosen by the caller (1–128 of [A-Za-z0-9._:-]); the same id again answers the same reservation. */
  reservationId: string;
  orderId: string;
  items: ReservationItemInput[];
  /** Default 900 (15 min); 1..7776000 (90 days, a flash sale's hold). A RESERVED reservation past it is released by the sweeper. */
  ttlSeconds?: number;
}

export interface ReservationView {
  reservationId: string;
  orderId: string;
  status: ReservationStatus;
  /** ISO 8601. */
  expiresAt: string;
  items: ReservationItemInput[];
}

export interface ReservationStatusView {
  reservationId: string;
  status: ReservationStatus;
}

export const StockProductParams = Type.Object({
  productId: Type.String({ format: 'uuid', description: 'catalog product id' }),
});

export const StockLevel = Type.Object({
  productId: Type.String({ format: 'uuid' }),
  onHand: Type.Integer(),
  reserved: Type.Integer(),
  available: Type.Integer(),
});
export type StockLevel = Static<typeof StockLevel>;

export const SetStockRequest = Type.Object(
  { onHand: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
  { additionalProperties: false },
);
export type SetStockRequest = Static<typeof SetStockRequest>;
