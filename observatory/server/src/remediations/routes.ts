/**
 * `GET /api/remediations`: the healer's audit log, read through for the console's Remediations page (the
 * healer listens on loopback; the console talks to the observatory only). Without a healer (`HEALER_URL` unset)
 * it is a 404 saying so; a healer that does not answer is a 502.
 */
import type { FastifyPluginAsync } from 'fastify';
import { problem, problemErrorHandler, sendProblem } from '../query/problem.js';

export interface RemediationRoutesOptions {
  readonly healerUrl: string | undefined;
  readonly timeoutMs?: number;
}

export const remediationRoutes: FastifyPluginAsync<RemediationRoutesOptions> = async (app, opts) => {
  app.setErrorHandler(problemErrorHandler);
  app.get<{ Querystring: { limit?: number } }>(
    '/api/remediations',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 1000 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      if (!opts.healerUrl) {
        return sendProblem(
          reply,
          problem('NOT_FOUND', 'no healer is configured for this observatory (HEALER_URL)', request.url),
        );
      }
      const url = new URL('/api/remediations', opts.healerUrl);
      if (request.query.limit !== undefined) url.searchParams.set('limit', String(request.query.limit));
      let res: Response;
      try {
        res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 5000) });
      } catch (err) {
        return sendProblem(
          reply,
          problem(
            'UPSTREAM_UNAVAILABLE',
            `the healer did not answer: ${(err as Error).message}`,
            request.url,
          ),
        );
      }
      if (!res.ok) {
        return sendProblem(
          reply,
          problem('UPSTREAM_UNAVAILABLE', `the healer answered ${res.status}`, request.url),
        );
      }
      return reply.type('application/json').send(await res.json());
    },
  );
};
