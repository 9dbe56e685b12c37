/**
 * The public order routes. POST creates the order and its saga in one transaction, runs the saga for up to a
 * short budget and answers 201 with the outcome, or 202 PENDING while it goes on in the background.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appError, principalOf } from '@glassbox/kit';
import { context, propagation } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { OrderRecord, OrderRepo } from '../adapters/order-repo.js';
import { CLIENT_FAILURES } from '../domain/checkout.js';
import { checkoutOutcome } from '../domain/checkout-outcome.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { isValidIdempotencyKey, requestHash } from '../domain/idempotency.js';
import { isFinal } from '../domain/order-status.js';
import { duplicateItems } from '../domain/pricing.js';
import { initialState } from '../domain/saga.js';
import type { OrderMetrics } from '../metrics.js';
import type { SagaWorker } from '../saga-worker.js';
import { OrderSchema, OrderStatusSchema, orderView, ProblemSchema } from './views.js';

export interface OrderRoutesOptions {
  orders: OrderRepo;
  worker: SagaWorker;
  metrics: OrderMetrics;
  /** How long POST waits for the saga before answering 202. */
  syncBudgetMs: number;
  leaseMs: number;
}

const CreateOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          productId: Type.String({ format: 'uuid' }),
          quantity: Type.Integer({ minimum: 1, maximum: 100 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    payment: Type.Object(
      {
        method: Type.Literal('card'),
        token: Type.String({ minLength: 1, maxLength: 200 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

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
  const { orders, worker, metrics, syncBudgetMs } = options;
  app.addHook('onRequest', app.authenticate);

  /** Polls a pending order until it is final or the time is up (for repeated requests). */
  async function settle(
    order: OrderRecord,
    caller: { tenantId: string },
    budgetMs: number,
  ): Promise<OrderRecord> {
    const deadline = Date.now() + budgetMs;
    let current = order;
    while (!isFinal(current.status) && Date.now() < deadline) {
      await sleep(100);
      current = (await orders.get(caller.tenantId, current.id)) ?? current;
    }
    return current;
  }

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
        headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String()) }),
        body: CreateOrderBody,
        response: {
          200: OrderSchema,
          201: OrderSchema,
          202: OrderSchema,
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
      const paymentToken = request.body.payment.token;
      const traceparent = currentTraceparent();
      const { created, order } = await orders.create({
        id: randomUUID(),
        tenantId: caller.tenantId,
        userId: caller.userId,
        idempotencyKey: key,
        requestHash: requestHash(request.body),
        items,
        paymentToken,
        workerId: worker.workerId,
        leaseMs: options.leaseMs,
        traceparent,
        requestId: request.id,
      });
      if (!created) {
        if (order.requestHash !== requestHash(request.body)) {
          throw appError(
            'IDEMPOTENCY_KEY_REUSED',
            'this Idempotency-Key was already used for a different order',
            {
              orderId: order.id,
            },
          );
        }
        request.log.info({ order_id: order.id }, 'order request repeated');
        return answer(reply, await settle(order, caller, syncBudgetMs), true);
      }
      metrics.created();
      request.log.info({ order_id: order.id, items: order.items.length }, 'order created');
      // The saga was just created with this worker's lease: run it from what is at hand, without reading it back.
      const run = worker.run(caller.tenantId, order.id, 'request', {
        orderId: order.id,
        tenantId: caller.tenantId,
        state: initialState(),
        input: { orderId: order.id, tenantId: caller.tenantId, items, paymentToken },
        startedAt: order.createdAt,
        traceparent,
        requestId: request.id,
        cancelRequested: false,
      });
      const result = await Promise.race([run, sleep(syncBudgetMs).then(() => undefined)]);
      const current = (await orders.get(caller.tenantId, order.id)) ?? order;
      metrics.checkout(checkoutOutcome(current, result?.kind === 'deferred' || result?.kind === 'error'));
      return answer(reply, current, false);
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
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: OrderSchema, 202: OrderSchema, 404: ProblemSchema, 409: ProblemSchema },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const id = request.params.id.toLowerCase();
      const order = await orders.get(caller.tenantId, id, caller.admin ? undefined : caller.userId);
      if (!order) throw appError('NOT_FOUND', `order ${request.params.id} was not found`);
      let current = order;
      if (order.status === 'PENDING') {
        await worker.cancel(caller.tenantId, id);
        request.log.info({ order_id: id }, 'order cancellation requested');
        current = await settle(order, caller, syncBudgetMs);
      }
      if (current.status === 'CANCELLED') return reply.code(200).send(orderView(current));
      if (current.status === 'PENDING') {
        reply.header('location', `/api/v1/orders/${id}`).header('retry-after', '1');
        return reply.code(202).send(orderView(current));
      }
      throw appError('ILLEGAL_TRANSITION', `a ${current.status.toLowerCase()} order cannot be cancelled`, {
        orderId: id,
        orderStatus: current.status,
      });
    },
  );

  app.get(
    '/api/v1/orders/:id',
    {
      schema: {
        summary: 'One order (your own; an admin sees every order of the tenant)',
        security: [{ bearer: [] }],
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 200: OrderSchema, 404: ProblemSchema },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const order = await orders.get(
        caller.tenantId,
        request.params.id.toLowerCase(),
        caller.admin ? undefined : caller.userId,
      );
      if (!order) throw appError('NOT_FOUND', `order ${request.params.id} was not found`);
      return orderView(order);
    },
  );

  app.get(
    '/api/v1/orders',
    {
      schema: {
        summary: 'Orders, newest first (your own; an admin sees the tenant’s)',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
            cursor: Type.Optional(Type.String({ maxLength: 200 })),
            status: Type.Optional(OrderStatusSchema),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(OrderSchema),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
          400: ProblemSchema,
        },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const { limit, cursor, status } = request.query;
      const after = cursor ? decodeCursor(cursor) : undefined;
      if (cursor && !after) {
        throw appError('VALIDATION_FAILED', 'the cursor is not valid; use nextCursor of a previous page', {
          errors: [{ path: 'querystring/cursor', message: 'is not a cursor of this list' }],
        });
      }
      const page = await orders.list(caller.tenantId, {
        ...(caller.admin ? {} : { userId: caller.userId }),
        ...(status ? { status } : {}),
        ...(after ? { after } : {}),
        limit,
      });
      const last = page.orders.at(-1);
      return {
        items: page.orders.map(orderView),
        nextCursor: page.more && last ? encodeCursor({ createdAt: last.createdKey, id: last.id }) : null,
      };
    },
  );
};
