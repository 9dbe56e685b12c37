-- The notification service's own tables. Events arrive through the inbox (kit table `inbox`); each becomes at
-- most one notification per user, rendered at once into `notifications`, which is also the delivery queue of
-- the (simulated) sender: PENDING until sent, retried with backoff, FAILED after the last attempt.

-- Who owns an order: learnt from the order events, so the payment events (which name the order, not the user)
-- reach the order's owner.
CREATE TABLE order_owners (
  tenant_id   uuid        NOT NULL,
  order_id    uuid        NOT NULL,
  user_id     text        NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, order_id)
);

-- Where a user's e-mail goes: learnt from user.registered.
CREATE TABLE recipients (
  tenant_id   uuid        NOT NULL,
  user_id     text        NOT NULL,
  email       text        NOT NULL,
  name        text        NOT NULL,
  PRIMARY KEY (tenant_id, user_id)
);

CREATE TABLE notifications (
  id               uuid        PRIMARY KEY,
  tenant_id        uuid        NOT NULL,
  user_id          text        NOT NULL,
  -- the event it announces: one notification per event per user
  event_id         text        NOT NULL,
  event_type       text        NOT NULL,
  subject_id       text,
  channel          text        NOT NULL DEFAULT 'email' CHECK (channel IN ('email')),
  recipient        text        NOT NULL,
  subject          text        NOT NULL,
  body             text        NOT NULL,
  status           text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  sent_at          timestamptz,
  UNIQUE (tenant_id, user_id, event_id)
);
-- a user's notifications, newest first (keyset pages)
CREATE INDEX notifications_by_user ON notifications (tenant_id, user_id, created_at DESC, id DESC);
-- the sender's queue
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'PENDING';
