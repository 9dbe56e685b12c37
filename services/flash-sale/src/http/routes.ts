import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AdminFlashSaleView,
  FlashSaleCreated,
  FlashSaleIdParams,
  FlashSaleView,
  NewFlashSaleRequest,
  PurchaseAccepted,
  PurchaseHeaders,
  PurchaseParams,
  PurchaseRequest,
  PurchaseView,
} from '@glassbox/contracts';
import { principalOf, problemResponses as problems } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import { type FlashSales, saleView } from '../app/sales.js';
import { appError } from '../errors.js';

export interface FlashSaleRoutesOptions {
  flash: FlashSales;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KEY = /^[\x21-\x7e]{1,255}$/;

function callerOf(request: FastifyRequest) {
  const principal = principalOf(request);
  if (!UUID.test(principal.tenantId))
    throw appError('UNAUTHENTICATED', 'the token does not name a valid tenant');
  return {
    tenantId: principal.tenantId.toLowerCase(),
    userId: principal.userId,
    admin: principal.roles.includes('admin'),
  };
}

/** Admin and customer routes of flash sales, at the gateway's paths. */
export const flashSaleRoutes: FastifyPluginAsyncTypebox<FlashSaleRoutesOptions> = async (app, { flash }) => {
  const admin = [app.authenticate, app.requireRole('admin')];

  app.post(
    '/api/v1/admin/flash-sales',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'Create a flash sale: its quantity is reserved from inventory until the sale ends',
        security: [{ bearer: [] }],
        body: NewFlashSaleRequest,
        response: {
          201: FlashSaleCreated,
          ...problems(400, 401, 403, 404, 409, 502, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { tenantId } = callerOf(request);
      const body = request.body;
      const sale = await flash.create(tenantId, {
        ...body,
        startsAt: new Date(body.startsAt),
        endsAt: new Date(body.endsAt),
      });
      request.log.info(
        { sale_id: sale.id, product_id: sale.productId, quantity: sale.quantity },
        'flash sale created',
      );
      reply.header('location', `/api/v1/admin/flash-sales/${sale.id}`);
      return reply.code(201).send({ id: sale.id });
    },
  );

  app.get(
    '/api/v1/admin/flash-sales/:id',
    {
      onRequest: admin,
      schema: {
        tags: ['admin'],
        summary: 'A flash sale with its live counters',
        security: [{ bearer: [] }],
        params: FlashSaleIdParams,
        response: { 200: AdminFlashSaleView, ...problems(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const sale = await flash.sale(callerOf(request).tenantId, request.params.id);
      return flash.adminView(sale);
    },
  );

  app.get(
    '/api/v1/flash-sales/:id',
    {
      onRequest: app.authenticate,
      schema: {
        summary: 'A flash sale: its terms, the units remaining and its status',
        security: [{ bearer: [] }],
        params: FlashSaleIdParams,
        response: { 200: FlashSaleView, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const sale = await flash.sale(callerOf(request).tenantId, request.params.id);
      const remaining = await flash.remaining(sale);
      return { ...saleView(sale), remaining, status: flash.status(sale, remaining) };
    },
  );

  app.post(
    '/api/v1/flash-sales/:id/purchases',
    {
      onRequest: app.authenticate,
      preValidation: async (request) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined || key === '') {
          throw appError(
            'IDEMPOTENCY_KEY_REQUIRED',
            'send an Idempotency-Key header (e.g. a UUID) with every purchase',
            {
              errors: [{ path: 'headers/idempotency-key', message: 'is required' }],
            },
          );
        }
        if (typeof key !== 'string' || !KEY.test(key)) {
          throw appError('VALIDATION_FAILED', 'the Idempotency-Key must be 1–255 printable characters', {
            errors: [
              { path: 'headers/idempotency-key', message: 'must be 1–255 printable ASCII characters' },
            ],
          });
        }
      },
      schema: {
        summary: 'Try to buy: 202 ACCEPTED (an order follows), or 409 SOLD_OUT / LIMIT_REACHED / NOT_ACTIVE',
        security: [{ bearer: [] }],
        params: FlashSaleIdParams,
        headers: PurchaseHeaders,
        body: PurchaseRequest,
        response: {
          202: PurchaseAccepted,
          ...problems(400, 401, 404, 409, 422, 429, 503),
        },
      },
    },
    async (request, reply) => {
      const { tenantId, userId } = callerOf(request);
      try {
        const { purchaseId } = await flash.purchase(tenantId, request.params.id, {
          userId,
          idempotencyKey: request.headers['idempotency-key'] as string,
          quantity: request.body.quantity,
          payment: request.body.payment,
        });
        reply.header('location', `/api/v1/flash-sales/${request.params.id}/purchases/${purchaseId}`);
        return reply.code(202).send({ purchaseId, status: 'ACCEPTED' as const });
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'WAITING_ROOM' || code === 'UPSTREAM_UNAVAILABLE') reply.header('retry-after', '1');
        throw error;
      }
    },
  );

  app.get(
    '/api/v1/flash-sales/:id/purchases/:purchaseId',
    {
      onRequest: app.authenticate,
      schema: {
        summary: 'A purchase and its order: ACCEPTED | ORDERED | CONFIRMED | FAILED | RELEASED',
        security: [{ bearer: [] }],
        params: PurchaseParams,
        response: { 200: PurchaseView, ...problems(400, 401, 404) },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const view = await flash.purchaseView(caller.tenantId, request.params.id, request.params.purchaseId);
      // Another customer's purchase is not found (an admin sees every purchase of the tenant).
      if (view.userId !== caller.userId && !caller.admin) {
        throw appError('NOT_FOUND', `no purchase ${request.params.purchaseId} in sale ${request.params.id}`);
      }
      const { userId: _user, ...rest } = view;
      return rest;
    },
  );
};
