/** Service-to-service routes (the checkout saga): authorize, void, capture, look up by order. */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AuthorizationView, MAX_AMOUNT_CENTS, PaymentIdParams, PaymentList } from '@glassbox/contracts';
import { ProblemSchema, principalOf, TENANT_HEADER } from '@glassbox/kit';
import { Type } from 'typebox';
import type { Payments } from '../app/payments.js';
import { appError } from '../errors.js';
import { authorizationView, paymentView } from './views.js';

const TenantHeaders = Type.Object({ [TENANT_HEADER]: Type.String({ format: 'uuid' }) });

export interface InternalRoutesOptions {
  payments: Payments;
}

export const internalRoutes: FastifyPluginAsyncTypebox<InternalRoutesOptions> = async (app, { payments }) => {
  app.addHook('onRequest', app.internalOnly);

  app.post(
    '/internal/payments/authorize',
    {
      schema: {
        description:
          'Authorizes a card payment for an order. Idempotent per (tenant, orderId): a repeat answers the first outcome.',
        headers: Type.Object({
          ...TenantHeaders.properties,
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        }),
        body: Type.Object(
          {
            orderId: Type.String({ format: 'uuid' }),
            amountCents: Type.Integer({ minimum: 1, maximum: MAX_AMOUNT_CENTS }),
            currency: Type.String({ pattern: '^[A-Z]{3}$' }),
            token: Type.String({ minLength: 1, maxLength: 200 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: AuthorizationView, 201: AuthorizationView, 402: ProblemSchema },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (key !== undefined && key !== request.body.orderId) {
        throw appError('VALIDATION_FAILED', 'the Idempotency-Key must be the order id', {
          errors: [{ path: 'headers/idempotency-key', message: 'must equal body/orderId' }],
        });
      }
      const { tenantId } = principalOf(request);
      const { payment, created } = await payments.authorize({ tenantId, ...request.body }, request.log);
      if (payment.status === 'DECLINED') {
        throw appError('PAYMENT_DECLINED', payment.declineReason ?? 'declined', {
          paymentId: payment.id,
          orderId: payment.orderId,
          paymentStatus: 'DECLINED',
          reason: payment.declineReason,
        });
      }
      return reply.code(created ? 201 : 200).send(authorizationView(payment));
    },
  );

  app.post(
    '/internal/payments/:id/void',
    {
      schema: {
        description: 'Voids an authorization. Idempotent; a no-op on an unknown, void or declined payment.',
        headers: TenantHeaders,
        params: PaymentIdParams,
        response: {
          200: Type.Object({
            paymentId: Type.String(),
            status: Type.Union([Type.String(), Type.Null()]),
            orderId: Type.Optional(Type.String()),
            amountCents: Type.Optional(Type.Integer()),
            currency: Type.Optional(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const payment = await payments.void(tenantId, request.params.id, request.log);
      return payment ? authorizationView(payment) : { paymentId: request.params.id, status: null };
    },
  );

  app.post(
    '/internal/payments/:id/capture',
    {
      schema: {
        description: 'Captures an authorized payment. Idempotent.',
        headers: TenantHeaders,
        params: PaymentIdParams,
        response: { 200: AuthorizationView },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      return authorizationView(await payments.capture(tenantId, request.params.id, request.log));
    },
  );

  app.get(
    '/internal/payments',
    {
      schema: {
        description: "The payments of an order (at most one; a list so that 'none' needs no 404).",
        headers: TenantHeaders,
        querystring: Type.Object(
          { orderId: Type.String({ format: 'uuid' }) },
          { additionalProperties: false },
        ),
        response: { 200: PaymentList },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const items = await payments.list(tenantId, { orderId: request.query.orderId, limit: 1 });
      return { items: items.map(paymentView) };
    },
  );
};
