/**
 * The auth service's signing keys, fetched from its JWKS endpoint, with every failed fetch counted on
 * `glassbox.jwks.fetch.failures`: when a service cannot reach the keys, tokens signed with a key it has not
 * cached are refused, and the JwksFetchFailing alert says why.
 *
 * The keys are cached as jose's `createRemoteJWKSet` would (refetched after `cacheMaxAgeMs`, and on an unknown
 * key id at most once per `cooldownMs`, one fetch at a time), but fetched with the kit's HTTP client on
 * `node:http`: jose's remote set builds WHATWG `Headers`, which loads Node's internal undici into every process
 * that verifies tokens (docs/performance.md, footprint).
 */
import { type Meter, metrics } from '@opentelemetry/api';
import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey, errors as joseErrors } from 'jose';
import { AppError } from './errors.js';
import { createHttpClient } from './http-client.js';

export interface RemoteJwksOptions {
  /** Keys older than this are fetched again before use (jose's default: 10 minutes). */
  cacheMaxAgeMs?: number;
  /** An unknown key id refetches the set at most this often (jose's default: 30 s). */
  cooldownMs?: number;
  timeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

export function remoteJwks(
  url: string | URL,
  meter: Meter = metrics.getMeter('glassbox.kit'),
  options: RemoteJwksOptions = {},
): JWTVerifyGetKey {
  const failures = meter.createCounter('glassbox.jwks.fetch.failures', {
    description: "Failed fetches of the auth service's JWKS (unreachable, timed out, bad answer)",
    unit: '{fetch}',
  });
  const cacheMaxAgeMs = options.cacheMaxAgeMs ?? 600_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  const now = options.now ?? Date.now;
  const target = new URL(url);
  const client = createHttpClient({
    name: 'auth',
    baseUrl: target.origin,
    timeoutMs: options.timeoutMs ?? 5_000,
    retries: 0,
  });

  type KeySet = ReturnType<typeof createLocalJWKSet>;
  let keys: KeySet | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<KeySet> | undefined;

  async function fetchKeys(): Promise<KeySet> {
    try {
      const response = await client.request<JSONWebKeySet>({
        path: `${target.pathname}${target.search}`,
        route: target.pathname,
        retry: false,
      });
      if (response.status !== 200) {
        throw new joseErrors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response');
      }
      keys = createLocalJWKSet(response.body);
      fetchedAt = now();
      return keys;
    } catch (error) {
      const type = error instanceof AppError ? error.code : error instanceof Error ? error.name : 'unknown';
      failures.add(1, { 'error.type': type });
      throw error;
    }
  }

  /** One fetch at a time: concurrent verifications wait for the same one. */
  function reload(): Promise<KeySet> {
    pending ??= fetchKeys().finally(() => {
      pending = undefined;
    });
    return pending;
  }

  return async (header, token) => {
    const current = !keys || now() - fetchedAt >= cacheMaxAgeMs ? await reload() : keys;
    try {
      return await current(header, token);
    } catch (error) {
      // A key id the cached set does not have: the keys may have rotated since.
      if (!(error instanceof joseErrors.JWKSNoMatchingKey) || now() - fetchedAt < cooldownMs) throw error;
      return (await reload())(header, token);
    }
  };
}
