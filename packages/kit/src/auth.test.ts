import { describe, expect, it } from 'vitest';
import { type AccessClaims, VerifiedTokenCache } from './auth.js';

const claims: AccessClaims = { sub: 'u', tid: 't', email: 'e@x', roles: ['customer'] };

describe('VerifiedTokenCache', () => {
  it('keeps a token until it expires, at most maxAge', () => {
    let now = 1_000;
    const cache = new VerifiedTokenCache(10, 60_000, () => now);
    cache.set('a', claims, now + 5_000);
    cache.set('b', claims, now + 600_000);
    now += 4_999;
    expect(cache.get('a')).toEqual(claims);
    now += 1;
    expect(cache.get('a')).toBeUndefined();
    now += 55_000;
    expect(cache.get('b')).toBeUndefined();
  });

  it('never stores an expired token and stays bounded, dropping the oldest', () => {
    const cache = new VerifiedTokenCache(2, 60_000, () => 0);
    cache.set('old', claims, -1);
    expect(cache.size).toBe(0);
    cache.set('1', claims, 10);
    cache.set('2', claims, 10);
    cache.set('3', claims, 10);
    expect(cache.size).toBe(2);
    expect(cache.get('1')).toBeUndefined();
    expect(cache.get('3')).toEqual(claims);
  });
});
