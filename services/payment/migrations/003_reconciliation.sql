-- What the order service decided about each order, from its events (order.confirmed / order.failed /
-- order.cancelled), so the reconciliation compares payments with orders without reading the order database.
CREATE TABLE order_outcomes (
  tenant_id    uuid NOT NULL,
  order_id     uuid NOT NULL,
  status       text NOT NULL CHECK (status IN ('CONFIRMED', 'FAILED', 'CANCELLED')),
  -- The confirmed total (null unless CONFIRMED).
  total_cents  bigint CHECK (total_cents >= 0),
  currency     char(3),
  decided_at   timestamptz NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);

-- Since when order outcomes are heard: payments made before cannot be matched with an outcome that was never
-- recorded, so the reconciliation leaves them alone (an upgraded installation does not report its whole past).
CREATE TABLE reconciliation_since (
  one    boolean PRIMARY KEY DEFAULT true CHECK (one),
  since  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO reconciliation_since DEFAULT VALUES;

-- One row per reconciliation run and tenant with mismatches: what was found, as found. Kept a week.
CREATE TABLE reconciliation_reports (
  id           uuid PRIMARY KEY,
  tenant_id    uuid NOT NULL,
  ran_at       timestamptz NOT NULL,
  counts       jsonb NOT NULL,
  mismatches   jsonb NOT NULL
);
CREATE INDEX reconciliation_reports_tenant ON reconciliation_reports (tenant_id, ran_at DESC);
CREATE INDEX reconciliation_reports_ran_at ON reconciliation_reports (ran_at);
