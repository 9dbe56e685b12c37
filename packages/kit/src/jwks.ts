/**
 * The auth service's signing keys, fetched from its JWKS endpoint (jose caches them and refetches on an unknown
 * key id), with every failed fetch counted on `glassbox.jwks.fetch.failures`: when a service cannot reach the
 * keys, tokens signed with a key it has not cached are refused, and the JwksFetchFailing alert says why.
 */
import { type Meter, metrics } from '@opentelemetry/api';
import { createRemoteJWKSet, type JWTVerifyGetKey, errors as joseErrors } from 'jose';

/** Key lookups that fetched fine but found no usable key are the token's problem, not a fetch failure. */
function isFetchFailure(error: unknown): boolean {
  return !(
    error instanceof joseErrors.JWKSNoMatchingKey ||
    error instanceof joseErrors.JWKSMultipleMatchingKeys ||
    error instanceof joseErrors.JWSInvalid ||
    error instanceof joseErrors.JOSENotSupported
  );
}

export function remoteJwks(
  url: string | URL,
  meter: Meter = metrics.getMeter('glassbox.kit'),
): JWTVerifyGetKey {
  const failures = meter.createCounter('glassbox.jwks.fetch.failures', {
    description: "Failed fetches of the auth service's JWKS (unreachable, timed out, bad answer)",
    unit: '{fetch}',
  });
  const remote = createRemoteJWKSet(new URL(url));
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (isFetchFailure(error)) {
        failures.add(1, { 'error.type': error instanceof Error ? error.name : 'unknown' });
      }
      throw error;
    }
  };
}
