import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AddressIdParams,
  AddressInput,
  AddressList,
  AddressView,
  MePatch,
  MeView,
} from '@glassbox/contracts';
import { appError, type Principal, principalOf } from '@glassbox/kit';
import type { FastifyRequest } from 'fastify';
import type { Profiles } from '../app/profiles.js';

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
export const meRoutes: FastifyPluginAsyncTypebox<{ profiles: Profiles }> = async (app, { profiles }) => {
  // Authenticate before the body is parsed: a caller without a token gets 401, whatever it sent.
  app.addHook('onRequest', app.authenticate);
  const security = [{ bearer: [] }];

  app.get(
    '/api/v1/me',
    { schema: { summary: 'The caller’s profile, roles and addresses', security, response: { 200: MeView } } },
    async (request) => profiles.me(caller(request)),
  );

  app.patch(
    '/api/v1/me',
    { schema: { summary: 'Change the caller’s name', security, body: MePatch, response: { 200: MeView } } },
    async (request) => profiles.rename(caller(request), request.body.name),
  );

  app.get(
    '/api/v1/me/addresses',
    {
      schema: {
        summary: 'The caller’s addresses, oldest first',
        security,
        response: { 200: AddressList },
      },
    },
    async (request) => ({ items: await profiles.addresses(caller(request)) }),
  );

  app.post(
    '/api/v1/me/addresses',
    {
      schema: {
        summary: 'Add an address (the first one is the default)',
        security,
        body: AddressInput,
        response: { 201: AddressView },
      },
    },
    async (request, reply) => {
      const address = await profiles.addAddress(caller(request), request.body);
      return reply.code(201).header('location', `/api/v1/me/addresses/${address.id}`).send(address);
    },
  );

  app.delete(
    '/api/v1/me/addresses/:id',
    { schema: { summary: 'Delete one of the caller’s addresses', security, params: AddressIdParams } },
    async (request, reply) => {
      await profiles.deleteAddress(caller(request), request.params.id);
      return reply.code(204).send();
    },
  );
};
