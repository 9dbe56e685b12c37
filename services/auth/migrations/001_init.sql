-- Tenants, their users and credentials, refresh tokens, the signing keys published at /.well-known/jwks.json, and
-- an outbox of profiles still to be delivered to the user service.

CREATE TABLE tenants (
  id          uuid        PRIMARY KEY,
  slug        text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  name        text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  tenant_id      uuid        NOT NULL REFERENCES tenants (id),
  id             uuid        NOT NULL,
  -- stored normalized (trimmed, lower case): one account per address and tenant
  email          text        NOT NULL CHECK (email = lower(email)),
  name           text        NOT NULL,
  -- PHC string: $scrypt$ln=..,r=..,p=..$<salt>$<hash>; never a plain or unsalted hash
  password_hash  text        NOT NULL CHECK (password_hash LIKE '$scrypt$%'),
  roles          text[]      NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['customer', 'admin']),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, email)
);

-- Opaque refresh tokens "<id>.<secret>": only a SHA-256 of the secret is stored. Every refresh rotates the token
-- within its family; presenting a token that was already used revokes the whole family (reuse detection).
CREATE TABLE refresh_tokens (
  id          uuid        PRIMARY KEY,
  tenant_id   uuid        NOT NULL,
  user_id     uuid        NOT NULL,
  family_id   uuid        NOT NULL,
  secret_hash text        NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

-- ES256 signing keys, generated once and kept across restarts. The newest active key signs; every key that is
-- not retired is published in the JWKS so tokens signed before a rotation still verify.
CREATE TABLE signing_keys (
  kid          text        PRIMARY KEY,
  alg          text        NOT NULL CHECK (alg = 'ES256'),
  private_jwk  jsonb       NOT NULL,
  public_jwk   jsonb       NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  retired_at   timestamptz
);

-- Profiles to create in the user service (POST /internal/profiles), written in the same transaction as the user.
CREATE TABLE profile_outbox (
  tenant_id        uuid        NOT NULL,
  user_id          uuid        NOT NULL,
  email            text        NOT NULL,
  name             text        NOT NULL,
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX profile_outbox_due ON profile_outbox (next_attempt_at) WHERE delivered_at IS NULL;
