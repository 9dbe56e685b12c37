import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SetStockRequest, StockLevel, StockProductParams } from '@glassbox/contracts';
import type { Stock } from '../app/stock.js';
import { problems, tenantOf } from './schemas.js';

export interface AdminRoutesOptions {
  stock: Stock;
}

/** Merchant administration of stock (role admin), served at the gateway's paths. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { stock }) => {
  const guard = [app.authenticate, app.requireRole('admin')];
  const common = { tags: ['admin'], security: [{ bearer: [] }] };

  app.get(
    '/api/v1/admin/stock/:productId',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary: 'Stock of one product',
        params: StockProductParams,
        response: { 200: StockLevel, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      return stock.level(tenantOf(request), request.params.productId);
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
        params: StockProductParams,
        body: SetStockRequest,
        response: { 200: StockLevel, ...problems(400, 401, 403, 404, 409, 502, 503, 504) },
      },
    },
    async (request) => {
      const { created, stock: level } = await stock.setOnHand(
        tenantOf(request),
        request.params.productId,
        request.body.onHand,
      );
      request.log.info(
        { product_id: level.productId, on_hand: level.onHand, created },
        'stock on hand set by an admin',
      );
      return level;
    },
  );
};
