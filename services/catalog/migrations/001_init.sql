-- Products of each tenant's catalog. Deleting a product hides it (deleted_at) rather than erasing it, so that
-- its SKU can be reused while the row stays for audit.
CREATE TABLE products (
  tenant_id    uuid        NOT NULL,
  id           uuid        NOT NULL,
  sku          text        NOT NULL,
  name         text        NOT NULL,
  description  text,
  category     text,
  price_cents  bigint      NOT NULL CHECK (price_cents >= 0),
  currency     text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  deleted_at   timestamptz,
  PRIMARY KEY (tenant_id, id)
);
-- A SKU names one live product per tenant, whatever its letter case.
CREATE UNIQUE INDEX products_live_sku ON products (tenant_id, lower(sku)) WHERE deleted_at IS NULL;
-- Keyset pagination walks (name, id) of the live products.
CREATE INDEX products_live_by_name ON products (tenant_id, name, id) WHERE deleted_at IS NULL;

-- Optional Idempotency-Key of POST /api/v1/admin/products: the same key and body answer the same product.
CREATE TABLE product_idempotency_keys (
  tenant_id     uuid        NOT NULL,
  key           text        NOT NULL,
  request_hash  text        NOT NULL,
  product_id    uuid,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, key)
);
