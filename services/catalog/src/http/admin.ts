import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  NewProductRequest,
  Product,
  ProductChangesRequest,
  ProductIdempotencyHeaders,
  ProductIdParams,
} from '@glassbox/contracts';
import { Type } from 'typebox';
import type { Products } from '../app/products.js';
import { problems, tenantOf } from './schemas.js';

export interface AdminRoutesOptions {
  products: Products;
}

/** Merchant administration of the catalog (role admin), served at the gateway's paths. */
export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { products }) => {
  const guard = [app.authenticate, app.requireRole('admin')];
  const common = { tags: ['admin'], security: [{ bearer: [] }] };

  app.post(
    '/api/v1/admin/products',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary: 'Create a product (optional Idempotency-Key)',
        headers: ProductIdempotencyHeaders,
        body: NewProductRequest,
        response: { 200: Product, 201: Product, ...problems(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const { created, product } = await products.create(
        tenantOf(request),
        request.body,
        request.headers['idempotency-key'],
      );
      if (created) {
        request.log.info({ product_id: product.id, sku: product.sku }, 'product created');
      }
      return reply
        .code(created ? 201 : 200)
        .header('location', `/api/v1/products/${product.id}`)
        .send(product);
    },
  );

  app.patch(
    '/api/v1/admin/products/:id',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary: 'Change some fields of a product (null clears description or category)',
        params: ProductIdParams,
        body: ProductChangesRequest,
        response: { 200: Product, ...problems(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const product = await products.update(tenantOf(request), request.params.id, request.body);
      request.log.info({ product_id: product.id, fields: Object.keys(request.body) }, 'product updated');
      return product;
    },
  );

  app.delete(
    '/api/v1/admin/products/:id',
    {
      onRequest: guard,
      schema: {
        ...common,
        summary: 'Remove a product from the catalog',
        params: ProductIdParams,
        response: { 204: Type.Null(), ...problems(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await products.remove(tenantOf(request), request.params.id);
      request.log.info({ product_id: request.params.id }, 'product deleted');
      return reply.code(204).send(null);
    },
  );
};
