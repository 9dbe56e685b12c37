import type { ReservationView, StockLevel } from '@glassbox/contracts';
import type { Db, Queryable } from '@glassbox/kit';
import {
  normalizeItems,
  planCommit,
  planCommitLines,
  planRelease,
  type ReservationItem,
  type ReservationStatus,
  sameRequest,
} from '../domain/reservations.js';
import { appError } from '../errors.js';
import type { InventoryMetrics } from '../metrics.js';

export interface ReserveInput {
  reservationId: string;
  orderId: string;
  items: ReservationItem[];
  ttlSeconds: number;
}

export interface ReserveResult {
  /** False when the reservation already existed (an idempotent repeat). */
  created: boolean;
  reservation: ReservationView;
}

interface ReservationRow {
  id: string;
  order_id: string;
  status: ReservationStatus;
  expires_at: Date;
}

interface StockRow {
  product_id: string;
  on_hand: number;
  reserved: number;
}

/** How a finished reservation moves stock: take it off hand, give the hold back, or put the goods back. */
type StockMove = 'commit' | 'release' | 'restock';

const MOVE_SQL: Record<StockMove, string> = {
  commit: 'on_hand = on_hand - $3, reserved = reserved - $3',
  release: 'reserved = reserved - $3',
  restock: 'on_hand = on_hand + $3',
};

/** SQLSTATEs worth a retry of the whole transaction: serialization failure, deadlock detected. */
const RETRYABLE_SQLSTATE = new Set(['40001', '40P01']);

/**
 * Stock and reservations in PostgreSQL. Every statement is scoped by tenant. Correctness under concurrency
 * comes from the database, never from a read-then-write in JavaScript:
 * - a hold is one conditional `UPDATE … SET reserved = reserved + q WHERE on_hand - reserved >= q`, which
 *   PostgreSQL re-checks on the latest row version after waiting for a concurrent writer;
 * - all-or-nothing: every item is held in one transaction; the first shortfall rolls everything back;
 * - a reservation id is claimed with `INSERT … ON CONFLICT DO NOTHING`, so a concurrent repeat waits for the
 *   first call and then answers with its result;
 * - state changes lock the reservation row (`FOR UPDATE`), the sweeper skips rows others hold
 *   (`SKIP LOCKED`), and stock rows are always locked in product-id order, so transactions cannot deadlock;
 * - the table's CHECK constraints keep 0 <= reserved <= on_hand whatever happens.
 */
export class InventoryStore {
  constructor(
    private readonly db: Db,
    private readonly metrics: InventoryMetrics,
  ) {}

