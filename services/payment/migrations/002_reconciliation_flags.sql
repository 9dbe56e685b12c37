-- Provider events that changed a payment behind its order's back: a refund or a void the order service did not
-- ask for leaves the order CONFIRMED (or about to be) with money that is no longer there. Each such event is
-- flagged here, in the transaction that applies it, until a reconciliation resolves it (resolved_at).
CREATE TABLE reconciliation_flags (
  id              uuid PRIMARY KEY,
  tenant_id       uuid NOT NULL,
  payment_id      uuid NOT NULL REFERENCES payments (id),
  order_id        uuid NOT NULL,
  event_id        text NOT NULL UNIQUE,
  reason          text NOT NULL CHECK (reason IN ('PROVIDER_REFUND', 'PROVIDER_VOID')),
  amount_cents    bigint CHECK (amount_cents > 0),
  -- The payment's status right after the event.
  payment_status  text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz
);
CREATE INDEX reconciliation_flags_open ON reconciliation_flags (tenant_id, created_at DESC, id DESC)
  WHERE resolved_at IS NULL;
