import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Role } from '@glassbox/kit';

/**
 * Token rules. Access tokens are short-lived ES256 JWTs (signed by an adapter holding the key); refresh tokens
 * are opaque "<id>.<secret>" strings of which only a SHA-256 of the secret is stored.
 */

export interface AccessTokenClaims {
  sub: string;
  tid: string;
  email: string;
  roles: Role[];
  typ: 'access';
}

export function accessClaims(user: { id: string; tenantId: string; email: string; roles: Role[] }) {
  return {
    sub: user.id,
    tid: user.tenantId,
    email: user.email,
    roles: [...user.roles],
    typ: 'access',
  } satisfies AccessTokenClaims;
}

export interface NewRefreshToken {
  id: string;
  /** What the client gets; shown once, never stored. */
  token: string;
  /** What is stored. */
  secretHash: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function newRefreshToken(): NewRefreshToken {
  const id = randomUUID();
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${id}.${secret}`, secretHash: hashSecret(secret) };
}

/** Splits a presented refresh token; undefined when it is not shaped like one of ours. */
export function parseRefreshToken(token: string): { id: string; secret: string } | undefined {
  const dot = token.indexOf('.');
  if (dot < 0) return undefined;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return UUID.test(id) && SECRET.test(secret) ? { id, secret } : undefined;
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

export interface StoredRefreshToken {
  secretHash: string;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
}

/**
 * What presenting a stored refresh token means: `rotate` (the normal case), `reuse` (a token already exchanged
 * was presented again: someone holds a copy, so the whole family is revoked) or `reject`.
 */
export type RefreshVerdict = 'rotate' | 'reuse' | 'reject';

export function judgeRefresh(
  stored: StoredRefreshToken | undefined,
  secret: string,
  now: Date,
): RefreshVerdict {
  if (!stored || !secretMatches(secret, stored.secretHash)) return 'reject';
  if (stored.revokedAt) return 'reject';
  if (stored.usedAt) return 'reuse';
  if (stored.expiresAt.getTime() <= now.getTime()) return 'reject';
  return 'rotate';
}
