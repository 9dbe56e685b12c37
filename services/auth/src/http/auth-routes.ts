import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  LoginRequest,
  RefreshRequest,
  RegisterRequest,
  RegisterResponse,
  TokenPair,
} from '@glassbox/contracts';
import { isAppError } from '@glassbox/kit';
import { type AuthService, REFRESH_TOKEN_REUSED } from '../app/auth-service.js';
import { authMetrics } from '../metrics.js';

/** Public auth routes, served at the same paths the gateway exposes (no token needed). */
export const authRoutes: FastifyPluginAsyncTypebox<{ auth: AuthService }> = async (app, { auth }) => {
  app.post(
    '/api/v1/auth/register',
    {
      schema: {
        summary:
          'Register a user; an unknown tenant slug creates the tenant with this user as its admin. An email the ' +
          'tenant already has is answered as a login: 200 with the account for its password, else 401',
        body: RegisterRequest,
        response: { 200: RegisterResponse, 201: RegisterResponse },
      },
    },
    async (request, reply) => {
      const user = await auth.register(request.body);
      const body = { userId: user.id, tenantId: user.tenantId, email: user.email };
      if (user.repeated) {
        request.log.info(
          { tenant_id: user.tenantId, user_id: user.id },
          'registration repeated by its owner',
        );
        return reply.code(200).send(body);
      }
      authMetrics.registrations.add(1, { tenant_created: user.tenantCreated });
      request.log.info(
        { tenant_id: user.tenantId, user_id: user.id, roles: user.roles },
        user.tenantCreated ? 'tenant and its admin registered' : 'user registered',
      );
      return reply.code(201).send(body);
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        summary: 'Exchange credentials for tokens',
        body: LoginRequest,
        response: { 200: TokenPair },
      },
    },
    async (request) => {
      try {
        const tokens = await auth.login(request.body);
        authMetrics.logins.add(1, { outcome: 'success' });
        return tokens;
      } catch (error) {
        if (isAppError(error) && error.code === 'INVALID_CREDENTIALS') {
          authMetrics.logins.add(1, { outcome: 'failure' });
        }
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        summary: 'Exchange a refresh token for a new pair (the old refresh token stops working)',
        body: RefreshRequest,
        response: { 200: TokenPair },
      },
    },
    async (request) => {
      try {
        const tokens = await auth.refresh(request.body.refreshToken);
        authMetrics.refreshes.add(1, { outcome: 'success' });
        return tokens;
      } catch (error) {
        if (isAppError(error) && error.code === 'UNAUTHENTICATED') {
          const reuse = error.extensions.reason === REFRESH_TOKEN_REUSED;
          authMetrics.refreshes.add(1, { outcome: reuse ? 'reuse_detected' : 'rejected' });
          if (reuse) request.log.warn('refresh token reuse detected; session revoked');
        }
        throw error;
      }
    },
  );

  app.post(
    '/api/v1/auth/logout',
    {
      schema: {
        summary: 'End the session of a refresh token (its whole rotation family); always 204',
        body: RefreshRequest,
      },
    },
    async (request, reply) => {
      await auth.logout(request.body.refreshToken);
      return reply.code(204).send();
    },
  );
};
