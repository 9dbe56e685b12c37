import type { Db, Queryable } from '@glassbox/kit';
import type { PaymentInput, SaleTerms } from '../domain/admission.js';

export type PurchaseStatus = 'ACCEPTED' | 'ORDERED' | 'CONFIRMED' | 'FAILED' | 'RELEASED';

export interface PurchaseRow {
  id: string;
  tenantId: string;
  saleId: string;
  userId: string;
  idempotencyKey: string;
  quantity: number;
  payment: PaymentInput;
  status: PurchaseStatus;
  orderId: string | null;
  acceptedAt: Date;
}

/** A purchase about to be written: always ACCEPTED; `trace` is the W3C context of the request that made it. */
export type NewPurchase = Omit<PurchaseRow, 'status' | 'orderId'> & {
  trace?: { traceparent?: string; tracestate?: string };
};

interface DbPurchase {
  id: string;
  tenant_id: string;
  sale_id: string;
  user_id: string;
  idempotency_key: string;
  quantity: number;
  payment: PaymentInput;
  status: PurchaseStatus;
  order_id: string | null;
  accepted_at: Date;
}

const COLUMNS =
  'id, tenant_id, sale_id, user_id, idempotency_key, quantity, payment, status, order_id, accepted_at';

function toRow(r: DbPurchase): PurchaseRow {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    saleId: r.sale_id,
    userId: r.user_id,
    idempotencyKey: r.idempotency_key,
    quantity: r.quantity,
    payment: r.payment,
    status: r.status,
    orderId: r.order_id,
    acceptedAt: r.accepted_at,
  };
}

/** Purchases in PostgreSQL: the durable record both admission engines rebuild from. */
export class PurchaseStore {
  constructor(private readonly db: Db) {}

  /**
   * Writes many accepted purchases in one statement; a purchase already there (same id or key) is kept. The ids
   * actually written.
   */
  async insertMany(rows: readonly NewPurchase[], q: Queryable = this.db): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const written = await q.query<{ id: string }>(
      `INSERT INTO flash_purchases
         (id, tenant_id, sale_id, user_id, idempotency_key, quantity, payment, status, accepted_at)
       SELECT id, tenant_id, sale_id, user_id, key, quantity, payment, 'ACCEPTED', accepted_at
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::integer[], $7::jsonb[],
                   $8::timestamptz[])
         AS t(id, tenant_id, sale_id, user_id, key, quantity, payment, accepted_at)
       ON CONFLICT DO NOTHING
       RETURNING id`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.tenantId),
        rows.map((r) => r.saleId),
        rows.map((r) => r.userId),
        rows.map((r) => r.idempotencyKey),
        rows.map((r) => r.quantity),
        rows.map((r) => JSON.stringify(r.payment)),
        rows.map((r) => r.acceptedAt),
      ],
    );
    return new Set(written.map((r) => r.id));
  }

  async get(tenantId: string, saleId: string, id: string): Promise<PurchaseRow | undefined> {
    const [row] = await this.db.query<DbPurchase>(
      `SELECT ${COLUMNS} FROM flash_purchases WHERE tenant_id = $1 AND sale_id = $2 AND id = $3`,
      [tenantId, saleId, id],
    );
    return row ? toRow(row) : undefined;
  }

  /** Every purchase of a sale (admission state is rebuilt from them after a restart). */
  async ofSale(sale: SaleTerms): Promise<PurchaseRow[]> {
    const rows = await this.db.query<DbPurchase>(
      `SELECT ${COLUMNS} FROM flash_purchases WHERE tenant_id = $1 AND sale_id = $2`,
      [sale.tenantId, sale.id],
    );
    return rows.map(toRow);
  }

  /** Marks a purchase RELEASED unless it is already released or confirmed; the released row, if it was. */
  async markReleased(sale: SaleTerms, id: string): Promise<PurchaseRow | undefined> {
    const [row] = await this.db.query<DbPurchase>(
      `UPDATE flash_purchases SET status = 'RELEASED', updated_at = now()
       WHERE tenant_id = $1 AND sale_id = $2 AND id = $3 AND status IN ('ACCEPTED', 'ORDERED', 'FAILED')
       RETURNING ${COLUMNS}`,
      [sale.tenantId, sale.id, id],
    );
    return row ? toRow(row) : undefined;
  }

  /**
   * The oversell check from durable state: units held by purchases not released beyond their sale's quantity,
   * summed over the sales that ended less than a day ago (or have not ended).
   */
  async oversoldUnits(): Promise<number> {
    const [row] = await this.db.query<{ oversold: number }>(
      `SELECT coalesce(sum(greatest(0, p.held - s.quantity)), 0)::int AS oversold
         FROM (SELECT sale_id, sum(quantity) AS held FROM flash_purchases
                WHERE status <> 'RELEASED' GROUP BY sale_id) AS p
         JOIN flash_sales AS s ON s.id = p.sale_id
        WHERE s.ends_at > now() - interval '1 day'`,
    );
    return row?.oversold ?? 0;
  }

  /** Purchase counts and units by status. */
  async countsBySale(sale: SaleTerms): Promise<Record<PurchaseStatus, { purchases: number; units: number }>> {
    const rows = await this.db.query<{ status: PurchaseStatus; purchases: number; units: number }>(
      `SELECT status, count(*)::int AS purchases, coalesce(sum(quantity), 0)::int AS units
       FROM flash_purchases WHERE tenant_id = $1 AND sale_id = $2 GROUP BY status`,
      [sale.tenantId, sale.id],
    );
    const counts = {
      ACCEPTED: { purchases: 0, units: 0 },
      ORDERED: { purchases: 0, units: 0 },
      CONFIRMED: { purchases: 0, units: 0 },
      FAILED: { purchases: 0, units: 0 },
      RELEASED: { purchases: 0, units: 0 },
    };
    for (const r of rows) counts[r.status] = { purchases: r.purchases, units: r.units };
    return counts;
  }
}

/** Units held by purchases that are not released, in total and per user. */
export function heldUnits(rows: readonly PurchaseRow[]): { sold: number; perUser: Map<string, number> } {
  let sold = 0;
  const perUser = new Map<string, number>();
  for (const r of rows) {
    if (r.status === 'RELEASED') continue;
    sold += r.quantity;
    perUser.set(r.userId, (perUser.get(r.userId) ?? 0) + r.quantity);
  }
  return { sold, perUser };
}
