/**
 * SQL of orders and their items. Every statement names the tenant. A new order, its items and its saga row are
 * written in one transaction, so no order exists without a saga to finish it.
 */
import type { Db, Queryable } from '@glassbox/kit';
import type { OrderCursor } from '../domain/cursor.js';
import type { OrderStatus } from '../domain/order-status.js';
import type { RequestedItem } from '../domain/pricing.js';

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

interface ItemRow {
  order_id: string;
  product_id: string;
  quantity: number;
  sku: string | null;
  name: string | null;
  unit_price_cents: number | null;
  line_total_cents: number | null;
}

const ORDER_COLUMNS = `o.*, to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key`;

export interface NewOrder {
  id: string;
  tenantId: string;
  userId: string;
  idempotencyKey: string;
  requestHash: string;
  items: RequestedItem[];
  paymentToken: string;
  /** The worker that will run the saga right away, holding its lease for leaseMs. */
  workerId: string;
  leaseMs: number;
  traceparent: string | null;
  requestId: string | null;
}

export function createOrderRepo(db: Db) {
  async function withItems(q: Queryable, tenantId: string, rows: OrderRow[]): Promise<OrderRecord[]> {
    if (rows.length === 0) return [];
    const items = await q.query<ItemRow>(
      `SELECT order_id, product_id, quantity, sku, name, unit_price_cents, line_total_cents FROM order_items
       WHERE tenant_id = $1 AND order_id = ANY($2::uuid[]) ORDER BY order_id, line_no`,
      [tenantId, rows.map((r) => r.id)],
    );
    const byOrder = new Map<string, OrderItemRecord[]>();
    for (const i of items) {
      const list = byOrder.get(i.order_id) ?? [];
      list.push({
        productId: i.product_id,
        quantity: i.quantity,
        sku: i.sku,
        name: i.name,
        unitPriceCents: i.unit_price_cents,
        lineTotalCents: i.line_total_cents,
      });
      byOrder.set(i.order_id, list);
    }
    return rows.map((r) => ({
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
      items: byOrder.get(r.id) ?? [],
    }));
  }

  async function byKey(q: Queryable, tenantId: string, userId: string, key: string) {
    const rows = await q.query<OrderRow>(
      `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.user_id = $2 AND o.idempotency_key = $3`,
      [tenantId, userId, key],
    );
    return (await withItems(q, tenantId, rows))[0];
  }

  return {
    /**
     * Creates the order with its items and its saga (leased to the creating worker), or, when this user already
     * used the Idempotency-Key, answers the existing order.
     */
    create(o: NewOrder): Promise<{ created: boolean; order: OrderRecord }> {
      return db.tx(async (q) => {
        const inserted = await q.query(
          `INSERT INTO orders (id, tenant_id, user_id, idempotency_key, request_hash) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (tenant_id, user_id, idempotency_key) DO NOTHING RETURNING id`,
          [o.id, o.tenantId, o.userId, o.idempotencyKey, o.requestHash],
        );
        if (inserted.length === 0) {
          const existing = await byKey(q, o.tenantId, o.userId, o.idempotencyKey);
          if (!existing) throw new Error('an order with this key exists but cannot be read');
          return { created: false, order: existing };
        }
        await q.query(
          `INSERT INTO order_items (tenant_id, order_id, line_no, product_id, quantity)
           SELECT $1, $2, n, p, qty FROM unnest($3::uuid[], $4::int[]) WITH ORDINALITY AS t(p, qty, n)`,
          [o.tenantId, o.id, o.items.map((i) => i.productId), o.items.map((i) => i.quantity)],
        );
        await q.query(
          `INSERT INTO checkout_sagas (order_id, tenant_id, status, payment_token, lease_owner, lease_until,
             traceparent, request_id)
           VALUES ($1, $2, 'RUNNING', $3, $4, now() + make_interval(secs => $5::double precision / 1000), $6, $7)`,
          [o.id, o.tenantId, o.paymentToken, o.workerId, o.leaseMs, o.traceparent, o.requestId],
        );
        const order = await byKey(q, o.tenantId, o.userId, o.idempotencyKey);
        if (!order) throw new Error('the new order cannot be read back');
        return { created: true, order };
      });
    },

    /** One order of the tenant; with `userId`, only if it is that user's. */
    async get(tenantId: string, id: string, userId?: string): Promise<OrderRecord | undefined> {
      const rows = await db.query<OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders o WHERE o.tenant_id = $1 AND o.id = $2 ${userId ? 'AND o.user_id = $3' : ''}`,
        userId ? [tenantId, id, userId] : [tenantId, id],
      );
      return (await withItems(db, tenantId, rows))[0];
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
      const rows = await db.query<OrderRow>(
        `SELECT ${ORDER_COLUMNS} FROM orders o WHERE ${where.join(' AND ')}
         ORDER BY o.created_at DESC, o.id DESC LIMIT $${values.length}`,
        values,
      );
      const orders = await withItems(db, tenantId, rows.slice(0, filter.limit));
      return { orders, more: rows.length > filter.limit };
    },
  };
}

export type OrderRepo = ReturnType<typeof createOrderRepo>;
