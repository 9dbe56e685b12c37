import { createPeriodicWorker, type Db, type Logger } from '@glassbox/kit';
import type { SaleStore } from '../adapters/sale-store.js';
import type { AdmissionEngine } from '../domain/admission.js';
import type { FlashSaleMetrics } from '../metrics.js';

export interface ReleaseSweeper {
  /** One pass now; resolves with how many purchases were released. */
  sweep(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

const BATCH = 200;

/**
 * Gives units back to their sales: purchases whose order FAILED, and purchases not paid (not CONFIRMED) by their
 * payment deadline. Each becomes RELEASED exactly once (the engines' release is conditional), so a unit is
 * never returned twice and can be sold again.
 */
export function createReleaseSweeper(deps: {
  db: Db;
  sales: SaleStore;
  admission: AdmissionEngine;
  metrics: FlashSaleMetrics;
  logger: Logger;
  paymentDeadlineMs: number;
  intervalMs: number;
}): ReleaseSweeper {
  const { db, sales, admission, logger } = deps;
  const worker = createPeriodicWorker({
    name: 'flash-sale.purchases.release',
    intervalMs: Math.max(deps.intervalMs, 1),
    logger,
    run: async () => {
      const due = await db.query<{ tenant_id: string; sale_id: string; id: string; quantity: number }>(
        `SELECT tenant_id, sale_id, id, quantity FROM flash_purchases
          WHERE status = 'FAILED'
             OR (status IN ('ACCEPTED', 'ORDERED') AND accepted_at < now() - make_interval(secs => $1::double precision / 1000))
          ORDER BY accepted_at LIMIT $2`,
        [deps.paymentDeadlineMs, BATCH],
      );
      let released = 0;
      for (const p of due) {
        const sale = await sales.get(p.tenant_id, p.sale_id);
        if (sale && (await admission.release(sale, p.id))) {
          released += 1;
          deps.metrics.released(p.quantity);
        }
      }
      if (released > 0)
        logger.info({ released }, 'flash purchases released (order failed or not paid in time)');
      return released;
    },
    again: (released) => released >= BATCH,
    idle: (released) => released === 0,
    describe: (released) => ({ 'glassbox.purchases.released': released }),
  });
  return {
    sweep: () => worker.runOnce(),
    start() {
      if (deps.intervalMs > 0) worker.start();
    },
    stop: () => worker.stop(),
  };
}
