/**
 * SQL of orders and their items. Every statement names the tenant. A new order and its items are written in one
 * transaction with the saga that will finish it (the caller adds the saga row in that transaction), so no order
 * exists without a saga. The checkout saga's progress is projected here: the prices when it has priced the
 * order, the final status when it ends — in the transaction of the saga's own save.
 */
import type { Db, Queryable } from '@glassbox/kit';
import type { SagaFailure } from '@glassbox/kit/saga/runner';
import type { OrderCursor } from '../domain/cursor.js';
import { allowedFrom, type OrderStatus } from '../domain/order-status.js';
import type { PricedOrder, RequestedItem } from '../domain/pricing.js';

export interface OrderItemRecord {
  productId: string;
  quantity: number;
  sku: string | null;
  name: string | null;
  unitPriceCents: number | null;
  lineTotalCents: number | null;
}

export interface OrderRecord {
  id: string;
  tenantId: string;
  userId: string;
  status: OrderStatus;
  currency: string | null;
  totalCents: number | null;
  failureReason: string | null;
  failureDetail: string | null;
  failureData: Record<string, unknown> | null;
  requestHash: string;
  createdAt: Date;
  updatedAt: Date;
  /** created_at as PostgreSQL renders it in UTC with microseconds (the pagination key). */
  createdKey: string;
  items: OrderItemRecord[];
}

interface OrderRow {
  id: string;
  tenant_id: string;
  user_id: string;
  status: OrderStatus;
  currency: string | null;
  total_cents: number | null;
  failure_reason: string | null;
  failure_detail: string | null;
  failure_data: Record<string, unknown> | null;
  request_hash: string;
  created_at: Date;
  updated_at: Date;
  created_key: string;
}

