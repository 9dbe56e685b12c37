-- Checkout sagas move to the kit's generic `sagas` table (created by the kit's saga migrations, applied before
-- these): their input — the items and, until it is authorized, the card token — travels with them. Sagas in
-- flight carry on where they were.
INSERT INTO sagas (type, id, tenant_id, status, position, input, results, failure, attempts, next_attempt_at,
                   lease_owner, lease_until, traceparent, request_id, cancel_requested_at, started_at, finished_at,
                   updated_at)
SELECT 'checkout', s.order_id, s.tenant_id, s.status, s.position,
       jsonb_build_object(
         'orderId', s.order_id, 'tenantId', s.tenant_id, 'paymentToken', s.payment_token,
         'items', (SELECT coalesce(jsonb_agg(jsonb_build_object('productId', i.product_id, 'quantity', i.quantity)
                                             ORDER BY i.line_no), '[]'::jsonb)
                   FROM order_items i WHERE i.order_id = s.order_id)),
       s.results, s.failure, s.attempts, s.next_attempt_at, s.lease_owner, s.lease_until, s.traceparent,
       s.request_id, s.cancel_requested_at, s.started_at, s.finished_at, s.updated_at
FROM checkout_sagas s;
DROP TABLE checkout_sagas;
