import type { TokenPair } from '@glassbox/contracts';
import type { Role } from '@glassbox/kit';
import {
  INVALID_LOGIN,
  isValidTenantSlug,
  normalizeEmail,
  normalizeTenantSlug,
  rolesForNewUser,
} from '../domain/accounts.js';
import { hashPassword, needsRehash, type ScryptParams, verifyPassword } from '../domain/passwords.js';
import {
  type AccessTokenClaims,
  accessClaims,
  judgeRefresh,
  type NewRefreshToken,
  newRefreshToken,
  parseRefreshToken,
  type RefreshVerdict,
  type StoredRefreshToken,
  secretMatches,
} from '../domain/tokens.js';
import { appError } from '../errors.js';

/**
 * The auth use cases (register, login, refresh, logout) over ports that the adapters implement. Rules live here
 * and in the small modules beside; SQL and key material live in the adapters.
 */

export interface UserRecord {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  roles: Role[];
}

export interface AccountStore {
  /**
   * Creates the tenant if its slug is new, then the user with the roles `rolesFor(tenantCreated)`, and
   * announces the new user (the event that creates its profile), in one transaction. 'email-taken' when the
   * tenant already has that email.
   */
  register(input: {
    tenantSlug: string;
    email: string;
    name: string;
    passwordHash: string;
    rolesFor: (tenantCreated: boolean) => Role[];
  }): Promise<(UserRecord & { tenantCreated: boolean }) | 'email-taken'>;
  findForLogin(
    tenantSlug: string,
    email: string,
  ): Promise<(UserRecord & { passwordHash: string }) | undefined>;
  findById(tenantId: string, userId: string): Promise<UserRecord | undefined>;
  updatePasswordHash(tenantId: string, userId: string, passwordHash: string): Promise<void>;
}

export interface RefreshTokenStore {
  /** Stores a new token; a new family unless `familyId` is given. */
  save(user: { tenantId: string; userId: string }, token: NewRefreshToken, expiresAt: Date): Promise<void>;
  /**
   * Locks the stored token `id`, asks `judge` what presenting it means and applies the verdict atomically:
   * rotate → mark it used and store `next` in the same family; reuse → revoke the whole family.
   */
  exchange(
    id: string,
    judge: (stored: StoredRefreshToken | undefined) => RefreshVerdict,
    next: NewRefreshToken,
    nextExpiresAt: Date,
  ): Promise<{ verdict: RefreshVerdict; tenantId?: string; userId?: string }>;
  find(id: string): Promise<StoredRefreshToken | undefined>;
  /** Revokes every token of the family of token `id` (logout, reuse). */
  revokeFamily(id: string): Promise<void>;
}

export interface TokenSigner {
  sign(claims: AccessTokenClaims, ttlSeconds: number): Promise<string>;
}

export interface AuthServiceOptions {
  accounts: AccountStore;
  refreshTokens: RefreshTokenStore;
  signer: TokenSigner;
  scrypt: ScryptParams;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  now?: () => Date;
}

/** The `reason` member of the 401 answered to a refresh token presented a second time. */
export const REFRESH_TOKEN_REUSED = 'refresh_token_reused';

export function createAuthService(options: AuthServiceOptions) {
  const now = options.now ?? (() => new Date());
  // Verified against for unknown users, so a failed login takes as long whether or not the user exists.
  let decoy: Promise<string> | undefined;
  const decoyHash = () => {
    decoy ??= hashPassword('decoy password that matches nothing', options.scrypt);
    return decoy;
  };

  async function issue(user: UserRecord, next?: NewRefreshToken): Promise<TokenPair> {
    const refresh = next ?? newRefreshToken();
    if (!next) {
      await options.refreshTokens.save(
        { tenantId: user.tenantId, userId: user.id },
        refresh,
        new Date(now().getTime() + options.refreshTtlSeconds * 1000),
      );
    }
    const accessToken = await options.signer.sign(accessClaims(user), options.accessTtlSeconds);
    return {
      accessToken,
      refreshToken: refresh.token,
      expiresIn: options.accessTtlSeconds,
      tokenType: 'Bearer',
    };
  }

  /**
   * A registration for an email the tenant already has is answered as a login is: the owner (right password)
   * gets their account back (a repeated registration, say after a lost answer), anyone else the login's
   * INVALID_CREDENTIALS, never "this email exists".
   */
  async function registeredBefore(tenantSlug: string, email: string, password: string) {
    const user = await options.accounts.findForLogin(tenantSlug, email);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash()));
    if (!user || !ok) throw appError('INVALID_CREDENTIALS', INVALID_LOGIN);
    const { passwordHash: _hash, ...account } = user;
    return { ...account, tenantCreated: false, repeated: true };
  }

  return {
    async register(input: { tenant: string; email: string; password: string; name: string }) {
      const tenantSlug = normalizeTenantSlug(input.tenant);
      if (!isValidTenantSlug(tenantSlug)) {
        throw appError('VALIDATION_FAILED', 'tenant must be lower-case letters, digits and inner hyphens', {
          errors: [{ path: 'body/tenant', message: 'is not a valid tenant slug' }],
        });
      }
      const name = input.name.trim();
      const email = normalizeEmail(input.email);
      const passwordHash = await hashPassword(input.password, options.scrypt);
      const result = await options.accounts.register({
        tenantSlug,
        email,
        name,
        passwordHash,
        rolesFor: rolesForNewUser,
      });
      if (result === 'email-taken') return registeredBefore(tenantSlug, email, input.password);
      return { ...result, repeated: false };
    },

    async login(input: { tenant: string; email: string; password: string }): Promise<TokenPair> {
      const user = await options.accounts.findForLogin(
        normalizeTenantSlug(input.tenant),
        normalizeEmail(input.email),
      );
      const ok = await verifyPassword(input.password, user?.passwordHash ?? (await decoyHash()));
      if (!user || !ok) throw appError('INVALID_CREDENTIALS', INVALID_LOGIN);
      if (needsRehash(user.passwordHash, options.scrypt)) {
        await options.accounts.updatePasswordHash(
          user.tenantId,
          user.id,
          await hashPassword(input.password, options.scrypt),
        );
      }
      return issue(user);
    },

    async refresh(refreshToken: string): Promise<TokenPair> {
      const parsed = parseRefreshToken(refreshToken);
      if (!parsed) throw appError('UNAUTHENTICATED', 'the refresh token is not valid');
      const next = newRefreshToken();
      const at = now();
      const result = await options.refreshTokens.exchange(
        parsed.id,
        (stored) => judgeRefresh(stored, parsed.secret, at),
        next,
        new Date(at.getTime() + options.refreshTtlSeconds * 1000),
      );
      if (result.verdict === 'reuse') {
        throw appError(
          'UNAUTHENTICATED',
          'the refresh token was already used; its session is revoked, log in again',
          { reason: REFRESH_TOKEN_REUSED },
        );
      }
      if (result.verdict !== 'rotate' || !result.tenantId || !result.userId) {
        throw appError('UNAUTHENTICATED', 'the refresh token is not valid');
      }
      const user = await options.accounts.findById(result.tenantId, result.userId);
      if (!user) throw appError('UNAUTHENTICATED', 'the refresh token is not valid');
      return issue(user, next);
    },

    async logout(refreshToken: string): Promise<void> {
      const parsed = parseRefreshToken(refreshToken);
      if (!parsed) return;
      const stored = await options.refreshTokens.find(parsed.id);
      // Only the holder of the token can end its session; anything else is a silent no-op.
      if (stored && secretMatches(parsed.secret, stored.secretHash)) {
        await options.refreshTokens.revokeFamily(parsed.id);
      }
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
