import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SigningKeys } from '../adapters/signing-keys.js';

/** The public keys that verify access tokens (RFC 7517 JWK Set). */
export const jwksRoutes: FastifyPluginAsyncTypebox<{ keys: SigningKeys }> = async (app, { keys }) => {
  app.get(
    '/.well-known/jwks.json',
    { schema: { summary: 'JSON Web Key Set of the access-token signing keys' } },
    async (_request, reply) => {
      const jwks = await keys.jwks();
      return reply
        .header('cache-control', 'public, max-age=300')
        .type('application/jwk-set+json; charset=utf-8')
        .send(jwks);
    },
  );
};
