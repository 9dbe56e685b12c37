/**
 * The catalog's use cases: what a route may ask of the catalog. Routes validate and shape HTTP; these decide
 * (not found, what counts as a change, which metric moves) and call the store — routes never call it directly.
 */
import { appError } from '@glassbox/kit';
import type { ProductStore } from '../adapters/product-store.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import {
  type NewProduct,
  type Product,
  type ProductChanges,
  type ProductSummary,
  requestFingerprint,
  toSummary,
} from '../domain/product.js';
import { normalizeSearch } from '../domain/search.js';
import type { CatalogMetrics } from '../metrics.js';

export interface ProductPage {
  items: ProductSummary[];
  nextCursor: string | null;
}

export function createProducts(deps: { store: ProductStore; metrics: CatalogMetrics }) {
  const { store, metrics } = deps;
  return {
    /** One page of the tenant's products by name; `cursor` is the previous page's `nextCursor`. */
    async list(
      tenantId: string,
      query: { search?: string; category?: string; limit: number; cursor?: string },
    ): Promise<ProductPage> {
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      if (query.cursor !== undefined && !after) {
        throw appError('VALIDATION_FAILED', 'querystring/cursor is not a cursor of this listing', {
          errors: [{ path: 'querystring/cursor', message: 'is not a cursor of this listing' }],
        });
      }
      const page = await store.list(tenantId, {
        search: normalizeSearch(query.search),
        category: query.category,
        limit: query.limit,
        after,
      });
      const last = page.items.at(-1);
      return {
        items: page.items.map(toSummary),
        nextCursor: page.hasMore && last ? encodeCursor({ name: last.name, id: last.id }) : null,
      };
    },

    async get(tenantId: string, id: string): Promise<Product> {
      const product = await store.get(tenantId, id);
      if (!product) throw appError('NOT_FOUND', `product ${id} was not found`);
      return product;
    },

    /** Products by id for another service; an unknown id (or one that is not a UUID) is simply absent. */
    async summaries(tenantId: string, ids: readonly string[]): Promise<ProductSummary[]> {
      return store.getMany(tenantId, ids);
    },

    /** Creates a product once per Idempotency-Key: the same key and body answer the first product again. */
    async create(
      tenantId: string,
      input: NewProduct,
      idempotencyKey?: string,
    ): Promise<{ created: boolean; product: Product }> {
      const result = await store.create(
        tenantId,
        input,
        idempotencyKey === undefined
          ? undefined
          : { key: idempotencyKey, fingerprint: requestFingerprint(input) },
      );
      if (result.created) metrics.changed('created');
      return result;
    },

    async update(tenantId: string, id: string, changes: ProductChanges): Promise<Product> {
      const product = await store.update(tenantId, id, changes);
      if (!product) throw appError('NOT_FOUND', `product ${id} was not found`);
      metrics.changed('updated');
      return product;
    },

    async remove(tenantId: string, id: string): Promise<void> {
      if (!(await store.remove(tenantId, id))) throw appError('NOT_FOUND', `product ${id} was not found`);
      metrics.changed('deleted');
    },
  };
}

export type Products = ReturnType<typeof createProducts>;
