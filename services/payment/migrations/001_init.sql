-- Payments against the simulated provider. One payment per (tenant, order): the order id is the idempotency key.
-- The card token is never stored: only its kind and last 4 characters.
CREATE TABLE payments (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL,
  order_id        uuid NOT NULL,
  status          text NOT NULL CHECK (status IN
                    ('PROCESSING', 'AUTHORIZED', 'DECLINED', 'VOIDED', 'CAPTURED', 'PARTIALLY_REFUNDED', 'REFUNDED')),
  amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
  currency        char(3) NOT NULL,
  captured_cents  bigint NOT NULL DEFAULT 0 CHECK (captured_cents >= 0),
  refunded_cents  bigint NOT NULL DEFAULT 0 CHECK (refunded_cents >= 0 AND refunded_cents <= captured_cents),
  card_kind       text NOT NULL,
  card_last4      text NOT NULL,
  decline_reason  text,
  -- Who is talking to the provider right now: bumped when a stale PROCESSING attempt is taken over.
  attempt         integer NOT NULL DEFAULT 1,
  processing_since timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (tenant_id, order_id)
);
CREATE UNIQUE INDEX payments_tenant_id ON payments (tenant_id, id);

CREATE TABLE refunds (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL,
  payment_id      uuid NOT NULL REFERENCES payments (id),
  amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
  idempotency_key text,
  source          text NOT NULL CHECK (source IN ('admin', 'provider')),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (tenant_id, payment_id, created_at);
CREATE UNIQUE INDEX refunds_idempotency ON refunds (tenant_id, payment_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- Provider callbacks already applied, by the provider's event id (a redelivery is recognised and skipped).
CREATE TABLE provider_events (
  event_id        text PRIMARY KEY,
  tenant_id       uuid NOT NULL,
  payment_id      uuid NOT NULL,
  type            text NOT NULL,
  outcome         text NOT NULL,
  received_at     timestamptz NOT NULL DEFAULT now()
);
