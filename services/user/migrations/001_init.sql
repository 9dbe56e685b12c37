-- Profiles (one per user of a tenant; the id is the auth service's user id) and their postal addresses.

CREATE TABLE profiles (
  tenant_id    uuid        NOT NULL,
  user_id      uuid        NOT NULL,
  email        text        NOT NULL,
  name         text        NOT NULL,
  -- where the name came from: the registration, a placeholder made from the token, or the user's own edit;
  -- a registration arriving late may replace a placeholder but never a name the user chose
  name_source  text        NOT NULL CHECK (name_source IN ('registration', 'token', 'user')),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE addresses (
  tenant_id    uuid        NOT NULL,
  id           uuid        NOT NULL,
  user_id      uuid        NOT NULL,
  label        text,
  line1        text        NOT NULL,
  line2        text,
  city         text        NOT NULL,
  region       text,
  postal_code  text        NOT NULL,
  country      text        NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
  is_default   boolean     NOT NULL DEFAULT false,
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES profiles (tenant_id, user_id) ON DELETE CASCADE
);
CREATE INDEX addresses_by_user ON addresses (tenant_id, user_id, created_at);
-- at most one default address per user
CREATE UNIQUE INDEX addresses_one_default ON addresses (tenant_id, user_id) WHERE is_default;