  async reserve(tenantId: string, input: ReserveInput): Promise<ReserveResult> {
    const items = normalizeItems(input.items);
    const result = await this.tx(async (q) => {
      const inserted = await q.query<ReservationRow>(
        `INSERT INTO reservations (tenant_id, id, order_id, status, expires_at)
         VALUES ($1, $2, $3, 'RESERVED', now() + make_interval(secs => $4))
         ON CONFLICT (tenant_id, id) DO NOTHING
         RETURNING id, order_id, status, expires_at`,
        [tenantId, input.reservationId, input.orderId, input.ttlSeconds],
      );
      const row = inserted[0];
      if (!row) {
        const existing = await loadReservation(q, tenantId, input.reservationId);
        if (!existing) throw appError('CONFLICT', `reservation ${input.reservationId} is being changed`);
        if (!sameRequest(existing, { orderId: input.orderId, items })) {
          throw appError(
            'IDEMPOTENCY_KEY_REUSED',
            `reservation ${input.reservationId} already exists for other items or another order`,
            { reservationId: input.reservationId },
          );
        }
        return { created: false, reservation: existing };
      }
      for (const item of items) {
        const held = await q.query(
          `UPDATE stock SET reserved = reserved + $3, updated_at = now()
           WHERE tenant_id = $1 AND product_id = $2 AND on_hand - reserved >= $3
           RETURNING product_id`,
          [tenantId, item.productId, item.quantity],
        );
        if (held.length === 0) {
          const [stock] = await q.query<{ available: number }>(
            'SELECT on_hand - reserved AS available FROM stock WHERE tenant_id = $1 AND product_id = $2',
            [tenantId, item.productId],
          );
          const available = Math.max(0, stock?.available ?? 0);
          throw appError(
            'OUT_OF_STOCK',
            `product ${item.productId}: ${item.quantity} requested, ${available} available`,
            { productId: item.productId, requested: item.quantity, available },
          );
        }
      }
      await q.query(
        `INSERT INTO reservation_items (tenant_id, reservation_id, product_id, quantity)
         SELECT $1, $2, p, n FROM unnest($3::uuid[], $4::integer[]) AS t(p, n)`,
        [tenantId, input.reservationId, items.map((i) => i.productId), items.map((i) => i.quantity)],
      );
      return { created: true, reservation: toView(row, items) };
    }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'OUT_OF_STOCK') this.metrics.rejected('out_of_stock');
      throw error;
    });
    if (result.created) this.metrics.reserved(sum(items));
    return result;
  }

  /**
   * Takes the reserved goods off hand. Idempotent; refuses (409) once released or expired. With `take`, only
   * those quantities are taken and the rest of the hold is given back (a settlement); repeating it with other
   * quantities is refused (409 CONFLICT).
   */
  async commit(
    tenantId: string,
    reservationId: string,
    take?: readonly ReservationItem[],
  ): Promise<{ reservationId: string; status: 'COMMITTED'; items: ReservationItem[] }> {
    const outcome = await this.tx(async (q) => {
      const [row] = await q.query<{ status: ReservationStatus; expired: boolean }>(
        `SELECT status, expires_at <= now() AS expired FROM reservations
         WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
        [tenantId, reservationId],
      );
      if (!row) throw appError('NOT_FOUND', `reservation ${reservationId} was not found`);
      const plan = planCommit(row.status, row.expired);
      const items = await loadItems(q, tenantId, reservationId);
      const { lines, problems } = planCommitLines(items, take);
      if (problems.length > 0) {
        throw appError(
          'VALIDATION_FAILED',
          `cannot commit reservation ${reservationId}: ${problems[0]?.path} ${problems[0]?.message}`,
          {
            errors: problems,
          },
        );
      }
      switch (plan.action) {
        case 'none': {
          const before = items.map((i) => ({ productId: i.productId, quantity: i.committed ?? i.quantity }));
          if (take !== undefined && lines.some((l, n) => l.take !== before[n]?.quantity)) {
            throw appError(
              'CONFLICT',
              `reservation ${reservationId} is already committed with other quantities`,
              {
                reservationId,
                committed: before,
              },
            );
          }
          return { refused: undefined, committed: 0, released: 0, expired: 0, items: before };
        }
        case 'refuse':
          return { refused: row.status, committed: 0, released: 0, expired: 0, items: [] };
        case 'expire': {
          const expired = await finish(q, tenantId, reservationId, 'release', 'EXPIRED');
          return { refused: 'EXPIRED' as const, committed: 0, released: 0, expired, items: [] };
        }
        case 'commit': {
          for (const line of lines) {
            await q.query(
              `UPDATE stock SET on_hand = on_hand - $3, reserved = reserved - $4, updated_at = now()
               WHERE tenant_id = $1 AND product_id = $2`,
              [tenantId, line.productId, line.take, line.held],
            );
            await q.query(
              `UPDATE reservation_items SET committed = $4
               WHERE tenant_id = $1 AND reservation_id = $2 AND product_id = $3`,
              [tenantId, reservationId, line.productId, line.take],
            );
          }
          await q.query(
            "UPDATE reservations SET status = 'COMMITTED', updated_at = now() WHERE tenant_id = $1 AND id = $2",
            [tenantId, reservationId],
          );
          const committed = lines.reduce((n, l) => n + l.take, 0);
          const released = lines.reduce((n, l) => n + l.held - l.take, 0);
          return {
            refused: undefined,
            committed,
            released,
            expired: 0,
            items: lines.map((l) => ({ productId: l.productId, quantity: l.take })),
          };
        }
      }
    });
    if (outcome.committed > 0) this.metrics.committed(outcome.committed);
    if (outcome.released > 0) this.metrics.released(outcome.released, 'released');
    if (outcome.expired > 0) this.metrics.released(outcome.expired, 'expired');
    if (outcome.refused) {
      throw appError(
        'ILLEGAL_TRANSITION',
        `reservation ${reservationId} is ${outcome.refused} and can no longer be committed`,
        { reservationId, reservationStatus: outcome.refused },
      );
    }
    return { reservationId, status: 'COMMITTED', items: outcome.items };
  }

  /**
   * Gives the stock back. Never refuses: a no-op for an unknown, released or expired reservation; a committed
   * one puts its goods back on hand (the compensation of a saga that failed after committing).
   */
  async release(
    tenantId: string,
    reservationId: string,
  ): Promise<{ reservationId: string; status: 'RELEASED' }> {
    const moved = await this.tx(async (q) => {
      const [row] = await q.query<{ status: ReservationStatus }>(
        'SELECT status FROM reservations WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
        [tenantId, reservationId],
      );
      const plan = planRelease(row?.status);
      if (plan.action === 'none') return undefined;
      const quantity = await finish(q, tenantId, reservationId, plan.action, 'RELEASED');
      return { quantity, reason: plan.action === 'restock' ? ('restocked' as const) : ('released' as const) };
    });
    if (moved && moved.quantity > 0) this.metrics.released(moved.quantity, moved.reason);
    return { reservationId, status: 'RELEASED' };
  }

  async getReservation(tenantId: string, reservationId: string): Promise<ReservationView | undefined> {
    return loadReservation(this.db, tenantId, reservationId);
  }

  /**
   * Releases RESERVED reservations past their deadline, one small transaction each, skipping rows another
   * transaction (a commit, another replica's sweeper) holds. Returns how many it expired.
   */
  async expireDue(limit = 200): Promise<number> {
    let count = 0;
    while (count < limit) {
      const quantity = await this.tx(async (q) => {
        const [due] = await q.query<{ tenant_id: string; id: string }>(
          `SELECT tenant_id, id FROM reservations
           WHERE status = 'RESERVED' AND expires_at <= now()
           ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
        );
        if (!due) return undefined;
        return finish(q, due.tenant_id, due.id, 'release', 'EXPIRED');
      });
      if (quantity === undefined) break;
      this.metrics.released(quantity, 'expired');
      count++;
    }
    return count;
  }

  async getStock(tenantId: string, productId: string): Promise<StockLevel | undefined> {
    const [row] = await this.db.query<StockRow>(
      'SELECT product_id, on_hand, reserved FROM stock WHERE tenant_id = $1 AND product_id = $2',
      [tenantId, productId],
    );
    return row ? toStockLevel(row) : undefined;
  }

  /** Sets the goods on hand (creating the stock record); refuses to go below what is reserved. */
  async setOnHand(
    tenantId: string,
    productId: string,
    onHand: number,
  ): Promise<{ created: boolean; stock: StockLevel }> {
    const [row] = await this.db.query<StockRow & { created: boolean }>(
      `INSERT INTO stock (tenant_id, product_id, on_hand) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, product_id)
         DO UPDATE SET on_hand = EXCLUDED.on_hand, updated_at = now() WHERE stock.reserved <= EXCLUDED.on_hand
       RETURNING product_id, on_hand, reserved, (xmax = 0) AS created`,
      [tenantId, productId, onHand],
    );
    if (row) return { created: row.created, stock: toStockLevel(row) };
    const current = await this.getStock(tenantId, productId);
    throw appError(
      'CONFLICT',
      `onHand ${onHand} is below the ${current?.reserved ?? 'currently'} units reserved for product ${productId}`,
      { productId, reserved: current?.reserved },
    );
  }

  /** A transaction, retried a few times if PostgreSQL aborts it for a deadlock or a serialization failure. */
  private async tx<T>(fn: (q: Queryable) => Promise<T>, attempts = 3): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.tx(fn);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (attempt >= attempts || typeof code !== 'string' || !RETRYABLE_SQLSTATE.has(code)) throw error;
      }
    }
  }
}

