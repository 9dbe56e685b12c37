import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { appError, type Principal, principalOf } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import type { ProfileRepository } from '../adapters/profile-repository.js';
import { normalizeAddress, type Profile, placeholderName } from '../domain/profiles.js';
import { userMetrics } from '../metrics.js';
import { Address, AddressId, AddressInput, Me, MePatch } from './schemas.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The verified caller; ids that are not UUIDs cannot name anything here. */
function caller(request: FastifyRequest): Principal {
  const p = principalOf(request);
  if (!UUID.test(p.tenantId) || !UUID.test(p.userId)) {
    throw appError('UNAUTHENTICATED', 'the access token does not name a user of a tenant');
  }
  return p;
}

/** The caller's own profile and addresses (`/api/v1/me…`, the paths the gateway exposes). */
export const meRoutes: FastifyPluginAsyncTypebox<{ profiles: ProfileRepository }> = async (
  app,
  { profiles },
) => {
  // Authenticate before the body is parsed: a caller without a token gets 401, whatever it sent.
  app.addHook('onRequest', app.authenticate);

  /** The caller's profile, created from the token when the registration's has not arrived (yet). */
  async function ensureProfile(p: Principal): Promise<Profile> {
    const existing = await profiles.find(p.tenantId, p.userId);
    if (existing) return existing;
    const { profile, created } = await profiles.upsert(
      { tenantId: p.tenantId, userId: p.userId, email: p.email, name: placeholderName(p.email) },
      'token',
    );
    if (created) userMetrics.profilesCreated.add(1, { source: 'token' });
    return profile;
  }

  async function me(p: Principal, profile: Profile) {
    return {
      id: profile.userId,
      tenantId: profile.tenantId,
      email: profile.email,
      name: profile.name,
      roles: p.roles,
      addresses: await profiles.listAddresses(p.tenantId, p.userId),
    };
  }

  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/me',
    { schema: { summary: 'The caller’s profile, roles and addresses', security, response: { 200: Me } } },
    async (request) => {
      const p = caller(request);
      return me(p, await ensureProfile(p));
    },
  );

  app.patch(
    '/api/v1/me',
    { schema: { summary: 'Change the caller’s name', security, body: MePatch, response: { 200: Me } } },
    async (request) => {
      const p = caller(request);
      await ensureProfile(p);
      const profile = await profiles.rename(p.tenantId, p.userId, request.body.name.trim());
      if (!profile) throw appError('NOT_FOUND', 'no profile for this user');
      return me(p, profile);
    },
  );

  app.get(
    '/api/v1/me/addresses',
    {
      schema: {
        summary: 'The caller’s addresses, oldest first',
        security,
        response: { 200: Type.Object({ items: Type.Array(Address) }) },
      },
    },
    async (request) => {
      const p = caller(request);
      return { items: await profiles.listAddresses(p.tenantId, p.userId) };
    },
  );

  app.post(
    '/api/v1/me/addresses',
    {
      schema: {
        summary: 'Add an address (the first one is the default)',
        security,
        body: AddressInput,
        response: { 201: Address },
      },
    },
    async (request, reply) => {
      const p = caller(request);
      await ensureProfile(p);
      const address = await profiles.addAddress(p.tenantId, p.userId, normalizeAddress(request.body));
      userMetrics.addressesAdded.add(1);
      return reply.code(201).header('location', `/api/v1/me/addresses/${address.id}`).send(address);
    },
  );

  app.delete(
    '/api/v1/me/addresses/:id',
    { schema: { summary: 'Delete one of the caller’s addresses', security, params: AddressId } },
    async (request, reply) => {
      const p = caller(request);
      const deleted = await profiles.deleteAddress(p.tenantId, p.userId, request.params.id);
      if (!deleted) throw appError('NOT_FOUND', `no address ${request.params.id}`);
      return reply.code(204).send();
    },
  );
};
