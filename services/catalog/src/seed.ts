import { DEMO_PRODUCTS, DEMO_TENANT } from '@glassbox/contracts';
import type { Db, ServiceContext } from '@glassbox/kit';

/** The demo catalog (ids shared with the inventory's seed). Idempotent: existing products are left alone. */
export async function seed({ db, logger }: ServiceContext & { db: Db }): Promise<void> {
  const rows = await db.query(
    `INSERT INTO products (tenant_id, id, sku, name, description, category, price_cents, currency)
     SELECT $1, id, sku, name, description, category, price, currency
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::text[])
       AS t(id, sku, name, description, category, price, currency)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      DEMO_TENANT.id,
      DEMO_PRODUCTS.map((p) => p.id),
      DEMO_PRODUCTS.map((p) => p.sku),
      DEMO_PRODUCTS.map((p) => p.name),
      DEMO_PRODUCTS.map((p) => p.description),
      DEMO_PRODUCTS.map((p) => p.category),
      DEMO_PRODUCTS.map((p) => p.priceCents),
      DEMO_PRODUCTS.map((p) => p.currency),
    ],
  );
  logger.info({ created: rows.length, products: DEMO_PRODUCTS.length }, 'demo catalog seeded');
}
