import type { Db } from '@glassbox/kit';
import type { SaleTerms } from '../domain/admission.js';

export interface Sale extends SaleTerms {
  productId: string;
  priceCents: number;
  startsAt: Date;
  endsAt: Date;
  reservationId: string;
  createdAt: Date;
}

interface DbSale {
  tenant_id: string;
  id: string;
  product_id: string;
  quantity: number;
  price_cents: number;
  starts_at: Date;
  ends_at: Date;
  per_user_limit: number;
  reservation_id: string;
  created_at: Date;
}

function toSale(r: DbSale): Sale {
  return {
    tenantId: r.tenant_id,
    id: r.id,
    productId: r.product_id,
    quantity: r.quantity,
    priceCents: r.price_cents,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    perUserLimit: r.per_user_limit,
    reservationId: r.reservation_id,
    createdAt: r.created_at,
  };
}

/** Sales in PostgreSQL, cached in memory: a sale's terms never change once it is created (hot path). */
export class SaleStore {
  private readonly cache = new Map<string, Sale>();

  constructor(private readonly db: Db) {}

  async insert(sale: Omit<Sale, 'createdAt'>): Promise<Sale> {
    const [row] = await this.db.query<DbSale>(
      `INSERT INTO flash_sales
         (tenant_id, id, product_id, quantity, price_cents, starts_at, ends_at, per_user_limit, reservation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        sale.tenantId,
        sale.id,
        sale.productId,
        sale.quantity,
        sale.priceCents,
        sale.startsAt,
        sale.endsAt,
        sale.perUserLimit,
        sale.reservationId,
      ],
    );
    const created = toSale(row as DbSale);
    this.cache.set(created.id, created);
    return created;
  }

  /** The sale of that tenant, or undefined (another tenant's sale is not found). */
  async get(tenantId: string, id: string): Promise<Sale | undefined> {
    let sale = this.cache.get(id);
    if (!sale) {
      const [row] = await this.db.query<DbSale>('SELECT * FROM flash_sales WHERE id = $1', [id]);
      if (!row) return undefined;
      sale = toSale(row);
      this.cache.set(id, sale);
    }
    return sale.tenantId === tenantId ? sale : undefined;
  }

  /** When the sale was settled with inventory and how many units it sold, or null while it is not. */
  async settlement(sale: Sale): Promise<{ settledAt: Date; units: number } | null> {
    const [row] = await this.db.query<{ settled_at: Date | null; settled_units: number | null }>(
      'SELECT settled_at, settled_units FROM flash_sales WHERE id = $1',
      [sale.id],
    );
    return row?.settled_at ? { settledAt: row.settled_at, units: row.settled_units ?? 0 } : null;
  }
}
