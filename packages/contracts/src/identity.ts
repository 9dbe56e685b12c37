/**
 * The auth and user services' APIs (owned by the auth/user/gateway engineer), public paths as the gateway
 * exposes them.
 *
 * POST /api/v1/auth/register  RegisterRequest → 201 RegisterResponse (an unknown tenant slug creates the tenant
 *                             and makes this user its admin; later users are customers; an email the tenant
 *                             already has, case-insensitively, is answered as a login: 200 RegisterResponse for
 *                             its password, else 401)
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
 *
 * The schemas below are what the routes validate requests with and serialize answers by (and what the tests
 * check real answers against); the types are derived from them.
 */
import { type Static, Type } from 'typebox';

const Uuid = Type.String({ format: 'uuid' });
const Email = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
const Tenant = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$',
  description: 'Tenant slug; an unknown slug creates the tenant on registration',
});
/** A required text: 1..maxLength characters, not only white space. */
const Text = (maxLength: number) => Type.String({ minLength: 1, maxLength, pattern: '\\S' });
const OptionalText = (maxLength: number) => Type.Optional(Type.String({ maxLength }));
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);

export const Role = Type.Union([Type.Literal('customer'), Type.Literal('admin')]);
export type Role = Static<typeof Role>;

export const RegisterRequest = Type.Object(
  {
    tenant: Tenant,
    email: Email,
    password: Type.String({ minLength: 8, maxLength: 1024 }),
    name: Text(200),
  },
  { additionalProperties: false },
);
export type RegisterRequest = Static<typeof RegisterRequest>;

/** `email` is normalized (trimmed, lower case). */
export const RegisterResponse = Type.Object({
  userId: Uuid,
  tenantId: Uuid,
  email: Type.String(),
});
export type RegisterResponse = Static<typeof RegisterResponse>;

export const LoginRequest = Type.Object(
  { tenant: Tenant, email: Email, password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const RefreshRequest = Type.Object(
  { refreshToken: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);
export type RefreshRequest = Static<typeof RefreshRequest>;

/**
 * `accessToken`: ES256 JWT (iss "glassbox-auth", aud "glassbox", sub (user id), tid (tenant id), email, roles,
 * typ "access"). `refreshToken`: opaque, single use (each refresh returns a new one).
 */
export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
  tokenType: Type.Literal('Bearer'),
});
export type TokenPair = Static<typeof TokenPair>;

export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.Literal('EC'),
      crv: Type.Literal('P-256'),
      x: Type.String(),
      y: Type.String(),
      kid: Type.String(),
      alg: Type.Literal('ES256'),
      use: Type.Literal('sig'),
    }),
  ),
});
export type Jwks = Static<typeof Jwks>;

/** The first address is the default whatever `isDefault` says. */
export const AddressInput = Type.Object(
  {
    label: OptionalText(50),
    line1: Text(200),
    line2: OptionalText(200),
    city: Text(100),
    region: OptionalText(100),
    postalCode: Text(20),
    country: Type.String({ pattern: '^[A-Za-z]{2}$', description: 'ISO 3166-1 alpha-2 code' }),
    isDefault: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AddressInput = Static<typeof AddressInput>;

export const AddressView = Type.Object({
  id: Uuid,
  label: Nullable(Type.String()),
  line1: Type.String(),
  line2: Nullable(Type.String()),
  city: Type.String(),
  region: Nullable(Type.String()),
  postalCode: Type.String(),
  country: Type.String(),
  isDefault: Type.Boolean(),
  createdAt: Type.String({ format: 'date-time' }),
});
export type AddressView = Static<typeof AddressView>;

export const AddressList = Type.Object({ items: Type.Array(AddressView) });
export type AddressList = Static<typeof AddressList>;

export const AddressIdParams = Type.Object({ id: Uuid });

export const MeView = Type.Object({
  id: Uuid,
  tenantId: Uuid,
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Role),
  addresses: Type.Array(AddressView),
});
export type MeView = Static<typeof MeView>;

export const MePatch = Type.Object({ name: Text(200) }, { additionalProperties: false });
export type MePatch = Static<typeof MePatch>;

/** What auth hands the user service for a new user (`POST /internal/profiles`). */
export const ProfileInput = Type.Object(
  {
    userId: Uuid,
    email: Type.String({ format: 'email', maxLength: 254 }),
    name: Text(200),
  },
  { additionalProperties: false },
);
export type ProfileInput = Static<typeof ProfileInput>;
