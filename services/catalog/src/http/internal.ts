import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CatalogProductsResponse } from '@glassbox/contracts';
import { appError } from '@glassbox/kit';
import { Type } from 'typebox';
import type { Products } from '../app/products.js';
import { isUuid, problems, tenantOf } from './schemas.js';

export interface InternalRoutesOptions {
  products: Products;
}

export const MAX_IDS = 100;

/** Service-to-service routes: the order saga prices its items here. */
export const internalRoutes: FastifyPluginAsyncTypebox<InternalRoutesOptions> = async (app, { products }) => {
  app.get(
    '/internal/products',
    {
      onRequest: app.internalOnly,
      schema: {
        tags: ['internal'],
        summary: 'Products by id (ids=a,b or ids=a&ids=b); unknown ids are simply absent',
        querystring: Type.Object(
          { ids: Type.Array(Type.String({ maxLength: 4_000 }), { minItems: 1, maxItems: MAX_IDS }) },
          { additionalProperties: false },
        ),
        response: { 200: CatalogProductsResponse, ...problems(400, 401) },
      },
    },
    async (request): Promise<CatalogProductsResponse> => {
      const ids = [
        ...new Set(
          request.query.ids
            .flatMap((part) => part.split(','))
            .map((id) => id.trim().toLowerCase())
            .filter((id) => id.length > 0),
        ),
      ];
      if (ids.length === 0 || ids.length > MAX_IDS) {
        throw appError('VALIDATION_FAILED', `querystring/ids must name 1 to ${MAX_IDS} products`, {
          errors: [{ path: 'querystring/ids', message: `must name 1 to ${MAX_IDS} products` }],
        });
      }
      // An id that is not a UUID cannot name a product: it is absent like any other unknown id.
      return { items: await products.summaries(tenantOf(request), ids.filter(isUuid)) };
    },
  );
};
