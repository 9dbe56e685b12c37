-- Profiles of new users now travel as `user.registered` events through the kit's outbox (created by the kit
-- before this file runs) and the bus, instead of auth's own profile_outbox and an HTTP call. Profiles still
-- undelivered become events, so the move loses none; then the old table goes.
INSERT INTO outbox (id, type, event)
SELECT p.event_id, 'user.registered', jsonb_build_object(
         'specversion', '1.0',
         'id', p.event_id::text,
         'source', '/glassbox/auth',
         'type', 'user.registered',
         'time', to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
         'datacontenttype', 'application/json',
         'subject', p.user_id::text,
         'data', jsonb_build_object('tenantId', p.tenant_id::text, 'userId', p.user_id::text,
                                    'email', p.email, 'name', p.name))
  FROM (SELECT gen_random_uuid() AS event_id, * FROM profile_outbox WHERE delivered_at IS NULL ORDER BY created_at) p;

DROP TABLE profile_outbox;
