import { randomUUID } from 'node:crypto';
import { appError, type Db, isUniqueViolation, type Queryable } from '@glassbox/kit';
import type { ListPosition } from '../domain/cursor.js';
import {
  EDITABLE_COLUMNS,
  type NewProduct,
  type Product,
  type ProductChanges,
  type ProductSummary,
} from '../domain/product.js';
import { likePattern } from '../domain/search.js';

interface ProductRow {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  category: string | null;
  price_cents: number;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'id, sku, name, description, category, price_cents, currency, created_at, updated_at';

export interface ListQuery {
  search?: string;
  category?: string;
  limit: number;
  after?: ListPosition;
}

export interface CreateResult {
  /** False when an Idempotency-Key repeated an earlier create: the product is the one made then. */
  created: boolean;
  product: Product;
}

/** Products in PostgreSQL; every statement is scoped by tenant and sees only live (not deleted) products. */
export class ProductStore {
  constructor(private readonly db: Db) {}

  /** One page in (name, id) order, plus whether more follow. */
  async list(tenantId: string, query: ListQuery): Promise<{ items: Product[]; hasMore: boolean }> {
    const where = ['tenant_id = $1', 'deleted_at IS NULL'];
    const values: unknown[] = [tenantId];
    if (query.search) {
      values.push(likePattern(query.search));
      const p = `$${values.length}`;
      where.push(`(name ILIKE ${p} OR sku ILIKE ${p} OR description ILIKE ${p})`);
    }
    if (query.category) {
      values.push(query.category);
      where.push(`lower(category) = lower($${values.length})`);
    }
    if (query.after) {
      values.push(query.after.name, query.after.id);
      where.push(`(name, id) > ($${values.length - 1}::text, $${values.length}::uuid)`);
    }
    values.push(query.limit + 1);
    const rows = await this.db.query<ProductRow>(
      `SELECT ${COLUMNS} FROM products WHERE ${where.join(' AND ')} ORDER BY name, id LIMIT $${values.length}`,
      values,
    );
    return { items: rows.slice(0, query.limit).map(toProduct), hasMore: rows.length > query.limit };
  }

  async get(tenantId: string, id: string): Promise<Product | undefined> {
    return findLive(this.db, tenantId, id);
  }

  /** The live products among `ids`; unknown, deleted and other tenants' ids are simply absent. */
  async getMany(tenantId: string, ids: readonly string[]): Promise<ProductSummary[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<ProductRow>(
      `SELECT ${COLUMNS} FROM products
       WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL ORDER BY name, id`,
      [tenantId, ids],
    );
    return rows.map((row) => {
      const { id, sku, name, priceCents, currency } = toProduct(row);
      return { id, sku, name, priceCents, currency };
    });
  }

  /**
   * Creates a product; with an idempotency key, the same key and fingerprint answer the product made the
   * first time (even when the requests race), and the same key with another fingerprint is refused (422).
   */
  async create(
    tenantId: string,
    input: NewProduct,
    idempotency?: { key: string; fingerprint: string },
  ): Promise<CreateResult> {
    try {
      return await this.db.tx(async (q) => {
        if (idempotency) {
          const claimed = await q.query(
            `INSERT INTO product_idempotency_keys (tenant_id, key, request_hash) VALUES ($1, $2, $3)
             ON CONFLICT (tenant_id, key) DO NOTHING RETURNING key`,
            [tenantId, idempotency.key, idempotency.fingerprint],
          );
          if (claimed.length === 0)
            return { created: false, product: await replay(q, tenantId, idempotency) };
        }
        const [row] = await q.query<ProductRow>(
          `INSERT INTO products (tenant_id, id, sku, name, description, category, price_cents, currency)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
          [
            tenantId,
            randomUUID(),
            input.sku,
            input.name,
            input.description ?? null,
            input.category ?? null,
            input.priceCents,
            input.currency,
          ],
        );
        const product = toProduct(row!);
        if (idempotency) {
          await q.query(
            'UPDATE product_idempotency_keys SET product_id = $3 WHERE tenant_id = $1 AND key = $2',
            [tenantId, idempotency.key, product.id],
          );
        }
        return { created: true, product };
      });
    } catch (error) {
      throw skuTaken(error, input.sku);
    }
  }

  /** Applies the given fields; undefined when there is no such live product. */
  async update(tenantId: string, id: string, changes: ProductChanges): Promise<Product | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [tenantId, id];
    for (const [field, column] of Object.entries(EDITABLE_COLUMNS) as [keyof ProductChanges, string][]) {
      if (changes[field] === undefined) continue;
      values.push(changes[field]);
      sets.push(`${column} = $${values.length}`);
    }
    if (sets.length === 0) return this.get(tenantId, id);
    try {
      const [row] = await this.db.query<ProductRow>(
        `UPDATE products SET ${sets.join(', ')}, updated_at = now()
         WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING ${COLUMNS}`,
        values,
      );
      return row ? toProduct(row) : undefined;
    } catch (error) {
      throw skuTaken(error, changes.sku);
    }
  }

  /** Hides the product; false when there was no such live product. */
  async remove(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.db.query(
      `UPDATE products SET deleted_at = now(), updated_at = now()
       WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL RETURNING id`,
      [tenantId, id],
    );
    return rows.length > 0;
  }
}

async function replay(q: Queryable, tenantId: string, idempotency: { key: string; fingerprint: string }) {
  const [previous] = await q.query<{ request_hash: string; product_id: string | null }>(
    'SELECT request_hash, product_id FROM product_idempotency_keys WHERE tenant_id = $1 AND key = $2',
    [tenantId, idempotency.key],
  );
  if (!previous || previous.request_hash !== idempotency.fingerprint) {
    throw appError('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used to create a different product');
  }
  const product = previous.product_id ? await findLive(q, tenantId, previous.product_id) : undefined;
  if (!product) {
    throw appError('NOT_FOUND', 'the product created with this Idempotency-Key has since been deleted', {
      productId: previous.product_id,
    });
  }
  return product;
}

async function findLive(q: Queryable, tenantId: string, id: string): Promise<Product | undefined> {
  const [row] = await q.query<ProductRow>(
    `SELECT ${COLUMNS} FROM products WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL`,
    [tenantId, id],
  );
  return row ? toProduct(row) : undefined;
}

function skuTaken(error: unknown, sku: string | undefined): unknown {
  return isUniqueViolation(error)
    ? appError('ALREADY_EXISTS', `a product with SKU ${sku} already exists`, { sku })
    : error;
}

function toProduct(row: ProductRow): Product {
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    category: row.category,
    priceCents: row.price_cents,
    currency: row.currency,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
