-- A customer (or an admin) asked to cancel the order: the saga stops before its pivot step and compensates.
ALTER TABLE checkout_sagas ADD COLUMN cancel_requested_at timestamptz;
