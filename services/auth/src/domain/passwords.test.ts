import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, parsePasswordHash, verifyPassword } from './passwords.js';

const FAST = { logN: 10, r: 8, p: 1 };

describe('password hashing', () => {
  it('verifies the right password and rejects a wrong one', async () => {
    const stored = await hashPassword('correct horse battery', FAST);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batter', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('stores a PHC string with its parameters and a per-hash random salt', async () => {
    const a = await hashPassword('same password', FAST);
    const b = await hashPassword('same password', FAST);
    expect(a).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same password');
    const parsed = parsePasswordHash(a);
    expect(parsed?.salt).toHaveLength(16);
    expect(parsed?.hash).toHaveLength(32);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('treats equivalent Unicode forms of a password as the same password', async () => {
    const stored = await hashPassword('caf\u00e9-latte', FAST);
    expect(await verifyPassword('cafe\u0301-latte', stored)).toBe(true);
  });

  it('rejects anything that is not a scrypt hash instead of comparing it', async () => {
    for (const stored of ['', 'glassbox-demo', '$2b$10$abcdefghijklmnopqrstuv', '$scrypt$ln=10,r=8,p=1$$']) {
      expect(await verifyPassword('glassbox-demo', stored)).toBe(false);
    }
  });

  it('asks for a rehash when the parameters changed', async () => {
    const stored = await hashPassword('pw-pw-pw-pw', FAST);
    expect(needsRehash(stored, FAST)).toBe(false);
    expect(needsRehash(stored, { ...FAST, logN: 11 })).toBe(true);
    expect(needsRehash(stored, { ...FAST, p: 2 })).toBe(true);
    expect(needsRehash('garbage', FAST)).toBe(true);
  });
});
