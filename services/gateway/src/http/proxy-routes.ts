import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type AppError, appError, isAppError, nameServerSpan, withClientRoute } from '@glassbox/kit';
import { metrics } from '@opentelemetry/api';
import type { FastifyRequest } from 'fastify';
import type { TokenVerifier } from '../adapters/token-verifier.js';
import type { Upstreams } from '../adapters/upstreams.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../domain/headers.js';
import { matchRoute, type RouteMatch, splitUrl } from '../domain/routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The owner of this request's path, resolved once on arrival. */
    gatewayRoute: RouteMatch | null;
    /** Why the access token was refused; raised after rate limiting so bad tokens count against the IP. */
    gatewayAuthError: AppError | null;
  }
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Traffic, errors and latency per tenant (the Tenants dashboard): only the gateway sees every tenant's requests
 * with a verified token. Labelled by tenant id and status class, never by user or raw path, to bound cardinality.
 */
const tenantDuration = metrics
  .getMeter('glassbox.gateway')
  .createHistogram('glassbox.gateway.tenant.request.duration', {
    description: 'Authenticated requests through the gateway, by tenant and status class',
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
  });

function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

/** The rate-limit key: the verified tenant and user, else the client address. */
export function clientKey(request: FastifyRequest): string {
  const p = request.principal;
  return p ? `user:${p.tenantId}:${p.userId}` : `ip:${request.ip}`;
}

export interface ProxyOptions {
  upstreams: Upstreams;
  verify: TokenVerifier;
  /**
   * A stricter limit per client address for the credential endpoints (POST /api/v1/auth/*): each login costs the
   * auth service a deliberately slow password hash, so guessing and flooding are capped well below the general
   * limit.
   */
  credentialsLimit: { max: number; timeWindowMs: number };
  /**
   * Purchase attempts of a flash sale, per verified user and per client address: a bot with one token, or many
   * tokens behind one address, is refused at the door with Retry-After before the sale sees it.
   */
  saleLimits: { perUser: number; perAddress: number; timeWindowMs: number };
  onRateLimited?: (limit: 'credentials' | 'sale_user' | 'sale_address') => void;
}

/** The purchase route of flash sales (the one bots hammer). */
const SALE_PURCHASES = '/api/v1/flash-sales/:id/purchases';

/**
 * `/api/v1/*`: resolve the owning service, verify the access token unless the route is public, apply the rate
 * limit, then forward method, path+query, body and the allowed headers, and relay status, body and content
 * headers. The body is forwarded as raw bytes: the service parses and validates it.
 */
