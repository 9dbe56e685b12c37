import { describe, expect, it } from 'vitest';
import { isValidTenantSlug, normalizeEmail, normalizeTenantSlug, rolesForNewUser } from './accounts.js';
import { accessClaims, hashSecret, judgeRefresh, newRefreshToken, parseRefreshToken } from './tokens.js';

describe('refresh tokens', () => {
  it('are "<uuid>.<secret>" with only a hash of the secret to store', () => {
    const t = newRefreshToken();
    const parsed = parseRefreshToken(t.token);
    expect(parsed?.id).toBe(t.id);
    expect(t.secretHash).toBe(hashSecret(parsed?.secret ?? ''));
    expect(t.secretHash).not.toContain(parsed?.secret ?? 'x');
    expect(newRefreshToken().token).not.toBe(t.token);
  });

  it('refuses anything not shaped like one', () => {
    for (const bad of [
      '',
      'abc',
      'not-a-uuid.secret',
      `${crypto.randomUUID()}.short`,
      `${crypto.randomUUID()}`,
    ]) {
      expect(parseRefreshToken(bad)).toBeUndefined();
    }
  });

  it('rotates a fresh token, flags a used one as reuse, rejects revoked, expired or wrong ones', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const t = newRefreshToken();
    const secret = parseRefreshToken(t.token)?.secret ?? '';
    const stored = {
      secretHash: t.secretHash,
      expiresAt: new Date(now.getTime() + 60_000),
      usedAt: null,
      revokedAt: null,
    };
    expect(judgeRefresh(stored, secret, now)).toBe('rotate');
    expect(judgeRefresh({ ...stored, usedAt: now }, secret, now)).toBe('reuse');
    expect(judgeRefresh({ ...stored, revokedAt: now }, secret, now)).toBe('reject');
    expect(judgeRefresh({ ...stored, usedAt: now, revokedAt: now }, secret, now)).toBe('reject');
    expect(judgeRefresh({ ...stored, expiresAt: now }, secret, now)).toBe('reject');
    const wrong = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(wrong).not.toBe(secret);
    expect(judgeRefresh(stored, wrong, now)).toBe('reject');
    expect(judgeRefresh(undefined, secret, now)).toBe('reject');
  });
});

describe('access claims', () => {
  it('carry the user, tenant, email, roles and the access type', () => {
    expect(accessClaims({ id: 'u1', tenantId: 't1', email: 'a@b.test', roles: ['customer'] })).toEqual({
      sub: 'u1',
      tid: 't1',
      email: 'a@b.test',
      roles: ['customer'],
      typ: 'access',
    });
  });
});

describe('account rules', () => {
  it('normalizes emails and tenant slugs', () => {
    expect(normalizeEmail('  Alice@Demo.TEST ')).toBe('alice@demo.test');
    expect(normalizeTenantSlug(' Demo ')).toBe('demo');
  });

  it('accepts DNS-label-like tenant slugs only', () => {
    for (const ok of ['demo', 'acme-1234', 'a', '9lives']) expect(isValidTenantSlug(ok)).toBe(true);
    for (const bad of ['', '-x', 'x-', 'a_b', 'a b', 'Ä', 'x'.repeat(64)])
      expect(isValidTenantSlug(bad)).toBe(false);
  });

  it('makes the first user of a new tenant its admin and later users customers', () => {
    expect(rolesForNewUser(true)).toEqual(['admin']);
    expect(rolesForNewUser(false)).toEqual(['customer']);
  });
});
