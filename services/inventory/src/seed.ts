import { DEMO_PRODUCTS, DEMO_TENANT } from '@glassbox/contracts';
import type { Db, ServiceContext } from '@glassbox/kit';

/** Stock for the demo catalog (same product ids as the catalog's seed). Idempotent: existing stock is kept. */
export async function seed({ db, logger }: ServiceContext & { db: Db }): Promise<void> {
  const rows = await db.query(
    `INSERT INTO stock (tenant_id, product_id, on_hand)
     SELECT $1, p, n FROM unnest($2::uuid[], $3::integer[]) AS t(p, n)
     ON CONFLICT (tenant_id, product_id) DO NOTHING
     RETURNING product_id`,
    [DEMO_TENANT.id, DEMO_PRODUCTS.map((p) => p.id), DEMO_PRODUCTS.map((p) => p.stock)],
  );
  logger.info({ created: rows.length, products: DEMO_PRODUCTS.length }, 'demo stock seeded');
}
