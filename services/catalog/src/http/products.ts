import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appError } from '@glassbox/kit';
import { Type } from 'typebox';
import type { ProductStore } from '../adapters/product-store.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { toSummary } from '../domain/product.js';
import { normalizeSearch } from '../domain/search.js';
import { IdParams, Product, ProductSummary, problems, tenantOf } from './schemas.js';

export interface ProductRoutesOptions {
  store: ProductStore;
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
export const productRoutes: FastifyPluginAsyncTypebox<ProductRoutesOptions> = async (app, { store }) => {
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
    async (request) => {
      const tenantId = tenantOf(request);
      const { search, category, limit, cursor } = request.query;
      const after = cursor === undefined ? undefined : decodeCursor(cursor);
      if (cursor !== undefined && !after) {
        throw appError('VALIDATION_FAILED', 'querystring/cursor is not a cursor of this listing', {
          errors: [{ path: 'querystring/cursor', message: 'is not a cursor of this listing' }],
        });
      }
      const page = await store.list(tenantId, { search: normalizeSearch(search), category, limit, after });
      const last = page.items.at(-1);
      return {
        items: page.items.map(toSummary),
        nextCursor: page.hasMore && last ? encodeCursor({ name: last.name, id: last.id }) : null,
      };
    },
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
    async (request) => {
      const product = await store.get(tenantOf(request), request.params.id);
      if (!product) throw appError('NOT_FOUND', `product ${request.params.id} was not found`);
      return product;
    },
  );
};
