import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Products } from '../app/products.js';
import { IdParams, Product, ProductSummary, problems, tenantOf } from './schemas.js';

export interface ProductRoutesOptions {
  products: Products;
}

const ListQuery = Type.Object(
  {
    search: Type.Optional(
      Type.String({ maxLength: 200, description: 'case-insensitive, over name, SKU and description' }),
    ),
    category: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({ minLength: 1, maxLength: 1_024, description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

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
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ProductSummary),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
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
        params: IdParams,
        response: { 200: Product, ...problems(400, 401, 404) },
      },
    },
    async (request) => products.get(tenantOf(request), request.params.id),
  );
};
