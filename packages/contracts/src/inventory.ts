/**
 * The inventory service's internal API (owned by the catalog/inventory engineer). Every call sends
 * `x-internal-token` and `x-tenant-id`; errors are problem+json documents with a `code`.
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
 */
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

export interface StockLevel {
  productId: string;
  onHand: number;
  reserved: number;
  available: number;
}
