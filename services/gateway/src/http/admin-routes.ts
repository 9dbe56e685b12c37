import { appError } from '@glassbox/kit';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { GatewayControls } from '../app.js';
import { UPSTREAMS, type Upstream } from '../domain/routes.js';

const Seconds = Type.Integer({ minimum: 1, maximum: 86_400 });

/**
 * The gateway's admin endpoints, on its operational listener (OPS_PORT, loopback) and never on the public port:
 * what the healer's open-circuit and shed-load actions call.
 *   GET    /admin/circuits                       every upstream's circuit
 *   POST   /admin/circuits/:upstream/open        { forSeconds }: held open; GETs get their last good answer
 *   DELETE /admin/circuits/:upstream             release the hold
 *   GET    /admin/shed                            the shedding in force
 *   POST   /admin/shed                            { fraction, forSeconds }: refuse that share of API requests
 *   DELETE /admin/shed                            stop shedding
 */
export const adminRoutes: FastifyPluginAsync<{ controls: () => GatewayControls }> = async (
  app,
  { controls },
) => {
  const upstreamOf = (name: string): Upstream => {
    if (!(UPSTREAMS as readonly string[]).includes(name)) {
      throw appError('NOT_FOUND', `no upstream ${name} (known: ${UPSTREAMS.join(', ')})`);
    }
    return name as Upstream;
  };

  app.get('/admin/circuits', async () => ({ circuits: controls().upstreams.circuits() }));

  app.post<{ Params: { upstream: string }; Body: { forSeconds: number } }>(
    '/admin/circuits/:upstream/open',
    {
      schema: {
        params: Type.Object({ upstream: Type.String() }),
        body: Type.Object({ forSeconds: Seconds }, { additionalProperties: false }),
      },
    },
    async (request) => {
      const upstream = upstreamOf(request.params.upstream);
      controls().upstreams.holdOpen(upstream, request.body.forSeconds * 1000);
      return {
        circuit: controls()
          .upstreams.circuits()
          .find((c) => c.upstream === upstream),
      };
    },
  );

  app.delete<{ Params: { upstream: string } }>('/admin/circuits/:upstream', async (request) => {
    const upstream = upstreamOf(request.params.upstream);
    controls().upstreams.release(upstream);
    return {
      circuit: controls()
        .upstreams.circuits()
        .find((c) => c.upstream === upstream),
    };
  });

  app.get('/admin/shed', async () => ({ shed: controls().shedder.status() }));

  app.post<{ Body: { fraction: number; forSeconds: number } }>(
    '/admin/shed',
    {
      schema: {
        body: Type.Object(
          { fraction: Type.Number({ exclusiveMinimum: 0, maximum: 1 }), forSeconds: Seconds },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      controls().shedder.start(request.body.fraction, request.body.forSeconds * 1000);
      request.log.warn(request.body, 'shedding load');
      return { shed: controls().shedder.status() };
    },
  );

  app.delete('/admin/shed', async () => {
    controls().shedder.stop();
    return { shed: controls().shedder.status() };
  });
};
