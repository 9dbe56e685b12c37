/**
 * SQL of checkout sagas: leases (claim, renew, release) and the persistence of progress. A save changes the
 * saga row and, in the same transaction, the order it belongs to (its prices, its final status), and only
 * while the saving worker still holds the lease — so two workers can never both advance one saga.
 */
import type { Db } from '@glassbox/kit';
import { type CheckoutInput, type CheckoutResults, finalOrderStatus } from '../domain/checkout.js';
import { allowedFrom, type OrderStatus } from '../domain/order-status.js';
import type { SagaEvent, SagaFailure, SagaState, SagaStatus } from '../domain/saga.js';

export interface LoadedSaga {
  orderId: string;
  tenantId: string;
  state: SagaState<CheckoutResults>;
  input: CheckoutInput;
  startedAt: Date;
  traceparent: string | null;
  requestId: string | null;
  cancelRequested: boolean;
}

/** What a save learns: whether the worker still holds the saga, and whether a cancellation was asked for. */
export interface SaveResult {
  held: boolean;
  cancelRequested: boolean;
}

interface SagaRow {
  order_id: string;
  tenant_id: string;
  status: SagaStatus;
  position: number;
  results: Partial<CheckoutResults>;
  failure: SagaFailure | null;
  attempts: number;
  payment_token: string | null;
  started_at: Date;
  traceparent: string | null;
  request_id: string | null;
  cancel_requested_at: Date | null;
}

const secs = (param: number) => `make_interval(secs => $${param}::double precision / 1000)`;

