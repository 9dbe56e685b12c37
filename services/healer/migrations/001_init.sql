-- The healer's audit log: one row per step of a remediation (an action, or the page after the last one), with
-- the alert that caused it, the safeguards' decision, what was done, the result and how long it took.

CREATE TABLE remediations (
  id               uuid        PRIMARY KEY,
  -- the alert's fingerprint and start: one incident per firing, however often Alertmanager repeats it
  incident         text        NOT NULL,
  alertname        text        NOT NULL,
  alert_labels     jsonb       NOT NULL,
  alert_starts_at  timestamptz NOT NULL,
  runbook          text        NOT NULL,
  step             integer     NOT NULL CHECK (step >= 0),
  action           text        NOT NULL,
  target           text        NOT NULL,
  decision         text        NOT NULL CHECK (decision IN
                     ('execute', 'approved', 'dry-run', 'cooldown', 'cap-reached', 'awaiting-approval', 'rejected',
                      'escalate')),
  status           text        NOT NULL CHECK (status IN
                     ('running', 'succeeded', 'failed', 'skipped', 'awaiting-approval', 'rejected', 'paged')),
  detail           text,
  verification     text        CHECK (verification IN ('resolved', 'recovered', 'timeout')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  duration_ms      integer,
  trace_id         text,
  UNIQUE (incident, step)
);

CREATE INDEX remediations_target_started ON remediations (target, started_at DESC);
CREATE INDEX remediations_created ON remediations (created_at DESC);
