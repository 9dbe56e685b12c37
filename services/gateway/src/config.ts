import {
  defaultServiceUrl,
  GATEWAY_OPS_PORT,
  gatewayRoutes,
  SERVICE_PORTS,
  serviceUrlEnv,
} from '@glassbox/contracts';
import { BaseConfig } from '@glassbox/kit';
import { type Static, type TString, Type } from 'typebox';

/** `<NAME>_URL` of every service that owns a public route (the manifest says which), defaulting to its port. */
const upstreamUrls: Record<string, TString> = Object.fromEntries(
  [...new Set(gatewayRoutes().map((r) => r.upstream))].map((name) => [
    serviceUrlEnv(name),
    Type.String({ pattern: '^https?://', default: defaultServiceUrl(name) }),
  ]),
);

export const GatewayConfig = Type.Object({
  ...BaseConfig.properties,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: SERVICE_PORTS.gateway }),
  /**
   * Where /metrics and /openapi.json listen: never on the public port (metrics name the internal services'
   * addresses). An internal interface for Prometheus; loopback by default.
   */
  OPS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: GATEWAY_OPS_PORT }),
  OPS_HOST: Type.String({ minLength: 1, default: '127.0.0.1' }),
  ...upstreamUrls,
  /** Where access tokens are verified (the JWKS); the auth service also owns public routes. */
  AUTH_URL: Type.String({ pattern: '^https?://', default: defaultServiceUrl('auth') }),
  /** Requests per client (tenant + user when authenticated, else IP) per window. */
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 1200 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 100, default: 60_000 }),
  /** POST /api/v1/auth/* (login, register, refresh) per client address per window: each login is a slow hash. */
  AUTH_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 120 }),
  /**
   * Flash-sale purchase attempts (POST /api/v1/flash-sales/{id}/purchases) per user, and per client address,
   * per FLASH_SALE_LIMIT_WINDOW_MS: bots hammering the sale are refused 429 with Retry-After at the door.
   */
  FLASH_SALE_USER_LIMIT_MAX: Type.Integer({ minimum: 1, default: 10 }),
  FLASH_SALE_ADDRESS_LIMIT_MAX: Type.Integer({ minimum: 1, default: 300 }),
  FLASH_SALE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  /** Comma-separated allowed origins, or "*" for any (tokens travel in headers, never cookies). */
  CORS_ORIGINS: Type.String({ default: '*' }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 50, default: 10_000 }),
  /** Consecutive connection failures or timeouts that open an upstream's circuit, and for how long. */
  CIRCUIT_FAILURE_THRESHOLD: Type.Integer({ minimum: 1, default: 5 }),
  CIRCUIT_OPEN_MS: Type.Integer({ minimum: 100, default: 5_000 }),
  /** How long a verified access token is remembered at most (0 verifies every request). */
  TOKEN_CACHE_MAX_AGE_MS: Type.Integer({ minimum: 0, default: 60_000 }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, default: 256 * 1024 }),
});
/** The `<NAME>_URL` of each upstream travels as an extra property; its name comes from the manifest. */
export type GatewayConfig = Static<typeof GatewayConfig> & Readonly<Record<`${string}_URL`, string>>;