export function createSagaRepo(db: Db) {
  return {
    /** How many sagas are unfinished and how old the oldest is (the saga-backlog alerts watch this). */
    async backlog(): Promise<{ oldestAgeSeconds: number; count: number }> {
      const rows = await db.query<{ count: number; age: number }>(
        `SELECT count(*)::int AS count,
                coalesce(extract(epoch FROM clock_timestamp() - min(started_at)), 0)::float8 AS age
         FROM checkout_sagas WHERE status IN ('RUNNING', 'COMPENSATING')`,
      );
      return { oldestAgeSeconds: rows[0]?.age ?? 0, count: rows[0]?.count ?? 0 };
    },
    /** Leases up to `limit` unfinished sagas that are due and whose lease is free or expired. */
    async claimDue(
      workerId: string,
      leaseMs: number,
      limit: number,
    ): Promise<{ orderId: string; tenantId: string }[]> {
      const rows = await db.query<{ order_id: string; tenant_id: string }>(
        `WITH due AS (
           SELECT order_id FROM checkout_sagas
           WHERE status IN ('RUNNING', 'COMPENSATING') AND next_attempt_at <= now()
             AND (lease_until IS NULL OR lease_until < now())
           ORDER BY next_attempt_at
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
         UPDATE checkout_sagas s SET lease_owner = $1, lease_until = now() + ${secs(2)}, updated_at = now()
         FROM due WHERE s.order_id = due.order_id
         RETURNING s.order_id, s.tenant_id`,
        [workerId, leaseMs, limit],
      );
      return rows.map((r) => ({ orderId: r.order_id, tenantId: r.tenant_id }));
    },

    /** The saga and its input, if `workerId` holds its lease. */
    async load(tenantId: string, orderId: string, workerId: string): Promise<LoadedSaga | undefined> {
      const [row] = await db.query<SagaRow>(
        'SELECT * FROM checkout_sagas WHERE tenant_id = $1 AND order_id = $2 AND lease_owner = $3',
        [tenantId, orderId, workerId],
      );
      if (!row) return undefined;
      const items = await db.query<{ product_id: string; quantity: number }>(
        'SELECT product_id, quantity FROM order_items WHERE tenant_id = $1 AND order_id = $2 ORDER BY line_no',
        [tenantId, orderId],
      );
      return {
        orderId,
        tenantId,
        state: {
          status: row.status,
          position: row.position,
          results: row.results,
          failure: row.failure,
          attempts: row.attempts,
        },
        input: {
          orderId,
          tenantId,
          items: items.map((i) => ({ productId: i.product_id, quantity: i.quantity })),
          paymentToken: row.payment_token,
        },
        startedAt: row.started_at,
        traceparent: row.traceparent,
        requestId: row.request_id,
        cancelRequested: row.cancel_requested_at !== null,
      };
    },

    async renewLease(tenantId: string, orderId: string, workerId: string, leaseMs: number): Promise<boolean> {
      const rows = await db.query(
        `UPDATE checkout_sagas SET lease_until = now() + ${secs(4)}
         WHERE tenant_id = $1 AND order_id = $2 AND lease_owner = $3 RETURNING order_id`,
        [tenantId, orderId, workerId, leaseMs],
      );
      return rows.length === 1;
    },

    /**
     * Asks an unfinished saga to stop (it does so before its pivot step) and makes it due now. False when the
     * saga has already finished.
     */
    async requestCancel(tenantId: string, orderId: string): Promise<boolean> {
      const rows = await db.query(
        `UPDATE checkout_sagas SET cancel_requested_at = COALESCE(cancel_requested_at, now()),
           next_attempt_at = LEAST(next_attempt_at, now()), updated_at = now()
         WHERE tenant_id = $1 AND order_id = $2 AND status IN ('RUNNING', 'COMPENSATING')
         RETURNING order_id`,
        [tenantId, orderId],
      );
      return rows.length === 1;
    },

    /** Leases one unfinished saga now, whether due or not, if nobody holds it. */
    async claimOne(tenantId: string, orderId: string, workerId: string, leaseMs: number): Promise<boolean> {
      const rows = await db.query(
        `UPDATE checkout_sagas SET lease_owner = $3, lease_until = now() + ${secs(4)}, updated_at = now()
         WHERE tenant_id = $1 AND order_id = $2 AND status IN ('RUNNING', 'COMPENSATING')
           AND (lease_until IS NULL OR lease_until < now())
         RETURNING order_id`,
        [tenantId, orderId, workerId, leaseMs],
      );
      return rows.length === 1;
    },

    /** Gives the saga back at once (shutdown), so the next worker need not wait for the lease to expire. */
    async releaseLease(tenantId: string, orderId: string, workerId: string): Promise<void> {
      await db.query(
        `UPDATE checkout_sagas SET lease_owner = NULL, lease_until = NULL, next_attempt_at = now(), updated_at = now()
         WHERE tenant_id = $1 AND order_id = $2 AND lease_owner = $3`,
        [tenantId, orderId, workerId],
      );
    },

    /**
     * Persists the saga's new state with the order changes it implies, if `workerId` still holds the lease.
     * A retry gives the lease up and sets when the saga is due again; the card token is erased once it is no
     * longer needed.
     */
    save(
      tenantId: string,
      orderId: string,
      workerId: string,
      state: SagaState<CheckoutResults>,
      event: SagaEvent,
    ): Promise<SaveResult> {
      return db.tx(async (q) => {
        const retryMs = event.type === 'retry-scheduled' ? event.delayMs : null;
        const final = state.status === 'COMPLETED' || state.status === 'FAILED';
        const keepToken = state.status === 'RUNNING' && state.results.authorize === undefined;
        const updated = await q.query(
          `UPDATE checkout_sagas SET
             status = $4, position = $5, results = $6::jsonb, failure = $7::jsonb, attempts = $8,
             payment_token = CASE WHEN $9::boolean THEN payment_token END,
             next_attempt_at = CASE WHEN $10::double precision IS NULL THEN next_attempt_at
                                    ELSE now() + make_interval(secs => $10::double precision / 1000) END,
             lease_owner = CASE WHEN $10::double precision IS NULL AND NOT $11::boolean THEN lease_owner END,
             lease_until = CASE WHEN $10::double precision IS NULL AND NOT $11::boolean THEN lease_until END,
             finished_at = CASE WHEN $11::boolean THEN now() END,
             updated_at = now()
           WHERE tenant_id = $1 AND order_id = $2 AND lease_owner = $3
           RETURNING cancel_requested_at IS NOT NULL AS cancel_requested`,
          [
            tenantId,
            orderId,
            workerId,
            state.status,
            state.position,
            JSON.stringify(state.results),
            state.failure ? JSON.stringify(state.failure) : null,
            state.attempts,
            keepToken,
            retryMs,
            final,
          ],
        );
        const [saved] = updated as { cancel_requested: boolean }[];
        if (!saved) return { held: false, cancelRequested: false };

        if (event.type === 'step-completed' && event.step === 'price' && state.results.price) {
          const { lines, totalCents, currency } = state.results.price;
          await q.query(
            `UPDATE order_items i SET sku = l.sku, name = l.name, unit_price_cents = l.unit, line_total_cents = l.total
             FROM unnest($3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS l(n, sku, name, unit, total)
             WHERE i.tenant_id = $1 AND i.order_id = $2 AND i.line_no = l.n`,
            [
              tenantId,
              orderId,
              lines.map((_, i) => i + 1),
              lines.map((l) => l.sku),
              lines.map((l) => l.name),
              lines.map((l) => l.unitPriceCents),
              lines.map((l) => l.lineTotalCents),
            ],
          );
          await q.query(
            `UPDATE orders SET currency = $3, total_cents = $4, updated_at = clock_timestamp()
             WHERE tenant_id = $1 AND id = $2`,
            [tenantId, orderId, currency, totalCents],
          );
        }
        if (event.type === 'completed') await moveOrder(q, tenantId, orderId, finalOrderStatus(null), null);
        if (event.type === 'failed') {
          await moveOrder(q, tenantId, orderId, finalOrderStatus(event.failure), event.failure);
        }
        return { held: true, cancelRequested: saved.cancel_requested };
      });
    },
  };
}

async function moveOrder(
  q: { query: Db['query'] },
  tenantId: string,
  orderId: string,
  to: OrderStatus,
  failure: SagaFailure | null,
): Promise<void> {
  const rows = await q.query(
    `UPDATE orders SET status = $3, failure_reason = $4, failure_detail = $5, failure_data = $6::jsonb,
       updated_at = clock_timestamp()
     WHERE tenant_id = $1 AND id = $2 AND status = ANY($7::text[]) RETURNING id`,
    [
      tenantId,
      orderId,
      to,
      failure?.reason ?? null,
      failure?.detail ?? null,
      failure?.data ? JSON.stringify(failure.data) : null,
      allowedFrom(to),
    ],
  );
  if (rows.length !== 1) throw new Error(`order ${orderId} cannot move to ${to}`);
}

export type SagaRepo = ReturnType<typeof createSagaRepo>;
