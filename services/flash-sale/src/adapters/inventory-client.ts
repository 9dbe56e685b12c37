import type { ReservationView } from '@glassbox/contracts';
import { createHttpClient, INTERNAL_TOKEN_HEADER, TENANT_HEADER, UpstreamError } from '@glassbox/kit';
import { appError } from '../errors.js';

/** The sale's hold on inventory: one reservation of its whole quantity, lasting until the sale ends. */
export interface SaleInventory {
  /** Reserves; 409 OUT_OF_STOCK (with `available`) when inventory has not enough. Idempotent on the id. */
  reserve(
    tenantId: string,
    r: { reservationId: string; saleId: string; productId: string; quantity: number; ttlSeconds: number },
  ): Promise<ReservationView>;
  release(tenantId: string, reservationId: string): Promise<void>;
  /**
   * Settles the hold: `units` of the product taken off hand, the rest given back (idempotent; a repeat with
   * another number is refused 409).
   */
  settle(tenantId: string, reservationId: string, productId: string, units: number): Promise<void>;
}

export function createInventoryClient(options: {
  url: string;
  internalToken: string;
  timeoutMs?: number;
}): SaleInventory {
  const client = createHttpClient({
    name: 'inventory',
    baseUrl: options.url,
    timeoutMs: options.timeoutMs ?? 5_000,
    retries: 2,
    headers: { [INTERNAL_TOKEN_HEADER]: options.internalToken },
  });
  return {
    async reserve(tenantId, r) {
      try {
        return await client.json<ReservationView>({
          method: 'POST',
          path: '/internal/reservations',
          route: '/internal/reservations',
          headers: { [TENANT_HEADER]: tenantId },
          body: {
            reservationId: r.reservationId,
            orderId: `flash-sale:${r.saleId}`,
            items: [{ productId: r.productId, quantity: r.quantity }],
            ttlSeconds: r.ttlSeconds,
          },
          retry: true, // idempotent on reservationId
        });
      } catch (error) {
        if (error instanceof UpstreamError && error.problem?.code === 'OUT_OF_STOCK') {
          throw appError('OUT_OF_STOCK', `inventory cannot hold ${r.quantity} units of ${r.productId}`, {
            productId: r.productId,
            requested: r.quantity,
            ...(typeof error.problem.available === 'number' ? { available: error.problem.available } : {}),
          });
        }
        if (error instanceof UpstreamError && error.upstreamStatus === 404) {
          throw appError('NOT_FOUND', `inventory has no stock record for product ${r.productId}`);
        }
        throw error;
      }
    },
    async release(tenantId, reservationId) {
      await client.json({
        method: 'POST',
        path: `/internal/reservations/${encodeURIComponent(reservationId)}/release`,
        route: '/internal/reservations/:id/release',
        headers: { [TENANT_HEADER]: tenantId },
        retry: true,
      });
    },
    async settle(tenantId, reservationId, productId, units) {
      await client.json({
        method: 'POST',
        path: `/internal/reservations/${encodeURIComponent(reservationId)}/commit`,
        route: '/internal/reservations/:id/commit',
        headers: { [TENANT_HEADER]: tenantId },
        body: { items: [{ productId, quantity: units }] },
        retry: true, // idempotent: the same settlement again answers the same
      });
    },
  };
}
