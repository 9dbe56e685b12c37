/**
 * The auth and user services' APIs (owned by the auth/user/gateway engineer), public paths as the gateway
 * exposes them.
 *
 * POST /api/v1/auth/register  RegisterRequest → 201 RegisterResponse (an unknown tenant slug creates the tenant
 *                             and makes this user its admin; later users are customers; 409 ALREADY_EXISTS for
 *                             an email the tenant already has, case-insensitively)
 * POST /api/v1/auth/login     LoginRequest → 200 TokenPair (401 INVALID_CREDENTIALS, one message for every cause)
 * POST /api/v1/auth/refresh   RefreshRequest → 200 TokenPair (rotation: the old refresh token stops working;
 *                             presenting a used one revokes its whole session: 401 with reason
 *                             "refresh_token_reused")
 * POST /api/v1/auth/logout    RefreshRequest → 204 (ends the refresh token's session; always 204)
 * GET  /.well-known/jwks.json → Jwks (ES256 keys; every token names its key with `kid`)
 * GET  /api/v1/me             → MeView (a profile missing here is created from the token)
 * PATCH /api/v1/me            { name } → MeView
 * GET  /api/v1/me/addresses   → { items: AddressView[] };  POST AddressInput → 201 AddressView (+ Location);
 * DELETE /api/v1/me/addresses/{id} → 204 (404 for anyone else's)
 * POST /internal/profiles     ProfileInput (+ x-internal-token, x-tenant-id) → 201 created / 200 existed
 */
export type Role = 'customer' | 'admin';

export interface RegisterRequest {
  /** Tenant slug: letters, digits and inner hyphens, 1..63 characters (case-insensitive). */
  tenant: string;
  email: string;
  /** 8..1024 characters. */
  password: string;
  name: string;
}

export interface RegisterResponse {
  userId: string;
  tenantId: string;
  /** Normalized (trimmed, lower case). */
  email: string;
}

export interface LoginRequest {
  tenant: string;
  email: string;
  password: string;
}

export interface RefreshRequest {
  refreshToken: string;
}

export interface TokenPair {
  /** ES256 JWT: iss "glassbox-auth", aud "glassbox", sub (user id), tid (tenant id), email, roles, typ "access". */
  accessToken: string;
  /** Opaque; single use (each refresh returns a new one). */
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
  tokenType: 'Bearer';
}

export interface Jwks {
  keys: { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string; alg: 'ES256'; use: 'sig' }[];
}

export interface AddressInput {
  label?: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
  /** The first address is the default whatever this says. */
  isDefault?: boolean;
}

export interface AddressView {
  id: string;
  label: string | null;
  line1: string;
  line2: string | null;
  city: string;
  region: string | null;
  postalCode: string;
  country: string;
  isDefault: boolean;
  createdAt: string;
}

export interface MeView {
  id: string;
  tenantId: string;
  email: string;
  name: string;
  roles: Role[];
  addresses: AddressView[];
}

export interface ProfileInput {
  userId: string;
  email: string;
  name: string;
}
