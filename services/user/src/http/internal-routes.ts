import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProfileInput } from '@glassbox/contracts';
import { principalOf } from '@glassbox/kit';
import type { Profiles } from '../app/profiles.js';
import { Profile, TenantHeader } from './schemas.js';

/** Service-to-service routes (internal token + x-tenant-id); never exposed by the gateway. */
export const internalRoutes: FastifyPluginAsyncTypebox<{ profiles: Profiles }> = async (
  app,
  { profiles },
) => {
  app.addHook('onRequest', app.internalOnly);

  app.post(
    '/internal/profiles',
    {
      schema: {
        summary: 'Create a user’s profile (auth calls this on registration); idempotent',
        headers: TenantHeader,
        body: ProfileInput,
        response: { 200: Profile, 201: Profile },
      },
    },
    async (request, reply) => {
      const { tenantId } = principalOf(request);
      const { profile, created } = await profiles.fromRegistration({ tenantId, ...request.body });
      return reply.code(created ? 201 : 200).send({
        id: profile.userId,
        tenantId: profile.tenantId,
        email: profile.email,
        name: profile.name,
      });
    },
  );
};
