import { randomUUID } from 'node:crypto';
import { createTestKeys, type TestKeys } from '@glassbox/kit/testing';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

const U1 = '00000000-0000-4000-8000-0000000000a1';
const T1 = '00000000-0000-4000-8000-0000000000b1';

import { createCachingVerifier } from './token-verifier.js';

let keys: TestKeys;
let other: TestKeys;
beforeAll(async () => {
  keys = await createTestKeys();
  other = await createTestKeys();
});

/** Counts how often the key set is consulted, i.e. how many signatures were really checked. */
function counting(k: TestKeys) {
  let calls = 0;
  const wrapped: typeof k.keys = (header, token) => {
    calls++;
    return k.keys(header, token);
  };
  return { keys: wrapped, calls: () => calls };
}

describe('createCachingVerifier', () => {
  it('checks a token once and then answers from memory', async () => {
    const c = counting(keys);
    const verify = createCachingVerifier({ keys: c.keys });
    const token = await keys.sign({ userId: U1, tenantId: T1, roles: ['admin'] });
    for (let i = 0; i < 5; i++) {
      expect(await verify(token)).toMatchObject({ sub: U1, tid: T1, roles: ['admin'] });
    }
    expect(c.calls()).toBe(1);
  });

  it('never remembers a token beyond its expiry or the maximum age', async () => {
    let now = Date.now();
    const c = counting(keys);
    const verify = createCachingVerifier({ keys: c.keys, maxAgeMs: 1_000, now: () => now });
    const token = await keys.sign({ userId: U1, tenantId: T1 }, 600);
    await verify(token);
    now += 999;
    await verify(token);
    expect(c.calls()).toBe(1);
    now += 2;
    await verify(token);
    expect(c.calls()).toBe(2);

    // A token that expires before the maximum age: remembered until its expiry, then checked and refused.
    const short = await keys.sign({ userId: randomUUID(), tenantId: T1 }, 2);
    const expiresAt = (decodeJwt(short).exp ?? 0) * 1000;
    const expiring = createCachingVerifier({ keys: c.keys, now: () => now });
    now = expiresAt - 1_500;
    const before = c.calls();
    await expiring(short);
    now = expiresAt - 1;
    await expiring(short);
    expect(c.calls()).toBe(before + 1);
    now = expiresAt + 1;
    await expect(expiring(short)).rejects.toMatchObject({
      code: 'UNAUTHENTICATED',
      message: 'the access token has expired',
    });
  });

  it('rejects bad tokens every time and does not remember them', async () => {
    const verify = createCachingVerifier({ keys: keys.keys });
    const forged = await other.sign({ userId: U1, tenantId: T1, roles: ['admin'] });
    for (let i = 0; i < 2; i++)
      await expect(verify(forged)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(verify('not.a.token')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('forgets the least recently used token past its size', async () => {
    const c = counting(keys);
    const verify = createCachingVerifier({ keys: c.keys, maxEntries: 2 });
    const [a, b, d] = await Promise.all(
      ['a', 'b', 'd'].map(() => keys.sign({ userId: randomUUID(), tenantId: T1 })),
    );
    await verify(a as string);
    await verify(b as string);
    await verify(a as string); // a is now the most recent
    await verify(d as string); // evicts b
    expect(c.calls()).toBe(3);
    await verify(a as string);
    expect(c.calls()).toBe(3);
    await verify(b as string);
    expect(c.calls()).toBe(4);
  });
});
