/** The reconciliation's reports (issue 10 §5): role admin, own tenant only. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ReconciliationReportList, ReconciliationReportsQuery } from '@glassbox/contracts';
import { principalOf } from '@glassbox/kit';
import type { ReconciliationReports } from '../app/reconciliation.js';

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
        querystring: ReconciliationReportsQuery,
        response: { 200: ReconciliationReportList },
      },
    },
    async (request) => {
      const { tenantId } = principalOf(request);
      return { items: await reports.list(tenantId, request.query.limit) };
    },
  );
};
