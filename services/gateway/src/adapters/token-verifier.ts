import { type AccessClaims, VerifiedTokenCache, verifyWithExpiry } from '@glassbox/kit';
import type { JWTVerifyGetKey } from 'jose';

export interface CachingVerifierOptions {
  keys: JWTVerifyGetKey;
  /** Most tokens remembered (least recently used ones are forgotten first). */
  maxEntries?: number;
  /** How long a verification is trusted at most, whatever the token's own expiry. */
  maxAgeMs?: number;
  /** The clock (unix ms) of both the cache and the tokens' expiry check; tests move it. */
  now?: () => number;
}

export type TokenVerifier = (token: string) => Promise<AccessClaims>;

/**
 * Verifies access tokens with the kit's verifier and remembers each successful verification (the kit's
 * VerifiedTokenCache) until the token expires or `maxAgeMs` passes, whichever is first. An ES256 signature check
 * costs about half a millisecond of CPU and clients send the same token many times, so on the gateway's hot path
 * this is most of its work.
 */
export function createCachingVerifier(options: CachingVerifierOptions): TokenVerifier {
  const cache = new VerifiedTokenCache(options.maxEntries, options.maxAgeMs, options.now);
  return async (token) => {
    const hit = cache.get(token);
    if (hit) return hit;
    const { claims, exp } = await verifyWithExpiry(token, options.keys, options.now);
    cache.set(token, claims, exp);
    return claims;
  };
}
