/**
 * SQL of payments, refunds and provider events. Every statement names the tenant; changes of state are
 * made under a row lock (SELECT … FOR UPDATE) or as conditional UPDATEs, so concurrent calls cannot race.
 */
import type { PaymentStatus } from '@glassbox/contracts';
import type { Db, Queryable } from '@glassbox/kit';

export interface Payment {
  id: string;
  tenantId: string;
  orderId: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  capturedCents: number;
  refundedCents: number;
  cardKind: string;
  cardLast4: string;
  declineReason: string | null;
  attempt: number;
  processingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A provider event that changed a payment without its order knowing (see migrations/002). */
export interface ReconciliationFlag {
  id: string;
  paymentId: string;
  orderId: string;
  eventId: string;
  reason: 'PROVIDER_REFUND' | 'PROVIDER_VOID';
  amountCents: number | null;
  paymentStatus: PaymentStatus;
  createdAt: Date;
}

interface FlagRow {
  id: string;
  payment_id: string;
  order_id: string;
  event_id: string;
  reason: ReconciliationFlag['reason'];
  amount_cents: number | null;
  payment_status: PaymentStatus;
  created_at: Date;
}

const toFlag = (r: FlagRow): ReconciliationFlag => ({
  id: r.id,
  paymentId: r.payment_id,
  orderId: r.order_id,
  eventId: r.event_id,
  reason: r.reason,
  amountCents: r.amount_cents,
  paymentStatus: r.payment_status,
  createdAt: r.created_at,
});

export interface Refund {
  id: string;
  paymentId: string;
  amountCents: number;
  createdAt: Date;
}

interface PaymentRow {
  id: string;
  tenant_id: string;
  order_id: string;
  status: PaymentStatus;
  amount_cents: number;
  currency: string;
  captured_cents: number;
  refunded_cents: number;
  card_kind: string;
  card_last4: string;
  decline_reason: string | null;
  attempt: number;
  processing_since: Date | null;
  created_at: Date;
  updated_at: Date;
}

interface RefundRow {
  id: string;
  payment_id: string;
  amount_cents: number;
  created_at: Date;
}

const toPayment = (r: PaymentRow): Payment => ({
  id: r.id,
  tenantId: r.tenant_id,
  orderId: r.order_id,
  status: r.status,
  amountCents: r.amount_cents,
  currency: r.currency,
  capturedCents: r.captured_cents,
  refundedCents: r.refunded_cents,
  cardKind: r.card_kind,
  cardLast4: r.card_last4,
  declineReason: r.decline_reason,
  attempt: r.attempt,
  processingSince: r.processing_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const toRefund = (r: RefundRow): Refund => ({
  id: r.id,
  paymentId: r.payment_id,
  amountCents: r.amount_cents,
  createdAt: r.created_at,
});

export interface NewPayment {
  id: string;
  tenantId: string;
  orderId: string;
  amountCents: number;
  currency: string;
  cardKind: string;
  cardLast4: string;
}

export interface StatusChange {
  status: PaymentStatus;
  capturedCents?: number;
  refundedCents?: number;
}

export function createPaymentRepo(db: Db) {
  const one = async (q: Queryable, sql: string, values: unknown[]): Promise<Payment | undefined> => {
    const [row] = await q.query<PaymentRow>(sql, values);
    return row ? toPayment(row) : undefined;
  };

  return {
    /** Starts an authorization; undefined when this order already has a payment (the caller reads it). */
    insertProcessing(p: NewPayment): Promise<Payment | undefined> {
      return one(
        db,
        `INSERT INTO payments (id, tenant_id, order_id, status, amount_cents, currency, card_kind, card_last4,
           processing_since)
         VALUES ($1, $2, $3, 'PROCESSING', $4, $5, $6, $7, now())
         ON CONFLICT (tenant_id, order_id) DO NOTHING
         RETURNING *`,
        [p.id, p.tenantId, p.orderId, p.amountCents, p.currency, p.cardKind, p.cardLast4],
      );
    },

    findByOrder(tenantId: string, orderId: string): Promise<Payment | undefined> {
      return one(db, 'SELECT * FROM payments WHERE tenant_id = $1 AND order_id = $2', [tenantId, orderId]);
    },

    get(tenantId: string, id: string): Promise<Payment | undefined> {
      return one(db, 'SELECT * FROM payments WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    },

    /**
     * Takes over an authorization whose owner has been silent for `staleMs` (its process died mid-call):
     * bumps the attempt so the old owner's late answer can no longer be written.
     */
    takeOver(tenantId: string, id: string, attempt: number, staleMs: number): Promise<Payment | undefined> {
      return one(
        db,
        `UPDATE payments SET attempt = attempt + 1, processing_since = now(), updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING' AND attempt = $3
           AND processing_since < now() - make_interval(secs => $4::double precision / 1000)
         RETURNING *`,
        [tenantId, id, attempt, staleMs],
      );
    },

    /** Records the provider's answer, unless the payment was voided meanwhile or another attempt took over. */
    finishAuthorization(
      tenantId: string,
      id: string,
      attempt: number,
      status: 'AUTHORIZED' | 'DECLINED',
      declineReason: string | null,
    ): Promise<Payment | undefined> {
      return one(
        db,
        `UPDATE payments SET status = $4, decline_reason = $5, processing_since = NULL, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND status = 'PROCESSING' AND attempt = $3
         RETURNING *`,
        [tenantId, id, attempt, status, declineReason],
      );
    },

    listByOrder(tenantId: string, orderId: string): Promise<Payment[]> {
      return db
        .query<PaymentRow>(
          'SELECT * FROM payments WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at',
          [tenantId, orderId],
        )
        .then((rows) => rows.map(toPayment));
    },

    listRecent(tenantId: string, limit: number): Promise<Payment[]> {
      return db
        .query<PaymentRow>(
          'SELECT * FROM payments WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2',
          [tenantId, limit],
        )
        .then((rows) => rows.map(toPayment));
    },

    refundsOf(tenantId: string, paymentId: string): Promise<Refund[]> {
      return db
        .query<RefundRow>(
          'SELECT * FROM refunds WHERE tenant_id = $1 AND payment_id = $2 ORDER BY created_at, id',
          [tenantId, paymentId],
        )
        .then((rows) => rows.map(toRefund));
    },

    /** The tenant's unresolved reconciliation flags, newest first. */
    openFlags(tenantId: string, limit: number): Promise<ReconciliationFlag[]> {
      return db
        .query<FlagRow>(
          `SELECT * FROM reconciliation_flags WHERE tenant_id = $1 AND resolved_at IS NULL
           ORDER BY created_at DESC, id DESC LIMIT $2`,
          [tenantId, limit],
        )
        .then((rows) => rows.map(toFlag));
    },

    /**
     * Runs `fn` with the payment locked (FOR UPDATE) in a transaction; `fn` gets the helpers to change it.
     * Undefined when the tenant has no such payment.
     */
    withLocked<T>(
      tenantId: string,
      id: string,
      fn: (payment: Payment, tx: LockedPayment) => Promise<T>,
    ): Promise<T | undefined> {
      return db.tx(async (q) => {
        const payment = await one(q, 'SELECT * FROM payments WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [
          tenantId,
          id,
        ]);
        if (!payment) return undefined;
        return fn(payment, lockedHelpers(q, payment));
      });
    },
  };
}

export interface LockedPayment {
  /** The transaction itself, for writes of other modules that must commit with the change (the outbox). */
  readonly q: Queryable;
  update(change: StatusChange): Promise<Payment>;
  findRefundByKey(key: string): Promise<Refund | undefined>;
  insertRefund(r: {
    id: string;
    amountCents: number;
    idempotencyKey: string | null;
    source: 'admin' | 'provider';
  }): Promise<Refund>;
  /** Records a provider event id; false when it was seen before. */
  recordEvent(e: { eventId: string; type: string; outcome: string }): Promise<boolean>;
  /** Flags the payment for reconciliation with its order, once per provider event. */
  flagForReconciliation(f: {
    id: string;
    eventId: string;
    reason: ReconciliationFlag['reason'];
    amountCents: number | null;
    paymentStatus: PaymentStatus;
  }): Promise<void>;
}

function lockedHelpers(q: Queryable, payment: Payment): LockedPayment {
  return {
    q,
    async update(change) {
      const [row] = await q.query<PaymentRow>(
        `UPDATE payments SET status = $3,
           captured_cents = COALESCE($4, captured_cents), refunded_cents = COALESCE($5, refunded_cents),
           processing_since = CASE WHEN $3 = 'PROCESSING' THEN processing_since END, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 RETURNING *`,
        [
          payment.tenantId,
          payment.id,
          change.status,
          change.capturedCents ?? null,
          change.refundedCents ?? null,
        ],
      );
      if (!row) throw new Error(`payment ${payment.id} vanished under its lock`);
      return toPayment(row);
    },
    async findRefundByKey(key) {
      const [row] = await q.query<RefundRow>(
        'SELECT * FROM refunds WHERE tenant_id = $1 AND payment_id = $2 AND idempotency_key = $3',
        [payment.tenantId, payment.id, key],
      );
      return row ? toRefund(row) : undefined;
    },
    async insertRefund(r) {
      const [row] = await q.query<RefundRow>(
        `INSERT INTO refunds (id, tenant_id, payment_id, amount_cents, idempotency_key, source)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [r.id, payment.tenantId, payment.id, r.amountCents, r.idempotencyKey, r.source],
      );
      if (!row) throw new Error('refund insert returned nothing');
      return toRefund(row);
    },
    async recordEvent(e) {
      const rows = await q.query(
        `INSERT INTO provider_events (event_id, tenant_id, payment_id, type, outcome) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
        [e.eventId, payment.tenantId, payment.id, e.type, e.outcome],
      );
      return rows.length === 1;
    },
    async flagForReconciliation(f) {
      await q.query(
        `INSERT INTO reconciliation_flags (id, tenant_id, payment_id, order_id, event_id, reason, amount_cents,
           payment_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
        [
          f.id,
          payment.tenantId,
          payment.id,
          payment.orderId,
          f.eventId,
          f.reason,
          f.amountCents,
          f.paymentStatus,
        ],
      );
    },
  };
}

export type PaymentRepo = ReturnType<typeof createPaymentRepo>;
