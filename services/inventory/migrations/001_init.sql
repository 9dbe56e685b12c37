-- Stock per (tenant, product) and reservations with expiry. Invariant, enforced by the database itself:
-- 0 <= reserved <= on_hand, so "available" (on_hand - reserved) can never go negative.
CREATE TABLE stock (
  tenant_id   uuid        NOT NULL,
  product_id  uuid        NOT NULL,
  on_hand     integer     NOT NULL CHECK (on_hand >= 0),
  reserved    integer     NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, product_id),
  CONSTRAINT stock_reserved_within_on_hand CHECK (reserved <= on_hand)
);

-- One row per reservation; the id is chosen by the caller (the order saga derives it from the order id), which
-- makes POST /internal/reservations idempotent.
CREATE TABLE reservations (
  tenant_id   uuid        NOT NULL,
  id          text        NOT NULL,
  order_id    text        NOT NULL,
  status      text        NOT NULL CHECK (status IN ('RESERVED', 'COMMITTED', 'RELEASED', 'EXPIRED')),
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);
-- The expiry sweeper looks only at live reservations, oldest deadline first.
CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'RESERVED';
CREATE INDEX reservations_by_order ON reservations (tenant_id, order_id);

CREATE TABLE reservation_items (
  tenant_id       uuid    NOT NULL,
  reservation_id  text    NOT NULL,
  product_id      uuid    NOT NULL,
  quantity        integer NOT NULL CHECK (quantity > 0),
  PRIMARY KEY (tenant_id, reservation_id, product_id),
  FOREIGN KEY (tenant_id, reservation_id) REFERENCES reservations (tenant_id, id) ON DELETE CASCADE
);
