/**
 * The inventory's use cases: stock levels, and reservations held for orders (reserve, commit, release). Routes
 * validate and shape HTTP; these decide (not found, a product the catalog lacks, the default hold) and call the
 * store and the catalog — routes never call them directly.
 */
import type { ProductCatalog } from '../adapters/catalog-client.js';
import type { InventoryStore } from '../adapters/inventory-store.js';
import type { ReservationItem } from '../domain/reservations.js';
import { appError } from '../errors.js';

type ReserveInput = Parameters<InventoryStore['reserve']>[1];

export function createStock(deps: {
  store: InventoryStore;
  catalog: ProductCatalog;
  defaultTtlSeconds: number;
}) {
  const { store, catalog, defaultTtlSeconds } = deps;
  return {
    async level(tenantId: string, productId: string) {
      const stock = await store.getStock(tenantId, productId);
      if (!stock) throw appError('NOT_FOUND', `no stock record for product ${productId}`);
      return stock;
    },

    /** Sets the units on hand; inventory owns stock, the catalog owns products: none for an unknown product. */
    async setOnHand(tenantId: string, productId: string, onHand: number) {
      if (!(await catalog.has(tenantId, productId))) {
        throw appError('NOT_FOUND', `no product ${productId} in the catalog`);
      }
      return store.setOnHand(tenantId, productId, onHand);
    },

    /** Holds stock for an order, all or nothing; idempotent on the reservation id. */
    async reserve(tenantId: string, input: Omit<ReserveInput, 'ttlSeconds'> & { ttlSeconds?: number }) {
      return store.reserve(tenantId, { ...input, ttlSeconds: input.ttlSeconds ?? defaultTtlSeconds });
    },

    async reservation(tenantId: string, reservationId: string) {
      const reservation = await store.getReservation(tenantId, reservationId);
      if (!reservation) throw appError('NOT_FOUND', `reservation ${reservationId} was not found`);
      return reservation;
    },

    /** Takes the hold off hand: all of it, or only `take` with the rest given back (a settlement). */
    commit: (tenantId: string, reservationId: string, take?: readonly ReservationItem[]) =>
      store.commit(tenantId, reservationId, take),
    release: (tenantId: string, reservationId: string) => store.release(tenantId, reservationId),
  };
}

export type Stock = ReturnType<typeof createStock>;
