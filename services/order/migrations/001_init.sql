-- Orders and their checkout sagas. Every row carries its tenant.
CREATE TABLE orders (
  id               uuid PRIMARY KEY,
  tenant_id        uuid NOT NULL,
  user_id          text NOT NULL,
  status           text NOT NULL DEFAULT 'PENDING'
                     CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'FAILED')),
  currency         char(3),
  total_cents      bigint CHECK (total_cents >= 0),
  failure_reason   text,
  failure_detail   text,
  failure_data     jsonb,
  -- Idempotency-Key of the POST that created the order, and a hash of its body (same key + other body → 422).
  idempotency_key  text NOT NULL,
  request_hash     text NOT NULL,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  UNIQUE (tenant_id, user_id, idempotency_key)
);
CREATE UNIQUE INDEX orders_tenant_id ON orders (tenant_id, id);
CREATE INDEX orders_tenant_created ON orders (tenant_id, created_at DESC, id DESC);
CREATE INDEX orders_tenant_user_created ON orders (tenant_id, user_id, created_at DESC, id DESC);

-- The lifecycle table of src/domain/order-status.ts, enforced where the data lives: an illegal transition
-- cannot be written, whoever writes it.
CREATE FUNCTION orders_check_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NOT (OLD.status = 'PENDING' AND NEW.status IN ('CONFIRMED', 'FAILED', 'CANCELLED')) THEN
    RAISE EXCEPTION 'illegal order transition % -> %', OLD.status, NEW.status USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER orders_transition BEFORE UPDATE OF status ON orders
  FOR EACH ROW EXECUTE FUNCTION orders_check_transition();

CREATE TABLE order_items (
  tenant_id        uuid NOT NULL,
  order_id         uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  line_no          integer NOT NULL,
  product_id       uuid NOT NULL,
  quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
  -- Filled in when the saga has priced the order.
  sku              text,
  name             text,
  unit_price_cents bigint CHECK (unit_price_cents >= 0),
  line_total_cents bigint CHECK (line_total_cents >= 0),
  PRIMARY KEY (order_id, line_no)
);

-- The persisted progress of each order's checkout saga (see src/domain/saga.ts).
CREATE TABLE checkout_sagas (
  order_id         uuid PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
  tenant_id        uuid NOT NULL,
  status           text NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED')),
  -- RUNNING: index of the next step to invoke; COMPENSATING: of the next step to undo.
  position         integer NOT NULL DEFAULT 0,
  results          jsonb NOT NULL DEFAULT '{}',
  failure          jsonb,
  -- The card token, needed until the payment is authorized and erased right after.
  payment_token    text,
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- Who runs the saga, until when: a worker only writes while it holds the lease; an expired lease is taken
  -- over by the recovery loop (FOR UPDATE SKIP LOCKED), so two workers never run one saga.
  lease_owner      text,
  lease_until      timestamptz,
  -- Where the saga began: the trace (W3C traceparent) and request id of the POST, for correlation on resume.
  traceparent      text,
  request_id       text,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK ((status IN ('COMPLETED', 'FAILED')) = (finished_at IS NOT NULL))
);
CREATE INDEX checkout_sagas_due ON checkout_sagas (next_attempt_at) WHERE status IN ('RUNNING', 'COMPENSATING');
