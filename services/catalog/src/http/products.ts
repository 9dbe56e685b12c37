import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Product, ProductIdParams, ProductListQuery, ProductPage } from '@glassbox/contracts';
import type { Products } from '../app/products.js';
import { problems, tenantOf } from './schemas.js';

export interface ProductRoutesOptions {
  products: Products;
}

/** The shop's product listing and product pages, for any signed-in user of the tenant. */
export const productRoutes: FastifyPluginAsyncTypebox<ProductRoutesOptions> = async (app, { products }) => {
  const common = { tags: ['products'], security: [{ bearer: [] }] };

  app.get(
    '/api/v1/products',
    {
      onRequest: app.authenticate,
      schema: {
        ...common,
        summary: 'List products by name, with search and keyset pagination',
        querystring: ProductListQuery,
        response: {
          200: ProductPage,
          ...problems(400, 401),
        },
      },
    },
    async (request) => products.list(tenantOf(request), request.query),
  );

  app.get(
    '/api/v1/products/:id',
    {
      onRequest: app.authenticate,
      schema: {
        ...common,
        summary: 'One product',
        params: ProductIdParams,
        response: { 200: Product, ...problems(400, 401, 404) },
      },
    },
    async (request) => products.get(tenantOf(request), request.params.id),
  );
};
