/** The reconciliation's reports (issue 10 §5): role admin, own tenant only. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '@glassbox/kit';
import { Type } from 'typebox';
import type { ReconciliationReports } from '../app/reconciliation.js';

const Kind = Type.Union([
  Type.Literal('CAPTURED_WITHOUT_CONFIRMED_ORDER'),
  Type.Literal('CONFIRMED_WITHOUT_CAPTURE'),
  Type.Literal('AMOUNT_MISMATCH'),
]);
const Counts = Type.Object({
  CAPTURED_WITHOUT_CONFIRMED_ORDER: Type.Integer(),
  CONFIRMED_WITHOUT_CAPTURE: Type.Integer(),
  AMOUNT_MISMATCH: Type.Integer(),
});
const ReportSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ranAt: Type.String({ format: 'date-time' }),
  counts: Counts,
  mismatches: Type.Array(
    Type.Object({
      kind: Kind,
      orderId: Type.String(),
      paymentId: Type.Union([Type.String(), Type.Null()]),
      orderStatus: Type.Union([Type.String(), Type.Null()]),
      expectedCents: Type.Union([Type.Integer(), Type.Null()]),
      capturedCents: Type.Integer(),
    }),
  ),
});

export const reconciliationRoutes: FastifyPluginAsyncTypebox<{ reports: ReconciliationReports }> = async (
  app,
  { reports },
) => {
  app.addHook('onRequest', app.authenticate);
  app.addHook('onRequest', app.requireRole('admin'));

  app.get(
    '/api/v1/admin/reconciliation/reports',
    {
      schema: {
        description:
          "The reconciliation's reports for the tenant, newest first: each round that found payments and orders " +
          'disagreeing (captured without a confirmed order, confirmed without a capture, amounts that differ).',
        security: [{ bearer: [] }],
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ items: Type.Array(ReportSchema) }) },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      return { items: await reports.list(tenantId, request.query.limit) };
    },
  );
};
