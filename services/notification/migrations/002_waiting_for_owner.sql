-- Payment events that arrived before their order's event, when the order's owner (the user to notify) was not
-- known yet: kept here by the transaction that records them in the inbox, and turned into e-mails by the
-- transaction of the order's event, however late it comes (a retry would give up after minutes).
CREATE TABLE waiting_for_owner (
  event_id     text        PRIMARY KEY,
  tenant_id    uuid        NOT NULL,
  order_id     uuid        NOT NULL,
  event        jsonb       NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX waiting_for_owner_by_order ON waiting_for_owner (tenant_id, order_id);
