-- rollback-release acts only on a service that runs a release marked bad: on any other it does nothing, and its
-- step is recorded as not applicable (status skipped) — neither an execution the cooldown and the cap count, nor
-- a failure.
ALTER TABLE remediations DROP CONSTRAINT remediations_decision_check;
ALTER TABLE remediations ADD CONSTRAINT remediations_decision_check CHECK (decision IN
  ('execute', 'approved', 'dry-run', 'cooldown', 'cap-reached', 'awaiting-approval', 'rejected', 'escalate',
   'not-applicable'));