/**
 * Moves the stock of a locked reservation's items and sets its final status, in product-id order. Returns the
 * number of units moved.
 */
async function finish(
  q: Queryable,
  tenantId: string,
  reservationId: string,
  move: StockMove,
  status: ReservationStatus,
): Promise<number> {
  const items = (await loadItems(q, tenantId, reservationId)).map((i) => ({
    productId: i.productId,
    // A restock puts back what the commit took (a settlement may have taken less than was held).
    quantity: move === 'restock' ? (i.committed ?? i.quantity) : i.quantity,
  }));
  for (const item of items) {
    await q.query(
      `UPDATE stock SET ${MOVE_SQL[move]}, updated_at = now() WHERE tenant_id = $1 AND product_id = $2`,
      [tenantId, item.productId, item.quantity],
    );
  }
  await q.query('UPDATE reservations SET status = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [
    tenantId,
    reservationId,
    status,
  ]);
  return sum(items);
}

/** The items held, in product-id order, with what a commit took of each (null until committed). */
async function loadItems(
  q: Queryable,
  tenantId: string,
  reservationId: string,
): Promise<(ReservationItem & { committed: number | null })[]> {
  const rows = await q.query<{ product_id: string; quantity: number; committed: number | null }>(
    `SELECT product_id, quantity, committed FROM reservation_items
     WHERE tenant_id = $1 AND reservation_id = $2 ORDER BY product_id`,
    [tenantId, reservationId],
  );
  return rows.map((r) => ({ productId: r.product_id, quantity: r.quantity, committed: r.committed }));
}

async function loadReservation(
  q: Queryable,
  tenantId: string,
  reservationId: string,
): Promise<ReservationView | undefined> {
  const [row] = await q.query<ReservationRow>(
    'SELECT id, order_id, status, expires_at FROM reservations WHERE tenant_id = $1 AND id = $2',
    [tenantId, reservationId],
  );
  if (!row) return undefined;
  return toView(row, await loadItems(q, tenantId, reservationId));
}

function toView(row: ReservationRow, items: ReservationItem[]): ReservationView {
  return {
    reservationId: row.id,
    orderId: row.order_id,
    status: row.status,
    expiresAt: row.expires_at.toISOString(),
    items: items.map((i) => ({ productId: i.productId, quantity: i.quantity })),
  };
}

function toStockLevel(row: StockRow): StockLevel {
  return {
    productId: row.product_id,
    onHand: row.on_hand,
    reserved: row.reserved,
    available: row.on_hand - row.reserved,
  };
}

function sum(items: readonly ReservationItem[]): number {
  return items.reduce((total, item) => total + item.quantity, 0);
}
