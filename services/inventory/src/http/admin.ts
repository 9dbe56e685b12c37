import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appError } from '@glassbox/kit';
import { Type } from 'typebox';
import type { ProductCatalog } from '../adapters/catalog-client.js';
import type { InventoryStore } from '../adapters/inventory-store.js';
import { ProductId, problems, StockLevel, tenantOf } from './schemas.js';

export interface AdminRoutesOptions {
  store: InventoryStore;
  catalog: ProductCatalog;
}

const Params = Type.Object({ productId: ProductId });

/** Merchant administration of stock (role admin), served at the gateway's paths. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { store, catalog }) => {
  const guard = [app.authenticate, app.requireRole('admin')];
  const common = { tags: ['admin'], security: [{ bearer: [] }] };

  app.get(
    '/api/v1/admin/stock/:productId',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary: 'Stock of one product',
        params: Params,
        response: { 200: StockLevel, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const stock = await store.getStock(tenantOf(request), request.params.productId);
      if (!stock) throw appError('NOT_FOUND', `no stock record for product ${request.params.productId}`);
      return stock;
    },
  );

  app.put(
    '/api/v1/admin/stock/:productId',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary:
          'Set the units on hand (creates the stock record of a product the catalog has); never below what is reserved',
        params: Params,
        body: Type.Object(
          { onHand: Type.Integer({ minimum: 0, maximum: 1_000_000_000 }) },
          { additionalProperties: false },
        ),
        response: { 200: StockLevel, ...problems(400, 401, 403, 404, 409, 502, 503, 504) },
      },
    },
    async (request) => {
      const tenantId = tenantOf(request);
      // Inventory owns stock, the catalog owns products: no stock for a product the catalog does not have.
      if (!(await catalog.has(tenantId, request.params.productId))) {
        throw appError('NOT_FOUND', `no product ${request.params.productId} in the catalog`);
      }
      const { created, stock } = await store.setOnHand(
        tenantId,
        request.params.productId,
        request.body.onHand,
      );
      request.log.info(
        { product_id: stock.productId, on_hand: stock.onHand, created },
        'stock on hand set by an admin',
      );
      return stock;
    },
  );
};
