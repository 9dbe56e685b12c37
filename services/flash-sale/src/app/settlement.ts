import { createPeriodicWorker, type Db, type Logger } from '@glassbox/kit';
import type { SaleInventory } from '../adapters/inventory-client.js';
import type { PurchaseStore } from '../adapters/purchase-store.js';
import type { SaleStore } from '../adapters/sale-store.js';
import type { AdmissionEngine } from '../domain/admission.js';

export interface Settlement {
  /** One pass now; resolves with how many sales were settled. */
  settle(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const BATCH = 50;

/**
 * Settles ended sales with inventory: the units of CONFIRMED purchases are taken off hand from the sale's
 * reservation and the rest of the hold (unsold, released) goes back to stock. A sale is settled only when its
 * payment deadline has passed since it ended and nothing is in flight — no purchase ACCEPTED, ORDERED or FAILED
 * (the release sweeper turns the late ones RELEASED first), and every unit admission counted as sold is a
 * purchase on record (connected mode persists them from a stream) — so the number it commits is final. The
 * inventory commit is idempotent, and the sale is marked settled after it: a crash in between settles again with
 * the same number.
 */
export function createSettlement(deps: {
  db: Db;
  sales: SaleStore;
  purchases: PurchaseStore;
  admission: AdmissionEngine;
  inventory: SaleInventory;
  logger: Logger;
  paymentDeadlineMs: number;
  intervalMs: number;
}): Settlement {
  const { db, sales, purchases, admission, inventory, logger } = deps;
  const worker = createPeriodicWorker({
    name: 'flash-sale.sales.settle',
    intervalMs: Math.max(deps.intervalMs, 1),
    logger,
    run: async () => {
      const due = await db.query<{ tenant_id: string; id: string }>(
        `SELECT tenant_id, id FROM flash_sales
          WHERE settled_at IS NULL AND ends_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY ends_at LIMIT $2`,
        [deps.paymentDeadlineMs, BATCH],
      );
      let settled = 0;
      for (const row of due) {
        const sale = await sales.get(row.tenant_id, row.id);
        if (!sale) continue;
        const [counts, counters] = await Promise.all([
          purchases.countsBySale(sale),
          admission.counters(sale),
        ]);
        const inFlight = counts.ACCEPTED.units + counts.ORDERED.units + counts.FAILED.units;
        if (inFlight > 0 || counters.sold !== counts.CONFIRMED.units) continue;
        const units = counts.CONFIRMED.units;
        await inventory.settle(sale.tenantId, sale.reservationId, sale.productId, units);
        const marked = await db.query(
          `UPDATE flash_sales SET settled_at = now(), settled_units = $2
            WHERE id = $1 AND settled_at IS NULL RETURNING id`,
          [sale.id, units],
        );
        if (marked.length > 0) {
          settled += 1;
          logger.info(
            { sale_id: sale.id, units_sold: units, units_returned: sale.quantity - units },
            'flash sale settled with inventory',
          );
        }
      }
      return settled;
    },
    again: (settled) => settled >= BATCH,
    idle: (settled) => settled === 0,
    describe: (settled) => ({ 'glassbox.sales.settled': settled }),
  });
  return {
    settle: () => worker.runOnce(),
    start() {
      if (deps.intervalMs > 0) worker.start();
    },
    stop: () => worker.stop(),
  };
}
