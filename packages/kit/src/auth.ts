import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type JWTVerifyGetKey, errors as joseErrors, jwtVerify } from 'jose';
import { appError } from './errors.js';
import { remoteJwks } from './jwks.js';

export const JWT_ISSUER = 'glassbox-auth';
export const JWT_AUDIENCE = 'glassbox';
export const INTERNAL_TOKEN_HEADER = 'x-internal-token';
export const TENANT_HEADER = 'x-tenant-id';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type Role = 'customer' | 'admin';

/** A preHandler usable on routes of any app, whatever its logger and type provider. */
export type AuthHook = (request: FastifyRequest) => Promise<void>;

/** Who is calling, from a verified token (or, for internal calls, the tenant the caller names). */
export interface Principal {
  userId: string;
  tenantId: string;
  email: string;
  roles: Role[];
  /** True for service-to-service calls authenticated by the internal token. */
  internal: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** preHandler: a valid Bearer access token is required. */
    authenticate: AuthHook;
    /** preHandler: the internal token is required (service-to-service routes under /internal). */
    internalOnly: AuthHook;
    requireRole(role: Role): AuthHook;
  }
}

export interface AuthPluginOptions {
  /** Where the auth service publishes its keys; or give `keys` directly (the auth service itself). */
  jwksUrl?: string;
  keys?: JWTVerifyGetKey;
  internalToken: string;
}

export interface AccessClaims {
  sub: string;
  tid: string;
  email: string;
  roles: Role[];
}

export async function verifyAccessToken(token: string, keys: JWTVerifyGetKey): Promise<AccessClaims> {
  return (await verifyWithExpiry(token, keys)).claims;
}

/** Verifies an access token and returns its claims with its expiry (unix ms); `now` is the clock (tests). */
export async function verifyWithExpiry(
  token: string,
  keys: JWTVerifyGetKey,
  now?: () => number,
): Promise<{ claims: AccessClaims; exp: number }> {
  try {
    const { payload } = await jwtVerify(token, keys, {
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      ...(now ? { currentDate: new Date(now()) } : {}),
    });
    const { sub, tid, email, roles } = payload as Partial<AccessClaims> & { typ?: string };
    if (payload.typ !== 'access' || !sub || !tid || typeof email !== 'string' || !Array.isArray(roles)) {
      throw appError('UNAUTHENTICATED', 'the token is not an access token');
    }
    if (!UUID.test(sub) || !UUID.test(tid))
      throw appError('UNAUTHENTICATED', 'the token names no valid user or tenant');
    return { claims: { sub, tid, email, roles }, exp: (payload.exp ?? 0) * 1000 };
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired)
      throw appError('UNAUTHENTICATED', 'the access token has expired');
    if (error instanceof joseErrors.JOSEError)
      throw appError('UNAUTHENTICATED', 'the access token is not valid');
    throw error;
  }
}

/**
 * Verified tokens, kept until they expire but at most a minute: a signature check costs ~0.5 ms of CPU on
 * every request otherwise. Bounded; the least recently used entry goes first. Only tokens that verified
 * are kept, so garbage cannot fill it.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { claims: AccessClaims; until: number }>();
  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(token: string): AccessClaims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.until <= this.now()) return undefined;
    this.entries.set(token, entry); // most recently used goes last
    return entry.claims;
  }

  set(token: string, claims: AccessClaims, expiresAtMs: number): void {
    const until = Math.min(expiresAtMs, this.now() + this.maxAgeMs);
    if (until <= this.now()) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(token, { claims, until });
  }

  get size(): number {
    return this.entries.size;
  }
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authentication for a service: verifies access tokens against the auth service's JWKS (cached by jose,
 * refetched on an unknown key id) and checks the internal token on service-to-service routes. The verified
 * tenant goes on the request logger as tenant_id.
 */
export const authPlugin = fp(
  async (app: FastifyInstance, options: AuthPluginOptions) => {
    const keys = options.keys ?? (options.jwksUrl ? remoteJwks(options.jwksUrl) : undefined);
    if (!keys) throw new Error('authPlugin needs jwksUrl or keys');
    app.decorateRequest('principal', null);

    const cache = new VerifiedTokenCache();
    app.decorate('authenticate', async (request: FastifyRequest) => {
      const token = bearer(request);
      if (!token)
        throw appError('UNAUTHENTICATED', 'send an access token as "Authorization: Bearer <token>"');
      let claims = cache.get(token);
      if (!claims) {
        const verified = await verifyWithExpiry(token, keys);
        cache.set(token, verified.claims, verified.exp);
        claims = verified.claims;
      }
      request.principal = {
        userId: claims.sub,
        tenantId: claims.tid,
        email: claims.email,
        roles: claims.roles,
        internal: false,
      };
      request.log = request.log.child({ tenant_id: claims.tid, user_id: claims.sub });
    });

    app.decorate('internalOnly', async (request: FastifyRequest) => {
      const given = request.headers[INTERNAL_TOKEN_HEADER];
      if (typeof given !== 'string' || !sameSecret(given, options.internalToken)) {
        throw appError('UNAUTHENTICATED', 'internal route: a valid internal token is required');
      }
      const tenantId = request.headers[TENANT_HEADER];
      if (typeof tenantId !== 'string' || !UUID.test(tenantId)) {
        throw appError(
          'VALIDATION_FAILED',
          `internal route: the ${TENANT_HEADER} header must be a tenant uuid`,
        );
      }
      request.principal = { userId: 'internal', tenantId, email: '', roles: [], internal: true };
      request.log = request.log.child({ tenant_id: tenantId });
    });

    app.decorate('requireRole', (role: Role) => async (request: FastifyRequest) => {
      if (!request.principal) throw appError('UNAUTHENTICATED');
      if (!request.principal.roles.includes(role)) {
        throw appError('FORBIDDEN', `this route needs the ${role} role`);
      }
    });
  },
  { name: 'glassbox-auth' },
);

/** The principal of an authenticated request; throws 401 if the route forgot its preHandler. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw appError('UNAUTHENTICATED');
  return request.principal;
}
