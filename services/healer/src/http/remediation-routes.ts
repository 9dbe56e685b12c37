import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appError, INTERNAL_TOKEN_HEADER, problemResponses } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { ApprovalError, type Healer } from '../app/healer.js';
import { Remediation, RemediationList } from './schemas.js';

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The audit log (`GET /api/remediations`, read by the observatory's Remediations page) and a person's answer
 * to an action waiting for approval (`POST /api/remediations/:id/approve|reject`, with the internal token).
 */
export const remediationRoutes: FastifyPluginAsyncTypebox<{
  healer: Healer;
  internalToken: string;
}> = async (app, { healer, internalToken }) => {
  app.get(
    '/api/remediations',
    {
      schema: {
        summary: 'The audit log: the latest remediation steps, newest first, with the runbooks and the mode',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 }) }),
        response: { 200: RemediationList, ...problemResponses(400) },
      },
    },
    async (request) => ({
      mode: {
        dryRun: healer.policy.dryRun,
        approval: healer.policy.approval,
        cooldownSeconds: healer.policy.cooldownMs / 1000,
        maxActionsPerHour: healer.policy.maxActionsPerHour,
      },
      runbooks: healer.runbooks.map((r) => ({
        name: r.name,
        description: r.description,
        match: [...r.matchText],
        actions: r.actions.map((a) => a.action),
      })),
      remediations: await healer.remediations(request.query.limit),
    }),
  );

  const requireToken = async (request: FastifyRequest) => {
    const given = request.headers[INTERNAL_TOKEN_HEADER];
    if (typeof given !== 'string' || !sameSecret(given, internalToken)) {
      throw appError('UNAUTHENTICATED', 'answering an approval needs the internal token');
    }
  };

  for (const verb of ['approve', 'reject'] as const) {
    app.post(
      `/api/remediations/:id/${verb}`,
      {
        onRequest: requireToken,
        schema: {
          summary:
            verb === 'approve' ? 'Approve an action that waits for approval' : 'Reject it (the healer pages)',
          params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
          response: {
            200: Type.Object({ remediation: Remediation }),
            ...problemResponses(400, 401, 404, 409),
          },
        },
      },
      async (request) => {
        try {
          const remediation =
            verb === 'approve'
              ? await healer.approve(request.params.id)
              : await healer.reject(request.params.id);
          return { remediation };
        } catch (err) {
          if (err instanceof ApprovalError)
            throw appError(err.notFound ? 'NOT_FOUND' : 'CONFLICT', err.message);
          throw err;
        }
      },
    );
  }
};
