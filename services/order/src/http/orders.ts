/**
 * The public order routes: HTTP in, use cases (app/) called, HTTP out. POST answers 201 with the outcome of the
 * checkout, or 202 PENDING while its saga goes on in the background.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  CreateOrderHeaders,
  CreateOrderRequest,
  OrderIdParams,
  OrderListQuery,
  OrderPage,
  OrderView,
} from '@glassbox/contracts';
import { appError, ProblemSchema, principalOf } from '@glassbox/kit';
import { context, propagation } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OrderRecord } from '../adapters/order-repo.js';
import type { CancelOrder } from '../app/cancel-order.js';
import type { PlaceOrder } from '../app/place-order.js';
import type { ReadOrders } from '../app/read-orders.js';
import { CLIENT_FAILURES } from '../domain/checkout.js';
import { isValidIdempotencyKey, requestHash } from '../domain/idempotency.js';
import { isFinal } from '../domain/order-status.js';
import { duplicateItems } from '../domain/pricing.js';
import { orderView } from './views.js';

export interface OrderRoutesOptions {
  placeOrder: PlaceOrder;
  cancelOrder: CancelOrder;
  readOrders: ReadOrders;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's tenant and user; a token whose tenant is not a UUID cannot name any of our rows. */
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

function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

export const orderRoutes: FastifyPluginAsyncTypebox<OrderRoutesOptions> = async (app, options) => {
  const { placeOrder, cancelOrder, readOrders } = options;
  app.addHook('onRequest', app.authenticate);

  function answer(reply: FastifyReply, order: OrderRecord, repeated: boolean) {
    if (order.status === 'FAILED' && order.failureReason && CLIENT_FAILURES.has(order.failureReason)) {
      // The request named products that do not exist (or mixed currencies): the client's error.
      const productIds = Array.isArray(order.failureData?.productIds)
        ? (order.failureData.productIds as string[])
        : [];
      throw appError('VALIDATION_FAILED', order.failureDetail ?? order.failureReason, {
        orderId: order.id,
        reason: order.failureReason,
        ...(productIds.length > 0 ? { productIds } : {}),
        errors: order.items
          .map((item, index) => ({ item, index }))
          .filter(({ item }) => productIds.includes(item.productId))
          .map(({ index }) => ({
            path: `body/items/${index}/productId`,
            message: 'is not a product of this shop',
          })),
      });
    }
    const final = isFinal(order.status);
    if (!final) {
      reply.header('location', `/api/v1/orders/${order.id}`).header('retry-after', '1');
      return reply.code(202).send(orderView(order));
    }
    return reply.code(repeated ? 200 : 201).send(orderView(order));
  }

  app.post(
    '/api/v1/orders',
    {
      // Before the body is looked at: without a key the request is refused whatever it carries.
      preValidation: async (request) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined || key === '') {
          throw appError(
            'IDEMPOTENCY_KEY_REQUIRED',
            'send an Idempotency-Key header (e.g. a UUID) with every order',
          );
        }
        if (typeof key !== 'string' || !isValidIdempotencyKey(key)) {
          throw appError('VALIDATION_FAILED', 'the Idempotency-Key must be 1–255 printable characters', {
            errors: [
              { path: 'headers/idempotency-key', message: 'must be 1–255 printable ASCII characters' },
            ],
          });
        }
      },
      schema: {
        summary: 'Place an order (runs the checkout saga)',
        security: [{ bearer: [] }],
        headers: CreateOrderHeaders,
        body: CreateOrderRequest,
        response: {
          200: OrderView,
          201: OrderView,
          202: OrderView,
          400: ProblemSchema,
          401: ProblemSchema,
          422: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const key = request.headers['idempotency-key'] as string;
      const duplicates = duplicateItems(request.body.items);
      if (duplicates.length > 0) {
        throw appError('VALIDATION_FAILED', 'each product may appear once; raise its quantity instead', {
          errors: duplicates.map((i) => ({
            path: `body/items/${i}/productId`,
            message: 'repeats an earlier item',
          })),
        });
      }
      const items = request.body.items.map((i) => ({
        productId: i.productId.toLowerCase(),
        quantity: i.quantity,
      }));
      const { order, repeated } = await placeOrder({
        tenantId: caller.tenantId,
        userId: caller.userId,
        idempotencyKey: key,
        requestHash: requestHash(request.body),
        items,
        paymentToken: request.body.payment.token,
        traceparent: currentTraceparent(),
        requestId: request.id,
      });
      request.log.info(
        { order_id: order.id, items: order.items.length, status: order.status },
        repeated ? 'order request repeated' : 'order created',
      );
      return answer(reply, order, repeated);
    },
  );

  app.post(
    '/api/v1/orders/:id/cancel',
    {
      schema: {
        summary:
          'Cancel a pending order: its checkout stops before confirming and is undone (200 CANCELLED, 202 while it ' +
          'winds down, 409 once confirmed or failed)',
        security: [{ bearer: [] }],
        params: OrderIdParams,
        response: { 200: OrderView, 202: OrderView, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const id = request.params.id.toLowerCase();
      const current = await cancelOrder(caller, id);
      if (current.status === 'CANCELLED') return reply.code(200).send(orderView(current));
      reply.header('location', `/api/v1/orders/${id}`).header('retry-after', '1');
      return reply.code(202).send(orderView(current));
    },
  );

  app.get(
    '/api/v1/orders/:id',
    {
      schema: {
        summary: 'One order (your own; an admin sees every order of the tenant)',
        security: [{ bearer: [] }],
        params: OrderIdParams,
        response: { 200: OrderView, 404: ProblemSchema },
      },
    },
    async (request) => orderView(await readOrders.get(callerOf(request), request.params.id.toLowerCase())),
  );

  app.get(
    '/api/v1/orders',
    {
      schema: {
        summary: 'Orders, newest first (your own; an admin sees the tenant’s)',
        security: [{ bearer: [] }],
        querystring: OrderListQuery,
        response: {
          200: OrderPage,
          400: ProblemSchema,
        },
      },
    },
    async (request) => {
      const { orders, nextCursor } = await readOrders.list(callerOf(request), request.query);
      return { items: orders.map(orderView), nextCursor };
    },
  );
};
