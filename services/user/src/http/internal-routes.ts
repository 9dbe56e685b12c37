import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { principalOf } from '@glassbox/kit';
import type { ProfileRepository } from '../adapters/profile-repository.js';
import { userMetrics } from '../metrics.js';
import { Profile, ProfileInput, TenantHeader } from './schemas.js';

/** Service-to-service routes (internal token + x-tenant-id); never exposed by the gateway. */
export const internalRoutes: FastifyPluginAsyncTypebox<{ profiles: ProfileRepository }> = async (
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
      const { profile, created } = await profiles.upsert(
        {
          tenantId,
          userId: request.body.userId,
          email: request.body.email.trim().toLowerCase(),
          name: request.body.name.trim(),
        },
        'registration',
      );
      if (created) userMetrics.profilesCreated.add(1, { source: 'registration' });
      return reply.code(created ? 201 : 200).send({
        id: profile.userId,
        tenantId: profile.tenantId,
        email: profile.email,
        name: profile.name,
      });
    },
  );
};
