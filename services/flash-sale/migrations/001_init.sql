-- Flash sales and their purchases. A sale's quantity is held by one inventory reservation (reservation_id)
-- from its creation until it ends; purchases draw on that hold, never on the catalog's stock again.
CREATE TABLE flash_sales (
  tenant_id       uuid        NOT NULL,
  id              uuid        NOT NULL PRIMARY KEY,
  product_id      uuid        NOT NULL,
  quantity        integer     NOT NULL CHECK (quantity > 0),
  price_cents     bigint      NOT NULL CHECK (price_cents >= 0),
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  per_user_limit  integer     NOT NULL CHECK (per_user_limit > 0),
  reservation_id  text        NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT flash_sales_ends_after_start CHECK (ends_at > starts_at)
);

-- One row per accepted purchase. (sale_id, user_id, idempotency_key) makes a repeated attempt the same purchase.
-- Units sold = the quantity of the purchases not RELEASED; admission never lets it exceed the sale's quantity.
CREATE TABLE flash_purchases (
  tenant_id        uuid        NOT NULL,
  id               uuid        NOT NULL PRIMARY KEY,
  sale_id          uuid        NOT NULL REFERENCES flash_sales (id),
  user_id          text        NOT NULL,
  idempotency_key  text        NOT NULL,
  quantity         integer     NOT NULL CHECK (quantity > 0),
  payment          jsonb       NOT NULL,
  status           text        NOT NULL
                               CHECK (status IN ('ACCEPTED', 'ORDERED', 'CONFIRMED', 'FAILED', 'RELEASED')),
  order_id         uuid,
  accepted_at      timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT flash_purchases_once UNIQUE (sale_id, user_id, idempotency_key)
);
CREATE INDEX flash_purchases_by_sale ON flash_purchases (sale_id, status);
