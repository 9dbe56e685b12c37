import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import { gatewayRoutes, serviceUrlEnv } from '@glassbox/contracts';
import {
  appError,
  authPlugin,
  createHttpClient,
  createServiceApp,
  type Logger,
  remoteJwks,
  type ServiceApp,
} from '@glassbox/kit';
import { metrics } from '@opentelemetry/api';
import type { JWTVerifyGetKey } from 'jose';
import { createCachingVerifier } from './adapters/token-verifier.js';
import { createUpstreams, type Upstreams } from './adapters/upstreams.js';
import type { GatewayConfig } from './config.js';
import { LoadShedder } from './domain/load-shedder.js';
import { UPSTREAMS } from './domain/routes.js';
import { clientKey, proxyRoutes } from './http/proxy-routes.js';
import { publicOpenApiRoute } from './http/public-openapi-route.js';

export type AppConfig = Omit<
  GatewayConfig,
  | 'PORT'
  | 'HOST'
  | 'LOG_LEVEL'
  | 'DEPLOYMENT_ENVIRONMENT'
  | 'SEED_DEMO'
  | 'DB_POOL_MAX'
  | 'DB_POOL_IDLE_MS'
  | 'OPS_PORT'
  | 'OPS_HOST'
>;

export interface GatewayDeps {
  config: AppConfig;
  logger: Logger;
  /** Verification keys for tests; by default the auth service's JWKS (cached, refetched on an unknown kid). */
  keys?: JWTVerifyGetKey;
}

const meter = metrics.getMeter('glassbox.gateway');
const rateLimited = meter.createCounter('glassbox.gateway.rate_limited', {
  description: 'Requests refused with 429 by the per-client rate limit',
  unit: '{request}',
});

const shedCounter = meter.createCounter('glassbox.gateway.shed', {
  description: 'API requests refused with 429 while the gateway sheds load',
  unit: '{request}',
});

export function corsOrigin(setting: string): boolean | string[] {
  const origins = setting
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return origins.includes('*') ? true : origins;
}

/** What the gateway's internal admin endpoints act on (http/admin-routes.ts, on the operational port only). */
export interface GatewayControls {
  readonly upstreams: Upstreams;
  readonly shedder: LoadShedder;
}

/** The gateway's app, not listening: the only public entry, routing /api/v1/* to the services. */
export async function buildApp(deps: GatewayDeps): Promise<ServiceApp> {
  return (await buildGateway(deps)).app;
}

/** The app and its controls (circuits held open, load shedding), which its operational listener serves. */
export async function buildGateway({
  config,
  logger,
  keys,
}: GatewayDeps): Promise<{ app: ServiceApp; controls: GatewayControls }> {
  const shedder = new LoadShedder();
  const jwksUrl = `${config.AUTH_URL.replace(/\/$/, '')}/.well-known/jwks.json`;
  const authClient = createHttpClient({
    name: 'auth',
    baseUrl: config.AUTH_URL,
    timeoutMs: 1_500,
    retries: 0,
  });
  const urls = Object.fromEntries(UPSTREAMS.map((name) => [name, config[serviceUrlEnv(name)]]));
  const upstreams = createUpstreams({
    urls,
    timeoutMs: config.UPSTREAM_TIMEOUT_MS,
    breaker: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, openMs: config.CIRCUIT_OPEN_MS },
    logger,
  });

  const app = await createServiceApp({
    name: 'gateway',
    logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    // The public port answers the API and the probes only; /metrics and /openapi.json listen on OPS_PORT.
    operationalRoutes: false,
    description:
      'The public entry: routes /api/v1/* to the services, verifies access tokens, rate-limits per client',
    readiness: {
      jwks: async () => {
        const set = await authClient.json<{ keys?: unknown[] }>({
          path: '/.well-known/jwks.json',
          route: '/.well-known/jwks.json',
        });
        if (!Array.isArray(set.keys) || set.keys.length === 0) throw new Error('the JWKS has no keys');
      },
    },
  });

  // Shedding refuses before any work (token checks, upstream calls) is spent on the request.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/api/v1/') || !shedder.shed()) return;
    shedCounter.add(1);
    reply.header('retry-after', String(shedder.retryAfterSeconds()));
    throw appError('RATE_LIMITED', 'the gateway is shedding load to stay responsive; retry later');
  });

  await app.register(cors, {
    origin: corsOrigin(config.CORS_ORIGINS),
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'idempotency-key',
      'x-request-id',
      'traceparent',
      'tracestate',
    ],
    exposedHeaders: [
      'x-request-id',
      'traceresponse',
      'retry-after',
      'location',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
  });
  // The kit's plugin decorates requests with their principal; tokens are verified through a cache (hot path).
  const verificationKeys = keys ?? remoteJwks(jwksUrl);
  await app.register(authPlugin, { keys: verificationKeys, internalToken: config.INTERNAL_TOKEN });
  await app.register(rateLimit, {
    global: false,
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    keyGenerator: clientKey,
    onExceeded: (request) => {
      rateLimited.add(1, { client: request.principal ? 'user' : 'ip', limit: 'general' });
    },
    errorResponseBuilder: (_request, context) =>
      appError('RATE_LIMITED', `rate limit of ${context.max} requests exceeded; retry in ${context.after}`),
  });
  await app.register(proxyRoutes, {
    upstreams,
    verify: createCachingVerifier({ keys: verificationKeys, maxAgeMs: config.TOKEN_CACHE_MAX_AGE_MS }),
    credentialsLimit: { max: config.AUTH_RATE_LIMIT_MAX, timeWindowMs: config.RATE_LIMIT_WINDOW_MS },
    saleLimits: {
      perUser: config.FLASH_SALE_USER_LIMIT_MAX,
      perAddress: config.FLASH_SALE_ADDRESS_LIMIT_MAX,
      timeWindowMs: config.FLASH_SALE_LIMIT_WINDOW_MS,
    },
    onRateLimited: (limit) => rateLimited.add(1, { client: limit === 'sale_user' ? 'user' : 'ip', limit }),
  });
  // The whole public API, from the services' own documents (its own /openapi.json stays on OPS_PORT).
  publicOpenApiRoute(app, { routes: gatewayRoutes(), urls, version: '1', logger });
  app.addHook('onClose', async () => upstreams.close());
  return { app, controls: { upstreams, shedder } };
}
