/** Merchant administration of payments: look them up, refund captured ones. Role admin, own tenant only. */

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  PaymentDetail,
  PaymentIdParams,
  PaymentList,
  PaymentListQuery,
  ReconciliationFlagList,
  ReconciliationFlagsQuery,
  RefundHeaders,
  RefundRequest,
  RefundView,
} from '@glassbox/contracts';
import { principalOf } from '@glassbox/kit';
import type { Payments } from '../app/payments.js';
import { paymentView, reconciliationFlagView, refundView } from './views.js';

export interface AdminRoutesOptions {
  payments: Payments;
}

export const adminRoutes: FastifyPluginAsyncTypebox<AdminRoutesOptions> = async (app, { payments }) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireRole('admin'));

  app.get(
    '/api/v1/admin/payments',
    {
      schema: {
        description: "The tenant's payments: those of one order, or the most recent.",
        security: [{ bearer: [] }],
        querystring: PaymentListQuery,
        response: { 200: PaymentList },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { orderId, limit } = request.query;
      const items = await payments.list(tenantId, { orderId, limit });
      return { items: items.map(paymentView) };
    },
  );

  app.get(
    '/api/v1/admin/payments/reconciliation-flags',
    {
      schema: {
        description:
          'Payments the provider changed behind their order (refund, void), not yet reconciled: the order may ' +
          'still say CONFIRMED. Newest first.',
        security: [{ bearer: [] }],
        querystring: ReconciliationFlagsQuery,
        response: { 200: ReconciliationFlagList },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const flags = await payments.reconciliationFlags(tenantId, request.query.limit);
      return { items: flags.map(reconciliationFlagView) };
    },
  );

  app.get(
    '/api/v1/admin/payments/:id',
    {
      schema: {
        description: 'One payment with its refunds.',
        security: [{ bearer: [] }],
        params: PaymentIdParams,
        response: { 200: PaymentDetail },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      const { payment, refunds } = await payments.get(tenantId, request.params.id);
      return {
        ...paymentView(payment),
        refunds: refunds.map((r) => ({
          refundId: r.id,
          amountCents: r.amountCents,
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  );

  app.post(
    '/api/v1/admin/payments/:id/refunds',
    {
      schema: {
        description:
          'Refunds part or all of a captured payment. With an Idempotency-Key a repeat answers the same refund (200).',
        security: [{ bearer: [] }],
        params: PaymentIdParams,
        headers: RefundHeaders,
        body: RefundRequest,
        response: { 200: RefundView, 201: RefundView },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const { refund, payment, created } = await payments.refund(
        tenantId,
        request.params.id,
        request.body.amountCents,
        request.headers['idempotency-key'] ?? null,
        request.log,
      );
      return reply.code(created ? 201 : 200).send(refundView(refund, payment));
    },
  );
};