export const proxyRoutes: FastifyPluginAsyncTypebox<ProxyOptions> = async (app, options) => {
  const { upstreams, verify } = options;
  const credentialsLimiter = app.createRateLimit({
    max: options.credentialsLimit.max,
    timeWindow: options.credentialsLimit.timeWindowMs,
    keyGenerator: (request) => `ip:${request.ip}`,
  });
  const saleLimiters = [
    {
      limit: 'sale_user' as const,
      who: 'this user',
      check: app.createRateLimit({
        max: options.saleLimits.perUser,
        timeWindow: options.saleLimits.timeWindowMs,
        keyGenerator: (request) => `sale:${clientKey(request)}`,
      }),
    },
    {
      limit: 'sale_address' as const,
      who: 'this address',
      check: app.createRateLimit({
        max: options.saleLimits.perAddress,
        timeWindow: options.saleLimits.timeWindowMs,
        keyGenerator: (request) => `sale:ip:${request.ip}`,
      }),
    },
  ];
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.decorateRequest('gatewayRoute', null);
  app.decorateRequest('gatewayAuthError', null);

  // Runs before the route's own onRequest hooks (the rate limit), so the limiter sees the verified principal.
  app.addHook('onRequest', async (request) => {
    const route = matchRoute(splitUrl(request.url).path);
    request.gatewayRoute = route ?? null;
    // Spans and metrics by the owning service's route template, not by the catch-all `/api/v1/*`.
    if (route) nameServerSpan(request.method, route.template, request);
    if (!route || route.public) return;
    try {
      const token = bearerToken(request.headers.authorization);
      if (!token)
        throw appError('UNAUTHENTICATED', 'send an access token as "Authorization: Bearer <token>"');
      const claims = await verify(token);
      request.principal = {
        userId: claims.sub,
        tenantId: claims.tid,
        email: claims.email,
        roles: claims.roles,
        internal: false,
      };
      request.log = request.log.child({ tenant_id: claims.tid, user_id: claims.sub });
    } catch (error) {
      if (!isAppError(error)) throw error;
      request.gatewayAuthError = error;
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    const p = request.principal;
    if (!p || !request.gatewayRoute) return;
    tenantDuration.record(reply.elapsedTime / 1000, {
      'glassbox.tenant.id': p.tenantId,
      'glassbox.upstream': request.gatewayRoute.upstream,
      'http.response.status_class': `${Math.floor(reply.statusCode / 100)}xx`,
    });
  });

  app.route({
    method: [...METHODS],
    url: '/api/v1/*',
    schema: { hide: true },
    config: { rateLimit: {} },
    handler: async (request, reply) => {
      const route = request.gatewayRoute;
      if (!route) throw appError('NOT_FOUND', `no route for ${request.method} ${splitUrl(request.url).path}`);
      if (request.gatewayAuthError) throw request.gatewayAuthError;
      if (route.upstream === 'auth' && request.method === 'POST') {
        const limit = await credentialsLimiter(request);
        if (!limit.isAllowed && limit.isExceeded) {
          options.onRateLimited?.('credentials');
          reply.header('retry-after', String(limit.ttlInSeconds));
          throw appError(
            'RATE_LIMITED',
            `too many sign-in requests from this address (at most ${limit.max}); retry in ${limit.ttlInSeconds} s`,
          );
        }
      }

      if (route.template === SALE_PURCHASES && request.method === 'POST') {
        for (const { limit, who, check } of saleLimiters) {
          const verdict = await check(request);
          if (!verdict.isAllowed && verdict.isExceeded) {
            options.onRateLimited?.(limit);
            reply.header('retry-after', String(verdict.ttlInSeconds));
            throw appError(
              'RATE_LIMITED',
              `too many purchase attempts from ${who} (at most ${verdict.max}); retry in ${verdict.ttlInSeconds} s`,
              { limit },
            );
          }
        }
      }

      const controller = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) controller.abort();
      };
      reply.raw.once('close', onClose);
      try {
        // The call's client span is named by the owning service's template, as the callee's server span is.
        const res = await withClientRoute(route.template, () =>
          upstreams.forward(route.upstream, {
            method: request.method as (typeof METHODS)[number],
            url: request.url,
            headers: upstreamRequestHeaders(request.headers, {
              requestId: request.id,
              clientIp: request.ip,
              host: request.headers.host,
              protocol: request.protocol,
            }),
            body: Buffer.isBuffer(request.body) ? request.body : undefined,
            signal: controller.signal,
            // Public catalog reads answer every user of the tenant alike: their last good answer is the tenant's.
            ...(route.sharedReads && request.method === 'GET' && request.principal
              ? { sharedWithTenant: request.principal.tenantId }
              : {}),
          }),
        );
        reply.code(res.status).headers(clientResponseHeaders(res.headers));
        if (res.degraded) {
          reply.header(
            'x-glassbox-degraded',
            `circuit-open; stored=${new Date(res.degraded.storedAtMs).toISOString()}; scope=${res.degraded.scope}`,
          );
          reply.header('cache-control', 'no-store');
        }
        return reply.send(res.body.length > 0 ? res.body : undefined);
      } catch (error) {
        if (
          isAppError(error) &&
          (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'OUTCOME_UNKNOWN')
        ) {
          const after = error.extensions.retryAfterSeconds;
          reply.header('retry-after', typeof after === 'number' ? String(after) : '1');
        }
        throw error;
      } finally {
        reply.raw.off('close', onClose);
      }
    },
  });
};