const ORDER_COLUMNS = `o.*, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

export interface NewOrder {
  id: string;
  tenantId: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
  items: RequestedItem[];
}

const ITEMS_JSON = `COALESCE((SELECT json_agg(json_build_object(
    'productId', i.product_id, 'quantity', i.quantity, 'sku', i.sku, 'name', i.name,
    'unitPriceCents', i.unit_price_cents, 'lineTotalCents', i.line_total_cents) ORDER BY i.line_no)
  FROM order_items i WHERE i.tenant_id = o.tenant_id AND i.order_id = o.id), '[]'::json) AS items`;

function toRecord(r: OrderRow & { items: OrderItemRecord[] }): OrderRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    userId: r.user_id,
    status: r.status,
    currency: r.currency,
    totalCents: r.total_cents,
    failureReason: r.failure_reason,
    failureDetail: r.failure_detail,
    failureData: r.failure_data,
    requestHash: r.request_hash,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdKey: r.created_key,
    items: r.items,
  };
}

export function createOrderRepo(db: Db) {
  // One statement per read: the order with its items.
  async function select(q: Queryable, where: string, values: unknown[], tail = ''): Promise<OrderRecord[]> {
    const rows = await q.query<OrderRow & { items: OrderItemRecord[] }>(
      `SELECT ${ORDER_COLUMNS}, ${ITEMS_JSON} FROM orders o WHERE ${where} ${tail}`,
      values,
    );
    return rows.map(toRecord);
  }

  async function byKey(q: Queryable, tenantId: string, userId: string, key: string) {
    return (
      await select(q, 'o.tenant_id = $1 AND o.user_id = $2 AND o.idempotency_key = $3', [
        tenantId,
        userId,
        key,
      ])
    )[0];
  }

  async function createIn(
    q: Queryable,
    o: NewOrder,
    alsoInTransaction: (q: Queryable) => Promise<void>,
  ): Promise<{ created: boolean; order: OrderRecord }> {
    const inserted = await q.query<OrderRow>(
      `WITH o AS (
         INSERT INTO orders (id, tenant_id, user_id, idempotency_key, request_hash) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (tenant_id, user_id, idempotency_key) DO NOTHING RETURNING *),
       i AS (
         INSERT INTO order_items (tenant_id, order_id, line_no, product_id, quantity)
         SELECT $2, $1, n, p, qty FROM unnest($6::uuid[], $7::int[]) WITH ORDINALITY AS t(p, qty, n)
         WHERE EXISTS (SELECT 1 FROM o))
       SELECT ${ORDER_COLUMNS} FROM o`,
      [
        o.id,
        o.tenantId,
        o.userId,
        o.idempotencyKey,
        o.requestHash,
        o.items.map((i) => i.productId),
        o.items.map((i) => i.quantity),
      ],
    );
    const [row] = inserted;
    if (!row) {
      const existing = await byKey(q, o.tenantId, o.userId, o.idempotencyKey);
      if (!existing) throw new Error('an order with this key exists but cannot be read');
      return { created: false, order: existing };
    }
    await alsoInTransaction(q);
    const items = o.items.map((i) => ({
      productId: i.productId,
      quantity: i.quantity,
      sku: null,
      name: null,
      unitPriceCents: null,
      lineTotalCents: null,
    }));
    return { created: true, order: toRecord({ ...row, items }) };
  }

  return {
    /**
     * Creates the order with its items and its saga (leased to the creating worker), or, when this user already
     * used the Idempotency-Key, answers the existing order.
     */
    create(
      o: NewOrder,
      alsoInTransaction: (q: Queryable) => Promise<void>,
    ): Promise<{ created: boolean; order: OrderRecord }> {
      return db.tx((q) => createIn(q, o, alsoInTransaction));
    },

    /** As `create`, in the caller's transaction (a flash purchase's order, in its inbox transaction). */
    createIn,

    /** The prices of a priced checkout, on the order and its lines (one statement). */
    async applyPricing(q: Queryable, tenantId: string, orderId: string, priced: PricedOrder): Promise<void> {
      const { lines, totalCents, currency } = priced;
      await q.query(
        `WITH lines AS (
           UPDATE order_items i SET sku = l.sku, name = l.name, unit_price_cents = l.unit, line_total_cents = l.total
           FROM unnest($3::int[], $4::text[], $5::text[], $6::bigint[], $7::bigint[]) AS l(n, sku, name, unit, total)
           WHERE i.tenant_id = $1 AND i.order_id = $2 AND i.line_no = l.n)
         UPDATE orders SET currency = $8, total_cents = $9, updated_at = clock_timestamp()
         WHERE tenant_id = $1 AND id = $2`,
        [
          tenantId,
          orderId,
          lines.map((_, i) => i + 1),
          lines.map((l) => l.sku),
          lines.map((l) => l.name),
          lines.map((l) => l.unitPriceCents),
          lines.map((l) => l.lineTotalCents),
          currency,
          totalCents,
        ],
      );
    },

    /**
     * Moves the order to its final status (the transition table allows it from PENDING only); answers its
     * owner, for the event that announces it.
     */
    async finish(
      q: Queryable,
      tenantId: string,
      orderId: string,
      to: OrderStatus,
      failure: SagaFailure | null,
    ): Promise<{ userId: string }> {
      const rows = await q.query<{ user_id: string }>(
        `UPDATE orders SET status = $3, failure_reason = $4, failure_detail = $5, failure_data = $6::jsonb,
           updated_at = clock_timestamp()
         WHERE tenant_id = $1 AND id = $2 AND status = ANY($7::text[]) RETURNING user_id`,
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
      const [row] = rows;
      if (rows.length !== 1 || !row) throw new Error(`order ${orderId} cannot move to ${to}`);
      return { userId: row.user_id };
    },

    /** One order of the tenant; with `userId`, only if it is that user's. */
    async get(tenantId: string, id: string, userId?: string): Promise<OrderRecord | undefined> {
      const where = `o.tenant_id = $1 AND o.id = $2 ${userId ? 'AND o.user_id = $3' : ''}`;
      return (await select(db, where, userId ? [tenantId, id, userId] : [tenantId, id]))[0];
    },

    /** Newest first, keyset-paginated; `limit + 1` rows are read to know whether a next page exists. */
    async list(
      tenantId: string,
      filter: { userId?: string; status?: OrderStatus; after?: OrderCursor; limit: number },
    ): Promise<{ orders: OrderRecord[]; more: boolean }> {
      const where = ['o.tenant_id = $1'];
      const values: unknown[] = [tenantId];
      if (filter.userId) {
        values.push(filter.userId);
        where.push(`o.user_id = $${values.length}`);
      }
      if (filter.status) {
        values.push(filter.status);
        where.push(`o.status = $${values.length}`);
      }
      if (filter.after) {
        values.push(filter.after.createdAt, filter.after.id);
        where.push(`(o.created_at, o.id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
      }
      values.push(filter.limit + 1);
      const rows = await select(
        db,
        where.join(' AND '),
        values,
        `ORDER BY o.created_at DESC, o.id DESC LIMIT $${values.length}`,
      );
      return { orders: rows.slice(0, filter.limit), more: rows.length > filter.limit };
    },
  };
}

export type OrderRepo = ReturnType<typeof createOrderRepo>;
