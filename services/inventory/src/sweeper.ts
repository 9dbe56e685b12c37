import { createPeriodicWorker, type Logger } from '@glassbox/kit';
import type { InventoryStore } from './adapters/inventory-store.js';

export interface ExpirySweeper {
  /** Runs one pass now (behind a running one); resolves with how many reservations expired. */
  sweep(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Releases expired reservations every `intervalMs` (0: only when `sweep()` is called), on the kit's periodic
 * worker: passes never overlap, a failing pass (database down) backs off and the next one tries again, each
 * pass is one span (`inventory.reservations.expire`, so its queries form one trace). Safe with several
 * replicas: each reservation is claimed with FOR UPDATE SKIP LOCKED. A full batch runs the next pass at once.
 */
const BATCH = 200;

export function createExpirySweeper(
  store: InventoryStore,
  logger: Logger,
  intervalMs: number,
): ExpirySweeper {
  const worker = createPeriodicWorker({
    name: 'inventory.reservations.expire',
    intervalMs: Math.max(intervalMs, 1),
    logger,
    run: async () => {
      const expired = await store.expireDue(BATCH);
      if (expired > 0) logger.info({ expired }, 'expired reservations released');
      return expired;
    },
    again: (expired) => expired >= BATCH,
    idle: (expired) => expired === 0,
    describe: (expired) => ({ 'glassbox.reservations.expired': expired }),
  });
  return {
    sweep: () => worker.runOnce(),
    start() {
      if (intervalMs > 0) worker.start();
    },
    stop: () => worker.stop(),
  };
}
