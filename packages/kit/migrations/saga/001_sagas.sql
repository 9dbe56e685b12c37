-- The persisted progress of every saga a service orchestrates (see src/saga/). One row per saga instance,
-- keyed by its type ('checkout', …) and an id the owning service chooses (the order id, …).
CREATE TABLE sagas (
  type             text NOT NULL,
  id               uuid NOT NULL,
  tenant_id        uuid NOT NULL,
  status           text NOT NULL CHECK (status IN ('RUNNING', 'COMPENSATING', 'COMPLETED', 'FAILED')),
  -- RUNNING: index of the next step to invoke; COMPENSATING: of the next step to undo.
  position         integer NOT NULL DEFAULT 0,
  -- What the steps need (secrets such as a card token are erased as soon as no step needs them).
  input            jsonb NOT NULL,
  -- What each completed step returned, by step name: what its compensation needs.
  results          jsonb NOT NULL DEFAULT '{}',
  failure          jsonb,
  -- Consecutive transient failures at the current position, and when the saga is due again.
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  -- Who runs the saga, until when: a worker writes only while it holds the lease (the fence); an expired lease is
  -- taken over by the recovery loop (FOR UPDATE SKIP LOCKED), so two workers never advance one saga.
  lease_owner      text,
  lease_until      timestamptz,
  -- Where the saga began: the W3C traceparent and request id of the request, for correlation on resume.
  traceparent      text,
  request_id       text,
  -- Asked to stop: it does so before its pivot step and compensates.
  cancel_requested_at timestamptz,
  started_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (type, id),
  CHECK ((status IN ('COMPLETED', 'FAILED')) = (finished_at IS NOT NULL))
);
CREATE INDEX sagas_due ON sagas (type, next_attempt_at) WHERE status IN ('RUNNING', 'COMPENSATING');
